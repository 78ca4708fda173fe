// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Security;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Security
{
    [TestClass]
    public class SasTokenTests
    {
        // The Microsoft Learn example key (iot-dps-https-sym-key-support); public, not a secret.
        private const string LearnKey = "18RQk/hOPJR9EbsJlk2j8WA6vWaj/yi+oaYg7zmxfQNdOyMSu+SJ8O7TSlZhDJCYmn4rzEiVKIzNiVAWjLxrGA==";

        // Test keys made up for these tests:
        // python3 -c 'import base64,hashlib; print(base64.b64encode(hashlib.sha256(b"nanoFramework.Iotc test device key").digest()).decode())'
        private const string DeviceKey = "fiJqRL6/1IxgSEDXLtx1G9LMSTPDLeSSOs7XWAjRksM=";

        // python3 -c 'import base64,hashlib; print(base64.b64encode(hashlib.sha512(b"nanoFramework.Iotc test group key").digest()).decode())'
        private const string GroupKey = "GJkUVdS3+uY0aCEF0CNWVJjK6jBLOuFaD4NAAApNUN0UXLGmDko5t/XH0fsj9ZCrj6VkjxhmdKnKSb38H5QYkQ==";

        [TestMethod]
        public void Build_ReproducesTheLearnExample()
        {
            // Expected value as published on Learn; reproduced independently with
            // python3 -c 'import base64,hmac,hashlib,urllib.parse as u; k=base64.b64decode("18RQk/hOPJR9EbsJlk2j8WA6vWaj/yi+oaYg7zmxfQNdOyMSu+SJ8O7TSlZhDJCYmn4rzEiVKIzNiVAWjLxrGA=="); sr=u.quote("MyExampleHub.azure-devices.net/devices/my-symkey-device",safe=""); se="1663119026"; sig=base64.b64encode(hmac.new(k,(sr+"\n"+se).encode(),hashlib.sha256).digest()).decode(); print("SharedAccessSignature sr="+sr+"&sig="+u.quote(sig,safe="")+"&se="+se)'
            const string Expected = "SharedAccessSignature sr=MyExampleHub.azure-devices.net%2Fdevices%2Fmy-symkey-device&sig=f%2BwW8XOKeJOtiPc9Iwjc4OpExvPM7NlhM9qxN2a1aAM%3D&se=1663119026";
            Assert.AreEqual(Expected, SasToken.Build("MyExampleHub.azure-devices.net/devices/my-symkey-device", LearnKey, 1663119026, null));
            Assert.AreEqual(Expected, SasToken.Build("MyExampleHub.azure-devices.net/devices/my-symkey-device", LearnKey, 1663119026, string.Empty));
            Assert.AreEqual(Expected, SasToken.ForHub("MyExampleHub.azure-devices.net", "my-symkey-device", LearnKey, 1663119026));
        }

        [TestMethod]
        public void Build_AppendsKeyName()
        {
            // python3 -c 'import base64,hmac,hashlib,urllib.parse as u; k=base64.b64decode("fiJqRL6/1IxgSEDXLtx1G9LMSTPDLeSSOs7XWAjRksM="); sr=u.quote("myhub.azure-devices.net",safe=""); se="1"; sig=base64.b64encode(hmac.new(k,(sr+"\n"+se).encode(),hashlib.sha256).digest()).decode(); print("SharedAccessSignature sr="+sr+"&sig="+u.quote(sig,safe="")+"&se="+se+"&skn=iothubowner")'
            Assert.AreEqual(
                "SharedAccessSignature sr=myhub.azure-devices.net&sig=KPw7I6XHO4Akkz%2FQFIA8JHQHTxFcr5N47JjiYp1co1A%3D&se=1&skn=iothubowner",
                SasToken.Build("myhub.azure-devices.net", DeviceKey, 1, "iothubowner"));
        }

        [TestMethod]
        public void ForDps_SignsScopeRegistrationsId_WithSknRegistration()
        {
            // python3 -c 'import base64,hmac,hashlib,urllib.parse as u; k=base64.b64decode("fiJqRL6/1IxgSEDXLtx1G9LMSTPDLeSSOs7XWAjRksM="); sr=u.quote("0ne00ABC123/registrations/thermostat-01",safe=""); se="1767225600"; sig=base64.b64encode(hmac.new(k,(sr+"\n"+se).encode(),hashlib.sha256).digest()).decode(); print("SharedAccessSignature sr="+sr+"&sig="+u.quote(sig,safe="")+"&se="+se+"&skn=registration")'
            Assert.AreEqual(
                "SharedAccessSignature sr=0ne00ABC123%2Fregistrations%2Fthermostat-01&sig=td9359VZ%2FeRuv68TVQiOWNOQJZAqAVG1DVNZXCIgIn0%3D&se=1767225600&skn=registration",
                SasToken.ForDps("0ne00ABC123", "thermostat-01", DeviceKey, 1767225600));
        }

        [TestMethod]
        public void ForHub_EncodesNonAsciiAndReservedCharactersInTheSignedResource()
        {
            // python3 -c 'import base64,hmac,hashlib,urllib.parse as u; k=base64.b64decode("fiJqRL6/1IxgSEDXLtx1G9LMSTPDLeSSOs7XWAjRksM="); sr=u.quote("iotc-0000.azure-devices.net/devices/caf\u00e9 #1",safe=""); se="1767225600"; sig=base64.b64encode(hmac.new(k,(sr+"\n"+se).encode(),hashlib.sha256).digest()).decode(); print("SharedAccessSignature sr="+sr+"&sig="+u.quote(sig,safe="")+"&se="+se)'
            Assert.AreEqual(
                "SharedAccessSignature sr=iotc-0000.azure-devices.net%2Fdevices%2Fcaf%C3%A9%20%231&sig=1CeI3eXYzwznbZzBT18edSmtqc5W0kPOSg0Fd3kEbOk%3D&se=1767225600",
                SasToken.ForHub("iotc-0000.azure-devices.net", "caf\u00E9 #1", DeviceKey, 1767225600));
        }

        [TestMethod]
        public void DeriveDeviceKey_MatchesIndependentComputation()
        {
            // python3 -c 'import base64,hmac,hashlib; print(base64.b64encode(hmac.new(base64.b64decode("GJkUVdS3+uY0aCEF0CNWVJjK6jBLOuFaD4NAAApNUN0UXLGmDko5t/XH0fsj9ZCrj6VkjxhmdKnKSb38H5QYkQ=="), "thermostat-01".encode(), hashlib.sha256).digest()).decode())'
            Assert.AreEqual("TBEufZT50beWG7rSCdQRHSsWazCvORVOLwOXt7+5jUM=", SasToken.DeriveDeviceKey(GroupKey, "thermostat-01"));
        }

        [TestMethod]
        public void DeriveDeviceKey_UsesTheRegistrationIdUnencoded()
        {
            // UTF-8 of the raw id, no URL encoding:
            // python3 -c 'import base64,hmac,hashlib; print(base64.b64encode(hmac.new(base64.b64decode("GJkUVdS3+uY0aCEF0CNWVJjK6jBLOuFaD4NAAApNUN0UXLGmDko5t/XH0fsj9ZCrj6VkjxhmdKnKSb38H5QYkQ=="), "caf\u00e9:dev.1".encode(), hashlib.sha256).digest()).decode())'
            Assert.AreEqual("88+F8yag5qFZ2/YQIEquyst2smnX4bKR6IwDX9CoZ8s=", SasToken.DeriveDeviceKey(GroupKey, "caf\u00E9:dev.1"));
        }

        [TestMethod]
        public void GroupEnrollment_DerivedKeySignsTheDpsToken()
        {
            // End to end at the largest accepted expiry:
            // python3 -c 'import base64,hmac,hashlib,urllib.parse as u; dk=hmac.new(base64.b64decode("GJkUVdS3+uY0aCEF0CNWVJjK6jBLOuFaD4NAAApNUN0UXLGmDko5t/XH0fsj9ZCrj6VkjxhmdKnKSb38H5QYkQ=="),b"thermostat-01",hashlib.sha256).digest(); sr=u.quote("0ne00ABC123/registrations/thermostat-01",safe=""); se="4102444800"; sig=base64.b64encode(hmac.new(dk,(sr+"\n"+se).encode(),hashlib.sha256).digest()).decode(); print("SharedAccessSignature sr="+sr+"&sig="+u.quote(sig,safe="")+"&se="+se+"&skn=registration")'
            string deviceKey = SasToken.DeriveDeviceKey(GroupKey, "thermostat-01");
            Assert.AreEqual(
                "SharedAccessSignature sr=0ne00ABC123%2Fregistrations%2Fthermostat-01&sig=ePt%2B%2Bf6xDmAy0XXKV1HbzdcXv2%2BI4%2Bbo2DmD%2BQ36rg4%3D&se=4102444800&skn=registration",
                SasToken.ForDps("0ne00ABC123", "thermostat-01", deviceKey, SasToken.MaxExpiry));
        }

        [TestMethod]
        public void DecodeKey_AcceptsAllPaddingForms()
        {
            // "AQID" / "AQI=" / "AQ==" are base64 of 01 02 03 / 01 02 / 01.
            CollectionAssert.AreEqual(new byte[] { 1, 2, 3 }, SasToken.DecodeKey("AQID", "k"));
            CollectionAssert.AreEqual(new byte[] { 1, 2 }, SasToken.DecodeKey("AQI=", "k"));
            CollectionAssert.AreEqual(new byte[] { 1 }, SasToken.DecodeKey("AQ==", "k"));
            Assert.AreEqual(64, SasToken.DecodeKey(LearnKey, "k").Length);
        }

        [TestMethod]
        [DataRow("not base64!")]
        [DataRow("abcde")]
        [DataRow("18RQk/hOPJR9EbsJlk2j8WA6vWaj/yi+oaYg7zmxfQNdOyMSu+SJ8O7TSlZhDJCYmn4rzEiVKIzNiVAWjLxrGA=")]
        [DataRow("Zm9v YmFy")]
        [DataRow("Zm9vYmFy\n")]
        [DataRow("Zm=vYmFy")]
        [DataRow("Zg===")]
        [DataRow("Zm9===")]
        [DataRow("====")]
        [DataRow("Zm9-YmF_")]
        [DataRow("Zm9v\u00E9mFy")]
        [DataRow("AQ!=")]
        public void InvalidBase64Keys_AreRejectedWithoutEchoingTheKey(string badKey)
        {
            Throws.Exactly(typeof(ArgumentException), "base64Key", badKey, () => SasToken.ForHub("h.azure-devices.net", "d", badKey, 1));
            Throws.Exactly(typeof(ArgumentException), "base64Key", badKey, () => SasToken.ForDps("0ne0", "d", badKey, 1));
            Throws.Exactly(typeof(ArgumentException), "base64Key", badKey, () => SasToken.Build("h/devices/d", badKey, 1, null));
            Throws.Exactly(typeof(ArgumentException), "base64GroupKey", badKey, () => SasToken.DeriveDeviceKey(badKey, "d"));
            Exception ex = Throws.Exactly(typeof(ArgumentException), "myKey", badKey, () => SasToken.DecodeKey(badKey, "myKey"));
            Assert.Contains("myKey is not valid base64", ex.Message);
        }

        [TestMethod]
        public void EmptyKey_IsRejected()
        {
            Throws.Exactly(typeof(ArgumentException), "base64Key", null, () => SasToken.ForHub("h", "d", string.Empty, 1));
            Throws.Exactly(typeof(ArgumentException), "base64GroupKey", null, () => SasToken.DeriveDeviceKey(string.Empty, "d"));
        }

        [TestMethod]
        public void NullArguments_AreRejectedByName()
        {
            Throws.Exactly(typeof(ArgumentNullException), "resourceUri", null, () => SasToken.Build(null, DeviceKey, 1, null));
            Throws.Exactly(typeof(ArgumentNullException), "base64Key", null, () => SasToken.Build("r", null, 1, null));
            Throws.Exactly(typeof(ArgumentNullException), "idScope", null, () => SasToken.ForDps(null, "d", DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentNullException), "registrationId", null, () => SasToken.ForDps("s", null, DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentNullException), "base64Key", null, () => SasToken.ForDps("s", "d", null, 1));
            Throws.Exactly(typeof(ArgumentNullException), "hubHostName", null, () => SasToken.ForHub(null, "d", DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentNullException), "deviceId", null, () => SasToken.ForHub("h", null, DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentNullException), "base64Key", null, () => SasToken.ForHub("h", "d", null, 1));
            Throws.Exactly(typeof(ArgumentNullException), "base64GroupKey", null, () => SasToken.DeriveDeviceKey(null, "d"));
            Throws.Exactly(typeof(ArgumentNullException), "registrationId", null, () => SasToken.DeriveDeviceKey(GroupKey, null));
        }

        [TestMethod]
        [DataRow("")]
        [DataRow(" ")]
        [DataRow("\t\r\n")]
        [DataRow("\u0085\u00A0\u1680\u2000\u200A\u2028\u2029\u202F\u205F\u3000")]
        public void EmptyOrBlankIdentifiers_AreRejectedByName(string blank)
        {
            Exception ex = Throws.Exactly(typeof(ArgumentException), "deviceId", DeviceKey, () => SasToken.ForHub("h", blank, DeviceKey, 1));
            Assert.Contains("deviceId must not be empty or blank", ex.Message);
            Throws.Exactly(typeof(ArgumentException), "resourceUri", DeviceKey, () => SasToken.Build(blank, DeviceKey, 1, null));
            Throws.Exactly(typeof(ArgumentException), "idScope", DeviceKey, () => SasToken.ForDps(blank, "d", DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentException), "registrationId", DeviceKey, () => SasToken.ForDps("s", blank, DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentException), "hubHostName", DeviceKey, () => SasToken.ForHub(blank, "d", DeviceKey, 1));
            Throws.Exactly(typeof(ArgumentException), "registrationId", GroupKey, () => SasToken.DeriveDeviceKey(GroupKey, blank));
        }

        [TestMethod]
        [DataRow(0L)]
        [DataRow(-1L)]
        [DataRow(4102444801L)]
        [DataRow(1663119026000L)]
        public void ExpiryOutOfRange_IsRejectedByName(long expiry)
        {
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "expiryUnixSeconds", DeviceKey, () => SasToken.Build("r", DeviceKey, expiry, null));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "expiry", DeviceKey, () => SasToken.ForDps("s", "d", DeviceKey, expiry));
            Exception ex = Throws.Exactly(typeof(ArgumentOutOfRangeException), "expiry", DeviceKey, () => SasToken.ForHub("h", "d", DeviceKey, expiry));
            Assert.Contains("expiry must be Unix seconds between 1 and 4102444800 (2100-01-01)", ex.Message);
        }
    }
}
