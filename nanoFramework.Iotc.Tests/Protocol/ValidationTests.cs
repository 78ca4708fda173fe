// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class ValidationTests
    {
        [TestMethod]
        [DataRow("my_device")]
        [DataRow("a")]
        [DataRow("Dev-1.2%_*?!(),:=@$';")]
        public void DeviceId_Valid(string id)
        {
            Validation.ValidateDeviceId(id, "deviceId");
            Assert.IsTrue(Validation.IsValidDeviceId(id));
        }

        [TestMethod]
        [DataRow("")]
        [DataRow("has space")]
        [DataRow("slash/")]
        [DataRow("plus+")]
        [DataRow("hash#")]
        [DataRow("caf\u00E9")]
        [DataRow("tab\t")]
        public void DeviceId_Invalid(string id)
        {
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidateDeviceId(id, "deviceId"));
            Assert.IsFalse(Validation.IsValidDeviceId(id));
        }

        [TestMethod]
        public void DeviceId_LengthAndNull()
        {
            Validation.ValidateDeviceId(new string('a', 128), "deviceId");
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidateDeviceId(new string('a', 129), "deviceId"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => Validation.ValidateDeviceId(null, "deviceId"));
            Assert.IsFalse(Validation.IsValidDeviceId(null));
            try
            {
                Validation.ValidateDeviceId("bad id", "myParam");
                Assert.IsTrue(false, "expected ArgumentException");
            }
            catch (ArgumentException ex)
            {
                Assert.AreEqual("myParam", ex.ParamName);
            }
        }

        [TestMethod]
        public void RegistrationId_Rules()
        {
            Validation.ValidateRegistrationId("my-Reg_1.a:b", "registrationId");
            Validation.ValidateRegistrationId(new string('z', 128), "registrationId");
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidateRegistrationId(new string('z', 129), "registrationId"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidateRegistrationId("a@b", "registrationId"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidateRegistrationId(string.Empty, "registrationId"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => Validation.ValidateRegistrationId(null, "registrationId"));
        }

        [TestMethod]
        public void PropertyName_Rules()
        {
            Validation.ValidatePropertyName("targetTemperature", "name");
            Validation.ValidatePropertyName("caf\u00E9_1-x", "name");
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName(string.Empty, "name"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName("a.b", "name"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName("$version", "name"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName("a b", "name"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName("a\u0001", "name"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName("a\u0085", "name"));
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePropertyName(new string('\u00E9', 513), "name"));
            Validation.ValidatePropertyName(new string('\u00E9', 512), "name");
            Assert.ThrowsException(typeof(ArgumentNullException), () => Validation.ValidatePropertyName(null, "name"));
        }

        [TestMethod]
        public void PayloadSize_CountsUtf8Bytes()
        {
            Validation.ValidatePayloadSize(string.Empty, "payload");
            Validation.ValidatePayloadSize(new string('a', 262144), "payload");
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePayloadSize(new string('a', 262145), "payload"));

            // 87382 x U+00E9 = 174764 bytes: fine; 131073 x U+00E9 = 262146 bytes: too big although only 131073 chars.
            Validation.ValidatePayloadSize(new string('\u00E9', 87382), "payload");
            Assert.ThrowsException(typeof(ArgumentException), () => Validation.ValidatePayloadSize(new string('\u00E9', 131073), "payload"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => Validation.ValidatePayloadSize(null, "payload"));
        }
    }
}
