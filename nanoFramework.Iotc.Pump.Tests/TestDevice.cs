// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>Set-up steps every pump test assembly shares (linked into the recovery tests too).</summary>
    internal static class TestDevice
    {
        // Test-only key (base64 of bytes 0..31); never a real credential.
        internal const string Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        internal const string Hub = "hub-1.azure-devices.net";

        /// <summary>A device with the fake transport and clock, not connected and recording nothing.</summary>
        internal static Device New(FakeTransport transport, FakeClock clock)
        {
            Device device = new Device("0ne00000001", Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(transport);
            device.SetClock(clock);
            return device;
        }

        /// <summary>Connects a device (configured: settings are fixed at Connect) through one DPS assignment.</summary>
        internal static void ConnectNow(FakeTransport transport, Device device)
        {
            transport.AddAssignment(Hub, "dev-1");
            device.Connect();
        }

        /// <summary>The log lines (level ApiOnly) from now on, without the "[iotc] " prefix.</summary>
        internal static ArrayList RecordLog(Device device)
        {
            ArrayList lines = new ArrayList();
            device.SetLogLevel(IotLogLevel.ApiOnly);
            device.SetLogSink(line => lines.Add(line.Substring(7)));
            return lines;
        }

        /// <summary>Connects and returns the <see cref="IotcException"/> it must throw.</summary>
        internal static IotcException ConnectExpectingFailure(Device device)
        {
            try
            {
                device.Connect();
            }
            catch (IotcException ex)
            {
                return ex;
            }

            Assert.IsTrue(false, "Connect() was expected to throw IotcException");
            return null;
        }
    }
}
