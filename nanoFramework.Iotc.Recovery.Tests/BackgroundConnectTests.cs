// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Threading;
using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// With SetConnectInBackground(true) a reconnect's CONNECT runs on a worker: DoNext() keeps returning while the
    /// server is silent, the new connection's messages wait until the attempt is taken up, and every callback still runs
    /// on the thread that calls DoNext(). Waits are for conditions (bounded by a generous count), never for time.
    /// </summary>
    [TestClass]
    public class BackgroundConnectTests
    {
        [TestMethod]
        public void ASilentServer_DoesNotHoldDoNext_AndCallbacksStayOnTheApplicationThread()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = new Device("0ne00000001", RecoveryHarness.Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(t);
            device.SetConnectInBackground(true);
            device.SetClock(clock);
            device.SetReconnectBackoff(10, 10);
            Thread app = Thread.CurrentThread;
            bool elsewhere = false;
            string received = null;
            device.On(IotcEvents.ConnectionStatus, info => elsewhere |= Thread.CurrentThread != app);
            device.On(IotcEvents.MessageReceived, info =>
            {
                elsewhere |= Thread.CurrentThread != app;
                received = info.Payload;
            });
            t.AddAssignment(RecoveryHarness.Hub, "dev-1");
            device.Connect();

            t.HoldConnect = true;
            t.Current.Drop();
            for (int i = 0; i < 100000 && t.Connections.Count < 2; i++)
            {
                clock.Now += 5;
                device.DoNext();
                Thread.Sleep(0);
            }

            Assert.AreEqual(2, t.Connections.Count, "the attempt started");
            FakeMqtt second = t.Current;
            for (int i = 0; i < 100 && second.Events == null; i++)
            {
                Thread.Sleep(1);
            }

            // The server is silent: DoNext returns again and again. A message of the new connection waits for it.
            for (int i = 0; i < 50; i++)
            {
                device.DoNext();
            }

            Assert.IsFalse(device.IsConnected);
            second.Open = true;
            second.Deliver(RecoveryHarness.CloudToDevice + "%24.mid=m1", "early");
            device.DoNext();
            Assert.IsNull(received, "not before the attempt is taken up");

            t.HoldConnect = false;
            for (int i = 0; i < 100000 && !device.IsConnected; i++)
            {
                device.DoNext();
                Thread.Sleep(0);
            }

            Assert.IsTrue(device.IsConnected);
            device.DoNext();
            Assert.AreEqual("early", received);
            Assert.IsFalse(elsewhere, "every callback on the application's thread");
            Assert.StartsWith("$iothub/twin/GET/", second.Topic(0));
        }

        [TestMethod]
        public void Disconnect_WhileAnAttemptRuns_ClosesWhatItConnects()
        {
            FakeTransport t = new FakeTransport();
            Device device = new Device("0ne00000001", RecoveryHarness.Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(t);
            device.SetConnectInBackground(true);
            device.SetClock(new FakeClock());
            device.SetReconnectBackoff(1, 1);
            t.AddAssignment(RecoveryHarness.Hub, "dev-1");
            device.Connect();
            t.HoldConnect = true;
            t.Current.Drop();
            for (int i = 0; i < 100000 && t.Connections.Count < 2; i++)
            {
                device.DoNext();
                Thread.Sleep(0);
            }

            FakeMqtt second = t.Current;
            device.Disconnect();
            t.HoldConnect = false;
            for (int i = 0; i < 10000 && !second.Closed; i++)
            {
                Thread.Sleep(1);
            }

            Assert.IsTrue(second.Closed, "the abandoned attempt's connection is closed");
            Assert.IsFalse(device.IsConnected);
        }
    }
}
