// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
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
        public void AfterATwinReset_TheLowerVersionOfAFullGet_IsDelivered()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.NewDevice(t, clock);
            device.SetReconnectBackoff(100, 400);
            DeviceTests.ConnectNow(t, device);
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
            DeviceTests.ConnectNow(t, device);
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
