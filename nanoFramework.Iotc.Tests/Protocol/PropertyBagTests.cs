// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class PropertyBagTests
    {
        [TestMethod]
        public void Encode_KeepsOrder_AndEncodesBothSides()
        {
            PropertyBag bag = new PropertyBag().Add("$.ct", "application/json").Add("$.ce", "utf-8").Add("k y", "v&=x").Add("bare", null);
            Assert.AreEqual(4, bag.Count);
            Assert.AreEqual("$.ct=application%2Fjson&$.ce=utf-8&k%20y=v%26%3Dx&bare", bag.Encode());
            Assert.AreEqual(string.Empty, new PropertyBag().Encode());
        }

        [TestMethod]
        public void Decode_RoundTripsEncode()
        {
            PropertyBag bag = new PropertyBag().Add("caf\u00E9", "\u20AC 5").Add("a", "b/c?d=e&f").Add("n", null).Add("empty", string.Empty);
            PropertyBag back = PropertyBag.Decode(bag.Encode());
            Assert.AreEqual(4, back.Count);
            for (int i = 0; i < 4; i++)
            {
                Assert.AreEqual(bag.GetName(i), back.GetName(i));
                Assert.AreEqual(bag.GetValue(i), back.GetValue(i));
            }
        }

        [TestMethod]
        public void Decode_SplitsOnFirstEquals_SkipsEmptySegments_FirstMatchWins()
        {
            PropertyBag bag = PropertyBag.Decode("&a=1=2&&b&=orphan&a=3&");
            Assert.AreEqual(3, bag.Count);
            Assert.AreEqual("1=2", bag.Get("a"));
            Assert.IsTrue(bag.Contains("b"));
            Assert.IsNull(bag.Get("b"));
            Assert.IsFalse(bag.Contains("missing"));
            Assert.AreEqual("3", bag.GetValue(2));
            Assert.AreEqual(0, PropertyBag.Decode(string.Empty).Count);
        }

        [TestMethod]
        public void Arguments_AreChecked()
        {
            Assert.ThrowsException(typeof(ArgumentNullException), () => new PropertyBag().Add(null, "v"));
            Assert.ThrowsException(typeof(ArgumentException), () => new PropertyBag().Add(string.Empty, "v"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => PropertyBag.Decode(null));
            Assert.ThrowsException(typeof(ArgumentNullException), () => new PropertyBag().Get(null));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => new PropertyBag().GetName(0));
        }
    }
}
