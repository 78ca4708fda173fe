// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// Text outside the BMP (emoji) through the whole pump, checked against the UTF-8 bytes on the wire. On nanoCLR
    /// the string indexer returns the high surrogate at both positions of a pair, so any s[i] loop on these paths
    /// would show up here as EF BF BD (U+FFFD) or a refused "lone surrogate".
    /// </summary>
    [TestClass]
    public class TextRoundTripTests
    {
        // U+1F600 GRINNING FACE: UTF-16 D83D DE00, UTF-8 F0 9F 98 80, percent-encoded %F0%9F%98%80.
        private const string Emoji = "\uD83D\uDE00";
        private const string EmojiUtf8Hex = "f09f9880";

        [TestMethod]
        public void Telemetry_PayloadAndPropertyBag_KeepEmoji()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            PropertyBag bag = new PropertyBag().Add("mood" + Emoji, Emoji + " ok");
            device.SendTelemetry("{\"m\":\"" + Emoji + "\"}", bag);
            device.DoNext();

            int sent = t.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/");
            Assert.IsTrue(sent >= 0, "telemetry published");
            Assert.AreEqual("7b226d223a22" + EmojiUtf8Hex + "227d", TestData.Hex((byte[])t.Current.Payloads[sent]));
            Assert.Contains("mood%F0%9F%98%80=%F0%9F%98%80%20ok", t.Current.Topic(sent));
        }

        [TestMethod]
        public void Setting_WithEmojiAndNumbers_IsDeliveredAndAckedWithTheTextTheHubSent()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            ArrayList seen = new ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "=" + info.Payload));

            // Numbers are echoed as written (20.5 formats as 20.499999999999998 on nanoCLR; 1.0E+2 would become 100).
            t.Current.Deliver(
                "$iothub/twin/PATCH/properties/desired/?$version=7",
                "{\"greeting\":\"hi " + Emoji + "\",\"setPoint\":20.5,\"scale\":1.0E+2,\"$version\":7}");
            device.DoNext();
            Assert.AreEqual(3, seen.Count);
            Assert.AreEqual("greeting=\"hi " + Emoji + "\"", (string)seen[0]);
            Assert.AreEqual("setPoint=20.5", (string)seen[1]);
            Assert.AreEqual("scale=1.0E+2", (string)seen[2]);

            device.DoNext();
            Assert.AreEqual(
                "{\"greeting\":{\"value\":\"hi " + Emoji + "\",\"ac\":200,\"ad\":\"completed\",\"av\":7},\"setPoint\":{\"value\":20.5,\"ac\":200,\"ad\":\"completed\",\"av\":7},\"scale\":{\"value\":1.0E+2,\"ac\":200,\"ad\":\"completed\",\"av\":7}}",
                t.Current.Text(1));
            Assert.Contains(EmojiUtf8Hex, TestData.Hex((byte[])t.Current.Payloads[1]));
        }

        [TestMethod]
        public void Command_PayloadAndResponse_KeepEmoji()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            string payload = null;
            device.On(IotcEvents.Command, info =>
            {
                payload = info.Payload;
                info.SetResponse(200, "{\"echo\":\"" + Emoji + "\"}");
            });

            t.Current.Deliver("$iothub/methods/POST/say" + Emoji + "/?$rid=9", "\"" + Emoji + "\"");
            device.DoNext();
            Assert.AreEqual("\"" + Emoji + "\"", payload);

            device.DoNext();
            int response = t.Current.IndexOfTopicStartingWith("$iothub/methods/res/200/?$rid=9");
            Assert.IsTrue(response >= 0, "command response published");
            Assert.AreEqual("7b226563686f223a22" + EmojiUtf8Hex + "227d", TestData.Hex((byte[])t.Current.Payloads[response]));
        }

        [TestMethod]
        public void ReportedProperty_KeepsEmojiInNamesAndValues()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            device.SendProperty("{\"label" + Emoji + "\":\"" + Emoji + "\"}");
            device.DoNext();

            int patch = t.Current.IndexOfTopicStartingWith("$iothub/twin/PATCH/properties/reported/");
            Assert.IsTrue(patch >= 0, "reported patch published");
            Assert.AreEqual("7b226c6162656c" + EmojiUtf8Hex + "223a22" + EmojiUtf8Hex + "227d", TestData.Hex((byte[])t.Current.Payloads[patch]));
        }

        [TestMethod]
        public void CloudToDevice_PropertyBagAndPayload_KeepEmoji()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            IotcCallbackInfo received = null;
            device.On(IotcEvents.MessageReceived, info => received = info);

            t.Current.Deliver("devices/dev-1/messages/devicebound/%F0%9F%98%80=%F0%9F%98%80%21&$.mid=m1", Emoji);
            device.DoNext();
            Assert.IsNotNull(received);
            Assert.AreEqual(Emoji, received.Payload);
            Assert.AreEqual(Emoji + "!", received.Properties.Get(Emoji));
        }
    }
}
