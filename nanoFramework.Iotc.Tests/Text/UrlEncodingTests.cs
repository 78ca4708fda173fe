// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Text
{
    [TestClass]
    public class UrlEncodingTests
    {
        [TestMethod]
        public void Encode_KeepsUnreservedCharacters()
        {
            Assert.AreEqual("AZaz09-_.~", UrlEncoding.Encode("AZaz09-_.~"));
        }

        [TestMethod]
        public void Encode_EscapesReservedCharactersWithUpperCaseHex()
        {
            // The SAS resource of the Learn example (iot-dps-https-sym-key-support).
            Assert.AreEqual("MyExampleHub.azure-devices.net%2Fdevices%2Fmy-symkey-device", UrlEncoding.Encode("MyExampleHub.azure-devices.net/devices/my-symkey-device"));
            Assert.AreEqual("a%20b%2Bc%3D%26%3F%25", UrlEncoding.Encode("a b+c=&?%"));
            Assert.AreEqual("dtmi%3Acom%3Aexample%3AThermostat%3B1", UrlEncoding.Encode("dtmi:com:example:Thermostat;1"));
        }

        [TestMethod]
        public void Encode_EscapesEachUtf8Byte()
        {
            // U+00E9 is C3 A9 in UTF-8; U+1F600 is F0 9F 98 80.
            Assert.AreEqual("caf%C3%A9", UrlEncoding.Encode("caf\u00E9"));
            Assert.AreEqual("%F0%9F%98%80", UrlEncoding.Encode("\uD83D\uDE00"));
        }

        [TestMethod]
        public void Decode_ReversesEncode_AndAcceptsLowerCaseHex()
        {
            Assert.AreEqual("a b+c=&?%", UrlEncoding.Decode("a%20b%2Bc%3D%26%3F%25"));
            Assert.AreEqual("caf\u00E9", UrlEncoding.Decode("caf%c3%a9"));
            Assert.AreEqual("a+b", UrlEncoding.Decode("a+b"));
        }

        [TestMethod]
        public void Decode_KeepsBrokenEscapesLiterally()
        {
            Assert.AreEqual("100%", UrlEncoding.Decode("100%"));
            Assert.AreEqual("%zz%4", UrlEncoding.Decode("%zz%4"));
        }

        [TestMethod]
        public void NullArguments_AreRejectedByName()
        {
            Throws.Exactly(typeof(ArgumentNullException), "value", null, () => UrlEncoding.Encode(null));
            Throws.Exactly(typeof(ArgumentNullException), "value", null, () => UrlEncoding.Decode(null));
        }
    }
}
