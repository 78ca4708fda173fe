// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using System.Threading;
using nanoFramework.Iotc.Transport;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>The Device pump against a scripted transport: wire output, callback order and thread, acks, resends.</summary>
    [TestClass]
    public class DeviceTests
    {
        internal const string Key = TestDevice.Key;
        internal const string Hub = TestDevice.Hub;

        private static ArrayList _events;

        internal static Device NewDevice(FakeTransport transport, FakeClock clock)
        {
            Device device = TestDevice.New(transport, clock);
            _events = new ArrayList();
            device.On(IotcEvents.ConnectionStatus, Record);
            device.On(IotcEvents.MessageSent, Record);
            return device;
        }

        internal static Device Connected(FakeTransport transport, FakeClock clock)
        {
            transport.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(transport, clock);
            device.Connect();
            return device;
        }

        /// <summary>A device connected over <paramref name="transport"/> with this reconnect back-off (set before Connect).</summary>
        internal static Device ConnectedWithBackoff(FakeTransport transport, FakeClock clock, int minMs, int maxMs)
        {
            Device device = NewDevice(transport, clock);
            device.SetReconnectBackoff(minMs, maxMs);
            TestDevice.ConnectNow(transport, device);
            return device;
        }

        private static void Record(IotcCallbackInfo info)
        {
            _events.Add(info.EventName + ":" + info.StatusCode + ":" + info.MessageId + ":" + info.Tag + ":" + info.Payload);
        }

        [TestMethod]
        public void Connect_ProvisionsThroughDps_ThenOpensTheHubSession()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = Connected(t, clock);

            Assert.AreEqual(2, t.HttpRequests.Count);
            HttpRequest put = t.Http(0);
            Assert.AreEqual("PUT", put.Method);
            Assert.AreEqual(Device.DefaultServiceHost, put.Host);
            Assert.AreEqual("/0ne00000001/registrations/dev-1/register?api-version=2021-06-01", put.PathAndQuery);
            Assert.AreEqual("{\"registrationId\":\"dev-1\"}", put.Body);
            Assert.StartsWith("SharedAccessSignature sr=0ne00000001%2Fregistrations%2Fdev-1&sig=", put.Authorization);
            Assert.EndsWith("&skn=registration", put.Authorization);
            Assert.AreEqual("GET", t.Http(1).Method);
            Assert.AreEqual("/0ne00000001/registrations/dev-1/operations/op-1?api-version=2021-06-01", t.Http(1).PathAndQuery);
            Assert.AreEqual(1000L, clock.Slept, "waited the Retry-After DPS gave");

            FakeMqtt mqtt = t.Current;
            Assert.AreEqual(Hub, mqtt.Options.Host);
            Assert.AreEqual(8883, mqtt.Options.Port);
            Assert.AreEqual("dev-1", mqtt.Options.ClientId);
            Assert.AreEqual(Hub + "/dev-1/?api-version=2021-04-12", mqtt.Options.Username);
            Assert.StartsWith("SharedAccessSignature sr=hub-1.azure-devices.net%2Fdevices%2Fdev-1&sig=", mqtt.Options.Password);
            Assert.DoesNotContains("skn=", mqtt.Options.Password);
            Assert.AreEqual(4, mqtt.Subscriptions.Length);
            Assert.AreEqual("$iothub/twin/GET/?$rid=1", mqtt.Topic(0));
            Assert.IsTrue(device.IsConnected);
            Assert.AreEqual(Hub, device.HubHost);
            Assert.AreEqual(1, _events.Count);
            Assert.StartsWith("ConnectionStatus:0:", (string)_events[0]);
        }

        [TestMethod]
        public void Telemetry_IsPublishedByDoNext_AndConfirmedOnlyByItsPuback()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            _events.Clear();

            int id = device.SendTelemetry("{\"temp\":21}");
            Assert.AreEqual(1, t.Current.Topics.Count, "Send only queues; DoNext publishes");
            device.DoNext();
            Assert.AreEqual(2, t.Current.Topics.Count);
            Assert.AreEqual("devices/dev-1/messages/events/$.ct=application%2Fjson&$.ce=utf-8", t.Current.Topic(1));
            Assert.AreEqual("{\"temp\":21}", t.Current.Text(1));
            Assert.AreEqual(1, (int)t.Current.Qos[1]);
            Assert.AreEqual(0, _events.Count, "no MessageSent before the PUBACK");

            t.Current.Ack(1);
            Assert.AreEqual(0, _events.Count, "the PUBACK waits for DoNext");
            device.DoNext();
            Assert.AreEqual(1, _events.Count);
            Assert.AreEqual("MessageSent:0:" + id + "::{\"temp\":21}", (string)_events[0]);
            Assert.AreEqual(0, device.PendingMessages);

            t.Current.Ack(1);
            device.DoNext();
            Assert.AreEqual(1, _events.Count, "a duplicate PUBACK raises nothing");
        }

        [TestMethod]
        public void Telemetry_WithQos0_IsConfirmedByTheWrite()
        {
            FakeTransport t = new FakeTransport();
            Device device = NewDevice(t, new FakeClock());
            device.SetQosLevel(0);
            TestDevice.ConnectNow(t, device);
            _events.Clear();
            int id = device.SendState("{\"status\":\"WARNING\"}");
            device.DoNext();
            Assert.AreEqual(0, (int)t.Current.Qos[1]);
            Assert.AreEqual(1, _events.Count);
            Assert.AreEqual("MessageSent:0:" + id + "::{\"status\":\"WARNING\"}", (string)_events[0]);
        }

        [TestMethod]
        public void Callbacks_RunOnTheThreadThatCallsDoNext_NotOnTransportThreads()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            int pumpThread = Thread.CurrentThread.ManagedThreadId;
            int callbackThread = -1;
            device.On(IotcEvents.Command, info => { callbackThread = Thread.CurrentThread.ManagedThreadId; });

            FakeMqtt mqtt = t.Current;
            Thread server = new Thread(() => mqtt.Deliver("$iothub/methods/POST/reboot/?$rid=7", "{}"));
            server.Start();
            server.Join();
            Assert.AreEqual(-1, callbackThread, "nothing runs on the transport thread");
            device.DoNext();
            Assert.AreEqual(pumpThread, callbackThread);
        }

        [TestMethod]
        public void Command_IsAnsweredWithSetResponse_OrTwoHundredByDefault()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            string seenTag = null;
            string seenPayload = null;
            device.On(IotcEvents.Command, info =>
            {
                seenTag = info.Tag;
                seenPayload = info.Payload;
                if (info.Tag == "thermostat*reboot")
                {
                    info.SetResponse(202, "{\"delay\":5}");
                }
            });

            t.Current.Deliver("$iothub/methods/POST/thermostat*reboot/?$rid=abc", "{\"delay\":5}");
            t.Current.Deliver("$iothub/methods/POST/ping/?$rid=def", "null");
            device.DoNext();

            Assert.AreEqual("ping", seenTag);
            Assert.AreEqual("null", seenPayload);
            Assert.AreEqual("$iothub/methods/res/202/?$rid=abc", t.Current.Topic(1));
            Assert.AreEqual("{\"delay\":5}", t.Current.Text(1));
            Assert.AreEqual("$iothub/methods/res/200/?$rid=def", t.Current.Topic(2));
            Assert.AreEqual("{}", t.Current.Text(2));
        }

        [TestMethod]
        public void Command_TextResponse_IsSentAsJsonString_AndUnhandledCommandsGet501()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            t.Current.Deliver("$iothub/methods/POST/reboot/?$rid=1a", "{}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/501/?$rid=1a", t.Current.Topic(1));
            Assert.Contains("reboot", t.Current.Text(1));

            device.On(IotcEvents.Command, info => info.SetResponse(200, "done \"now\""));
            t.Current.Deliver("$iothub/methods/POST/reboot/?$rid=2b", "{}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/200/?$rid=2b", t.Current.Topic(2));
            Assert.AreEqual("\"done \\\"now\\\"\"", t.Current.Text(2));
        }

        [TestMethod]
        public void DesiredPatch_RaisesSettingsUpdatedPerProperty_AndAcksWithItsVersion()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info =>
            {
                seen.Add(info.Tag + "=" + info.Payload + "@" + info.DesiredVersion);
                if (info.Tag == "fanSpeed")
                {
                    info.SetResponse(400, "too fast");
                }
            });

            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=5", "{\"setPoint\":21.5,\"fanSpeed\":{\"rpm\":9000},\"$version\":5}");
            device.DoNext();
            Assert.AreEqual(2, seen.Count);
            Assert.AreEqual("setPoint=21.5@5", (string)seen[0]);
            Assert.AreEqual("fanSpeed={\"rpm\":9000}@5", (string)seen[1]);

            device.DoNext();
            Assert.StartsWith("$iothub/twin/PATCH/properties/reported/?$rid=", t.Current.Topic(1));
            // Both acks in one reported patch (coalesced: a 1,000-key patch must not need 1,000 publishes).
            Assert.AreEqual("{\"setPoint\":{\"value\":21.5,\"ac\":200,\"ad\":\"completed\",\"av\":5},\"fanSpeed\":{\"value\":{\"rpm\":9000},\"ac\":400,\"ad\":\"too fast\",\"av\":5}}", t.Current.Text(1));
        }

        [TestMethod]
        public void LegacyAcknowledgements_UseTheIotcForm()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            device.SetLegacyAcknowledgements(true);
            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=3", "{\"on\":true,\"$version\":3}");
            device.DoNext();
            Assert.AreEqual("{\"on\":{\"value\":true,\"statusCode\":200,\"status\":\"completed\",\"desiredVersion\":3}}", t.Current.Text(1));
        }

        [TestMethod]
        public void TwinGet_DeliversDesiredOnce_AndResyncSkipsWhatWasDelivered()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "@" + info.DesiredVersion));

            t.Current.Deliver("$iothub/twin/res/200/?$rid=1", "{\"desired\":{\"a\":1,\"$version\":4},\"reported\":{\"$version\":1}}");
            device.DoNext();
            Assert.AreEqual(1, seen.Count);
            Assert.AreEqual("a@4", (string)seen[0]);

            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=4", "{\"a\":1,\"$version\":4}");
            device.DoNext();
            Assert.AreEqual(1, seen.Count, "version 4 was delivered already");
        }

        [TestMethod]
        public void SendProperty_IsConfirmedByTheTwinResponseForItsRequestId()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            _events.Clear();
            int id = device.SendProperty("{\"firmware\":\"1.2\"}");
            device.DoNext();
            string topic = t.Current.Topic(1);
            Assert.StartsWith("$iothub/twin/PATCH/properties/reported/?$rid=", topic);
            string rid = topic.Substring(topic.IndexOf("$rid=") + 5);
            t.Current.Ack(1);
            device.DoNext();
            Assert.AreEqual(0, _events.Count, "the PUBACK alone does not confirm a reported patch");

            t.Current.Deliver("$iothub/twin/res/204/?$rid=" + rid + "&$version=7", string.Empty);
            device.DoNext();
            Assert.AreEqual(1, _events.Count);
            Assert.AreEqual("MessageSent:0:" + id + "::{\"firmware\":\"1.2\"}", (string)_events[0]);
        }

        [TestMethod]
        public void SendProperty_WithoutATwinResponse_IsSentAgain_ThenReportedAsTimedOut()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = Connected(t, clock);
            _events.Clear();
            int id = device.SendProperty("{\"firmware\":\"1.2\"}");
            device.DoNext();
            Assert.AreEqual(2, t.Current.Topics.Count);

            clock.Now += 29000;
            device.DoNext();
            Assert.AreEqual(2, t.Current.Topics.Count, "still waiting within the time-out");
            for (int attempt = 2; attempt <= 5; attempt++)
            {
                clock.Now += 31000;
                device.DoNext();
                Assert.AreEqual(attempt + 1, t.Current.Topics.Count, "attempt " + attempt);
                Assert.AreNotEqual(t.Current.Topic(attempt - 1), t.Current.Topic(attempt), "a new $rid each time");
            }

            Assert.AreEqual(0, _events.Count);
            clock.Now += 31000;
            device.DoNext();
            Assert.AreEqual(1, _events.Count);
            Assert.AreEqual("MessageSent:408:" + id + "::{\"firmware\":\"1.2\"}", (string)_events[0]);
            Assert.AreEqual(0, device.PendingMessages);
        }

        [TestMethod]
        public void SendProperty_RejectsWhatIsNotAJsonObject()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            Assert.ThrowsException(typeof(ArgumentException), () => device.SendProperty("42"));
            Assert.ThrowsException(typeof(ArgumentException), () => device.SendProperty("{\"a\":"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => device.SendProperty(null));
        }

        [TestMethod]
        public void CloudToDevice_RaisesMessageReceived_OrEnqueuedCommandForIotCentralQueuedCommands()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            IotcCallbackInfo received = null;
            IotcCallbackInfo enqueued = null;
            device.On(IotcEvents.MessageReceived, info => received = info);
            device.On(IotcEvents.EnqueuedCommand, info => enqueued = info);

            t.Current.Deliver("devices/dev-1/messages/devicebound/%24.mid=m1&color=dark%20blue&path=a/b", "hello");
            t.Current.Deliver("devices/dev-1/messages/devicebound/method-name=setLight&%24.mid=m2", "{\"on\":true}");
            device.DoNext();

            Assert.IsNotNull(received);
            Assert.AreEqual("hello", received.Payload);
            Assert.AreEqual("dark blue", received.Properties.Get("color"));
            Assert.AreEqual("a/b", received.Properties.Get("path"));
            Assert.IsNotNull(enqueued);
            Assert.AreEqual("setLight", enqueued.Tag);
            Assert.AreEqual("{\"on\":true}", enqueued.Payload);
        }

        [TestMethod]
        public void LostLink_ResendsUnconfirmedMessagesInOrder_AndConfirmsEachIdOnce()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 100, 1000);
            _events.Clear();

            int a = device.SendTelemetry("{\"n\":1}");
            int b = device.SendTelemetry("{\"n\":2}");
            int c = device.SendTelemetry("{\"n\":3}");
            device.DoNext();
            FakeMqtt first = t.Current;
            first.Ack(1);
            first.Drop();
            device.DoNext();
            Assert.IsFalse(device.IsConnected);
            Assert.StartsWith("MessageSent:0:" + a, (string)_events[0]);
            Assert.StartsWith("ConnectionStatus:" + IotcStatus.ConnectionLost, (string)_events[1]);

            first.Ack(2);
            clock.Now += 2000;
            device.DoNext();
            Assert.IsTrue(device.IsConnected);
            FakeMqtt second = t.Current;
            Assert.AreNotSame(first, second);
            Assert.AreEqual(2, t.Connections.Count, "a fresh transport per attempt");
            Assert.AreEqual("{\"n\":2}", second.Text(1));
            Assert.AreEqual("{\"n\":3}", second.Text(2));
            Assert.AreEqual(3, _events.Count, "the PUBACK from the dead link was ignored");

            second.Ack(1);
            second.Ack(2);
            device.DoNext();
            Assert.StartsWith("MessageSent:0:" + b, (string)_events[3]);
            Assert.StartsWith("MessageSent:0:" + c, (string)_events[4]);
            Assert.AreEqual(5, _events.Count);
        }

        [TestMethod]
        public void CommandResponsesAndSettingAcks_SurviveALostLink()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 100, 400);
            device.On(IotcEvents.Command, info => info.SetResponse(200, "{\"ok\":true}"));
            FakeMqtt first = t.Current;

            // Both arrive, are handled, and their answers are queued; the link dies before DoNext can publish them.
            first.Deliver("$iothub/methods/POST/reboot/?$rid=r1", "{}");
            first.Deliver("$iothub/twin/PATCH/properties/desired/?$version=4", "{\"fan\":3,\"$version\":4}");
            first.Open = false;
            device.DoNext();
            Assert.AreEqual(1, first.Topics.Count, "nothing but the twin GET went out on the dead link");

            clock.Now += 1000;
            device.DoNext();
            FakeMqtt second = t.Current;
            Assert.AreNotSame(first, second);
            Assert.IsTrue(second.IndexOfTopicStartingWith("$iothub/methods/res/200/?$rid=r1") >= 0, "the command response went out after reconnecting");
            int ack = second.IndexOfTopicStartingWith("$iothub/twin/PATCH/properties/reported/");
            Assert.IsTrue(ack >= 0, "the setting ack went out after reconnecting");
            Assert.AreEqual("{\"fan\":{\"value\":3,\"ac\":200,\"ad\":\"completed\",\"av\":4}}", second.Text(ack));
        }

        [TestMethod]
        public void Token_IsRenewedAtEightyPercentOfItsLifetime()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, clock);
            device.SetTokenExpiration(100);
            device.Connect();
            string firstPassword = t.Current.Options.Password;

            clock.Now += 79000;
            device.DoNext();
            Assert.AreEqual(1, t.Connections.Count);
            clock.Now += 2000;
            device.DoNext();
            Assert.AreEqual(2, t.Connections.Count);
            Assert.IsTrue(((FakeMqtt)t.Connections[0]).Closed);
            Assert.IsTrue(device.IsConnected);
            Assert.AreNotEqual(firstPassword, t.Current.Options.Password);
            Assert.Contains("&se=" + ((clock.Now / 1000) + 100), t.Current.Options.Password);
        }

        [TestMethod]
        public void DoNext_FromInsideACallback_IsRefused()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            Exception caught = null;
            device.On(IotcEvents.Command, info =>
            {
                try
                {
                    info.Client.DoNext();
                }
                catch (Exception ex)
                {
                    caught = ex;
                }
            });
            t.Current.Deliver("$iothub/methods/POST/x/?$rid=1", "{}");
            device.DoNext();
            Assert.IsNotNull(caught);
            Assert.IsInstanceOfType(caught, typeof(InvalidOperationException));
        }

        [TestMethod]
        public void ThrowingCallback_DoesNotBreakThePump()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            device.On(IotcEvents.Command, info => { throw new InvalidOperationException("application bug"); });
            t.Current.Deliver("$iothub/methods/POST/x/?$rid=1", "{}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/200/?$rid=1", t.Current.Topic(1), "the command is still answered");
            device.SendTelemetry("{}");
            device.DoNext();
            Assert.AreEqual(3, t.Current.Topics.Count);
        }

        [TestMethod]
        public void FullOutbox_FailsFast_AndNeverDrops()
        {
            FakeTransport t = new FakeTransport();
            Device device = NewDevice(t, new FakeClock());
            device.SetOutboxLimits(3, 1000);
            TestDevice.ConnectNow(t, device);
            device.SendTelemetry("1");
            device.SendTelemetry("2");
            device.SendTelemetry("3");
            // A distinct type for "try later" (not connected is InvalidOperationException), and a way to ask without one.
            Assert.ThrowsException(typeof(IotcOutboxFullException), () => device.SendTelemetry("4"));
            Assert.AreEqual(3, device.PendingMessages);
            Assert.IsFalse(device.CanSend);
            int id;
            Assert.IsFalse(device.TrySendTelemetry("4", null, out id));
            Assert.AreEqual(0, id);
            Assert.AreEqual(3, device.PendingMessages);
        }

        [TestMethod]
        public void Send_BeforeConnect_OrAfterDispose_IsRefused()
        {
            FakeTransport t = new FakeTransport();
            Device device = NewDevice(t, new FakeClock());
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SendTelemetry("{}"));
            device.Dispose();
            Assert.ThrowsException(typeof(ObjectDisposedException), () => device.SendTelemetry("{}"));
            Assert.ThrowsException(typeof(ObjectDisposedException), () => device.DoNext());
            device.Dispose();
        }

        [TestMethod]
        public void DpsRefusal_ThrowsWithStatusAndTrackingId_AndRaisesConnectionStatus()
        {
            FakeTransport t = new FakeTransport();
            t.AddHttp(401, "{\"errorCode\":401002,\"trackingId\":\"trk-9\",\"message\":\"Unauthorized\",\"timestampUtc\":\"2026-01-01T00:00:00Z\"}", -1);
            Device device = NewDevice(t, new FakeClock());
            IotcException error = TestDevice.ConnectExpectingFailure(device);
            Assert.AreEqual(401, error.StatusCode);
            Assert.AreEqual(401002, error.ErrorCode);
            Assert.AreEqual("trk-9", error.TrackingId);
            Assert.Contains("trk-9", error.Message);
            Assert.DoesNotContains(Key, error.Message);
            Assert.AreEqual(1, _events.Count);
            Assert.StartsWith("ConnectionStatus:401:", (string)_events[0]);
            Assert.IsFalse(device.IsConnected);
        }

        [TestMethod]
        public void DpsThrottling_IsRetriedAfterRetryAfter()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            t.AddHttp(429, "{\"errorCode\":429001,\"message\":\"throttled\"}", 5);
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, clock);
            device.Connect();
            Assert.IsTrue(device.IsConnected);
            Assert.AreEqual(3, t.HttpRequests.Count);
            Assert.AreEqual("PUT", t.Http(1).Method, "the throttled PUT is repeated");
            Assert.AreEqual(6000L, clock.Slept);
            Assert.AreEqual(1, t.HttpClosed, "the registration's DPS transport is closed once");
            Assert.AreEqual(0, t.ConnectionsWhenHttpClosed, "before MQTT opens its own TLS session");
        }

        [TestMethod]
        public void HubRefusal_ThrowsWithTheConnackCode()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            t.ConnackCode = 5;
            Device device = NewDevice(t, new FakeClock());
            IotcException error = TestDevice.ConnectExpectingFailure(device);
            Assert.AreEqual(5, error.StatusCode);
            Assert.Contains("not authorized", error.Message);
            Assert.StartsWith("ConnectionStatus:5:", (string)_events[0]);
        }

        [TestMethod]
        public void Reconnect_BacksOffExponentially_UntilTheHubAnswersAgain()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 1000, 8000);
            _events.Clear();
            t.FailConnect = true;
            t.Current.Drop();
            device.DoNext();

            long[] waits = new long[5];
            for (int i = 0; i < waits.Length; i++)
            {
                long start = clock.Now;
                int before = t.Connections.Count;
                while (t.Connections.Count == before)
                {
                    clock.Now += 50;
                    device.DoNext();
                }

                waits[i] = clock.Now - start;
            }

            // 1 s, 2 s, 4 s, 8 s, 8 s (cap), each ±20 % jitter.
            Assert.IsTrue(waits[0] >= 750 && waits[0] <= 1250, "first wait " + waits[0]);
            Assert.IsTrue(waits[1] >= 1550 && waits[1] <= 2450, "second wait " + waits[1]);
            Assert.IsTrue(waits[2] >= 3150 && waits[2] <= 4850, "third wait " + waits[2]);
            Assert.IsTrue(waits[4] >= 6350 && waits[4] <= 9650, "capped wait " + waits[4]);

            // Five network failures in a row: the next attempt provisions again (the hub may have moved).
            t.FailConnect = false;
            t.AddAssignment(Hub, "dev-1");
            int dpsRequests = t.HttpRequests.Count;
            long slept = clock.Slept;
            clock.Now += 10000;
            for (int i = 0; i < 100 && !device.IsConnected; i++)
            {
                // DPS as pump states: one exchange (DPS request or MQTT connect) per DoNext, and no sleeping in it.
                int exchanges = t.HttpRequests.Count + t.Connections.Count;
                device.DoNext();
                Assert.IsTrue(t.HttpRequests.Count + t.Connections.Count - exchanges <= 1, "one network exchange per DoNext");
                clock.Now += 100;
            }

            Assert.AreEqual(slept, clock.Slept, "DoNext never sleeps through DPS's Retry-After");
            Assert.IsTrue(device.IsConnected);
            Assert.AreEqual(dpsRequests + 2, t.HttpRequests.Count, "re-provisioned through DPS");
            Assert.StartsWith("ConnectionStatus:0:", (string)_events[_events.Count - 1]);
            Assert.StartsWith("ConnectionStatus:" + IotcStatus.NetworkError, (string)_events[1]);
        }

        [TestMethod]
        public void TwinGet_ThrottledOrFailing_IsAskedAgain_SoOfflineSettingsStillArrive()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 1000, 8000);
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag));

            t.Current.Deliver("$iothub/twin/res/429/?$rid=1", string.Empty);
            device.DoNext();
            Assert.AreEqual(1, t.Current.Topics.Count, "not asked again at once");
            clock.Now += 1500;
            device.DoNext();
            Assert.AreEqual(2, t.Current.Topics.Count);
            string again = t.Current.Topic(1);
            Assert.StartsWith("$iothub/twin/GET/?$rid=", again);
            Assert.AreNotEqual("$iothub/twin/GET/?$rid=1", again);

            t.Current.Deliver("$iothub/twin/res/200/?$rid=" + again.Substring(again.IndexOf("$rid=") + 5), "{\"desired\":{\"fan\":2,\"$version\":9},\"reported\":{}}");
            device.DoNext();
            Assert.AreEqual(1, seen.Count);
            Assert.AreEqual("fan", (string)seen[0]);
        }

        [TestMethod]
        public void HubRefusingAfterALoss_LeadsToProvisioningAgain_AndADpsRefusalStopsRetrying()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 100, 400);
            _events.Clear();
            t.ConnackCode = 5;
            t.AddHttp(401, "{\"errorCode\":401002,\"trackingId\":\"trk-2\",\"message\":\"Unauthorized\"}", -1);
            t.Current.Drop();
            for (int i = 0; i < 50 && t.HttpRequests.Count == 2; i++)
            {
                clock.Now += 500;
                device.DoNext();
            }

            // Repeated "not authorized" answers from the hub: the device may have been moved or re-keyed; ask DPS again.
            Assert.AreEqual(3, t.HttpRequests.Count, "provisioned again after repeated refusals");
            Assert.AreEqual("PUT", t.Http(2).Method);
            Assert.IsFalse(device.IsConnected);

            // DPS said no this time: that is final, and the device says so instead of retrying forever.
            string last = (string)_events[_events.Count - 1];
            // Giving up has its own code; the refusal that caused it is in the text.
            Assert.StartsWith("ConnectionStatus:" + IotcStatus.GaveUp + ":", last);
            Assert.Contains("status 401", last);
            Assert.AreEqual(2, t.HttpClosed, "each registration closes its DPS transport, refused or not");
            int connections = t.Connections.Count;
            clock.Now += 60000;
            device.DoNext();
            device.DoNext();
            Assert.AreEqual(connections, t.Connections.Count, "no more attempts");
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SendTelemetry("{}"));
        }

        [TestMethod]
        public void AGroupKey_IsTurnedIntoTheDeviceKey_BeforeItSignsAnything()
        {
            FakeTransport group = ConnectWithKey(Key, IotConnectType.SymmetricGroupKey);
            FakeTransport derived = ConnectWithKey(nanoFramework.Iotc.Security.SasToken.DeriveDeviceKey(Key, "dev-1"), IotConnectType.SymmetricKey);
            FakeTransport plain = ConnectWithKey(Key, IotConnectType.SymmetricKey);
            Assert.AreEqual(derived.Http(0).Authorization, group.Http(0).Authorization);
            Assert.AreEqual(derived.Current.Options.Password, group.Current.Options.Password);
            Assert.AreNotEqual(plain.Current.Options.Password, group.Current.Options.Password, "the group key itself never signs");
        }

        private static FakeTransport ConnectWithKey(string key, IotConnectType credType)
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            Device device = new Device("0ne00000001", key, "dev-1", credType);
            device.SetTransportFactory(t);
            device.SetClock(new FakeClock());
            device.Connect();
            return t;
        }

        [TestMethod]
        public void SendStateEventAndProperty_OnAFullOutbox_ThrowTheOutboxFullException()
        {
            FakeTransport t = new FakeTransport();
            Device device = NewDevice(t, new FakeClock());
            device.SetOutboxLimits(1, 4096);
            TestDevice.ConnectNow(t, device);
            Assert.IsTrue(device.SendEvent("{\"e\":1}") > 0);
            Assert.ThrowsException(typeof(IotcOutboxFullException), () => device.SendState("{\"s\":1}"));
            Assert.ThrowsException(typeof(IotcOutboxFullException), () => device.SendEvent("{\"e\":2}"));
            Assert.ThrowsException(typeof(IotcOutboxFullException), () => device.SendProperty("{\"p\":1}"));
            Assert.ThrowsException(typeof(IotcOutboxFullException), () => device.SendTelemetry("{}"));
            device.DoNext();
            Assert.AreEqual(0, t.Current.Topic(1).IndexOf("devices/dev-1/messages/events/"), "the event went out as telemetry");
        }

        [TestMethod]
        public void Disconnect_RaisesItsStatusBeforeReturning_AndDisconnectingAnIdleDeviceDoesNothing()
        {
            FakeTransport t = new FakeTransport();
            Device idle = NewDevice(t, new FakeClock());
            idle.Disconnect();
            Assert.AreEqual(0, _events.Count, "nothing to report before Connect");
            Device device = Connected(t, new FakeClock());
            _events.Clear();
            device.Disconnect();
            Assert.AreEqual(1, _events.Count, "raised inside Disconnect(), not at the next DoNext");
            Assert.StartsWith("ConnectionStatus:" + IotcStatus.Disconnected + ":", (string)_events[0]);
            Assert.IsTrue(t.Current.Closed);
        }

        [TestMethod]
        public void ALostLinkEvent_CountsEvenIfTheTransportStillSaysConnected_AndAClosedTransportCountsWithoutAnEvent()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 4, 4);
            _events.Clear();
            FakeMqtt first = t.Current;
            first.Events.OnConnectionLost("keep-alive timed out");
            device.DoNext();
            Assert.IsFalse(device.IsConnected);
            Assert.StartsWith("ConnectionStatus:" + IotcStatus.ConnectionLost + ":0::connection lost: keep-alive timed out", (string)_events[0]);
            Assert.IsTrue(first.Closed);
            clock.Now += 10;
            device.DoNext();
            Assert.IsTrue(device.IsConnected);

            _events.Clear();
            clock.Now += 60000;
            t.Current.Open = false;
            device.DoNext();
            Assert.StartsWith("ConnectionStatus:" + IotcStatus.ConnectionLost + ":0::connection lost: transport closed", (string)_events[0]);
        }

        [TestMethod]
        public void APubackOfAnOldConnection_DoesNotConfirmTheResentMessage()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = ConnectedWithBackoff(t, clock, 4, 4);
            int id = device.SendTelemetry("{}");
            device.DoNext();
            FakeMqtt first = t.Current;
            first.Drop();
            device.DoNext();
            clock.Now += 10;
            device.DoNext();
            Assert.AreNotSame(first, t.Current);
            Assert.IsTrue(t.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/") >= 0, "resent");
            _events.Clear();
            first.Ack(1);
            device.DoNext();
            Assert.AreEqual(1, device.PendingMessages, "a late PUBACK of the dead link confirms nothing");
            t.Current.Ack(t.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/"));
            device.DoNext();
            Assert.AreEqual(0, device.PendingMessages);
            Assert.StartsWith("MessageSent:0:" + id + ":", (string)_events[_events.Count - 1]);
        }

        [TestMethod]
        public void ACommandAnsweredWithCodeZero_IsAnsweredZero_AndOneWithoutAHandlerIsLogged()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, new FakeClock());
            ArrayList log = TestDevice.RecordLog(device);
            t.Current.Deliver("$iothub/methods/POST/noop/?$rid=r0", "{}");
            device.DoNext();
            Assert.IsTrue(log.Contains("command 'noop' has no handler: answering 501"));
            device.On(IotcEvents.Command, info => info.SetResponse(0, "zero"));
            t.Current.Deliver("$iothub/methods/POST/zero/?$rid=r1", "{}");
            device.DoNext();
            Assert.IsTrue(t.Current.IndexOfTopicStartingWith("$iothub/methods/res/0/?$rid=r1") >= 0);
            device.On(IotcEvents.Command, info => info.SetResponse(-1, "bad"));
            t.Current.Deliver("$iothub/methods/POST/bad/?$rid=r2", "{}");
            device.DoNext();
            Assert.IsTrue(t.Current.IndexOfTopicStartingWith("$iothub/methods/res/500/?$rid=r2") >= 0);
            Assert.IsTrue(log.Contains("command 'bad': the callback set response code -1; answering 500"));
        }

        [TestMethod]
        public void On_RejectsUnknownEventNames()
        {
            Device device = NewDevice(new FakeTransport(), new FakeClock());
            Assert.ThrowsException(typeof(ArgumentException), () => device.On("Telemetry", Record));
            Assert.ThrowsException(typeof(ArgumentNullException), () => device.On(null, Record));
        }

        [TestMethod]
        public void SetServiceHost_AcceptsHostAndPort_AndIsRefusedAfterConnect()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, new FakeClock());
            device.SetServiceHost("localhost:8443");
            device.Connect();
            Assert.AreEqual("localhost", t.Http(0).Host);
            Assert.AreEqual(8443, t.Http(0).Port);
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetServiceHost("other"));
        }

        [TestMethod]
        public void Logs_AtLevelAll_NeverContainTheKeyOrASignature()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, new FakeClock());
            ArrayList lines = new ArrayList();
            device.SetLogLevel(IotLogLevel.All);
            device.SetLogSink(line => lines.Add(line));
            device.Connect();
            device.SendTelemetry("{\"a\":1}");
            device.DoNext();
            t.Current.Deliver("$iothub/methods/POST/x/?$rid=1", "{}");
            device.DoNext();

            Assert.IsTrue(lines.Count > 5, "level All logs what happens");
            string password = t.Current.Options.Password;
            string sig = password.Substring(password.IndexOf("sig=") + 4, 20);
            string dpsSig = t.Http(0).Authorization.Substring(t.Http(0).Authorization.IndexOf("sig=") + 4, 20);
            for (int i = 0; i < lines.Count; i++)
            {
                string line = (string)lines[i];
                Assert.DoesNotContains(Key, line);
                Assert.DoesNotContains(sig, line);
                Assert.DoesNotContains(dpsSig, line);
                Assert.DoesNotContains("SharedAccessSignature", line);
            }
        }
    }
}
