// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class HubTopicParserTests
    {
        [TestMethod]
        public void MethodRequest_FromAzureSdkForC()
        {
            // sdk/tests/iot/hub/test_az_iot_hub_client_methods.c
            HubTopicInfo info = HubTopicParser.Parse("$iothub/methods/POST/TestMethod/?$rid=1");
            Assert.AreEqual((int)HubTopicKind.MethodRequest, (int)info.Kind);
            Assert.AreEqual("TestMethod", info.MethodName);
            Assert.AreEqual("1", info.RequestId);
        }

        [TestMethod]
        public void MethodRequest_ComponentCommandAndSlashes()
        {
            HubTopicInfo info = HubTopicParser.Parse("$iothub/methods/POST/thermostat1*getMaxMinReport/?$rid=a1");
            Assert.AreEqual("thermostat1*getMaxMinReport", info.MethodName);
            Assert.AreEqual("a1", info.RequestId);

            // IoT Hub does not forbid '/' in method names; the query starts at the last "/?".
            info = HubTopicParser.Parse("$iothub/methods/POST/a/b/?$rid=7");
            Assert.AreEqual("a/b", info.MethodName);
            Assert.AreEqual("7", info.RequestId);
        }

        [TestMethod]
        public void TwinResponses_FromAzureSdkForC()
        {
            // sdk/tests/iot/hub/test_az_iot_hub_client_twin.c
            HubTopicInfo get = HubTopicParser.Parse("$iothub/twin/res/200/?$rid=id_one");
            Assert.AreEqual((int)HubTopicKind.TwinResponse, (int)get.Kind);
            Assert.AreEqual(200, get.Status);
            Assert.AreEqual("id_one", get.RequestId);
            Assert.AreEqual(-1L, get.Version);

            HubTopicInfo reported = HubTopicParser.Parse("$iothub/twin/res/204/?$rid=id_one&$version=16");
            Assert.AreEqual(204, reported.Status);
            Assert.AreEqual("id_one", reported.RequestId);
            Assert.AreEqual(16L, reported.Version);

            HubTopicInfo throttled = HubTopicParser.Parse("$iothub/twin/res/429/?$rid=9");
            Assert.AreEqual(429, throttled.Status);
        }

        [TestMethod]
        public void DesiredPatch_Version()
        {
            HubTopicInfo info = HubTopicParser.Parse("$iothub/twin/PATCH/properties/desired/?$version=12");
            Assert.AreEqual((int)HubTopicKind.DesiredPatch, (int)info.Kind);
            Assert.AreEqual(12L, info.Version);
            Assert.IsNull(info.RequestId);

            // The Azure SDK for C test uses a non-numeric version ("id_one"): still a patch, version unknown (-1).
            info = HubTopicParser.Parse("$iothub/twin/PATCH/properties/desired/?$version=id_one");
            Assert.AreEqual((int)HubTopicKind.DesiredPatch, (int)info.Kind);
            Assert.AreEqual(-1L, info.Version);

            Assert.AreEqual(-1L, HubTopicParser.Parse("$iothub/twin/PATCH/properties/desired/").Version);
        }

        [TestMethod]
        public void CloudToDevice_UrlDecodedTopic_FromAzureSdkForC()
        {
            // sdk/tests/iot/hub/test_az_iot_hub_client_c2d.c test_url_decoded_topic: values hold literal '/'.
            HubTopicInfo info = HubTopicParser.Parse(
                "devices/useragent_c/messages/devicebound/$.mid=79eadb01-bd0d-472d-bd35-ccb76e70eab8&$.to=/devices/useragent_c/messages/deviceBound&abc=123");
            Assert.AreEqual((int)HubTopicKind.CloudToDevice, (int)info.Kind);
            Assert.AreEqual("useragent_c", info.DeviceId);
            Assert.AreEqual(3, info.Properties.Count);
            Assert.AreEqual("$.mid", info.Properties.GetName(0));
            Assert.AreEqual("79eadb01-bd0d-472d-bd35-ccb76e70eab8", info.Properties.GetValue(0));
            Assert.AreEqual("$.to", info.Properties.GetName(1));
            Assert.AreEqual("/devices/useragent_c/messages/deviceBound", info.Properties.GetValue(1));
            Assert.AreEqual("123", info.Properties.Get("abc"));
        }

        [TestMethod]
        public void CloudToDevice_UrlEncodedTopic_IsDecoded()
        {
            // sdk/tests/iot/hub/test_az_iot_hub_client_c2d.c test_url_encoded_topic (the C SDK returns raw spans; we decode).
            HubTopicInfo info = HubTopicParser.Parse(
                "devices/useragent_c/messages/devicebound/%24.to=%2Fdevices%2Fuseragent_c%2Fmessages%2FdeviceBound&abc=123&ghi=%2Fsome%2Fthing&jkl=%2Fsome%2Fthing%2F%3Fbla%3Dbla");
            Assert.AreEqual(4, info.Properties.Count);
            Assert.AreEqual("$.to", info.Properties.GetName(0));
            Assert.AreEqual("/devices/useragent_c/messages/deviceBound", info.Properties.GetValue(0));
            Assert.AreEqual("/some/thing", info.Properties.Get("ghi"));
            Assert.AreEqual("/some/thing/?bla=bla", info.Properties.Get("jkl"));
        }

        [TestMethod]
        public void CloudToDevice_NoPropertiesAndBareNames()
        {
            HubTopicInfo info = HubTopicParser.Parse("devices/useragent_c/messages/devicebound/");
            Assert.AreEqual((int)HubTopicKind.CloudToDevice, (int)info.Kind);
            Assert.AreEqual(0, info.Properties.Count);

            info = HubTopicParser.Parse("devices/d/messages/devicebound/flag&method-name=reboot&x=a=b");
            Assert.AreEqual(3, info.Properties.Count);
            Assert.IsTrue(info.Properties.Contains("flag"));
            Assert.IsNull(info.Properties.Get("flag"));
            Assert.AreEqual("reboot", info.Properties.Get("method-name"));
            Assert.AreEqual("a=b", info.Properties.Get("x"));
        }

        [TestMethod]
        [DataRow("")]
        [DataRow("$iothub/methods/POST/foo")]
        [DataRow("$iothub/methods/POST/foo/?$rid=")]
        [DataRow("$iothub/methods/POST//?$rid=1")]
        [DataRow("$iothub/methods/POST/foo/?other=1")]
        [DataRow("$iothub/methods/POST/#")]
        [DataRow("$iothub/methods/res/200/?$rid=2")]
        [DataRow("$iothub/twin/rez/200")]
        [DataRow("$iothub/twin/res/200")]
        [DataRow("$iothub/twin/res/200/")]
        [DataRow("$iothub/twin/res//?$rid=1")]
        [DataRow("$iothub/twin/res/2x0/?$rid=1")]
        [DataRow("$iothub/twin/res/1234567/?$rid=1")]
        [DataRow("$iothub/twin/res/200/?$version=3")]
        [DataRow("$iothub/contoso/res/200")]
        [DataRow("$iothub/twin/PATCH/properties/desiredX")]
        [DataRow("$iothub/devices/useragent_c/messages/devicebound/%24.to=x")]
        [DataRow("devices/useragent_c/message#$vicebound/a=1")]
        [DataRow("devices//messages/devicebound/")]
        [DataRow("devices/d/messages/devicebound")]
        [DataRow("devices/d/messages/events/")]
        [DataRow("devices/d")]
        [DataRow("devices/")]
        [DataRow("DEVICES/d/messages/devicebound/")]
        [DataRow("%%%&&&===///???")]
        public void Garbage_IsUnknown(string topic)
        {
            HubTopicInfo info = HubTopicParser.Parse(topic);
            Assert.AreEqual((int)HubTopicKind.Unknown, (int)info.Kind, topic);
            Assert.IsNotNull(info.Properties);
        }

        [TestMethod]
        public void Null_IsUnknown()
        {
            Assert.AreEqual((int)HubTopicKind.Unknown, (int)HubTopicParser.Parse(null).Kind);
        }

        [TestMethod]
        public void EveryPrefixOfValidTopics_ParsesWithoutThrowing()
        {
            string[] topics =
            {
                "$iothub/methods/POST/thermostat1*getMaxMinReport/?$rid=1",
                "$iothub/twin/res/204/?$rid=id_one&$version=16",
                "$iothub/twin/PATCH/properties/desired/?$version=12",
                "devices/d/messages/devicebound/%24.to=%2Fa&b=%E2%82%AC&c=%F0%9F&d=%",
            };
            for (int t = 0; t < topics.Length; t++)
            {
                for (int i = 0; i <= topics[t].Length; i++)
                {
                    Assert.IsNotNull(HubTopicParser.Parse(topics[t].Substring(0, i)));
                }
            }

            // A truncated UTF-8 sequence decodes to U+FFFD rather than failing.
            Assert.AreEqual("\uFFFD", HubTopicParser.Parse("devices/d/messages/devicebound/c=%F0%9F").Properties.Get("c"));
        }

        [TestMethod]
        public void ParseVersion_AcceptsDigitsOnly()
        {
            Assert.AreEqual(0L, HubTopicParser.ParseVersion("0"));
            Assert.AreEqual(123456789012345678L, HubTopicParser.ParseVersion("123456789012345678"));
            Assert.AreEqual(-1L, HubTopicParser.ParseVersion("1234567890123456789"));
            Assert.AreEqual(-1L, HubTopicParser.ParseVersion("-1"));
            Assert.AreEqual(-1L, HubTopicParser.ParseVersion(" 1"));
            Assert.AreEqual(-1L, HubTopicParser.ParseVersion(string.Empty));
            Assert.AreEqual(-1L, HubTopicParser.ParseVersion(null));
        }
    }
}
