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

        [TestMethod]
        public void Messages_SayWhichRuleWasBroken()
        {
            // Validator 0 = device id, 1 = registration id, 2 = property name, 3 = payload size.
            Assert.Contains("1 to 128 characters", Message(0, new string('a', 129)));
            Assert.Contains("MQTT wildcards", Message(0, "a+b"));
            Assert.Contains("MQTT wildcards", Message(0, "a#b"));
            Assert.Contains("only contain ASCII letters", Message(0, "a b"));
            Assert.Contains("1 to 128 characters", Message(1, string.Empty));
            Assert.Contains("- . _ :", Message(1, "a@b"));
            Assert.Contains("cannot be empty", Message(2, string.Empty));
            Assert.Contains("control characters", Message(2, "a\u007Fb"));
            Assert.Contains("control characters", Message(2, "a\u009Fb"));
            Assert.Contains("1024 UTF-8 bytes", Message(2, new string('\u00E9', 513)));
            Assert.Contains("256 KB", Message(3, new string('a', 262145)));
            Validation.ValidatePropertyName("a\u00A0b", "name");
        }

        [TestMethod]
        public void IsHostName_AcceptsDnsNamesAndBracketedIpv6Literals()
        {
            string label63 = new string('a', 63);
            string name253 = label63 + "." + label63 + "." + label63 + "." + new string('b', 61);
            Assert.IsTrue(Validation.IsHostName("iotc-0000.azure-devices.net"));
            Assert.IsTrue(Validation.IsHostName("AZ-az-09"));
            Assert.IsTrue(Validation.IsHostName("x"));
            Assert.IsTrue(Validation.IsHostName("x." + label63));
            Assert.IsTrue(Validation.IsHostName(name253));
            Assert.IsTrue(Validation.IsHostName("[::1]"));
            Assert.IsTrue(Validation.IsHostName("[09af:AF::ffff:1.2.3.4]"));

            Assert.IsFalse(Validation.IsHostName(null));
            Assert.IsFalse(Validation.IsHostName(string.Empty));
            Assert.IsFalse(Validation.IsHostName(name253 + "b"));
            Assert.IsFalse(Validation.IsHostName("x." + label63 + "a"));
            Assert.IsFalse(Validation.IsHostName("a..b"));
            Assert.IsFalse(Validation.IsHostName(".a"));
            Assert.IsFalse(Validation.IsHostName("a."));
            Assert.IsFalse(Validation.IsHostName("-a.b"));
            Assert.IsFalse(Validation.IsHostName("a-.b"));
            Assert.IsFalse(Validation.IsHostName("a.-b"));
            Assert.IsFalse(Validation.IsHostName("a.b-"));
            Assert.IsFalse(Validation.IsHostName("a_b"));
            Assert.IsFalse(Validation.IsHostName("[]"));
            Assert.IsFalse(Validation.IsHostName("[g::1]"));
            Assert.IsFalse(Validation.IsHostName("[::1"));
        }

        private static string Message(int validator, string value)
        {
            try
            {
                if (validator == 0)
                {
                    Validation.ValidateDeviceId(value, "v");
                }
                else if (validator == 1)
                {
                    Validation.ValidateRegistrationId(value, "v");
                }
                else if (validator == 2)
                {
                    Validation.ValidatePropertyName(value, "v");
                }
                else
                {
                    Validation.ValidatePayloadSize(value, "v");
                }
            }
            catch (ArgumentException ex)
            {
                Assert.AreEqual("v", ex.ParamName);
                return ex.Message;
            }

            Assert.IsTrue(false, "expected an ArgumentException");
            return null;
        }
    }
}
