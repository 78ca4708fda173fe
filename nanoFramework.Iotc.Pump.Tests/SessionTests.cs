// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// The connection's invariants: back-off bounds and per-device jitter, escalation when connections die at once,
    /// which refusals are retried, input that must never reach a socket, a clock that gives no token, and logging
    /// that never changes what the pump does.
    /// </summary>
    [TestClass]
    public class SessionTests
    {
        [TestMethod]
        public void Backoff_StaysWithinItsBounds_AndOnlyThrottlingAndServerFaultsAreRetryable()
        {
            Backoff backoff = new Backoff(1000, 8000, 12345);
            for (int attempt = 0; attempt < 12; attempt++)
            {
                long nominal = attempt >= 3 ? 8000 : 1000L << attempt;
                int delay = backoff.Delay(attempt);
                Assert.IsTrue(delay >= nominal * 8 / 10 && delay <= nominal * 12 / 10, "attempt " + attempt + ": " + delay);
            }

            Assert.IsTrue(Backoff.IsRetryable(429));
            Assert.IsTrue(Backoff.IsRetryable(500));
            Assert.IsTrue(Backoff.IsRetryable(503));
            Assert.IsFalse(Backoff.IsRetryable(401));
            Assert.IsFalse(Backoff.IsRetryable(404));
            Assert.IsFalse(Backoff.IsRetryable(200));
        }

        [TestMethod]
        public void Jitter_DiffersBetweenDevices_SoAFleetDoesNotReconnectInLockStep()
        {
            long now = 1700000000000;
            int same = 0;
            Backoff a = new Backoff(1000, 60000, Backoff.Seed("device-a", now));
            Backoff b = new Backoff(1000, 60000, Backoff.Seed("device-b", now));
            for (int i = 0; i < 8; i++)
            {
                if (a.Delay(2) == b.Delay(2))
                {
                    same++;
                }
            }

            Assert.IsTrue(same < 8, "two devices drew the same eight delays");
        }

        [TestMethod]
        public void ConnectionsThatDieAtOnce_EscalateTheBackoff()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.NewDevice(t, clock);
            device.SetReconnectBackoff(1000, 60000);
            DeviceTests.ConnectNow(t, device);

            // Another client with the same identity takes the session over each time, right after connecting.
            long[] waits = new long[4];
            for (int i = 0; i < waits.Length; i++)
            {
                t.Current.Drop();
                device.DoNext();
                int before = t.Connections.Count;
                long start = clock.Now;
                while (t.Connections.Count == before)
                {
                    clock.Now += 100;
                    device.DoNext();
                }

                waits[i] = clock.Now - start;
            }

            Assert.IsTrue(waits[3] >= 6000, "the fourth takeover waits ~8 s, not the first step again: " + waits[0] + "/" + waits[1] + "/" + waits[2] + "/" + waits[3]);

            // A connection that lasted restarts the back-off at its first step.
            clock.Now += 60000;
            t.Current.Drop();
            device.DoNext();
            int count = t.Connections.Count;
            long from = clock.Now;
            while (t.Connections.Count == count)
            {
                clock.Now += 100;
                device.DoNext();
            }

            Assert.IsTrue(clock.Now - from <= 1300, "after a stable connection: first step again, was " + (clock.Now - from));
        }

        [TestMethod]
        [DataRow("127.0.0.1:5555#x:1")]
        [DataRow("host@evil")]
        [DataRow("a?b")]
        [DataRow("::1")]
        [DataRow("-bad.example.com")]
        [DataRow("host:+443")]
        [DataRow("host:0")]
        [DataRow("")]
        public void ServiceHost_ThatIsNotAHost_IsRefused(string host)
        {
            Device device = DeviceTests.NewDevice(new FakeTransport(), new FakeClock());
            Assert.ThrowsException(typeof(ArgumentException), () => device.SetServiceHost(host));
        }

        [TestMethod]
        public void ServiceHost_WithLineBreaks_IsRefused()
        {
            Device device = DeviceTests.NewDevice(new FakeTransport(), new FakeClock());
            Assert.ThrowsException(typeof(ArgumentException), () => device.SetServiceHost("dps.example.com\r\nX-Evil: 1"));
        }

        [TestMethod]
        [DataRow("dps.example.com")]
        [DataRow("dps.example.com:8443")]
        [DataRow("127.0.0.1:5555")]
        [DataRow("[::1]:5555")]
        [DataRow("localhost")]
        public void ServiceHost_Names_AddressesAndPorts_AreAccepted(string host)
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.NewDevice(t, new FakeClock());
            device.SetServiceHost(host);
            DeviceTests.ConnectNow(t, device);
            string expectedHost = host.IndexOf("]:") > 0 ? host.Substring(0, host.IndexOf("]:") + 1) : (host.IndexOf(':') > 0 && host.IndexOf('[') < 0 ? host.Substring(0, host.IndexOf(':')) : host);
            Assert.AreEqual(expectedHost, t.Http(0).Host);
        }

        [TestMethod]
        public void AClockPast2100_IsAConnectionStatus_NotAnExceptionFromDoNext()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            clock.Now = 4200000000000; // 2103
            t.AddAssignment(DeviceTests.Hub, "dev-1");
            Device device = DeviceTests.NewDevice(t, clock);
            IotcException error = DeviceTests.ConnectExpectingFailure(device);
            Assert.AreEqual(IotcStatus.InvalidClock, error.StatusCode);
            device.DoNext();
        }

        [TestMethod]
        public void AThrowingLogSink_ChangesNothing()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.NewDevice(t, new FakeClock());
            device.SetLogLevel(IotLogLevel.All);
            device.SetLogSink(line =>
            {
                if (line.IndexOf("published") >= 0 || line.IndexOf("queued") >= 0)
                {
                    throw new InvalidOperationException("sink broken");
                }
            });
            DeviceTests.ConnectNow(t, device);
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
            int id = device.SendTelemetry("{\"t\":1}");
            device.DoNext();
            device.DoNext();
            int published = 0;
            for (int i = 0; i < t.Current.Topics.Count; i++)
            {
                if (t.Current.Topic(i).IndexOf("devices/dev-1/messages/events/") == 0)
                {
                    published++;
                }
            }

            Assert.AreEqual(1, published, "published once, whatever the sink did");
            t.Current.Ack(1);
            device.DoNext();
            Assert.AreEqual(1, sent.Count);
            Assert.AreEqual(id, (int)sent[0]);
        }
    }
}
