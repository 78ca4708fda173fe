// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// Settings: every raised setting with a version is acknowledged until the hub accepts it (coalesced, never lost to
    /// a full outbox), a full twin GET is authoritative (a twin reset is delivered), one unreadable value does not hide
    /// the others, and the ack forms match the service's (legacy without double wrapping, null without "value").
    /// </summary>
    [TestClass]
    public class TwinSyncTests
    {
        private const string Desired = "$iothub/twin/PATCH/properties/desired/?$version=";
        private const string Reported = "$iothub/twin/PATCH/properties/reported/?$rid=";

        [TestMethod]
        public void AThousandKeyPatch_IsAcknowledgedCompletely_InPatchesThatFit()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            int raised = 0;
            device.On(IotcEvents.SettingsUpdated, info => raised++);
            StringBuffer patch = new StringBuffer(16 * 1024).Append('{');
            for (int i = 0; i < 1000; i++)
            {
                patch.Append("\"k").Append(i).Append("\":").Append(i).Append(',');
            }

            t.Current.Deliver(Desired + "2", patch.Append("\"$version\":2}").ToString());
            ArrayList acked = new ArrayList();
            for (int round = 0; round < 200 && acked.Count < 1000; round++)
            {
                device.DoNext();
                AnswerReportedPatches(t.Current, acked);
            }

            Assert.AreEqual(1000, raised);
            Assert.AreEqual(1000, acked.Count, "every setting acknowledged");
            Assert.IsTrue(acked.Contains("k0") && acked.Contains("k999"));
        }

        [TestMethod]
        public void AHundredKilobyteValue_IsAcknowledgedToo()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            string big = "\"" + new string('v', 100 * 1024) + "\"";
            t.Current.Deliver(Desired + "3", "{\"blob\":" + big + ",\"$version\":3}");
            device.DoNext();
            int ack = t.Current.IndexOfTopicStartingWith(Reported);
            Assert.IsTrue(ack >= 0, "the ack of a value larger than the outbox reserve still goes out, alone");
            Assert.Contains(big, t.Current.Text(ack));
        }

        [TestMethod]
        public void AGetAnswerAndAPatchOfTheSameVersion_InOneDoNext_RaiseEachSettingOnce()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "@" + info.DesiredVersion));
            string get = t.Current.Topic(0);
            t.Current.Deliver(Desired + "2", "{\"fan\":1,\"mode\":\"eco\",\"$version\":2}");
            t.Current.Deliver("$iothub/twin/res/200/?$rid=" + get.Substring(get.IndexOf("$rid=") + 5), "{\"desired\":{\"fan\":1,\"mode\":\"eco\",\"$version\":2},\"reported\":{}}");
            device.DoNext();
            Assert.AreEqual(2, seen.Count);
        }

        [TestMethod]
        public void AGetAnswerOlderThanAPatchThatCameAfterIt_IsStale_NotATwinReset()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "=" + info.Payload + "@" + info.DesiredVersion));
            string get = t.Current.Topic(0);
            t.Current.Deliver(Desired + "3", "{\"fan\":3,\"$version\":3}");
            device.DoNext();
            t.Current.Deliver("$iothub/twin/res/200/?$rid=" + get.Substring(get.IndexOf("$rid=") + 5), "{\"desired\":{\"fan\":2,\"$version\":2},\"reported\":{}}");
            device.DoNext();
            Assert.AreEqual(1, seen.Count, "the older GET answer does not roll the setting back");
            Assert.AreEqual("fan=3@3", (string)seen[0]);
        }

        [TestMethod]
        public void ASettingChangedOffline_IsRaised_WhenAPatchOvertakesTheThrottledGet()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 1000, 8000);
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "=" + info.Payload + "@" + info.DesiredVersion));

            // Offline, the operator set A (v2). The GET after the reconnect is throttled; meanwhile B (v3) arrives as a patch.
            t.Current.Deliver("$iothub/twin/res/429/?$rid=" + Rid(t.Current, 0), string.Empty);
            t.Current.Deliver(Desired + "3", "{\"B\":2,\"$version\":3}");
            device.DoNext();
            clock.Now += 1500;
            device.DoNext();
            int get = 0;
            for (int i = 1; i < t.Current.Topics.Count; i++)
            {
                get = t.Current.Topic(i).IndexOf("$iothub/twin/GET/") == 0 ? i : get;
            }

            Assert.IsTrue(get > 0, "the GET is asked again");
            t.Current.Deliver("$iothub/twin/res/200/?$rid=" + Rid(t.Current, get), "{\"desired\":{\"A\":1,\"B\":2,\"$version\":3},\"reported\":{}}");
            device.DoNext();
            Assert.AreEqual(2, seen.Count, "A is raised from the GET answer, B is not raised twice");
            Assert.AreEqual("B=2@3", (string)seen[0]);
            Assert.AreEqual("A=1@3", (string)seen[1]);
            string acks = string.Empty;
            for (int i = 0; i < t.Current.Topics.Count; i++)
            {
                acks += t.Current.Topic(i).IndexOf(Reported) == 0 ? t.Current.Text(i) : string.Empty;
            }

            Assert.Contains("\"A\":{\"value\":1,\"ac\":200,\"ad\":\"completed\",\"av\":3}", acks);

            // A later reconnect's GET of the same twin raises nothing again.
            t.Current.Drop();
            device.DoNext();
            clock.Now += 2000;
            device.DoNext();
            t.Current.Deliver("$iothub/twin/res/200/?$rid=" + Rid(t.Current, 0), "{\"desired\":{\"A\":1,\"B\":2,\"$version\":3},\"reported\":{}}");
            device.DoNext();
            Assert.AreEqual(2, seen.Count);
        }

        [TestMethod]
        public void AGetAnswerOlderThanAPatch_StillRaisesTheSettingsThePatchDidNotCarry()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"fan\":1,\"mode\":\"a\",\"$version\":4}", 4);
            p.RaiseAll();

            // Offline: fan changed (v5). After the reconnect a patch for mode (v6) overtakes the GET, whose answer is v5.
            p.Twin.OnConnected(p.Mqtt);
            p.Twin.OnDesiredPatch("{\"mode\":\"b\",\"$version\":6}", 6);
            Assert.AreEqual("mode", p.RaiseAll());
            p.Twin.OnTwinResponse(200, p.Rid(0), "{\"desired\":{\"fan\":2,\"mode\":\"a\",\"$version\":5},\"reported\":{}}", p.Now);
            IotcCallbackInfo fan = p.Callbacks.Take();
            Assert.AreEqual("fan", fan.Tag, "fan changed at v5 and was never raised; mode of v5 is older than the v6 raised");
            Assert.AreEqual(5, (int)fan.DesiredVersion);
            Assert.AreEqual(0, p.Callbacks.Count);
            p.Twin.OnSettingRaised(fan);
            Assert.AreEqual(6, (int)p.Twin.DeliveredVersion, "the delivered version does not go back");

            // Queued but not raised (the application disconnected first): the next GET raises it again.
            p.Twin.OnDesiredPatch("{\"fan\":3,\"$version\":7}", 7);
            Assert.AreEqual(1, p.Callbacks.Count);
            p.Callbacks.Take();
            p.Twin.OnConnected(p.Mqtt);
            p.Twin.OnTwinResponse(200, p.Rid(1), "{\"desired\":{\"fan\":3,\"mode\":\"b\",\"$version\":7},\"reported\":{}}", p.Now);
            Assert.AreEqual("fan mode", p.RaiseAll(), "fan was never raised at 7; mode is raised again so its ack names 7");
            p.Twin.OnConnected(p.Mqtt);
            p.Twin.OnTwinResponse(200, p.Rid(2), "{\"desired\":{\"fan\":3,\"mode\":\"b\",\"$version\":7},\"reported\":{}}", p.Now);
            Assert.AreEqual(0, p.Callbacks.Count, "the same version again: nothing new");

            // A newer GET raises an unchanged setting again, so that its ack names the newer version.
            p.Twin.OnConnected(p.Mqtt);
            p.Twin.OnTwinResponse(200, p.Rid(3), "{\"desired\":{\"fan\":3,\"mode\":\"b\",\"$version\":8},\"reported\":{}}", p.Now);
            Assert.AreEqual("fan mode", p.RaiseAll());
        }

        private static string Rid(FakeMqtt mqtt, int index)
        {
            string topic = mqtt.Topic(index);
            return topic.Substring(topic.IndexOf("$rid=") + 5);
        }

        [TestMethod]
        public void AfterATwinReset_TheLowerVersionOfAFullGet_IsDelivered()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 100, 400);
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "@" + info.DesiredVersion));
            t.Current.Deliver(Desired + "40", "{\"fan\":1,\"$version\":40}");
            device.DoNext();

            // The device was re-created at the hub: its twin starts again at $version 2.
            t.Current.Drop();
            device.DoNext();
            clock.Now += 1000;
            device.DoNext();
            string get = t.Current.Topic(0);
            t.Current.Deliver("$iothub/twin/res/200/?$rid=" + get.Substring(get.IndexOf("$rid=") + 5), "{\"desired\":{\"fan\":5,\"$version\":2},\"reported\":{}}");
            device.DoNext();
            t.Current.Deliver(Desired + "3", "{\"fan\":6,\"$version\":3}");
            device.DoNext();
            Assert.AreEqual(3, seen.Count);
            Assert.AreEqual("fan@2", (string)seen[1]);
            Assert.AreEqual("fan@3", (string)seen[2], "and later patches count from the new version");
        }

        [TestMethod]
        public void AValueWithAnEscapedNul_DoesNotHideTheOtherSettings()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag));
            t.Current.Deliver(Desired + "5", "{\"bad\\u0000name\":1,\"note\":\"x\\u0000y\",\"fan\":2,\"$version\":5}");
            device.DoNext();

            // The name a device string cannot hold is skipped; the value is passed on as its JSON text.
            Assert.AreEqual(2, seen.Count);
            Assert.AreEqual("note", (string)seen[0]);
            Assert.AreEqual("fan", (string)seen[1]);
        }

        [TestMethod]
        public void LegacyAcks_AnswerAWrappedValueWithoutWrappingItTwice()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            device.SetLegacyAcknowledgements(true);
            t.Current.Deliver(Desired + "9", "{\"fanSpeed\":{\"value\":5},\"$version\":9}");
            device.DoNext();
            Assert.AreEqual("{\"fanSpeed\":{\"value\":5,\"statusCode\":200,\"status\":\"completed\",\"desiredVersion\":9}}", t.Current.Text(1));
        }

        [TestMethod]
        public void ARemovedSetting_IsAcknowledgedWithoutAValueThatWouldDeleteIt()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            t.Current.Deliver(Desired + "4", "{\"fan\":null,\"$version\":4}");
            device.DoNext();
            Assert.AreEqual("{\"fan\":{\"ac\":200,\"ad\":\"completed\",\"av\":4}}", t.Current.Text(1));
        }

        [TestMethod]
        public void AcksQueuedWhileTheOutboxIsFull_GoOutLater()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.NewDevice(t, new FakeClock());
            device.SetOutboxLimits(2, 4096);
            device.SetInFlightWindow(1, 30000);
            TestDevice.ConnectNow(t, device);
            device.SendTelemetry("1");
            device.SendTelemetry("2");
            for (int i = 0; i < 12; i++)
            {
                t.Current.Deliver(Desired + (10 + i), "{\"s" + i + "\":" + i + ",\"$version\":" + (10 + i) + "}");
            }

            ArrayList acked = new ArrayList();
            for (int round = 0; round < 50 && acked.Count < 12; round++)
            {
                device.DoNext();
                AnswerReportedPatches(t.Current, acked);
                for (int i = 0; i < t.Current.Topics.Count; i++)
                {
                    if ((int)t.Current.PacketIds[i] != 0)
                    {
                        t.Current.Ack(i);
                    }
                }
            }

            Assert.AreEqual(12, acked.Count, "every ack went out once there was room");
        }

        [TestMethod]
        public void AnUnconfirmedAckPatch_IsSentOnceAfterEachReconnect_NotOncePerReconnectMore()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.ConnectedWithBackoff(t, clock, 100, 400);
            t.Current.Deliver(Desired + "4", "{\"fan\":3,\"$version\":4}");
            device.DoNext();
            Assert.AreEqual(1, Count(t.Current, Reported), "acked on the first connection");
            for (int drop = 0; drop < 3; drop++)
            {
                t.Current.Drop();
                device.DoNext();
                clock.Now += 1000;
                device.DoNext();
                Assert.IsTrue(device.IsConnected);
                Assert.AreEqual(1, Count(t.Current, Reported), "one ack patch on reconnect " + (drop + 1));
            }

            Assert.AreEqual(1, device.PendingMessages, "one patch waits for its answer");
            ArrayList acked = new ArrayList();
            AnswerReportedPatches(t.Current, acked);
            device.DoNext();
            Assert.AreEqual(0, device.PendingMessages);
        }

        private static int Count(FakeMqtt mqtt, string prefix)
        {
            int n = 0;
            for (int i = 0; i < mqtt.Topics.Count; i++)
            {
                if (mqtt.Topic(i).IndexOf(prefix) == 0)
                {
                    n++;
                }
            }

            return n;
        }

        // ---- TwinSync on its own: a Publisher and a fake link, settings raised by hand -------------------------------

        private sealed class Parts
        {
            internal readonly CallbackQueue Callbacks = new CallbackQueue();
            internal readonly Publisher Publisher;
            internal readonly TwinSync Twin;
            internal readonly FakeMqtt Mqtt = new FakeMqtt(new FakeTransport());
            internal readonly ArrayList Log = new ArrayList();
            internal long Now = 1000;

            internal Parts()
            {
                DeviceOptions options = new DeviceOptions();
                options.LogLevel = IotLogLevel.All;
                options.LogSink = Record;
                Logger logger = new Logger(options);
                HandlerTable handlers = new HandlerTable();
                handlers.Set(IotcEvents.MessageSent, info => { });
                Publisher = new Publisher(handlers, Callbacks, logger);
                Twin = new TwinSync(options, Callbacks, logger, Publisher, new Backoff(1000, 8000, 1));
                Mqtt.Open = true;
            }

            /// <summary>True when this line (without the prefix) was logged; a line that starts with it will do when <paramref name="prefix"/>.</summary>
            internal bool Logged(string line, bool prefix)
            {
                for (int i = 0; i < Log.Count; i++)
                {
                    string logged = (string)Log[i];
                    if (logged == line || (prefix && logged.IndexOf(line) == 0))
                    {
                        return true;
                    }
                }

                return false;
            }

            private void Record(string line)
            {
                Log.Add(line.Substring(7));
            }

            /// <summary>Raises every waiting setting as DoNext would; returns their tags in order.</summary>
            internal string RaiseAll()
            {
                string tags = string.Empty;
                IotcCallbackInfo c;
                while ((c = Callbacks.Take()) != null)
                {
                    if (c.Kind == PendingCallback.Setting)
                    {
                        tags += (tags.Length == 0 ? string.Empty : " ") + c.Tag;
                        Twin.OnSettingRaised(c);
                    }
                }

                return tags;
            }

            /// <summary>Acks into the outbox, then published: returns the index of the first new topic.</summary>
            internal int Send()
            {
                int before = Mqtt.Topics.Count;
                Twin.Step(Mqtt, Now);
                Assert.IsNull(Publisher.Flush(Mqtt, Now));
                return before;
            }

            internal string Rid(int index)
            {
                string topic = Mqtt.Topic(index);
                return topic.Substring(topic.IndexOf("$rid=") + 5);
            }

            internal void Answer(int index, int status)
            {
                Twin.OnTwinResponse(status, Rid(index), string.Empty, Now);
            }

            /// <summary>The application's reported patch, queued as <c>SendProperty</c> does.</summary>
            internal OutboundMessage ReportedPatch(string json)
            {
                OutboundMessage m = OutboundMessage.ReportedPatch(json);
                Publisher.Validate(m, Publisher.ShortTopicBytes);
                Assert.IsTrue(Publisher.TryAdd(m, "test") > 0, "accepted");
                Twin.Own(m);
                return m;
            }
        }

        [TestMethod]
        public void OnlyNewerPatchesAreDelivered_AndAVersionCountsOnceItsLastSettingWasRaised()
        {
            Parts p = new Parts();
            Assert.AreEqual(-1, (int)p.Twin.DeliveredVersion);
            p.Twin.OnDesiredPatch("{\"a\":1,\"b\":2,\"$version\":5}", 5);
            Assert.AreEqual(-1, (int)p.Twin.DeliveredVersion, "queued is not delivered");
            IotcCallbackInfo first = p.Callbacks.Take();
            Assert.IsFalse(first.Answer.EndsDocument);
            p.Twin.OnSettingRaised(first);
            Assert.AreEqual(-1, (int)p.Twin.DeliveredVersion, "half a document is not delivered");
            IotcCallbackInfo second = p.Callbacks.Take();
            Assert.IsTrue(second.Answer.EndsDocument);
            Assert.AreEqual(5, (int)second.DesiredVersion);
            p.Twin.OnSettingRaised(second);
            Assert.AreEqual(5, (int)p.Twin.DeliveredVersion);

            p.Twin.OnDesiredPatch("{\"a\":3,\"$version\":5}", 5);
            p.Twin.OnDesiredPatch("{\"a\":3,\"$version\":4}", 4);
            Assert.AreEqual(0, p.Callbacks.Count, "the same or an older patch is not delivered again");
            p.Twin.OnDesiredPatch("{\"a\":3,\"$version\":6}", 6);
            Assert.AreEqual("a", p.RaiseAll());
            Assert.AreEqual(6, (int)p.Twin.DeliveredVersion);

            p.Twin.OnDesiredPatch("{\"a\":", 7);
            Assert.AreEqual(0, p.Callbacks.Count);
            Assert.IsTrue(p.Logged("ignored a malformed desired-properties document", false));
            Assert.AreEqual(6, (int)p.Twin.DeliveredVersion, "nor is its version taken");
            p.Twin.OnDesiredPatch("{\"$version\":8}", 8);
            Assert.AreEqual(0, p.Callbacks.Count);
            Assert.AreEqual(8, (int)p.Twin.DeliveredVersion, "a document without settings is delivered as it is");

            p.Twin.OnDesiredPatch("{\"c\":1}", 9);
            Assert.AreEqual("c", p.RaiseAll());
            Assert.AreEqual(9, (int)p.Twin.DeliveredVersion, "the topic's version when the body has none");
            p.Twin.OnDesiredPatch("{\"c\":1}", -1);
            Assert.IsTrue(p.Logged("desired properties without a $version: delivered to SettingsUpdated (DesiredVersion -1) but not acknowledged", false));
            IotcCallbackInfo unversioned = p.Callbacks.Take();
            Assert.AreEqual(-1, (int)unversioned.DesiredVersion, "no version at all: still delivered");
            p.Twin.OnSettingRaised(unversioned);
            Assert.AreEqual(9, (int)p.Twin.DeliveredVersion);
            Assert.AreEqual(3, p.Twin.PendingAcks, "b and a of versions 5 and 6 and c of 9: the unversioned c is not acknowledged");
        }

        [TestMethod]
        public void AFullGet_IsAuthoritative_ButNotRepeated()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"a\":1,\"$version\":6}", 6);
            p.RaiseAll();
            p.Twin.OnConnected(p.Mqtt);
            Assert.StartsWith("$iothub/twin/GET/?$rid=", p.Mqtt.Topic(0));
            Assert.AreEqual(0, (int)p.Mqtt.Qos[0]);
            Assert.AreEqual(0, ((byte[])p.Mqtt.Payloads[0]).Length);
            p.Twin.OnTwinResponse(200, p.Rid(0), "{\"desired\":{\"a\":1,\"$version\":6},\"reported\":{}}", p.Now);
            Assert.AreEqual(0, p.Callbacks.Count, "the GET repeats what was delivered");

            p.Twin.OnConnected(p.Mqtt);
            p.Twin.OnTwinResponse(200, p.Rid(1), "{\"desired\":{\"a\":2,\"$version\":2},\"reported\":{}}", p.Now);
            IotcCallbackInfo reset = p.Callbacks.Take();
            Assert.IsNotNull(reset, "a lower version from a GET is a twin reset");
            p.Twin.OnSettingRaised(reset);
            Assert.AreEqual(2, (int)p.Twin.DeliveredVersion);

            // A GET answer under a $rid that is not the GET's is not a GET.
            p.Twin.OnTwinResponse(200, p.Rid(1), "{\"desired\":{\"a\":9,\"$version\":1},\"reported\":{}}", p.Now);
            Assert.AreEqual(0, p.Callbacks.Count);
        }

        [TestMethod]
        public void TwinGet_IsRetriedForThrottlingAndServerFaults_WhileTheLinkIsUp_ButNotForOtherRefusals()
        {
            Parts p = new Parts();
            p.Twin.OnConnected(p.Mqtt);
            p.Twin.OnTwinResponse(404, p.Rid(0), string.Empty, p.Now);
            p.Twin.Step(p.Mqtt, p.Now + 60000);
            Assert.AreEqual(1, p.Mqtt.Topics.Count, "404 is not retried");
            Assert.IsTrue(p.Logged("twin GET answered 404; desired properties arrive with the next change or reconnect", false));

            // Throttled or failing: asked again as long as the link is up (settings changed offline must arrive), each
            // time after the back-off, which grows to its maximum (8 s here) and stays there.
            p.Twin.OnConnected(p.Mqtt);
            for (int attempt = 1; attempt <= 2 * RetryPolicy.MaxTwinAttempts; attempt++)
            {
                int last = p.Mqtt.Topics.Count - 1;
                p.Twin.OnTwinResponse(attempt % 2 == 0 ? 429 : 503, p.Rid(last), string.Empty, p.Now);
                p.Twin.Step(p.Mqtt, p.Now + (attempt > 4 ? 6399 : 0));
                Assert.AreEqual(last + 1, p.Mqtt.Topics.Count, "not at once; from the fifth on, not before 80 % of the maximum");
                p.Now += 9600;
                p.Twin.Step(p.Mqtt, p.Now);
                Assert.AreEqual(last + 2, p.Mqtt.Topics.Count, "asked again after its back-off, attempt " + attempt);
                Assert.StartsWith("$iothub/twin/GET/", p.Mqtt.Topic(last + 1));
            }

            // The first retry waits the first back-off step (1 s +-20 %).
            Parts q = new Parts();
            q.Twin.OnConnected(q.Mqtt);
            q.Twin.OnTwinResponse(500, q.Rid(0), string.Empty, q.Now);
            Assert.IsTrue(q.Logged("twin GET answered 500; asking again in ", true));
            q.Twin.Step(q.Mqtt, q.Now + 799);
            Assert.AreEqual(1, q.Mqtt.Topics.Count);
            q.Twin.Step(q.Mqtt, q.Now + 1200);
            Assert.AreEqual(2, q.Mqtt.Topics.Count);

            // A lost link forgets the GET: its late answer is not taken for one.
            Parts r = new Parts();
            r.Twin.OnConnected(r.Mqtt);
            r.Twin.OnTwinResponse(500, r.Rid(0), string.Empty, r.Now);
            r.Twin.OnLinkLost();
            r.Twin.Step(r.Mqtt, r.Now + 60000);
            Assert.AreEqual(1, r.Mqtt.Topics.Count, "no retry on a lost link");
        }

        [TestMethod]
        public void Acks_AreCoalesced_AndANewerAnswerReplacesOneNotYetSent()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"a\":1,\"b\":2,\"$version\":2}", 2);
            p.RaiseAll();
            p.Twin.OnDesiredPatch("{\"a\":5,\"$version\":3}", 3);
            p.RaiseAll();
            Assert.AreEqual(2, p.Twin.PendingAcks, "a's older ack was replaced");
            int at = p.Send();
            Assert.AreEqual(at + 1, p.Mqtt.Topics.Count, "one patch for both");
            Assert.AreEqual("{\"b\":{\"value\":2,\"ac\":200,\"ad\":\"completed\",\"av\":2},\"a\":{\"value\":5,\"ac\":200,\"ad\":\"completed\",\"av\":3}}", p.Mqtt.Text(at));
            Assert.AreEqual(2, p.Twin.PendingAcks, "kept until the hub accepts them");
            p.Send();
            Assert.AreEqual(at + 1, p.Mqtt.Topics.Count, "acks in flight are not sent twice");
            p.Answer(at, 204);
            Assert.AreEqual(0, p.Twin.PendingAcks);
            Assert.AreEqual(0, p.Publisher.Count);
            Assert.AreEqual(0, p.Callbacks.Count, "an ack raises no MessageSent");
        }

        [TestMethod]
        public void ANewerAckForAPropertyInFlight_GoesInTheNextPatch()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"a\":1,\"$version\":2}", 2);
            p.RaiseAll();
            int first = p.Send();
            p.Twin.OnDesiredPatch("{\"a\":7,\"$version\":3}", 3);
            p.RaiseAll();
            Assert.AreEqual(2, p.Twin.PendingAcks, "the one in flight is not replaced");
            int second = p.Send();
            Assert.AreEqual(first + 1, second);
            Assert.Contains("\"av\":3", p.Mqtt.Text(second));
            p.Answer(second, 204);
            Assert.AreEqual(1, p.Twin.PendingAcks);
            p.Answer(first, 204);
            Assert.AreEqual(0, p.Twin.PendingAcks);

            // Two acks of one property waiting together: one patch holds it once.
            Parts q = new Parts();
            q.Twin.OnDesiredPatch("{\"a\":1,\"$version\":2}", 2);
            q.RaiseAll();
            q.Twin.OnDesiredPatch("{\"a\":2,\"$version\":3}", 3);
            IotcCallbackInfo again = q.Callbacks.Take();
            q.Twin.OnSettingRaised(again);
            Assert.AreEqual(1, q.Twin.PendingAcks);
        }

        [TestMethod]
        public void AThrottledAck_IsRetriedAfterABackoff_AndARefusedOneIsDropped()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"a\":1,\"$version\":2}", 2);
            p.RaiseAll();
            int at = p.Send();
            p.Answer(at, 429);
            Assert.IsTrue(p.Logged("reported patch answered 429; sending it again in ", true));
            Assert.AreEqual(1, p.Twin.PendingAcks);
            Assert.AreEqual(1, p.Publisher.Count);
            p.Send();
            Assert.AreEqual(at + 1, p.Mqtt.Topics.Count, "429 means slow down: not at once");
            p.Now += 799;
            p.Send();
            Assert.AreEqual(at + 1, p.Mqtt.Topics.Count, "not before the first back-off step");
            p.Now += 401;
            int again = p.Send();
            Assert.AreEqual(at + 2, p.Mqtt.Topics.Count, "sent again");
            Assert.AreNotEqual(p.Rid(at), p.Rid(again));
            p.Answer(again, 400);
            Assert.AreEqual(0, p.Twin.PendingAcks, "a refusal is final");
            Assert.IsTrue(p.Logged("the hub refused a settings acknowledgement (status 400): 1 ack(s) dropped", false));
            Assert.AreEqual(0, p.Publisher.Count);
        }

        [TestMethod]
        public void TwinResponseStatuses_OnlyTwoHundredsAreSuccess()
        {
            int[] statuses = new int[] { 0, 99, 100, 199, 200, 204, 299, 300, 404, 600, 700 };
            int[] reported = new int[] { IotcStatus.ProtocolError, IotcStatus.ProtocolError, 100, 199, 0, 0, 0, 300, 404, IotcStatus.ProtocolError, IotcStatus.ProtocolError };
            for (int i = 0; i < statuses.Length; i++)
            {
                Parts p = new Parts();
                p.ReportedPatch("{}");
                int at = p.Send();
                p.Answer(at, statuses[i]);
                IotcCallbackInfo c = p.Callbacks.Take();
                Assert.IsNotNull(c, "status " + statuses[i] + " completes the patch");
                Assert.AreEqual(reported[i], c.StatusCode, "status " + statuses[i]);
                Assert.AreEqual(0, p.Publisher.Count);
            }

            Parts unknown = new Parts();
            unknown.Twin.OnTwinResponse(204, "12345", string.Empty, unknown.Now);
            unknown.Twin.OnTwinResponse(204, null, string.Empty, unknown.Now);
            Assert.AreEqual(0, unknown.Callbacks.Count, "a $rid nobody sent is ignored");
            Assert.AreEqual(1, unknown.Log.Count, "and logged once: a response without a $rid is not even that");
            Assert.AreEqual("twin response for an unknown $rid ignored", (string)unknown.Log[0]);
        }

        [TestMethod]
        public void NextRequestId_IsDistinct()
        {
            Parts p = new Parts();
            string a = p.Twin.NextRequestId();
            string b = p.Twin.NextRequestId();
            Assert.AreNotEqual(a, b);
            Assert.AreEqual(int.Parse(a) + 1, int.Parse(b));
        }

        [TestMethod]
        public void AReportedPatch_GoesUnderAFreshRid_AndOnlyItsAnswerWhileInFlightConfirmsIt()
        {
            Parts p = new Parts();
            OutboundMessage patch = p.ReportedPatch("{\"a\":1}");
            p.Twin.OnConnected(p.Mqtt);
            int at = p.Send();
            Assert.AreEqual(Reported + patch.TwinRequestId, p.Mqtt.Topic(at), "after the GET");
            Assert.AreNotEqual(p.Rid(0), p.Rid(at));
            Assert.AreSame(p.Twin, patch.Owner, "not confirmed by its PUBACK");
            p.Publisher.OnPuback((int)p.Mqtt.PacketIds[at]);
            Assert.AreEqual(1, p.Publisher.Count);

            // Not yet published again after a lost link: no answer matches it, not even one under its old $rid.
            string old = p.Rid(at);
            p.Twin.OnLinkLost();
            p.Publisher.MarkAllForResend();
            Assert.IsNull(patch.TwinRequestId, "no $rid until it goes");
            p.Twin.OnTwinResponse(204, old, string.Empty, p.Now);
            Assert.AreEqual(1, p.Publisher.Count, "the lost attempt");
            Assert.IsTrue(p.Logged("twin response for an unknown $rid ignored", false));

            p.Twin.OnConnected(p.Mqtt);
            p.Twin.Step(p.Mqtt, p.Now);
            p.Twin.OnTwinResponse(204, patch.TwinRequestId, string.Empty, p.Now);
            Assert.AreEqual(1, p.Publisher.Count, "a $rid not yet published");
            int again = p.Send();
            Assert.AreEqual(Reported + patch.TwinRequestId, p.Mqtt.Topic(again));
            Assert.AreNotEqual(old, p.Rid(again), "a new $rid");
            p.Answer(again, 204);
            Assert.AreEqual(0, p.Publisher.Count);
            IotcCallbackInfo sent = p.Callbacks.Take();
            Assert.AreEqual(patch.MessageId, sent.MessageId);
            Assert.AreEqual(0, sent.StatusCode);
            p.Twin.OnTwinResponse(204, p.Rid(again), string.Empty, p.Now);
            Assert.AreEqual(0, p.Callbacks.Count, "answered once");
        }

        [TestMethod]
        public void AReportedPatchWithoutAnswer_IsSentAgain_ThenReportedAs408()
        {
            Parts p = new Parts();
            OutboundMessage patch = p.ReportedPatch("{\"a\":1}");
            OutboundMessage other = p.ReportedPatch("{\"b\":2}");
            int patchId = patch.MessageId;
            p.Send();
            string rid = patch.TwinRequestId;
            long sentAt = p.Now;
            p.Now = sentAt + TwinSync.TwinResponseTimeoutMs - 1;
            p.Send();
            Assert.AreEqual(2, p.Mqtt.Topics.Count, "not yet timed out");
            for (int attempt = 2; attempt <= RetryPolicy.MaxTwinAttempts; attempt++)
            {
                p.Now = sentAt + TwinSync.TwinResponseTimeoutMs;
                sentAt = p.Now;
                p.Send();
                Assert.AreEqual(2 * attempt, p.Mqtt.Topics.Count, "both sent again");
                Assert.AreEqual(attempt, patch.Attempts);
                Assert.AreNotEqual(rid, patch.TwinRequestId, "under a new $rid");
                rid = patch.TwinRequestId;
            }

            Assert.AreEqual(0, p.Callbacks.Count);
            Assert.IsTrue(p.Logged("no twin response for $rid 1 after 30 s: sending the patch again", false));
            p.Now = sentAt + TwinSync.TwinResponseTimeoutMs;
            p.Send();
            Assert.AreEqual(0, p.Publisher.Count, "both given up in the same step");
            Assert.AreEqual(2 * RetryPolicy.MaxTwinAttempts, p.Mqtt.Topics.Count, "not a sixth time");
            IotcCallbackInfo timedOut = p.Callbacks.Take();
            Assert.AreEqual(patchId, timedOut.MessageId);
            Assert.AreEqual(408, timedOut.StatusCode);
            Assert.AreEqual(other.MessageId, p.Callbacks.Take().MessageId);
            p.Now += 10 * TwinSync.TwinResponseTimeoutMs;
            p.Send();
            Assert.AreEqual(2 * RetryPolicy.MaxTwinAttempts, p.Mqtt.Topics.Count, "nothing left");
        }

        [TestMethod]
        public void ComponentAcks_AreGroupedPerComponent_OncePerPatch()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"th\":{\"__t\":\"c\",\"x\":1,\"y\":2},\"z\":3,\"$version\":4}", 4);
            Assert.AreEqual("th*x th*y z", p.RaiseAll());
            int at = p.Send();
            Assert.AreEqual(at + 1, p.Mqtt.Topics.Count);
            Assert.AreEqual("{\"th\":{\"__t\":\"c\",\"x\":{\"value\":1,\"ac\":200,\"ad\":\"completed\",\"av\":4},\"y\":{\"value\":2,\"ac\":200,\"ad\":\"completed\",\"av\":4}},\"z\":{\"value\":3,\"ac\":200,\"ad\":\"completed\",\"av\":4}}", p.Mqtt.Text(at));

            // A component interrupted by another property: its later acks go in the next patch, not a second "th" object.
            Parts q = new Parts();
            q.Twin.OnDesiredPatch("{\"th\":{\"__t\":\"c\",\"x\":1},\"z\":3,\"$version\":4}", 4);
            q.RaiseAll();
            q.Twin.OnDesiredPatch("{\"th\":{\"__t\":\"c\",\"y\":2},\"$version\":5}", 5);
            q.RaiseAll();
            int first = q.Send();
            Assert.AreEqual(first + 2, q.Mqtt.Topics.Count, "two patches");
            Assert.AreEqual("{\"th\":{\"__t\":\"c\",\"x\":{\"value\":1,\"ac\":200,\"ad\":\"completed\",\"av\":4}},\"z\":{\"value\":3,\"ac\":200,\"ad\":\"completed\",\"av\":4}}", q.Mqtt.Text(first));
            Assert.AreEqual("{\"th\":{\"__t\":\"c\",\"y\":{\"value\":2,\"ac\":200,\"ad\":\"completed\",\"av\":5}}}", q.Mqtt.Text(first + 1));
        }

        [TestMethod]
        public void AckPatches_FillUpTo8KB_AndNoFurther()
        {
            Parts p = new Parts();
            p.Publisher.SetLimits(64, 64 * 1024);
            StringBuffer patch = new StringBuffer(8 * 1024).Append('{');
            string value = "\"" + new string('v', 100) + "\"";
            for (int i = 0; i < 200; i++)
            {
                patch.Append("\"k").Append(i).Append("\":").Append(value).Append(',');
            }

            p.Twin.OnDesiredPatch(patch.Append("\"$version\":2}").ToString(), 2);
            p.RaiseAll();
            p.Publisher.SetWindow(64, 30000);
            int at = p.Send();
            int patches = p.Mqtt.Topics.Count - at;
            Assert.IsTrue(patches >= 3 && patches <= 5, "200 acks of ~150 bytes in 8 KB patches: " + patches);
            for (int i = at; i < p.Mqtt.Topics.Count; i++)
            {
                int length = ((byte[])p.Mqtt.Payloads[i]).Length;
                Assert.IsTrue(length <= TwinSync.MaxAckPatchBytes, "patch " + i + " is " + length + " bytes");
                Assert.IsTrue(i == p.Mqtt.Topics.Count - 1 || length > TwinSync.MaxAckPatchBytes - 400, "patch " + i + " is full: " + length);
            }
        }

        [TestMethod]
        public void AcksInFlight_OnALostLink_GoOutAgainAfterTheReconnect()
        {
            Parts p = new Parts();
            p.Twin.OnDesiredPatch("{\"a\":1,\"$version\":2}", 2);
            p.RaiseAll();
            int at = p.Send();
            p.Twin.OnLinkLost();
            p.Publisher.MarkAllForResend();
            p.Twin.OnConnected(p.Mqtt);
            Assert.StartsWith("$iothub/twin/GET/", p.Mqtt.Topic(at + 1));
            int again = p.Send();
            Assert.AreEqual(at + 3, p.Mqtt.Topics.Count, "the ack patch goes out once more: once");
            Assert.AreEqual(p.Mqtt.Text(at), p.Mqtt.Text(again));
            Assert.AreEqual(1, p.Publisher.Count, "no second patch for the same ack");
            p.Answer(again, 200);
            Assert.AreEqual(0, p.Twin.PendingAcks);
            Assert.AreEqual(0, p.Publisher.Count);
        }

        /// <summary>Plays the hub: answers 204 to every reported patch not answered yet and records the names it acknowledged.</summary>
        private static void AnswerReportedPatches(FakeMqtt mqtt, ArrayList acked)
        {
            for (int i = 0; i < mqtt.Topics.Count; i++)
            {
                string topic = mqtt.Topic(i);
                if (topic.IndexOf(Reported) != 0 || mqtt.Payloads[i] == null)
                {
                    continue;
                }

                string body = mqtt.Text(i);
                mqtt.Payloads[i] = null;
                int at = 0;
                while ((at = body.IndexOf("\"", at)) >= 0)
                {
                    int end = body.IndexOf("\"", at + 1);
                    string name = body.Substring(at + 1, end - at - 1);
                    if (body.IndexOf(":{", end) == end + 1)
                    {
                        acked.Add(name);
                    }

                    at = end + 1;
                }

                mqtt.Deliver("$iothub/twin/res/204/?$rid=" + topic.Substring(Reported.Length), string.Empty);
            }
        }
    }
}
