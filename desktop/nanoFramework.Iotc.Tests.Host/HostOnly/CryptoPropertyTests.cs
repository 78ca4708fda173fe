// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Host-only: compares the managed SHA-256/HMAC, UTF-8 and URL encoding with .NET's own implementations on
// pseudo-random inputs. Fixed seeds, so a failure reproduces; the failing input is printed in the message.

using System;
using System.Security.Cryptography;
using System.Text;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.HostOnly
{
    [TestClass]
    public class CryptoPropertyTests
    {
        [TestMethod]
        public void Sha256AndHmac_MatchDotNet_On1000RandomInputs()
        {
            Random random = new Random(20240917);
            Sha256 sha = new Sha256();
            for (int i = 0; i < 1000; i++)
            {
                byte[] data = new byte[random.Next(0, 301)];
                byte[] key = new byte[random.Next(0, 201)];
                random.NextBytes(data);
                random.NextBytes(key);
                string what = "case " + i + ": data " + Convert.ToHexString(data) + ", key length " + key.Length;

                Assert.AreEqual(Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(Sha256.Hash(data)), "SHA-256 " + what);
                string expectedMac = Convert.ToHexString(HMACSHA256.HashData(key, data));
                Assert.AreEqual(expectedMac, Convert.ToHexString(HmacSha256.Compute(key, data)), "HMAC " + what);

                // The same input streamed in random pieces through reused instances.
                using (HmacSha256 hmac = new HmacSha256(key))
                {
                    int offset = 0;
                    while (offset < data.Length)
                    {
                        int n = random.Next(0, Math.Min(data.Length - offset, 130) + 1);
                        sha.Update(data, offset, n);
                        hmac.Update(data, offset, n);
                        offset += n;
                    }

                    Assert.AreEqual(Convert.ToHexString(SHA256.HashData(data)), Convert.ToHexString(sha.Final()), "streamed SHA-256 " + what);
                    Assert.AreEqual(expectedMac, Convert.ToHexString(hmac.Final()), "streamed HMAC " + what);
                }
            }
        }

        [TestMethod]
        public void Sha256_MessageLongerThan2Pow32Bits_MatchesDotNet()
        {
            // 2^29 + 64 bytes = 2^32 + 512 bits: a 32-bit bit counter would wrap here. Streamed from a 1 MiB buffer (~10 s in a Debug build).
            byte[] chunk = new byte[1 << 20];
            new Random(7).NextBytes(chunk);
            Sha256 sha = new Sha256();
            using (IncrementalHash reference = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
            {
                for (int i = 0; i < 512; i++)
                {
                    sha.Update(chunk, 0, chunk.Length);
                    reference.AppendData(chunk, 0, chunk.Length);
                }

                sha.Update(chunk, 0, 64);
                reference.AppendData(chunk, 0, 64);
                Assert.AreEqual(Convert.ToHexString(reference.GetHashAndReset()), Convert.ToHexString(sha.Final()));
            }
        }

        [TestMethod]
        public void Utf8AndUrlEncoding_MatchDotNet_On200RandomStrings()
        {
            Random random = new Random(31337);
            for (int i = 0; i < 200; i++)
            {
                string text = RandomText(random, random.Next(0, 41), allowLoneSurrogates: false);
                string what = "case " + i + ": " + Escape(text);

                byte[] expected = Encoding.UTF8.GetBytes(text);
                Assert.AreEqual(Convert.ToHexString(expected), Convert.ToHexString(Utf8.GetBytes(text)), "Utf8.GetBytes " + what);
                Assert.AreEqual(expected.Length, Utf8.GetByteCount(text), "Utf8.GetByteCount " + what);
                Assert.AreEqual(text, Utf8.GetString(expected), "Utf8.GetString round trip " + what);

                // Both keep exactly the RFC 3986 unreserved set and write upper-case %XX of the UTF-8 bytes.
                Assert.AreEqual(Uri.EscapeDataString(text), UrlEncoding.Encode(text), "UrlEncoding.Encode " + what);
                Assert.AreEqual(text, UrlEncoding.Decode(UrlEncoding.Encode(text)), "UrlEncoding round trip " + what);
            }
        }

        [TestMethod]
        public void LoneSurrogates_BecomeReplacementCharacter_LikeDotNet()
        {
            Random random = new Random(4242);
            for (int i = 0; i < 100; i++)
            {
                string text = RandomText(random, random.Next(1, 21), allowLoneSurrogates: true);
                string what = "case " + i + ": " + Escape(text);
                Assert.AreEqual(Convert.ToHexString(Encoding.UTF8.GetBytes(text)), Convert.ToHexString(Utf8.GetBytes(text)), "Utf8.GetBytes " + what);
                Assert.AreEqual(Uri.EscapeDataString(text), UrlEncoding.Encode(text), "UrlEncoding.Encode " + what);
            }
        }

        // Mix of ASCII (incl. reserved and control characters), Latin-1, other BMP characters and surrogate pairs.
        private static string RandomText(Random random, int length, bool allowLoneSurrogates)
        {
            StringBuilder text = new StringBuilder();
            while (text.Length < length)
            {
                switch (random.Next(0, allowLoneSurrogates ? 6 : 5))
                {
                    case 0:
                    case 1:
                        text.Append((char)random.Next(0, 0x80));
                        break;
                    case 2:
                        text.Append((char)random.Next(0x80, 0x800));
                        break;
                    case 3:
                        int bmp = random.Next(0x800, 0x10000 - 0x800);
                        text.Append((char)(bmp >= 0xD800 ? bmp + 0x800 : bmp));
                        break;
                    case 4:
                        text.Append(char.ConvertFromUtf32(random.Next(0x10000, 0x110000)));
                        break;
                    default:
                        text.Append((char)random.Next(0xD800, 0xE000));
                        break;
                }
            }

            return text.ToString();
        }

        private static string Escape(string text)
        {
            StringBuilder escaped = new StringBuilder();
            foreach (char c in text)
            {
                escaped.Append(c >= 0x20 && c < 0x7F ? c.ToString() : "\\u" + ((int)c).ToString("X4"));
            }

            return escaped.ToString();
        }
    }
}
