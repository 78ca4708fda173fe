// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class HubTopicsTests
    {
        [TestMethod]
        public void TwinTopics_MatchAzureSdkForC()
        {
            // sdk/tests/iot/hub/test_az_iot_hub_client_twin.c: request id "id_one".
            Assert.AreEqual("$iothub/twin/GET/?$rid=id_one", HubTopics.TwinGet("id_one"));
            Assert.AreEqual("$iothub/twin/PATCH/properties/reported/?$rid=id_one", HubTopics.TwinPatchReported("id_one"));
        }

        [TestMethod]
        public void MethodResponse_MatchesAzureSdkForC()
        {
            // sdk/tests/iot/hub/test_az_iot_hub_client_methods.c: request id "2", status 200 and UINT16_MAX.
            Assert.AreEqual("$iothub/methods/res/200/?$rid=2", HubTopics.MethodResponse(200, "2"));
            Assert.AreEqual("$iothub/methods/res/65535/?$rid=2", HubTopics.MethodResponse(65535, "2"));
            Assert.AreEqual("$iothub/methods/res/501/?$rid=a%2Fb", HubTopics.MethodResponse(501, "a/b"));
        }

        [TestMethod]
        public void Subscriptions_AreTheFourDeviceFilters()
        {
            string[] topics = HubTopics.Subscriptions("my_device");
            Assert.AreEqual(4, topics.Length);
            Assert.AreEqual("devices/my_device/messages/devicebound/#", topics[0]);
            Assert.AreEqual("$iothub/methods/POST/#", topics[1]);
            Assert.AreEqual("$iothub/twin/res/#", topics[2]);
            Assert.AreEqual("$iothub/twin/PATCH/properties/desired/#", topics[3]);
        }

        [TestMethod]
        public void Telemetry_DefaultsToJsonSystemProperties()
        {
            Assert.AreEqual("devices/my_device/messages/events/$.ct=application%2Fjson&$.ce=utf-8", HubTopics.Telemetry("my_device"));
        }

        [TestMethod]
        public void Telemetry_AppendsComponentMessageIdAndUserProperties_Encoded()
        {
            PropertyBag user = new PropertyBag().Add("alert level", "high/1").Add("flag", null);
            Assert.AreEqual(
                "devices/dev1/messages/events/$.ct=application%2Fjson&$.ce=utf-8&$.sub=thermostat1&$.mid=42&alert%20level=high%2F1&flag",
                HubTopics.Telemetry("dev1", user, "thermostat1", "42"));
            Assert.AreEqual(
                "devices/dev1/messages/events/$.ct=application%2Fjson&$.ce=utf-8&k=v",
                HubTopics.Telemetry("dev1", new PropertyBag().Add("k", "v")));
            Assert.AreEqual("devices/dev1/messages/events/$.ct=application%2Fjson&$.ce=utf-8", HubTopics.Telemetry("dev1", new PropertyBag(), string.Empty, null));
        }

        [TestMethod]
        public void Username_WithModelIdAndClientType()
        {
            Assert.AreEqual("myhub.azure-devices.net/dev-1/?api-version=2021-04-12", HubTopics.Username("myhub.azure-devices.net", "dev-1", null, null));

            // The DTMI encoding as the Azure IoT C SDK logs it (upper-case hex): dtmi%3Acom%3Aexample%3AThermostat%3B1.
            Assert.AreEqual(
                "myhub.azure-devices.net/dev-1/?api-version=2021-04-12&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1",
                HubTopics.Username("myhub.azure-devices.net", "dev-1", "dtmi:com:example:Thermostat;1", string.Empty));
            Assert.AreEqual(
                "myhub.azure-devices.net/dev-1/?api-version=2021-04-12&model-id=dtmi%3Aa%3Ab%3B1&DeviceClientType=iotc%2F0.1%20%28nf%29",
                HubTopics.Username("myhub.azure-devices.net", "dev-1", "dtmi:a:b;1", "iotc/0.1 (nf)"));
        }

        [TestMethod]
        public void Builders_RejectBadArguments_ByName()
        {
            Assert.ThrowsException(typeof(ArgumentNullException), () => HubTopics.Telemetry(null));
            Assert.ThrowsException(typeof(ArgumentException), () => HubTopics.Telemetry(string.Empty));
            Assert.ThrowsException(typeof(ArgumentException), () => HubTopics.Telemetry("a/b"));
            Assert.ThrowsException(typeof(ArgumentException), () => HubTopics.Telemetry("a#"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => HubTopics.TwinGet(null));
            Assert.ThrowsException(typeof(ArgumentException), () => HubTopics.TwinPatchReported(string.Empty));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => HubTopics.MethodResponse(-1, "1"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => HubTopics.Username(null, "d", null, null));
            Assert.ThrowsException(typeof(ArgumentException), () => HubTopics.Username("h/x", "d", null, null));
            try
            {
                HubTopics.CloudToDeviceSubscription("bad device");
                Assert.IsTrue(false, "expected ArgumentException");
            }
            catch (ArgumentException ex)
            {
                Assert.AreEqual("deviceId", ex.ParamName);
            }
        }
    }
}
