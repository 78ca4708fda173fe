// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Json
{
    [TestClass]
    public class JsonValueTests
    {
        [TestMethod]
        public void Parse_ObjectMembersInDocumentOrder_WithRawText()
        {
            JsonValue root = JsonValue.Parse(" { \"b\" : 1 , \"a\" : {\"x\": [1, 2]}, \"c\":\"on\" } ");
            Assert.AreEqual((int)JsonValueKind.Object, (int)root.Kind);
            Assert.AreEqual(3, root.Count);
            Assert.AreEqual("b", root.GetName(0));
            Assert.AreEqual("a", root.GetName(1));
            Assert.AreEqual("c", root.GetName(2));
            Assert.AreEqual("1", root.GetValue(0).RawText);
            Assert.AreEqual("{\"x\": [1, 2]}", root.GetMember("a").RawText);
            Assert.AreEqual("\"on\"", root.GetMember("c").RawText);
            Assert.AreEqual("on", root.GetMember("c").GetString());
            Assert.AreEqual("{ \"b\" : 1 , \"a\" : {\"x\": [1, 2]}, \"c\":\"on\" }", root.RawText);
            Assert.AreEqual(1, root.Position);
        }

        [TestMethod]
        public void GetMember_IsOrdinal_AndLastDuplicateWins()
        {
            JsonValue root = JsonValue.Parse("{\"k\":1,\"K\":2,\"k\":3}");
            Assert.AreEqual(3, root.Count);
            Assert.AreEqual(3L, root.GetMember("k").GetInt64(0));
            Assert.AreEqual(2L, root.GetMember("K").GetInt64(0));
            Assert.IsNull(root.GetMember("missing"));
            Assert.IsNull(JsonValue.Parse("[1]").GetMember("k"));
        }

        [TestMethod]
        public void GetMember_MatchesEscapedNames()
        {
            JsonValue root = JsonValue.Parse("{\"a\\u0062c\":true,\"tab\\t\":false}");
            Assert.IsTrue(root.GetMember("abc").GetBoolean(false));
            Assert.IsFalse(root.GetMember("tab\t").GetBoolean(true));
            Assert.AreEqual("abc", root.GetName(0));
        }

        [TestMethod]
        public void Arrays_AndLiterals()
        {
            JsonValue root = JsonValue.Parse("[true,false,null,[],{},\"\"]");
            Assert.AreEqual(6, root.Count);
            Assert.AreEqual((int)JsonValueKind.True, (int)root.GetItem(0).Kind);
            Assert.AreEqual((int)JsonValueKind.False, (int)root.GetItem(1).Kind);
            Assert.IsTrue(root.GetItem(2).IsNull);
            Assert.AreEqual(0, root.GetItem(3).Count);
            Assert.AreEqual((int)JsonValueKind.Object, (int)root.GetItem(4).Kind);
            Assert.AreEqual(string.Empty, root.GetItem(5).GetString());
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => root.GetItem(6));
            Assert.ThrowsException(typeof(InvalidOperationException), () => root.GetName(0));
        }

        [TestMethod]
        public void Strings_DecodeEveryEscape()
        {
            JsonValue value = JsonValue.Parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t u\\u00e9\\u20AC\"");
            Assert.AreEqual("q\" b\\ s/ \b\f\n\r\t u\u00E9\u20AC", value.GetString());
        }

        [TestMethod]
        public void Strings_DecodeSurrogatePairs_EscapedAndRaw()
        {
            // U+1F600 GRINNING FACE as an escaped pair (RFC 8259 section 7 example form) and as raw UTF-16.
            Assert.AreEqual("\uD83D\uDE00", JsonValue.Parse("\"\\uD83D\\uDE00\"").GetString());
            Assert.AreEqual("x\uD834\uDD1Ey", JsonValue.Parse("\"x\\ud834\\udd1ey\"").GetString());
            Assert.AreEqual("\uD83D\uDE00", JsonValue.Parse("\"\uD83D\uDE00\"").GetString());
            Assert.AreEqual("caf\u00E9 \u4E2D", JsonValue.Parse("\"caf\u00E9 \u4E2D\"").GetString());
        }

        [TestMethod]
        public void TypedGetters_ReturnDefaultsOnWrongType()
        {
            JsonValue root = JsonValue.Parse("{\"s\":\"5\",\"n\":5,\"b\":true,\"o\":{}}");
            Assert.AreEqual(-1L, root.GetMember("s").GetInt64(-1));
            Assert.AreEqual("dflt", root.GetMember("n").GetString("dflt"));
            Assert.IsNull(root.GetMember("n").GetString());
            Assert.IsTrue(root.GetMember("s").GetBoolean(true));
            Assert.AreEqual(7, root.GetMember("o").GetInt32(7));
            Assert.AreEqual(1.5, root.GetMember("b").GetDouble(1.5));
            Assert.AreEqual("5", root.GetMemberString("s", null));
            Assert.AreEqual(5L, root.GetMemberInt64("n", 0));
            Assert.AreEqual(9L, root.GetMemberInt64("s", 9));
            Assert.AreEqual("x", root.GetMemberString("absent", "x"));
            int i;
            Assert.IsFalse(root.GetMember("s").TryGetInt32(out i));
            Assert.AreEqual(0, i);
        }

        [TestMethod]
        public void Numbers_IntegersAndLimits()
        {
            Assert.AreEqual(0L, JsonValue.Parse("0").GetInt64(-1));
            Assert.AreEqual(-0L, JsonValue.Parse("-0").GetInt64(-1));
            Assert.AreEqual(-42L, JsonValue.Parse("-42").GetInt64(0));
            Assert.AreEqual(long.MaxValue, JsonValue.Parse("9223372036854775807").GetInt64(0));
            Assert.AreEqual(long.MinValue, JsonValue.Parse("-9223372036854775808").GetInt64(0));
            Assert.AreEqual(-1L, JsonValue.Parse("9223372036854775808").GetInt64(-1));
            Assert.AreEqual(-1L, JsonValue.Parse("-9223372036854775809").GetInt64(-1));
            Assert.AreEqual(int.MaxValue, JsonValue.Parse("2147483647").GetInt32(0));
            Assert.AreEqual(-5, JsonValue.Parse("2147483648").GetInt32(-5));
            Assert.AreEqual(int.MinValue, JsonValue.Parse("-2147483648").GetInt32(0));

            // Integer accessors only take integer text: fractions and exponents are refused, not truncated.
            Assert.AreEqual(-1L, JsonValue.Parse("1.0").GetInt64(-1));
            Assert.AreEqual(-1L, JsonValue.Parse("1e2").GetInt64(-1));
        }

        [TestMethod]
        public void Numbers_DoublesKeepTheirText()
        {
            Assert.AreEqual(25.5, JsonValue.Parse("25.5").GetDouble(0));
            Assert.AreEqual(-0.125, JsonValue.Parse("-0.125").GetDouble(0));
            Assert.AreEqual(1500.0, JsonValue.Parse("1.5e3").GetDouble(0));
            Assert.AreEqual(1500.0, JsonValue.Parse("1.5E+3").GetDouble(0));
            Assert.AreEqual(0.015, JsonValue.Parse("1.5e-2").GetDouble(0));
            Assert.AreEqual(42.0, JsonValue.Parse("42").GetDouble(0));
            Assert.AreEqual("1.50E+3", JsonValue.Parse("1.50E+3").RawText);

            // Beyond the double range: the text parses, the accessor refuses.
            JsonValue huge = JsonValue.Parse("1e400");
            double d;
            Assert.IsFalse(huge.TryGetDouble(out d));
            Assert.AreEqual("1e400", huge.RawText);
            Assert.AreEqual(-1L, JsonValue.Parse("123456789012345678901234567890").GetInt64(-1));
        }

        [TestMethod]
        public void Parse_AcceptsAnyScalarRoot_AndBom()
        {
            Assert.AreEqual("25", JsonValue.Parse(" 25 ").RawText);
            Assert.AreEqual("on", JsonValue.Parse("\"on\"").GetString());
            Assert.IsTrue(JsonValue.Parse("null").IsNull);
            Assert.AreEqual(1L, JsonValue.Parse("\uFEFF{\"a\":1}").GetMemberInt64("a", 0));
        }

        [TestMethod]
        [DataRow("")]
        [DataRow("   ")]
        [DataRow("{")]
        [DataRow("}")]
        [DataRow("[")]
        [DataRow("[1,]")]
        [DataRow("[,1]")]
        [DataRow("[1 2]")]
        [DataRow("{\"a\"}")]
        [DataRow("{\"a\":}")]
        [DataRow("{\"a\":1,}")]
        [DataRow("{a:1}")]
        [DataRow("{'a':1}")]
        [DataRow("{\"a\" 1}")]
        [DataRow("{\"a\":1 \"b\":2}")]
        [DataRow("{\"a\":1]")]
        [DataRow("[1}")]
        [DataRow("\"abc")]
        [DataRow("\"abc\\\"")]
        [DataRow("\"bad \\x escape\"")]
        [DataRow("\"bad \\u12 escape\"")]
        [DataRow("\"bad \\u12G4 escape\"")]
        [DataRow("\"trailing backslash\\")]
        [DataRow("\"tab\tinside\"")]
        [DataRow("\"newline\ninside\"")]
        [DataRow("\"lone \\uD800 high\"")]
        [DataRow("\"lone \\uDC00 low\"")]
        [DataRow("\"high then text \\uD83Dx\"")]
        [DataRow("\"high then high \\uD83D\\uD83D\"")]
        [DataRow("01")]
        [DataRow("-")]
        [DataRow("-a")]
        [DataRow("+1")]
        [DataRow(".5")]
        [DataRow("1.")]
        [DataRow("1.e5")]
        [DataRow("1e")]
        [DataRow("1e+")]
        [DataRow("0x10")]
        [DataRow("NaN")]
        [DataRow("Infinity")]
        [DataRow("tru")]
        [DataRow("truex")]
        [DataRow("nul")]
        [DataRow("True")]
        [DataRow("{} {}")]
        [DataRow("{}x")]
        [DataRow("1 2")]
        [DataRow("[1]]")]
        [DataRow("\"a\" \"b\"")]
        [DataRow("\u00A0{}")]
        [DataRow("[\"a\",\u000B1]")]
        public void Parse_RejectsMalformedInput(string json)
        {
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(json));
            JsonValue value;
            Assert.IsFalse(JsonValue.TryParse(json, out value));
            Assert.IsNull(value);
        }

        [TestMethod]
        public void EscapedNul_ParsesButIsNeverDecoded_WhichDeviceStringsCannotHold()
        {
            // The escape itself is plain ASCII, so this runs on the device too: "a\u0000b" must not be read as "a"
            // there. The document stays readable (one bad twin value must not hide the others); the string is not given out.
            JsonValue value = JsonValue.Parse("{\"a\\u0000\":1,\"b\":\"x\\u0000y\",\"c\":2}");
            Assert.IsNull(value.GetName(0));
            Assert.AreEqual("fallback", value.GetMember("b").GetString("fallback"));
            Assert.AreEqual("\"x\\u0000y\"", value.GetMember("b").RawText);
            Assert.AreEqual(2L, value.GetMember("c").GetInt64(0));
            Assert.AreEqual("\u0001", JsonValue.Parse("\"\\u0001\"").GetString());
        }

        [TestMethod]
        public void Parse_RejectsRawNul()
        {
            // Not [DataRow]s: on nanoFramework U+0000 ends any string (see SkipUnlessStringsHold).
            SkipUnlessStringsHold("a\u0000b", '\u0000');
            AssertRejected("\"nul\u0000inside\"");
            AssertRejected("{\"a\":1}\u0000");
        }

        [TestMethod]
        public void Parse_RejectsRawLoneSurrogates()
        {
            SkipUnlessStringsHold("a\uD800b", '\uD800');
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse("\"raw lone \uD800 high\""));
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse("\"raw lone \uDC00 low\""));
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse("\"ends high \uD83D\""));
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse("\"\uDE00\uD83D\""));
        }

        [TestMethod]
        public void Parse_DeepNesting_ThrowsJsonException_NotStackOverflow()
        {
            string deep = new string('[', 10000);
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(deep));
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(string.Concat(new string('[', 10000), new string(']', 10000))));
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(Repeat("{\"a\":", 5000)));
        }

        [TestMethod]
        public void Parse_DepthLimit_IsExact()
        {
            string ok = string.Concat(new string('[', 32), new string(']', 32));
            string tooDeep = string.Concat(new string('[', 33), new string(']', 33));
            Assert.AreEqual(32 * 2, JsonValue.Parse(ok).RawText.Length);
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(tooDeep));
            Assert.AreEqual(66, JsonValue.Parse(tooDeep, 33, 1000).RawText.Length);
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse("[[1]]", 1, 100));
        }

        [TestMethod]
        public void Parse_LengthLimit_AndArguments()
        {
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse("[1,2,3]", 32, 6));
            Assert.AreEqual(3, JsonValue.Parse("[1,2,3]", 32, 7).Count);
            Assert.ThrowsException(typeof(ArgumentNullException), () => JsonValue.Parse(null));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => JsonValue.Parse("1", 0, 10));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => JsonValue.Parse("1", JsonValue.MaxDepthLimit + 1, 10));
            JsonValue value;
            Assert.IsFalse(JsonValue.TryParse(null, out value));
        }

        [TestMethod]
        public void Parse_HugeNumberText_IsRefused()
        {
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(new string('9', 300)));
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(string.Concat("1e", new string('9', 300))));
        }

        [TestMethod]
        public void JsonException_CarriesThePosition()
        {
            try
            {
                JsonValue.Parse("{\"a\":1,\"b\":x}");
                Assert.IsTrue(false, "expected a JsonException");
            }
            catch (JsonException ex)
            {
                Assert.AreEqual(11, ex.Position);
                Assert.Contains("position 11", ex.Message);
            }
        }

        [TestMethod]
        public void TruncatedDocuments_AllThrowJsonException()
        {
            // Every proper prefix of a valid document is invalid (its root is an object): none may escape as another exception.
            string doc = "{\"desired\":{\"fan\":{\"__t\":\"c\",\"speed\":-1.5e+2},\"s\":\"\\u00e9\\uD83D\\uDE00\",\"a\":[true,false,null]},\"$version\":3}";
            Assert.AreEqual(3L, JsonValue.Parse(doc).GetMemberInt64("$version", 0));
            for (int i = 0; i < doc.Length; i++)
            {
                string prefix = doc.Substring(0, i);
                Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(prefix), prefix);
            }
        }

        [TestMethod]
        public void Validate_ChecksWithoutBuilding()
        {
            JsonValue.Validate("{\"a\":[1,2,{\"b\":null}]}");
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Validate("{\"a\":"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => JsonValue.Validate(null));
        }

        private static void AssertRejected(string json)
        {
            Assert.ThrowsException(typeof(JsonException), () => JsonValue.Parse(json));
            JsonValue value;
            Assert.IsFalse(JsonValue.TryParse(json, out value));
            Assert.IsNull(value);
        }

        // nanoFramework stores every string (literals, attribute arguments, heap strings) as NUL-terminated UTF-8:
        // U+0000 ends the string and a lone surrogate becomes U+FFFD, so such text can never reach the parser there.
        private static void SkipUnlessStringsHold(string probe, char special)
        {
            if (probe.Length != 3 || probe[1] != special)
            {
                Assert.SkipTest("this runtime cannot hold U+" + ((int)special).ToString("X4") + " in a string");
            }
        }

        private static string Repeat(string text, int count)
        {
            char[] chars = new char[text.Length * count];
            for (int i = 0; i < count; i++)
            {
                for (int j = 0; j < text.Length; j++)
                {
                    chars[(i * text.Length) + j] = text[j];
                }
            }

            return new string(chars);
        }
    }
}
