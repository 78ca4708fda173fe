// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// The connection's invariants: reconnect when the back-off is over (its bounds and jitter are in BackoffTests),
    /// escalation when connections die at once, token renewal at 80 %, which refusals are retried and which give up,
    /// when to provision again, Disconnect keeping what is unconfirmed, input that must never reach a socket, a clock
    /// that gives no token, and logging that never changes what the pump does.
    /// </summary>
    [TestClass]
    public class SessionTests
    {
        [TestMethod]
        public void ConnectionsThatDieAtOnce_EscalateTheBackoff()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 1000, 60000);

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

        /// <summary>The ConnectionStatus codes raised from now on.</summary>
        private static ArrayList Statuses(Device device)
        {
            ArrayList statuses = new ArrayList();
            device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
            return statuses;
        }

        /// <summary>Steps the pump (1 ms at a time) until a new connection attempt or <paramref name="limitMs"/>; returns the wait.</summary>
        private static long WaitForAttempt(FakeTransport t, FakeClock clock, Device device, int limitMs)
        {
            int before = t.Connections.Count + t.HttpRequests.Count;
            long start = clock.Now;
            while (t.Connections.Count + t.HttpRequests.Count == before && clock.Now - start < limitMs)
            {
                clock.Now += 1;
                device.DoNext();
            }

            return clock.Now - start;
        }

        [TestMethod]
        public void Reconnect_HappensExactlyWhenTheBackoffIsOver()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 4, 4);
            clock.Now += 60000;
            t.Current.Drop();
            device.DoNext();
            Assert.IsFalse(device.IsConnected);
            Assert.AreEqual(1, t.Connections.Count, "not at once");
            Assert.AreEqual(4, (int)WaitForAttempt(t, clock, device, 100), "after exactly 4 ms (no jitter below 5 ms)");
            Assert.IsTrue(device.IsConnected);

            // A link the transport closed reads as not connected at once, before DoNext notices.
            t.Current.Open = false;
            Assert.IsFalse(device.IsConnected);
        }

        [TestMethod]
        public void AConnectionCountsAsStable_AfterExactlyItsMinimumTime()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 4, 1000);

            // Three short-lived connections: 4, 8, 16 ms.
            t.Current.Drop();
            device.DoNext();
            Assert.AreEqual(4, (int)WaitForAttempt(t, clock, device, 5000));
            t.Current.Drop();
            device.DoNext();
            long second = WaitForAttempt(t, clock, device, 5000);
            Assert.IsTrue(second >= 7 && second <= 10, "second wait " + second);
            t.Current.Drop();
            device.DoNext();
            long third = WaitForAttempt(t, clock, device, 5000);
            Assert.IsTrue(third >= 13 && third <= 20, "third wait " + third);

            // Exactly 30 s up: stable, the back-off starts over.
            clock.Now += 30000;
            t.Current.Drop();
            device.DoNext();
            Assert.AreEqual(4, (int)WaitForAttempt(t, clock, device, 5000));

            // 1 ms short of 30 s: not stable, it escalates.
            clock.Now += 29999;
            t.Current.Drop();
            device.DoNext();
            long escalated = WaitForAttempt(t, clock, device, 5000);
            Assert.IsTrue(escalated >= 7, "escalated wait " + escalated);
        }

        [TestMethod]
        public void Token_IsRenewedAtExactlyEightyPercent()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.NewDevice(t, clock);
            device.SetTokenExpiration(100);
            TestDevice.ConnectNow(t, device);
            ArrayList statuses = Statuses(device);
            clock.Now += 79999;
            device.DoNext();
            Assert.AreEqual(1, t.Connections.Count, "not before 80 s of 100 s");
            clock.Now += 1;
            device.DoNext();
            Assert.AreEqual(2, t.Connections.Count, "at 80 s: a new connection with a fresh token");
            Assert.IsTrue(device.IsConnected);
            Assert.AreEqual(2, statuses.Count);
            Assert.AreEqual(IotcStatus.TokenRenewal, (int)statuses[0]);
            Assert.AreEqual(IotcStatus.Connected, (int)statuses[1]);
        }

        [TestMethod]
        [DataRow(1)]
        [DataRow(2)]
        public void ConnackRefusalsRetryingCannotFix_GiveUp(int connack)
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 4, 4);
            ArrayList statuses = Statuses(device);
            t.ConnackCode = connack;
            t.Current.Drop();
            device.DoNext();
            WaitForAttempt(t, clock, device, 100);
            device.DoNext();
            Assert.AreEqual(IotcStatus.GaveUp, (int)statuses[statuses.Count - 1]);
            int connections = t.Connections.Count;
            clock.Now += 600000;
            device.DoNext();
            Assert.AreEqual(connections, t.Connections.Count, "no more attempts");
        }

        [TestMethod]
        public void ServerUnavailable_IsRetried_AndReportedWithItsCode()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 4, 4);
            ArrayList statuses = Statuses(device);
            t.ConnackCode = 3;
            t.Current.Drop();
            device.DoNext();
            for (int i = 0; i < 10; i++)
            {
                WaitForAttempt(t, clock, device, 100);
            }

            Assert.AreEqual(11, t.Connections.Count, "ten attempts");
            for (int i = 1; i < t.Connections.Count; i++)
            {
                Assert.IsTrue(((FakeMqtt)t.Connections[i]).Closed, "a refused connection is closed");
            }

            Assert.AreEqual(0, t.HttpRequests.Count - 2, "CONNACK 3 is not an identity problem: no DPS");
            Assert.AreEqual(3, (int)statuses[statuses.Count - 1]);
            t.ConnackCode = 0;
            WaitForAttempt(t, clock, device, 100);
            Assert.IsTrue(device.IsConnected);
        }

        [TestMethod]
        [DataRow(4)]
        [DataRow(5)]
        public void AHubThatKeepsRefusingTheKey_AfterReprovisioning_EndsInGaveUp(int connack)
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 4, 4);
            ArrayList statuses = Statuses(device);
            t.ConnackCode = connack;
            for (int i = 0; i < 4; i++)
            {
                t.AddAssignment(DeviceTests.Hub, "dev-1");
            }

            t.Current.Drop();
            device.DoNext();
            for (int i = 0; i < 2000 && (statuses.Count == 0 || (int)statuses[statuses.Count - 1] != IotcStatus.GaveUp); i++)
            {
                clock.Now += 10;
                device.DoNext();
            }

            Assert.AreEqual(IotcStatus.GaveUp, (int)statuses[statuses.Count - 1]);
            Assert.AreEqual(1 + RetryPolicy.GiveUpAfterKeyRefusals, t.Connections.Count, "three refusals of the key");
            Assert.AreEqual(2 + 2 * (RetryPolicy.GiveUpAfterKeyRefusals - RetryPolicy.ReprovisionAfterKeyRefusals), t.HttpRequests.Count, "after two refusals: provisioned again before each attempt");
        }

        [TestMethod]
        public void FourNetworkFailures_DoNotProvisionAgain_TheFifthDoes()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 4, 4);
            t.FailConnect = true;
            t.Current.Drop();
            device.DoNext();
            for (int i = 0; i < 5; i++)
            {
                WaitForAttempt(t, clock, device, 100);
            }

            Assert.AreEqual(2, t.HttpRequests.Count, "five failed connects: no DPS yet");
            Assert.AreEqual(6, t.Connections.Count);
            Assert.IsTrue(((FakeMqtt)t.Connections[5]).Closed, "a connection that failed is closed");
            t.AddAssignment("hub-2.azure-devices.net", "dev-1");
            t.FailConnect = false;
            WaitForAttempt(t, clock, device, 100);
            Assert.AreEqual(3, t.HttpRequests.Count, "then DPS first");
            Assert.AreEqual("PUT", t.Http(2).Method);
            Assert.AreEqual(1000, (int)WaitForAttempt(t, clock, device, 5000), "the poll waits exactly DPS's Retry-After of 1 s");
            Assert.AreEqual("GET", t.Http(3).Method);
            for (int i = 0; i < 3000 && !device.IsConnected; i++)
            {
                clock.Now += 1;
                device.DoNext();
            }

            Assert.IsTrue(device.IsConnected);
            Assert.AreEqual("hub-2.azure-devices.net", t.Current.Options.Host, "DPS moved the device to another hub");
            Assert.AreEqual("hub-2.azure-devices.net", device.HubHost);
        }

        [TestMethod]
        public void Disconnect_WhileWaitingToReconnect_StopsAndConnectWorksAgain()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 1000, 1000);
            ArrayList statuses = Statuses(device);
            int id = device.SendTelemetry("{}");
            device.DoNext();
            t.Current.Drop();
            device.DoNext();
            device.Disconnect();
            Assert.AreEqual(IotcStatus.Disconnected, (int)statuses[statuses.Count - 1]);
            device.Disconnect();
            Assert.AreEqual(2, statuses.Count, "Disconnect is idempotent");
            clock.Now += 10000;
            device.DoNext();
            Assert.AreEqual(1, t.Connections.Count, "no reconnect after Disconnect");
            Assert.AreEqual(1, device.PendingMessages, "the unconfirmed message is kept");

            device.Connect();
            Assert.AreEqual(2, t.Connections.Count);
            Assert.AreEqual(2, t.HttpRequests.Count, "the hub is known: no DPS");
            device.DoNext();
            int resent = t.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/");
            Assert.IsTrue(resent >= 0, "sent again on the new connection");
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
            t.Current.Ack(resent);
            device.DoNext();
            Assert.AreEqual(1, sent.Count);
            Assert.AreEqual(id, (int)sent[0]);
        }

        [TestMethod]
        public void TheLogAndTheStatusTexts_SayWhatHappened()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.NewDevice(t, clock);
            device.SetReconnectBackoff(4, 4);
            device.SetTokenExpiration(100);
            ArrayList log = TestDevice.RecordLog(device);
            ArrayList texts = new ArrayList();
            device.On(IotcEvents.ConnectionStatus, info => texts.Add(info.StatusCode + " " + info.Payload));
            TestDevice.ConnectNow(t, device);
            Assert.IsTrue(log.Contains("MQTT: connecting to " + DeviceTests.Hub + ":8883 as 'dev-1'"));
            Assert.IsTrue(log.Contains("MQTT: connected to " + DeviceTests.Hub + "; 0 message(s) waiting"));
            Assert.AreEqual("0 connected", (string)texts[0]);

            clock.Now += 80000;
            device.DoNext();
            Assert.IsTrue(log.Contains("SAS token at 80% of its lifetime: reconnecting with a fresh one"));
            Assert.AreEqual(IotcStatus.TokenRenewal + " renewing SAS token", (string)texts[1]);

            clock.Now += 60000;
            t.ConnackCode = 3;
            t.Current.Drop();
            device.DoNext();
            Assert.IsTrue(log.Contains("connection lost: fake drop"));
            Assert.AreEqual(IotcStatus.ConnectionLost + " connection lost: fake drop; reconnecting in 4 ms", (string)texts[3]);
            WaitForAttempt(t, clock, device, 100);
            string refused = "IoT Hub refused the connection: CONNACK 3 (server unavailable)";
            Assert.IsTrue(log.Contains("reconnect attempt 2 failed (" + refused + "); next in 4 ms"), "the loss counted as the first");
            Assert.AreEqual("3 " + refused, (string)texts[4]);

            t.ConnackCode = 0;
            t.FailConnect = true;
            for (int i = 0; i < 5; i++)
            {
                WaitForAttempt(t, clock, device, 100);
            }

            string unreachable = "IoT Hub " + DeviceTests.Hub + ":8883 unreachable: connection refused (fake)";
            Assert.AreEqual(IotcStatus.NetworkError + " " + unreachable, (string)texts[texts.Count - 1]);
            t.AddHttp(401, "{\"errorCode\":401002}", -1);
            WaitForAttempt(t, clock, device, 100);
            Assert.IsTrue(log.Contains("repeated failures at " + DeviceTests.Hub + ": provisioning again through DPS"));
            string last = (string)texts[texts.Count - 1];
            Assert.StartsWith(IotcStatus.GaveUp + " gave up (status 401): DPS refused the registration [401 errorCode 401002]", last);
            Assert.IsTrue(log.Contains("giving up: " + last.Substring(last.IndexOf("DPS refused"))));
        }

        [TestMethod]
        [DataRow(1, "unacceptable protocol version")]
        [DataRow(2, "identifier rejected")]
        [DataRow(4, "bad user name or password")]
        [DataRow(5, "not authorized")]
        [DataRow(6, "unknown")]
        public void HubRefusals_SayWhatTheConnackMeans(int connack, string meaning)
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(DeviceTests.Hub, "dev-1");
            t.ConnackCode = connack;
            IotcException error = TestDevice.ConnectExpectingFailure(DeviceTests.NewDevice(t, new FakeClock()));
            Assert.AreEqual(connack, error.StatusCode);
            Assert.AreEqual("IoT Hub refused the connection: CONNACK " + connack + " (" + meaning + ")", error.Message);
        }

        [TestMethod]
        public void ALinkThatDiesWhileSubscribing_IsANetworkError_AndIsClosed()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(DeviceTests.Hub, "dev-1");
            t.FailSubscribe = true;
            IotcException error = TestDevice.ConnectExpectingFailure(DeviceTests.NewDevice(t, new FakeClock()));
            Assert.AreEqual(IotcStatus.NetworkError, error.StatusCode);
            Assert.AreEqual("IoT Hub connection lost while subscribing: subscribe refused (fake)", error.Message);
            Assert.IsTrue(t.Current.Closed);
        }

        [TestMethod]
        public void TokenExpiry_FromAClockNotSetOrPast2100_IsAnInvalidClock()
        {
            Assert.AreEqual(nanoFramework.Iotc.Security.SasToken.MaxExpiry, Session.TokenExpiry((nanoFramework.Iotc.Security.SasToken.MaxExpiry - 1) * 1000, 1), "the last valid expiry");
            Assert.AreEqual(1700000100L, Session.TokenExpiry(1700000000000, 100));
            Assert.AreEqual(Session.ClockSetAfterMs / 1000 + 1, Session.TokenExpiry(Session.ClockSetAfterMs, 1), "the first time a clock counts as set");
            long[] bad = new long[] { -1000, -5000000, 0, Session.ClockSetAfterMs - 1 };
            for (int i = 0; i < bad.Length; i++)
            {
                long now = bad[i];
                try
                {
                    Session.TokenExpiry(now, 1);
                    Assert.IsTrue(false, "expected an invalid clock for " + now);
                }
                catch (IotcException ex)
                {
                    Assert.AreEqual(IotcStatus.InvalidClock, ex.StatusCode);
                    Assert.AreEqual("the device clock (" + (now / 1000) + " s since 1970) is not set or gives no valid token expiry; set the clock (SNTP)", ex.Message);
                }
            }

            try
            {
                Session.TokenExpiry((nanoFramework.Iotc.Security.SasToken.MaxExpiry + 1) * 1000, 0);
                Assert.IsTrue(false, "an expiry past 2100 is invalid");
            }
            catch (IotcException ex)
            {
                Assert.AreEqual(IotcStatus.InvalidClock, ex.StatusCode);
            }
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
            TestDevice.ConnectNow(t, device);
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
            IotcException error = TestDevice.ConnectExpectingFailure(device);
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
            TestDevice.ConnectNow(t, device);
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
