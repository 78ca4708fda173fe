// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using System.Threading;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// Bad input from the application (ids, keys, settings, payloads, wrong state, re-entrant calls) and from the server
    /// (odd statuses, missing versions, floods): each gives a clear exception of the right type, or is logged and
    /// survived; nothing corrupts the pump and no message ever shows the key.
    /// </summary>
    [TestClass]
    public class DeviceInputTests
    {
        // Test-only key (base64 of bytes 0..31); never a real credential.
        private const string Key = DeviceTests.Key;
        private const string Hub = DeviceTests.Hub;

        private static Device NewDevice(FakeTransport t, ArrayList log)
        {
            Device device = new Device("0ne00000001", Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(t);
            device.SetClock(new FakeClock());
            if (log != null)
            {
                device.SetLogLevel(IotLogLevel.All);
                device.SetLogSink(line => log.Add(line));
            }

            return device;
        }

        private static Device Connected(FakeTransport t, ArrayList log)
        {
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, log);
            device.Connect();
            return device;
        }

        /// <summary>Runs <paramref name="action"/> and checks the exact exception type, its parameter name and that no secret leaks.</summary>
        private static Exception Expect(Type type, string paramName, string secret, Action action)
        {
            Exception caught = Throws.Exactly(type, paramName, secret, action);
            Assert.DoesNotContains(Key, caught.Message);
            return caught;
        }

        private static bool AnyLineContains(ArrayList log, string text)
        {
            for (int i = 0; i < log.Count; i++)
            {
                if (((string)log[i]).IndexOf(text) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        // ---- application input --------------------------------------------------------------------------------

        [TestMethod]
        public void Constructor_BadScopeOrDeviceId_NamesTheParameter()
        {
            Expect(typeof(ArgumentNullException), "scopeId", null, () => new Device(null, Key, "d", IotConnectType.SymmetricKey));
            string[] badScopes = { string.Empty, "   ", "0ne 0001", "0ne/0001", "0ne%0001", new string('a', 65) };
            for (int i = 0; i < badScopes.Length; i++)
            {
                string scope = badScopes[i];
                Expect(typeof(ArgumentException), "scopeId", null, () => new Device(scope, Key, "d", IotConnectType.SymmetricKey));
            }

            Expect(typeof(ArgumentNullException), "deviceId", null, () => new Device("0ne1", Key, null, IotConnectType.SymmetricKey));

            // Empty, too long, MQTT wildcards, '/', space, non-ASCII, and '@' (IoT Hub allows it, DPS registration ids do not).
            string[] badIds = { string.Empty, new string('d', 129), "dev#1", "dev+1", "dev/1", "dev 1", "d\u00E9v", "dev@1" };
            for (int i = 0; i < badIds.Length; i++)
            {
                string id = badIds[i];
                Expect(typeof(ArgumentException), "deviceId", null, () => new Device("0ne1", Key, id, IotConnectType.SymmetricKey));
                Expect(typeof(ArgumentException), "deviceId", null, () => new Device("0ne1", id, IotConnectType.X509Certificate));
            }

            // A NUL inside an id; only where strings can hold one (on nanoFramework U+0000 ends the string: "dev").
            string nul = "dev\u00001";
            if (nul.Length == 5)
            {
                Expect(typeof(ArgumentException), "deviceId", null, () => new Device("0ne1", Key, nul, IotConnectType.SymmetricKey));
            }

            new Device("0ne1", Key, new string('d', 128), IotConnectType.SymmetricKey).Dispose();
        }

        [TestMethod]
        public void Constructor_BadKey_NeverEchoesIt()
        {
            Expect(typeof(ArgumentNullException), "symmetricKey", null, () => new Device("0ne1", null, "d", IotConnectType.SymmetricKey));
            string[] badKeys = { string.Empty, "AAEC!wQF", "AAECAwQ", " " + Key, Key + "\n", Key.Substring(0, 40) + "====", "secret-key-text-123" };
            for (int i = 0; i < badKeys.Length; i++)
            {
                string key = badKeys[i];
                Expect(typeof(ArgumentException), "symmetricKey", key.Trim(), () => new Device("0ne1", key, "d", IotConnectType.SymmetricKey));
                Expect(typeof(ArgumentException), "symmetricKey", key.Trim(), () => new Device("0ne1", key, "d", IotConnectType.SymmetricGroupKey));
            }

            Expect(typeof(ArgumentException), "credType", null, () => new Device("0ne1", Key, "d", IotConnectType.X509Certificate));
            Expect(typeof(ArgumentOutOfRangeException), "credType", null, () => new Device("0ne1", Key, "d", (IotConnectType)99));
            Expect(typeof(ArgumentException), "certificatePem", null, () => new Device("0ne1", "not a pem", "-----BEGIN PRIVATE KEY-----", "d"));
            Expect(typeof(ArgumentNullException), "certificatePem", null, () => new Device("0ne1", null, "-----BEGIN PRIVATE KEY-----", "d"));
            Expect(typeof(ArgumentNullException), "privateKeyPem", null, () => new Device("0ne1", "-----BEGIN CERTIFICATE-----", null, "d"));
            Expect(typeof(ArgumentException), "privateKeyPem", null, () => new Device("0ne1", "-----BEGIN CERTIFICATE-----", "not a key", "d"));
            try
            {
                // Markers right, content unreadable: the board cannot read it before the handshake; .NET refuses it here.
                Assert.AreEqual("d", new Device("0ne1", "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----", "d").DeviceId);
            }
            catch (IotcException ex)
            {
                Assert.AreEqual(IotcStatus.InvalidCredential, ex.StatusCode);
                Assert.StartsWith("certificatePem: ", ex.Message);
            }

            Expect(typeof(ArgumentNullException), "certificate", null, () => new Device("0ne1", (byte[])null, new byte[] { 0x30 }, "d"));
            Expect(typeof(ArgumentException), "privateKey", null, () => new Device("0ne1", new byte[] { 0x30, 1 }, new byte[] { 1, 2 }, "d"));
            Expect(typeof(ArgumentException), "credType", null, () => new Device("0ne1", "d", IotConnectType.SymmetricKey));
        }

        [TestMethod]
        public void Setters_RejectBadValues_NamingTheParameter()
        {
            Device device = NewDevice(new FakeTransport(), null);
            Expect(typeof(ArgumentNullException), "host", null, () => device.SetServiceHost(null));
            string[] badHosts = { string.Empty, "   ", "https://dps.example.com", "host:0", "host:70000", "host:", "host:abc", "a/b", "a b", ":443" };
            for (int i = 0; i < badHosts.Length; i++)
            {
                string host = badHosts[i];
                Expect(typeof(ArgumentException), "host", null, () => device.SetServiceHost(host));
            }

            Expect(typeof(ArgumentNullException), "modelId", null, () => device.SetModelId(null));
            string[] badModels = { string.Empty, "foo", "dtmi:", "dtmi:x", "dtmi:x;", "dtmi:x;a", "dtmi::x;1", "dtmi:x:;1", "dtmi:x y;1", "dtmi:x;1;2", "dtmi:x\";1" };
            for (int i = 0; i < badModels.Length; i++)
            {
                string model = badModels[i];
                Expect(typeof(ArgumentException), "modelId", null, () => device.SetModelId(model));
            }

            Expect(typeof(ArgumentOutOfRangeException), "qosLevel", null, () => device.SetQosLevel(2));
            Expect(typeof(ArgumentOutOfRangeException), "qosLevel", null, () => device.SetQosLevel(-1));
            int[] badLifetimes = { int.MinValue, -1, 0, 9, 31536001 };
            for (int i = 0; i < badLifetimes.Length; i++)
            {
                int seconds = badLifetimes[i];
                Expect(typeof(ArgumentOutOfRangeException), "seconds", null, () => device.SetTokenExpiration(seconds));
            }

            Expect(typeof(ArgumentOutOfRangeException), "port", null, () => device.SetHubPort(0));
            Expect(typeof(ArgumentOutOfRangeException), "port", null, () => device.SetHubPort(70000));
            Expect(typeof(ArgumentOutOfRangeException), "maxMessages", null, () => device.SetOutboxLimits(0, 100));
            Expect(typeof(ArgumentOutOfRangeException), "maxBytes", null, () => device.SetOutboxLimits(1, 0));
            Expect(typeof(ArgumentOutOfRangeException), "minMilliseconds", null, () => device.SetReconnectBackoff(0, 10));
            Expect(typeof(ArgumentOutOfRangeException), "maxMilliseconds", null, () => device.SetReconnectBackoff(10, 5));
            Expect(typeof(ArgumentOutOfRangeException), "keepAliveSeconds", null, () => device.SetTimeouts(4, 1000));
            Expect(typeof(ArgumentOutOfRangeException), "timeoutMilliseconds", null, () => device.SetTimeouts(60, 499));
            Expect(typeof(ArgumentOutOfRangeException), "keepAliveSeconds", null, () => device.SetTimeouts(1201, 1000));
            Expect(typeof(ArgumentOutOfRangeException), "timeoutMilliseconds", null, () => device.SetTimeouts(60, 120001));
            Expect(typeof(ArgumentOutOfRangeException), "messages", null, () => device.SetInFlightWindow(0, 30000));
            Expect(typeof(ArgumentOutOfRangeException), "messages", null, () => device.SetInFlightWindow(1025, 30000));
            Expect(typeof(ArgumentOutOfRangeException), "timeoutMilliseconds", null, () => device.SetInFlightWindow(8, 999));
            Expect(typeof(ArgumentOutOfRangeException), "timeoutMilliseconds", null, () => device.SetInFlightWindow(8, 600001));
            Expect(typeof(ArgumentOutOfRangeException), "logLevel", null, () => device.SetLogLevel((IotLogLevel)7));
            Expect(typeof(ArgumentNullException), "eventName", null, () => device.On(null, info => { }));
            Expect(typeof(ArgumentException), "eventName", null, () => device.On(string.Empty, info => { }));
            Expect(typeof(ArgumentException), "eventName", null, () => device.On("command", info => { }));
            Expect(typeof(ArgumentNullException), "pem", null, () => device.SetRootCertificate(null));
            Expect(typeof(ArgumentException), "pem", null, () => device.SetRootCertificate("MIIB..."));
            Expect(typeof(ArgumentException), "pem", null, () => device.SetRootCertificate("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE----------BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n"));
            Expect(typeof(ArgumentNullException), "transports", null, () => device.SetTransportFactory(null));
            Expect(typeof(ArgumentNullException), "clock", null, () => device.SetClock(null));

            // The good edges are accepted.
            device.SetModelId("dtmi:com:example:Thermostat;1");
            device.SetTokenExpiration(10);
            device.SetTokenExpiration(31536000);
            device.SetServiceHost("localhost:65535");
            device.SetServiceHost("localhost:1");
            device.SetHubPort(1);
            device.SetHubPort(65535);
            device.SetTimeouts(5, 500);
            device.SetTimeouts(1200, 120000);
            device.SetInFlightWindow(1, 1000);
            device.SetInFlightWindow(1024, 600000);
            device.SetReconnectBackoff(1, 1);
            device.SetQosLevel(0);
            device.SetQosLevel(1);
            device.SetLogLevel(IotLogLevel.All);
            device.SetLogLevel(IotLogLevel.ApiOnly);
            device.SetLogLevel(IotLogLevel.Disabled);
        }

        [TestMethod]
        public void Setters_ThatShapeTheConnection_AreRefusedOnceConnected_NamingTheCall()
        {
            Device device = Connected(new FakeTransport(), null);
            Assert.Contains("SetServiceHost", Expect(typeof(InvalidOperationException), null, null, () => device.SetServiceHost("other")).Message);
            Assert.Contains("SetModelId", Expect(typeof(InvalidOperationException), null, null, () => device.SetModelId("dtmi:a:b;1")).Message);
            Assert.Contains("SetHubPort", Expect(typeof(InvalidOperationException), null, null, () => device.SetHubPort(443)).Message);
            Assert.Contains("SetClock", Expect(typeof(InvalidOperationException), null, null, () => device.SetClock(new FakeClock())).Message);
            Assert.Contains("Disconnect", Expect(typeof(InvalidOperationException), null, null, () => device.Connect()).Message);
        }

        [TestMethod]
        public void Send_InTheWrongState_SaysWhichState()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, null);
            Assert.Contains("before Connect", Expect(typeof(InvalidOperationException), null, null, () => device.SendTelemetry("{}")).Message);
            Assert.Contains("SendProperty", Expect(typeof(InvalidOperationException), null, null, () => device.SendProperty("{}")).Message);
            Expect(typeof(ArgumentNullException), "payload", null, () => device.SendEvent(null));

            device.Connect();
            device.Disconnect();
            Assert.Contains("after Disconnect", Expect(typeof(InvalidOperationException), null, null, () => device.SendState("{}")).Message);

            device.Dispose();
            Expect(typeof(ObjectDisposedException), null, null, () => device.SendTelemetry("{}"));
            Expect(typeof(ObjectDisposedException), null, null, () => device.SendProperty("{}"));
            Expect(typeof(ObjectDisposedException), null, null, () => device.Connect());
            Expect(typeof(ObjectDisposedException), null, null, () => device.DoNext());
            Expect(typeof(ObjectDisposedException), null, null, () => device.SetServiceHost("x"));
            device.Disconnect();
            device.Dispose();
        }

        [TestMethod]
        public void Payloads_BeyondTheOutboxOrTheHubLimit_AreArgumentErrors()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            string big = "\"" + new string('x', 40 * 1024) + "\"";
            Assert.Contains("SetOutboxLimits", Expect(typeof(ArgumentException), "payload", null, () => device.SendTelemetry(big)).Message);
            Assert.AreEqual(0, device.PendingMessages);

#if !NANOFRAMEWORK_1_0
            // 256 KB + 1 byte: too much memory for a board's test run, so only here.
            t = new FakeTransport();
            device = NewDevice(t, null);
            device.SetOutboxLimits(4, 1024 * 1024);
            TestDevice.ConnectNow(t, device);
            string tooBig = new string('x', (256 * 1024) + 1);
            Assert.Contains("262144", Expect(typeof(ArgumentException), "payload", null, () => device.SendTelemetry(tooBig)).Message);
            Assert.AreEqual(0, device.PendingMessages);
#endif

            t = new FakeTransport();
            device = NewDevice(t, null);
            device.SetOutboxLimits(4, 64 * 1024);
            TestDevice.ConnectNow(t, device);
            int id = device.SendTelemetry(big);
            Assert.IsTrue(id > 0);
            Assert.AreEqual(1, device.PendingMessages);
        }

        [TestMethod]
        public void SendProperty_NamesThatAreNotTwinKeys_OrNotAnObject_AreRefused()
        {
            Device device = Connected(new FakeTransport(), null);
            string[] bad =
            {
                "{\"a.b\":1}", "{\"$a\":1}", "{\"a b\":1}", "{\"\":1}", "{\"a\":{\"x\\u0001\":1}}", "{\"a\":[{\"b.c\":1}]}",
                "{\"a\\u0000\":1}", "[1]", "\"x\"", "42", "null", "{", "{\"a\":1}x", string.Empty,
            };
            for (int i = 0; i < bad.Length; i++)
            {
                string payload = bad[i];
                Expect(typeof(ArgumentException), "payload", null, () => device.SendProperty(payload));
            }

            Assert.AreEqual(0, device.PendingMessages);
            device.SendProperty("{\"a\":{\"b\":null},\"c_d\":[1,{\"e\":2}],\"__t\":\"c\"}");
            Assert.AreEqual(1, device.PendingMessages);
        }

        // ---- re-entrant calls from callbacks ------------------------------------------------------------------

        [TestMethod]
        public void DoNextAndConnect_FromAnyCallback_AreRefused_AndThePumpCarriesOn()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            Device device = NewDevice(t, null);
            ArrayList refused = new ArrayList();
            IotcCallback reenter = info =>
            {
                try
                {
                    info.Client.DoNext();
                }
                catch (InvalidOperationException ex)
                {
                    refused.Add(info.EventName + ":DoNext:" + (ex.Message.IndexOf("inside a callback") >= 0));
                }

                try
                {
                    info.Client.Connect();
                }
                catch (InvalidOperationException ex)
                {
                    refused.Add(info.EventName + ":Connect:" + (ex.Message.IndexOf("inside a callback") >= 0));
                }
            };
            device.On(IotcEvents.ConnectionStatus, reenter);
            device.On(IotcEvents.MessageSent, reenter);
            device.On(IotcEvents.Command, reenter);
            device.On(IotcEvents.SettingsUpdated, reenter);
            device.On(IotcEvents.MessageReceived, reenter);

            device.Connect();
            int id = device.SendTelemetry("{}");
            device.DoNext();
            t.Current.Ack(1);
            t.Current.Deliver("$iothub/methods/POST/m/?$rid=9", "{}");
            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=2", "{\"s\":1,\"$version\":2}");
            t.Current.Deliver("devices/dev-1/messages/devicebound/a=b", "hi");
            device.DoNext();

            string[] expected = { IotcEvents.ConnectionStatus, IotcEvents.MessageSent, IotcEvents.Command, IotcEvents.SettingsUpdated, IotcEvents.MessageReceived };
            Assert.AreEqual(2 * expected.Length, refused.Count);
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i] + ":DoNext:True", (string)refused[2 * i]);
                Assert.AreEqual(expected[i] + ":Connect:True", (string)refused[(2 * i) + 1]);
            }

            Assert.IsTrue(device.IsConnected);
            device.DoNext();
            Assert.IsTrue(t.Current.IndexOfTopicStartingWith("$iothub/methods/res/200/?$rid=9") > 0, "the command was still answered");
            Assert.IsTrue(t.Current.IndexOfTopicStartingWith("$iothub/twin/PATCH/properties/reported/") > 0, "the setting was still acknowledged");
            Assert.AreEqual(1, id);
        }

        [TestMethod]
        public void Disconnect_InsideACallback_TakesEffect_AndConnectAfterwardsWorks()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            ArrayList statuses = new ArrayList();
            ArrayList commands = new ArrayList();
            device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
            device.On(IotcEvents.Command, info =>
            {
                commands.Add(info.Tag);
                if (info.Tag == "stop")
                {
                    info.Client.Disconnect();
                }
            });

            FakeMqtt first = t.Current;
            first.Deliver("$iothub/methods/POST/stop/?$rid=1", "{}");
            first.Deliver("$iothub/methods/POST/after/?$rid=2", "{}");
            device.DoNext();

            Assert.IsFalse(device.IsConnected);
            Assert.IsTrue(first.Closed);
            Assert.AreEqual(1, commands.Count, "nothing is handled after the callback disconnected");
            Assert.AreEqual(1, statuses.Count);
            Assert.AreEqual(IotcStatus.Disconnected, (int)statuses[0]);
            device.DoNext();
            Assert.AreEqual(1, t.Connections.Count, "no reconnect after an application disconnect");

            device.Connect();
            Assert.IsTrue(device.IsConnected);
            device.DoNext();
            Assert.AreEqual(0, (int)statuses[1]);
        }

        [TestMethod]
        public void Dispose_InsideACallback_TakesEffect_AndDoNextReturnsCleanly()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            int settings = 0;
            device.On(IotcEvents.SettingsUpdated, info =>
            {
                settings++;
                info.Client.Dispose();
            });
            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=3", "{\"a\":1,\"b\":2,\"$version\":3}");
            device.DoNext();

            Assert.AreEqual(1, settings, "the second setting is not raised on a disposed device");
            Assert.IsFalse(device.IsConnected);
            Assert.IsTrue(t.Current.Closed);
            Expect(typeof(ObjectDisposedException), null, null, () => device.DoNext());
            Expect(typeof(ObjectDisposedException), null, null, () => device.SendTelemetry("{}"));
        }

        [TestMethod]
        public void Disconnect_InsideMessageSent_StopsThePump_AndKeepsWhatIsUnconfirmed()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info =>
            {
                sent.Add(info.MessageId);
                info.Client.Disconnect();
            });
            device.SendTelemetry("1");
            device.SendTelemetry("2");
            device.DoNext();
            t.Current.Ack(1);
            device.DoNext();
            Assert.AreEqual(1, sent.Count);
            Assert.IsFalse(device.IsConnected);

            // The second PUBACK comes from a connection the application closed: it confirms nothing now.
            t.Current.Ack(2);
            device.DoNext();
            Assert.AreEqual(1, sent.Count);
            Assert.AreEqual(1, device.PendingMessages, "the second message waits for the next Connect");
        }

        // ---- hostile server input -----------------------------------------------------------------------------

        [TestMethod]
        public void TwinResponse_WithAStatusThatIsNotSuccess_IsReportedAsAFailure()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId + "=" + info.StatusCode));
            string[] statuses = { "0", "999", "400", "1", "204" };
            int[] expected = { IotcStatus.ProtocolError, IotcStatus.ProtocolError, 400, IotcStatus.ProtocolError, 0 };
            for (int i = 0; i < statuses.Length; i++)
            {
                int id = device.SendProperty("{\"p\":" + i + "}");
                device.DoNext();
                string topic = t.Current.Topic(t.Current.Topics.Count - 1);
                string rid = topic.Substring(topic.IndexOf("$rid=") + 5);
                t.Current.Deliver("$iothub/twin/res/" + statuses[i] + "/?$rid=" + rid, "{}");
                device.DoNext();
                Assert.AreEqual(id + "=" + expected[i], (string)sent[sent.Count - 1], "twin status " + statuses[i]);
            }

            Assert.AreEqual(statuses.Length, sent.Count);
            Assert.AreEqual(0, device.PendingMessages);
        }

        [TestMethod]
        public void TwinResponse_ServerErrorsForever_AreRetriedAFewTimes_ThenReported()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 1000, 8000);
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info => sent.Add(info.StatusCode));
            device.SendProperty("{\"p\":1}");
            int publishes = 0;
            long lastPublishAt = 0;
            int seenTopics = t.Current.Topics.Count;
            for (int round = 0; round < 200 && sent.Count == 0; round++)
            {
                device.DoNext();
                clock.Now += 250;
                if (t.Current.Topics.Count == seenTopics)
                {
                    continue;
                }

                seenTopics = t.Current.Topics.Count;
                string topic = t.Current.Topic(seenTopics - 1);
                publishes++;

                // 429 means slow down: each retry waits the back-off (at least 80 % of 1 s), not the next DoNext.
                Assert.IsTrue(publishes == 1 || clock.Now - lastPublishAt >= 800, "retry " + publishes + " came after " + (clock.Now - lastPublishAt) + " ms");
                lastPublishAt = clock.Now;
                t.Current.Deliver("$iothub/twin/res/" + (round % 2 == 0 ? "503" : "429") + "/?$rid=" + topic.Substring(topic.IndexOf("$rid=") + 5), string.Empty);
            }

            device.DoNext();
            Assert.AreEqual(1, sent.Count);
            Assert.IsTrue((int)sent[0] == 503 || (int)sent[0] == 429);
            Assert.AreEqual(5, publishes, "five attempts and no more");
            Assert.AreEqual(0, device.PendingMessages);
        }

        [TestMethod]
        public void DesiredPatch_WithoutAnyVersion_IsDeliveredButNotAcknowledged_AndTheTopicVersionIsTheFallback()
        {
            FakeTransport t = new FakeTransport();
            ArrayList log = new ArrayList();
            Device device = Connected(t, log);
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "@" + info.DesiredVersion));

            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/", "{\"a\":1}");
            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=x", "{\"b\":2,\"$version\":\"7\"}");
            device.DoNext();
            device.DoNext();
            Assert.AreEqual(2, seen.Count);
            Assert.AreEqual("a@-1", (string)seen[0]);
            Assert.AreEqual("b@-1", (string)seen[1]);
            Assert.AreEqual(1, t.Current.Topics.Count, "no ack claims \"av\":-1");
            Assert.IsTrue(AnyLineContains(log, "not acknowledged"));

            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=8", "{\"c\":3}");
            device.DoNext();
            Assert.AreEqual("c@8", (string)seen[2]);
            Assert.AreEqual("{\"c\":{\"value\":3,\"ac\":200,\"ad\":\"completed\",\"av\":8}}", t.Current.Text(1));
        }

        [TestMethod]
        public void DesiredComponent_WithEmptyOrMetadataNames_StillDeliversTheRest()
        {
            FakeTransport t = new FakeTransport();
            ArrayList log = new ArrayList();
            Device device = Connected(t, log);
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag));
            t.Current.Deliver("$iothub/twin/PATCH/properties/desired/?$version=4", "{\"c\":{\"__t\":\"c\",\"\":1,\"$x\":2,\"p\":3},\"q\":4,\"$version\":4}");
            device.DoNext();
            Assert.AreEqual(2, seen.Count);
            Assert.AreEqual("c*p", (string)seen[0]);
            Assert.AreEqual("q", (string)seen[1]);
            Assert.IsFalse(AnyLineContains(log, "could not be handled"));
        }

        [TestMethod]
        public void CommandResponse_WithANegativeCode_IsAnswered500_AndDoesNotWedgeTheOutbox()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            device.On(IotcEvents.Command, info => info.SetResponse(info.Tag == "bad" ? -1 : 200, null));
            t.Current.Deliver("$iothub/methods/POST/bad/?$rid=1", "{}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/500/?$rid=1", t.Current.Topic(1));
            t.Current.Deliver("$iothub/methods/POST/good/?$rid=2", "{}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/200/?$rid=2", t.Current.Topic(2));
        }

        [TestMethod]
        public void CommandFlood_IsBoundedByTheOutboxReserve_AndLoggedCommandByCommand()
        {
            FakeTransport t = new FakeTransport();
            ArrayList log = new ArrayList();
            Device device = Connected(t, log);
            int handled = 0;
            device.On(IotcEvents.Command, info => handled++);

            // No PUBACKs: responses pile up in the outbox until its reserve is used, then commands are not run.
            for (int i = 0; i < 200; i++)
            {
                t.Current.Deliver("$iothub/methods/POST/m/?$rid=" + i, "{}");
                device.DoNext();
                Assert.IsTrue(device.PendingMessages <= 40, "outbox bounded: " + device.PendingMessages);
            }

            Assert.AreEqual(40, handled, "32 messages + the reserve of 8");
            Assert.IsTrue(AnyLineContains(log, "command 'm' ($rid 199) not run"));

            // The hub catches up: the responses drain and the next command is answered again.
            int acked = 1;
            for (int round = 0; round < 10 && device.PendingMessages > 0; round++)
            {
                for (; acked < t.Current.Topics.Count; acked++)
                {
                    t.Current.Ack(acked);
                }

                device.DoNext();
            }

            Assert.AreEqual(0, device.PendingMessages);
            t.Current.Deliver("$iothub/methods/POST/m/?$rid=last", "{}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/200/?$rid=last", t.Current.Topic(t.Current.Topics.Count - 1));
        }

        [TestMethod]
        public void ServerBurst_FromTheTransportThread_WaitsForRoom_AndNothingIsLost()
        {
            // Both MQTT clients PUBACK a message on receipt, so the inbox must never drop one: when 64 are waiting the
            // transport's thread waits (back-pressure) until DoNext() takes them.
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            ArrayList received = new ArrayList();
            device.On(IotcEvents.MessageReceived, info => received.Add(info.Properties.Get("n")));
            FakeMqtt mqtt = t.Current;
            int[] delivered = new int[1];
            Thread transport = new Thread(() =>
            {
                for (int i = 0; i < 200; i++)
                {
                    mqtt.Deliver("devices/dev-1/messages/devicebound/n=" + i, "{}");
                    delivered[0] = i + 1;
                }
            });
            transport.Start();
            for (int i = 0; i < 400 && delivered[0] < Inbox.MaxMessages; i++)
            {
                Thread.Sleep(5);
            }

            Thread.Sleep(100);
            Assert.AreEqual(Inbox.MaxMessages, delivered[0], "the transport thread waits while 64 messages wait");

            for (int i = 0; i < 4000 && received.Count < 200; i++)
            {
                device.DoNext();
                Thread.Sleep(1);
            }

            Assert.IsTrue(transport.Join(5000));
            Assert.AreEqual(200, received.Count);
            for (int i = 0; i < 200; i++)
            {
                Assert.AreEqual(i.ToString(), (string)received[i], "in order");
            }
        }

        [TestMethod]
        public void LargeCloudToDeviceMessages_QueuedWhileTheAppIsBusy_AllReachTheApp()
        {
            // Three 30 KB messages arriving between two DoNext() calls: the byte budget holds two, the third waits.
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            ArrayList sizes = new ArrayList();
            device.On(IotcEvents.MessageReceived, info => sizes.Add(info.Payload.Length));
            FakeMqtt mqtt = t.Current;
            string body = "\"" + new string('x', 30 * 1024) + "\"";
            Thread transport = new Thread(() =>
            {
                for (int i = 0; i < 3; i++)
                {
                    mqtt.Deliver("devices/dev-1/messages/devicebound/n=" + i, body);
                }
            });
            transport.Start();
            for (int i = 0; i < 4000 && sizes.Count < 3; i++)
            {
                device.DoNext();
                Thread.Sleep(1);
            }

            Assert.IsTrue(transport.Join(5000));
            Assert.AreEqual(3, sizes.Count);
        }

        [TestMethod]
        public void CloudToDevice_ForAnotherDevice_IsIgnored()
        {
            FakeTransport t = new FakeTransport();
            Device device = Connected(t, null);
            int received = 0;
            device.On(IotcEvents.MessageReceived, info => received++);
            t.Current.Deliver("devices/dev-2/messages/devicebound/a=b", "x");
            t.Current.Deliver("devices/dev-1/messages/devicebound/a=b", "x");
            device.DoNext();
            Assert.AreEqual(1, received);
        }
    }
}
