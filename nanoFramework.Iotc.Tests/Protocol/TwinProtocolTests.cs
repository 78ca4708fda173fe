// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class TwinProtocolTests
    {
        [TestMethod]
        public void ParseTwinGet_DesiredPropertiesAndVersion()
        {
            // Shape of a twin GET response over MQTT (Learn, "Communicate with an IoT hub using the MQTT protocol").
            string body = "{\"desired\":{\"targetTemperature\":25,\"mode\":\"on\",\"cfg\":{\"a\":1},\"$version\":7},"
                + "\"reported\":{\"targetTemperature\":{\"value\":20,\"ac\":200,\"av\":6},\"$version\":12}}";
            DesiredProperties d = TwinProtocol.ParseTwinGet(body);
            Assert.IsFalse(d.IsMalformed);
            Assert.AreEqual(7L, d.Version);
            Assert.AreEqual(3, d.Count);
            Assert.AreEqual("targetTemperature", d.GetName(0));
            Assert.AreEqual("25", d.GetRawValue(0));
            Assert.AreEqual("mode", d.GetName(1));
            Assert.AreEqual("\"on\"", d.GetRawValue(1));
            Assert.AreEqual("{\"a\":1}", d.GetRawValue(2));
            Assert.AreEqual(1L, d.GetValue(2).GetMemberInt64("a", 0));
        }

        [TestMethod]
        public void ParseDesiredPatch_SkipsMetadata()
        {
            string body = "{\"fanSpeed\":3.5,\"$metadata\":{\"$lastUpdated\":\"2026-01-01T00:00:00Z\"},\"$version\":42,\"light\":false}";
            DesiredProperties d = TwinProtocol.ParseDesiredPatch(body);
            Assert.AreEqual(42L, d.Version);
            Assert.AreEqual(2, d.Count);
            Assert.AreEqual("fanSpeed", d.GetName(0));
            Assert.AreEqual("3.5", d.GetRawValue(0));
            Assert.AreEqual("light", d.GetName(1));
            Assert.AreEqual("false", d.GetRawValue(1));
        }

        [TestMethod]
        public void Components_AreRecognised()
        {
            // IoT Central / PnP components in desired: {"comp":{"__t":"c","prop":v}} (Learn, "IoT Plug and Play conventions").
            DesiredProperties d = TwinProtocol.ParseDesiredPatch("{\"thermostat1\":{\"__t\":\"c\",\"targetTemperature\":21},\"plain\":{\"x\":1},\"$version\":3}");
            Assert.AreEqual(2, d.Count);
            Assert.IsTrue(d.IsComponent(0));
            Assert.IsFalse(d.IsComponent(1));
            Assert.AreEqual(21L, d.GetValue(0).GetMemberInt64("targetTemperature", 0));
        }

        [TestMethod]
        public void MissingOrInvalidVersion_IsMinusOne()
        {
            Assert.AreEqual(-1L, TwinProtocol.ParseDesiredPatch("{\"a\":1}").Version);
            Assert.AreEqual(-1L, TwinProtocol.ParseDesiredPatch("{\"a\":1,\"$version\":\"7\"}").Version);
            Assert.AreEqual(-1L, TwinProtocol.ParseDesiredPatch("{\"$version\":-5}").Version);
            Assert.AreEqual(-1L, TwinProtocol.ParseDesiredPatch("{\"$version\":1.5}").Version);
            Assert.AreEqual(-1L, TwinProtocol.ParseTwinGet("{\"desired\":{\"a\":1}}").Version);
            Assert.AreEqual(1, TwinProtocol.ParseDesiredPatch("{\"a\":1,\"$version\":\"7\"}").Count);
        }

        [TestMethod]
        [DataRow("")]
        [DataRow("null")]
        [DataRow("[1,2]")]
        [DataRow("{\"desired\":")]
        [DataRow("{\"desired\":[]}")]
        [DataRow("{\"reported\":{}}")]
        [DataRow("{\"desired\":\"x\"}")]
        public void ParseTwinGet_Malformed_NeverThrows(string body)
        {
            DesiredProperties d = TwinProtocol.ParseTwinGet(body);
            Assert.IsTrue(d.IsMalformed);
            Assert.AreEqual(0, d.Count);
            Assert.AreEqual(-1L, d.Version);
        }

        [TestMethod]
        public void ParseDesiredPatch_Malformed_NeverThrows()
        {
            Assert.IsTrue(TwinProtocol.ParseDesiredPatch(null).IsMalformed);
            Assert.IsTrue(TwinProtocol.ParseDesiredPatch("25").IsMalformed);
            Assert.IsTrue(TwinProtocol.ParseDesiredPatch("{\"a\":").IsMalformed);
            Assert.IsTrue(TwinProtocol.ParseDesiredPatch(new string('{', 100000)).IsMalformed);
            Assert.IsFalse(TwinProtocol.ParseDesiredPatch("{}").IsMalformed);
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => TwinProtocol.ParseDesiredPatch("{}").GetName(0));
        }

        [TestMethod]
        public void BuildAck_PnpForm()
        {
            // Writable property ack (Learn, "IoT Plug and Play conventions"): value, ac, ad, av.
            Assert.AreEqual(
                "{\"targetTemperature\":{\"value\":25,\"ac\":200,\"ad\":\"completed\",\"av\":7}}",
                TwinProtocol.BuildAck("targetTemperature", "25", 200, "completed", 7, false));
            Assert.AreEqual(
                "{\"cfg\":{\"value\":{\"a\":1},\"ac\":400,\"ad\":\"bad \\\"value\\\"\",\"av\":8}}",
                TwinProtocol.BuildAck("cfg", "{\"a\":1}", 400, "bad \"value\"", 8, false));
            Assert.AreEqual("{\"x\":{\"value\":\"on\",\"ac\":203,\"av\":0}}", TwinProtocol.BuildAck("x", "\"on\"", 203, null, 0, false));
        }

        [TestMethod]
        public void BuildAck_LegacyIotcForm()
        {
            Assert.AreEqual(
                "{\"fanSpeed\":{\"value\":3.5,\"statusCode\":200,\"status\":\"completed\",\"desiredVersion\":42}}",
                TwinProtocol.BuildAck("fanSpeed", "3.5", TwinProtocol.AckCompleted, TwinProtocol.AckCompletedDescription, 42, true));
        }

        [TestMethod]
        public void BuildComponentAck_PnpForm()
        {
            Assert.AreEqual(
                "{\"thermostat1\":{\"__t\":\"c\",\"targetTemperature\":{\"value\":21,\"ac\":200,\"ad\":\"completed\",\"av\":3}}}",
                TwinProtocol.BuildComponentAck("thermostat1", "targetTemperature", "21", 200, "completed", 3));
        }

        [TestMethod]
        public void BuildAck_RoundTripsRawValueFromParse()
        {
            DesiredProperties d = TwinProtocol.ParseDesiredPatch("{\"s\":\"caf\\u00e9 \\\"q\\\"\",\"o\":{ \"k\" : [1, 2] },\"$version\":9}");
            for (int i = 0; i < d.Count; i++)
            {
                string ack = TwinProtocol.BuildAck(d.GetName(i), d.GetRawValue(i), 200, "completed", d.Version, false);
                JsonValue inner = JsonValue.Parse(ack).GetMember(d.GetName(i));
                Assert.AreEqual(d.GetRawValue(i), inner.GetMember("value").RawText);
                Assert.AreEqual(9L, inner.GetMemberInt64("av", 0));
            }
        }

        [TestMethod]
        public void BuildAck_RejectsBadArguments()
        {
            Assert.ThrowsException(typeof(ArgumentNullException), () => TwinProtocol.BuildAck(null, "1", 200, null, 1, false));
            Assert.ThrowsException(typeof(ArgumentException), () => TwinProtocol.BuildAck(string.Empty, "1", 200, null, 1, false));
            Assert.ThrowsException(typeof(ArgumentNullException), () => TwinProtocol.BuildAck("a", null, 200, null, 1, false));
            Assert.ThrowsException(typeof(JsonException), () => TwinProtocol.BuildAck("a", "1,\"x\":2", 200, null, 1, false));
            Assert.ThrowsException(typeof(ArgumentNullException), () => TwinProtocol.BuildComponentAck(null, "p", "1", 200, null, 1));
        }
    }
}
