// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Text
{
    [TestClass]
    public class Utf8Tests
    {
        [TestMethod]
        public void Encode_OneToFourByteSequences_AtTheBoundaries()
        {
            // RFC 3629 section 3 table boundaries, plus U+20AC and U+1D11E from its examples' ranges.
            AssertBytes(new byte[] { 0x41, 0x7F }, Utf8.GetBytes("A\u007F"));
            AssertBytes(new byte[] { 0xC2, 0x80, 0xC3, 0xA9, 0xDF, 0xBF }, Utf8.GetBytes("\u0080\u00E9\u07FF"));
            AssertBytes(new byte[] { 0xE0, 0xA0, 0x80, 0xE2, 0x82, 0xAC, 0xEF, 0xBF, 0xBF }, Utf8.GetBytes("\u0800\u20AC\uFFFF"));
            AssertBytes(new byte[] { 0xF0, 0x90, 0x80, 0x80 }, Utf8.GetBytes("\uD800\uDC00"));
            AssertBytes(new byte[] { 0xF0, 0x9D, 0x84, 0x9E }, Utf8.GetBytes("\uD834\uDD1E"));
            AssertBytes(new byte[] { 0xF4, 0x8F, 0xBF, 0xBF }, Utf8.GetBytes("\uDBFF\uDFFF"));
            Assert.AreEqual(0, Utf8.GetBytes(string.Empty).Length);
        }

        [TestMethod]
        public void Decode_OneToFourByteSequences()
        {
            Assert.AreEqual("A\u007F", Utf8.GetString(new byte[] { 0x41, 0x7F }));
            Assert.AreEqual("\u0080\u00E9\u07FF", Utf8.GetString(new byte[] { 0xC2, 0x80, 0xC3, 0xA9, 0xDF, 0xBF }));
            Assert.AreEqual("\u0800\u20AC\uFFFF", Utf8.GetString(new byte[] { 0xE0, 0xA0, 0x80, 0xE2, 0x82, 0xAC, 0xEF, 0xBF, 0xBF }));
            Assert.AreEqual("\uD800\uDC00\uD834\uDD1E\uDBFF\uDFFF", Utf8.GetString(new byte[] { 0xF0, 0x90, 0x80, 0x80, 0xF0, 0x9D, 0x84, 0x9E, 0xF4, 0x8F, 0xBF, 0xBF }));
        }

        [TestMethod]
        public void GetByteCount_MatchesGetBytes()
        {
            string[] samples = { string.Empty, "ascii", "caf\u00E9", "\u20AC\u4E2D", "\uD83D\uDE00x", "lone \uD800 and \uDC00", "end \uD83D" };
            for (int i = 0; i < samples.Length; i++)
            {
                Assert.AreEqual(Utf8.GetBytes(samples[i]).Length, Utf8.GetByteCount(samples[i]), samples[i]);
            }
        }

        [TestMethod]
        public void RoundTrip_ValidText()
        {
            string text = "A\u00E9\u07FF\u0800\u20AC\uFFFD\uFFFF\uD83D\uDE00\uDBFF\uDFFF\u0000end";
            Assert.AreEqual(text, Utf8.GetString(Utf8.GetBytes(text)));
        }

        [TestMethod]
        public void Encode_LoneSurrogates_BecomeReplacementCharacter()
        {
            // nanoFramework keeps strings as UTF-8 and already stores a lone surrogate as U+FFFD, so Utf8 never sees one there.
            string lone = "a\uD800b";
            if (lone.Length != 3 || lone[1] != '\uD800')
            {
                Assert.SkipTest("this runtime cannot hold a lone surrogate in a string");
            }

            AssertBytes(new byte[] { 0x61, 0xEF, 0xBF, 0xBD, 0x62 }, Utf8.GetBytes("a\uD800b"));
            AssertBytes(new byte[] { 0xEF, 0xBF, 0xBD }, Utf8.GetBytes("\uDC00"));
            AssertBytes(new byte[] { 0x78, 0xEF, 0xBF, 0xBD }, Utf8.GetBytes("x\uD83D"));
        }

        [TestMethod]
        public void Encode_ARange_EndingInsideAPair_WritesTheHighHalfAsReplacement()
        {
            // Char arrays hold any UTF-16 unit on both runtimes. The pair U+1F600 cut after its high half, and U+DFFF
            // (the last low surrogate) alone: each is one U+FFFD.
            char[] chars = new char[] { '\uD83D', '\uDE00', '\uDFFF' };
            Assert.AreEqual(3, Utf8.GetByteCount(chars, 0, 1));
            Assert.AreEqual(4, Utf8.GetByteCount(chars, 0, 2));
            Assert.AreEqual(3, Utf8.GetByteCount(chars, 2, 3));
            byte[] bytes = new byte[6];
            Assert.AreEqual(3, Utf8.Encode(chars, 0, 1, bytes, 0));
            Assert.AreEqual(6, Utf8.Encode(chars, 2, 3, bytes, 3));
            AssertBytes(new byte[] { 0xEF, 0xBF, 0xBD, 0xEF, 0xBF, 0xBD }, bytes);
        }

        [TestMethod]
        public void Decode_TruncatedSequences_GiveOneReplacementEach()
        {
            // A truncated but otherwise valid prefix is one maximal subpart: one U+FFFD (Unicode 15, section 3.9, U+FFFD substitution).
            Assert.AreEqual("a\uFFFD", Utf8.GetString(new byte[] { 0x61, 0xC3 }));
            Assert.AreEqual("\uFFFD", Utf8.GetString(new byte[] { 0xE2, 0x82 }));
            Assert.AreEqual("\uFFFD", Utf8.GetString(new byte[] { 0xF0, 0x9F, 0x98 }));
            Assert.AreEqual("\uFFFDA", Utf8.GetString(new byte[] { 0xE2, 0x82, 0x41 }));
            Assert.AreEqual("\uFFFDA\uFFFD", Utf8.GetString(new byte[] { 0xF0, 0x9F, 0x41, 0xC3 }));
        }

        [TestMethod]
        public void Decode_InvalidBytes_BecomeReplacementCharacters()
        {
            Assert.AreEqual("\uFFFD", Utf8.GetString(new byte[] { 0x80 }));
            Assert.AreEqual("a\uFFFDb", Utf8.GetString(new byte[] { 0x61, 0xFF, 0x62 }));
            Assert.AreEqual("\uFFFD\uFFFD", Utf8.GetString(new byte[] { 0xBF, 0xFE }));
            Assert.AreEqual("\uFFFD\u00E9", Utf8.GetString(new byte[] { 0xA9, 0xC3, 0xA9 }));
        }

        [TestMethod]
        public void Decode_OverlongSurrogateAndOutOfRange_NeverYieldTheForbiddenCharacter()
        {
            // Overlong "/" (C0 AF, E0 80 AF), an encoded surrogate (ED A0 80) and U+110000 (F4 90 80 80) must not decode
            // to '/', a lone surrogate or a character beyond U+10FFFF; only U+FFFD may come out, and the next ASCII survives.
            byte[][] cases =
            {
                new byte[] { 0xC0, 0xAF, 0x41 },
                new byte[] { 0xE0, 0x80, 0xAF, 0x41 },
                new byte[] { 0xED, 0xA0, 0x80, 0x41 },
                new byte[] { 0xF4, 0x90, 0x80, 0x80, 0x41 },
                new byte[] { 0xF8, 0x88, 0x80, 0x80, 0x80, 0x41 },
            };
            for (int c = 0; c < cases.Length; c++)
            {
                string s = Utf8.GetString(cases[c]);
                Assert.IsTrue(s.Length >= 2, "at least one U+FFFD then 'A'");
                Assert.AreEqual('A', s[s.Length - 1]);
                for (int i = 0; i < s.Length - 1; i++)
                {
                    Assert.AreEqual('\uFFFD', s[i]);
                }
            }
        }

        [TestMethod]
        public void Decode_IllFormed_GivesOneReplacementPerMaximalSubpart()
        {
            // Unicode 15, section 3.9 (U+FFFD substitution of maximal subparts), Table 3-8 and Tables 3-9 to 3-11;
            // .NET's Encoding.UTF8 and the WHATWG decoder give the same output.
            Assert.AreEqual("a\uFFFD\uFFFD\uFFFDb\uFFFDc\uFFFD\uFFFDd", Utf8.GetString(Hex("61 F1 80 80 E1 80 C2 62 80 63 80 BF 64")), "Table 3-8");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA", Utf8.GetString(Hex("C0 AF E0 80 BF F0 81 82 41")), "Table 3-9 (overlong)");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA", Utf8.GetString(Hex("ED A0 80 ED BF BF ED AF 41")), "Table 3-10 (surrogates)");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA\uFFFD\uFFFDB", Utf8.GetString(Hex("F4 91 92 93 FF 41 80 BF 42")), "Table 3-11 (beyond U+10FFFF; F5..FF)");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFDA", Utf8.GetString(Hex("E1 80 E2 F0 91 92 F1 BF 41")), "Table 3-11 (truncated)");

            Assert.AreEqual("\uFFFD\uFFFDA", Utf8.GetString(Hex("C0 AF 41")), "C0/C1 are never lead bytes");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFDA", Utf8.GetString(Hex("E0 80 AF 41")));
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD", Utf8.GetString(Hex("E0 9F BF")), "overlong 3-byte form");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFD", Utf8.GetString(Hex("F0 8F BF BF")), "overlong 4-byte form");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFDA", Utf8.GetString(Hex("F4 90 80 80 41")), "U+110000");
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFD", Utf8.GetString(Hex("F5 80 80 80")));
            Assert.AreEqual("\uFFFD\uFFFD\uFFFD\uFFFD\uFFFDA", Utf8.GetString(Hex("F8 88 80 80 80 41")));
            Assert.AreEqual("\uFFFDAB", Utf8.GetString(Hex("C2 41 42")), "the byte that breaks a sequence is decoded afresh");
            Assert.AreEqual("\uFFFD", Utf8.GetString(Hex("EE 80")), "a truncated prefix is one subpart");
            Assert.AreEqual("\uFFFD", Utf8.GetString(Hex("F0 90 80")));
        }

        [TestMethod]
        public void Decode_TheEdgesOfEachRange_AreWellFormed()
        {
            Assert.AreEqual("\u0080", Utf8.GetString(Hex("C2 80")));
            Assert.AreEqual("\u0800", Utf8.GetString(Hex("E0 A0 80")));
            Assert.AreEqual("\uD7FF", Utf8.GetString(Hex("ED 9F BF")), "last code point before the surrogates");
            Assert.AreEqual("\uE000", Utf8.GetString(Hex("EE 80 80")), "first code point after them");
            Assert.AreEqual("\uD800\uDC00", Utf8.GetString(Hex("F0 90 80 80")));
            Assert.AreEqual("\uDBFF\uDFFF", Utf8.GetString(Hex("F4 8F BF BF")), "U+10FFFF");
        }

        private static byte[] Hex(string spaced)
        {
            string[] parts = spaced.Split(' ');
            byte[] bytes = new byte[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                bytes[i] = (byte)((Nibble(parts[i][0]) << 4) | Nibble(parts[i][1]));
            }

            return bytes;
        }

        // Hand-rolled: the device's Convert has no base-16 parse to rely on.
        private static int Nibble(char c)
        {
            return c <= '9' ? c - '0' : c - 'A' + 10;
        }

        [TestMethod]
        public void Decode_Range_AndBom()
        {
            byte[] bytes = { 0x78, 0xC3, 0xA9, 0x79 };
            Assert.AreEqual("\u00E9", Utf8.GetString(bytes, 1, 2));
            Assert.AreEqual(string.Empty, Utf8.GetString(bytes, 4, 0));
            Assert.AreEqual("\uFFFD", Utf8.GetString(bytes, 1, 1));
            Assert.AreEqual("\uFEFFa", Utf8.GetString(new byte[] { 0xEF, 0xBB, 0xBF, 0x61 }));
        }

        [TestMethod]
        public void Arguments_AreChecked()
        {
            Throws.Exactly(typeof(ArgumentNullException), "text", null, () => Utf8.GetBytes(null));
            Throws.Exactly(typeof(ArgumentNullException), "text", null, () => Utf8.GetByteCount(null));
            Throws.Exactly(typeof(ArgumentNullException), "bytes", null, () => Utf8.GetString(null));
            Throws.Exactly(typeof(ArgumentNullException), "bytes", null, () => Utf8.GetString(null, 0, 0));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => Utf8.GetString(new byte[2], 3, 0));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => Utf8.GetString(new byte[2], 1, 2));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => Utf8.GetString(new byte[2], -1, 1));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => Utf8.GetString(new byte[2], 0, -1));
        }

        private static void AssertBytes(byte[] expected, byte[] actual)
        {
            Assert.AreEqual(expected.Length, actual.Length, "length");
            for (int i = 0; i < expected.Length; i++)
            {
                Assert.AreEqual(expected[i], actual[i], "byte " + i.ToString());
            }
        }
    }
}
