// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Json
{
    [TestClass]
    public class JsonWriterTests
    {
        [TestMethod]
        public void Writer_ProducesCompactJson_WithCommas()
        {
            JsonWriter w = new JsonWriter();
            w.BeginObject()
                .Name("s").String("x")
                .Name("n").Number(-12)
                .Name("d").Number(2.5)
                .Name("t").Bool(true)
                .Name("f").Bool(false)
                .Name("z").Null()
                .Name("a").BeginArray().Number(1).String("two").BeginObject().EndObject().BeginArray().EndArray().EndArray()
                .Name("r").RawValue("{\"a\": 1}")
                .EndObject();
            Assert.AreEqual("{\"s\":\"x\",\"n\":-12,\"d\":2.5,\"t\":true,\"f\":false,\"z\":null,\"a\":[1,\"two\",{},[]],\"r\":{\"a\": 1}}", w.ToString());
            Assert.AreEqual(0, w.Depth);
        }

        [TestMethod]
        public void Writer_EscapesStrings()
        {
            Assert.AreEqual("\"a\\\"b\\\\c/d\"", JsonWriter.Quote("a\"b\\c/d"));
            Assert.AreEqual("\"\\n\\r\\t\\b\\f\\u001f\\u001a\\u0001\"", JsonWriter.Quote("\n\r\t\b\f\u001F\u001A\u0001"));
            Assert.AreEqual("\"caf\u00E9 \u20AC \uD83D\uDE00\"", JsonWriter.Quote("caf\u00E9 \u20AC \uD83D\uDE00"));
            Assert.AreEqual("\"\u007F\"", JsonWriter.Quote("\u007F"));
        }

        [TestMethod]
        public void Writer_EscapesNulAndLoneSurrogates()
        {
            // Separate from Writer_EscapesStrings: nanoFramework keeps strings as NUL-terminated UTF-8, where U+0000 ends a
            // string and a lone surrogate becomes U+FFFD, so neither input can exist there.
            string nul = "a\u0000b";
            string lone = "a\uD800b";
            if (nul.Length != 3 || nul[1] != '\u0000' || lone.Length != 3 || lone[1] != '\uD800')
            {
                Assert.SkipTest("this runtime cannot hold U+0000 or a lone surrogate in a string");
            }

            Assert.AreEqual("\"\\n\\r\\t\\b\\f\\u0000\\u001f\\u0001\"", JsonWriter.Quote("\n\r\t\b\f\u0000\u001F\u0001"));
            Assert.AreEqual("\"x\\ud800y\\udc00\"", JsonWriter.Quote("x\uD800y\uDC00"));
        }

        [TestMethod]
        public void Writer_RoundTripsThroughTheReader()
        {
            // No U+0000: the writer escapes it, but the reader refuses \u0000 (device strings cannot hold it).
            string[] samples =
            {
                string.Empty, "plain", "quote \" backslash \\ slash /", "controls \u0001\u0008\u0009\u000A\u000C\u000D\u001F end",
                "unicode \u00E9\u00DF\u4E2D\u6587 \uD83D\uDE00 \uD834\uDD1E", "no handler for command 'x\"y'", "\u2028\u2029",
            };
            for (int i = 0; i < samples.Length; i++)
            {
                JsonWriter w = new JsonWriter();
                w.BeginObject().Name(samples[i]).String(samples[i]).EndObject();
                JsonValue parsed = JsonValue.Parse(w.ToString());
                Assert.AreEqual(samples[i], parsed.GetName(0));
                Assert.AreEqual(samples[i], parsed.GetValue(0).GetString());
            }
        }

        [TestMethod]
        public void Writer_NumbersRoundTrip()
        {
            JsonWriter w = new JsonWriter();
            w.BeginArray().Number(long.MinValue).Number(long.MaxValue).Number(0).Number(0.1).Number(-1234.5678).Number(1e300).EndArray();
            JsonValue parsed = JsonValue.Parse(w.ToString());
            Assert.AreEqual(long.MinValue, parsed.GetItem(0).GetInt64(0));
            Assert.AreEqual(long.MaxValue, parsed.GetItem(1).GetInt64(0));
            Assert.AreEqual("0", parsed.GetItem(2).RawText);
            Assert.AreEqual(0.1, parsed.GetItem(3).GetDouble(0));
            Assert.AreEqual(-1234.5678, parsed.GetItem(4).GetDouble(0));
            Assert.AreEqual(1e300, parsed.GetItem(5).GetDouble(0));
            Assert.ThrowsException(typeof(ArgumentException), () => new JsonWriter().Number(double.NaN));
            Assert.ThrowsException(typeof(ArgumentException), () => new JsonWriter().Number(double.PositiveInfinity));
        }

        [TestMethod]
        [DataRow(20.5, "20.5")]
        [DataRow(21.5, "21.5")]
        [DataRow(0.1, "0.1")]
        [DataRow(-3.0, "-3")]
        [DataRow(123456789.125, "123456789.125")]
        public void Writer_Doubles_AreWrittenShortAndExact(double value, string expected)
        {
            // nanoCLR's double.ToString() gives 20.499999999999998 for 20.5, which reads back as another number.
            Assert.AreEqual(expected, new JsonWriter().Number(value).ToString());
        }

        [TestMethod]
        public void Writer_Doubles_NeedingAll17Digits_StillRoundTrip()
        {
            double third = 1.0 / 3.0;
            Assert.AreEqual(third, JsonValue.Parse(new JsonWriter().Number(third).ToString()).GetDouble(0));
        }

        [TestMethod]
        public void Writer_RawValue_IsValidated()
        {
            Assert.AreEqual("[25,\"on\",null]", new JsonWriter().BeginArray().RawValue("25").RawValue("\"on\"").RawValue("null").EndArray().ToString());
            Assert.ThrowsException(typeof(JsonException), () => new JsonWriter().BeginArray().RawValue("1,2"));
            Assert.ThrowsException(typeof(JsonException), () => new JsonWriter().BeginArray().RawValue("{\"a\":"));
            Assert.ThrowsException(typeof(JsonException), () => new JsonWriter().BeginArray().RawValue(string.Empty));
            Assert.ThrowsException(typeof(ArgumentNullException), () => new JsonWriter().BeginArray().RawValue(null));
        }

        [TestMethod]
        public void Writer_RejectsMisuse()
        {
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().BeginObject().String("no name"));
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().BeginArray().Name("n"));
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().BeginObject().Name("a").Name("b"));
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().BeginObject().EndArray());
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().BeginArray().EndObject());
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().BeginObject().Name("a").EndObject());
            Assert.ThrowsException(typeof(InvalidOperationException), () => new JsonWriter().Number(1).Number(2));
            Assert.ThrowsException(typeof(ArgumentNullException), () => new JsonWriter().BeginObject().Name(null));
            Assert.ThrowsException(typeof(ArgumentNullException), () => new JsonWriter(null));
        }

        [TestMethod]
        public void Writer_DeepNesting_GrowsItsStack()
        {
            JsonWriter w = new JsonWriter();
            for (int i = 0; i < 40; i++)
            {
                w.BeginArray();
            }

            for (int i = 0; i < 40; i++)
            {
                w.EndArray();
            }

            Assert.AreEqual(string.Concat(new string('[', 40), new string(']', 40)), w.ToString());
        }

        [TestMethod]
        public void StringBuffer_AppendsAndGrows()
        {
            StringBuffer b = new StringBuffer(2);
            b.Append("ab").Append('c').Append(-7).Append(0).Append(long.MinValue).Append((string)null).Append("xyz", 1, 2);
            Assert.AreEqual("abc-70-9223372036854775808yz", b.ToString());
            Assert.AreEqual(28, b.Length);
            Assert.IsTrue(b.Capacity >= 28);
            Assert.AreEqual('c', b[2]);
            b.Clear();
            Assert.AreEqual(0, b.Length);
            Assert.AreEqual(string.Empty, b.ToString());
            b.Append(int.MaxValue).Append(' ').Append(int.MinValue);
            Assert.AreEqual("2147483647 -2147483648", b.ToString());
            Assert.AreEqual(string.Empty, new StringBuffer(0).ToString());
            Assert.AreEqual("x", new StringBuffer(0).Append('x').ToString());
        }

        [TestMethod]
        public void StringBuffer_RejectsBadArguments()
        {
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "capacity", null, () => new StringBuffer(-1));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "start", null, () => new StringBuffer().Append("abc", 2, 2));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "start", null, () => new StringBuffer().Append("abc", -1, 1));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "start", null, () => new StringBuffer().Append("abc", 0, -1));
            Throws.Exactly(typeof(ArgumentNullException), "value", null, () => new StringBuffer().Append(null, 0, 0));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "index", null, () => { char c = new StringBuffer().Append("a")[1]; });
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "index", null, () => { char c = new StringBuffer().Append("a")[-1]; });
        }

        [TestMethod]
        public void StringBuffer_AppendsWholeAndPartialRanges_AndIndexesFromZero()
        {
            StringBuffer b = new StringBuffer().Append("abc", 0, 3).Append("abc", 1, 2).Append("abc", 3, 0);
            Assert.AreEqual("abcbc", b.ToString());
            Assert.AreEqual('a', b[0]);
            Assert.AreEqual('c', b[4]);
        }

        [TestMethod]
        public void StringBuffer_GrowsOnlyWhenFull_ToDoubleOrTheFirstPowerOfTwoThatFits()
        {
            // The capacity is the device's memory: an exact fit does not grow; a small buffer grows to 16, a larger one
            // doubles (and doubles again until the text fits).
            Assert.AreEqual(4, new StringBuffer(4).Append("abcd").Capacity);
            Assert.AreEqual(16, new StringBuffer(2).Append("abc").Capacity);
            Assert.AreEqual(32, new StringBuffer(2).Append("0123456789abcdef0123456789abcdef").Capacity);
            Assert.AreEqual(22, new StringBuffer(11).Append("0123456789ab").Capacity);
            Assert.AreEqual(20, new StringBuffer(10).Append("0123456789a").Capacity);
        }
    }
}
