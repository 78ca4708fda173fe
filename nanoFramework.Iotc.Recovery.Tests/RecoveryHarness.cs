// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.Iotc.Tests.Pump;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>A device over the fake transport, connected, with what it raised recorded (the pump tests' helpers live in their own assembly on the board).</summary>
    internal sealed class RecoveryHarness
    {
        // Test-only key (base64 of bytes 0..31); never a real credential.
        internal const string Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        internal const string Hub = "hub-1.azure-devices.net";
        internal const string CloudToDevice = "devices/dev-1/messages/devicebound/";

        internal readonly FakeTransport Transport = new FakeTransport();
        internal readonly FakeClock Clock = new FakeClock();
        internal readonly Device Device;

        /// <summary>ConnectionStatus codes, in order.</summary>
        internal readonly ArrayList Statuses = new ArrayList();

        /// <summary>MessageSent as "id:status", in order.</summary>
        internal readonly ArrayList Sent = new ArrayList();

        /// <summary>MessageReceived payloads, in order.</summary>
        internal readonly ArrayList Received = new ArrayList();

        /// <summary>Log lines (level ApiOnly) without the "[iotc] " prefix.</summary>
        internal readonly ArrayList Log = new ArrayList();

        /// <summary>Called with each log line as it is written (plays a slow sink, or the network at that moment).</summary>
        internal IotcLogSink OnLog;

        /// <summary>A device with this back-off, connected through one DPS assignment.</summary>
        internal RecoveryHarness(int backoffMinMs, int backoffMaxMs)
        {
            Device = new Device("0ne00000001", Key, "dev-1", IotConnectType.SymmetricKey);
            Device.SetTransportFactory(Transport);
            Device.SetClock(Clock);
            Device.SetReconnectBackoff(backoffMinMs, backoffMaxMs);
            Device.SetLogLevel(IotLogLevel.ApiOnly);
            Device.SetLogSink(Record);
            Device.On(IotcEvents.ConnectionStatus, info => Statuses.Add(info.StatusCode));
            Device.On(IotcEvents.MessageSent, info => Sent.Add(info.MessageId + ":" + info.StatusCode));
            Device.On(IotcEvents.MessageReceived, info => Received.Add(info.Payload));
            Transport.AddAssignment(Hub, "dev-1");
            Device.Connect();
        }

        /// <summary>Steps the pump at least once, the clock moving <paramref name="stepMs"/> each time, until connected (at most <paramref name="limitMs"/>).</summary>
        internal void RunUntilConnected(int stepMs, long limitMs)
        {
            long start = Clock.Now;
            do
            {
                Clock.Now += stepMs;
                Device.DoNext();
            }
            while (!Device.IsConnected && Clock.Now - start < limitMs);
        }

        /// <summary>True when a log line starts with <paramref name="prefix"/>.</summary>
        internal bool Logged(string prefix)
        {
            for (int i = 0; i < Log.Count; i++)
            {
                if (((string)Log[i]).IndexOf(prefix) == 0)
                {
                    return true;
                }
            }

            return false;
        }

        private void Record(string line)
        {
            string text = line.Substring(7);
            Log.Add(text);
            if (OnLog != null)
            {
                OnLog(text);
            }
        }
    }
}
