// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Security
{
    [TestClass]
    public class HmacSha256Tests
    {
        // RFC 4231 section 4, test cases 1-7 (HMAC-SHA-256 lines). Each expected value was also reproduced with
        // python3 -c 'import hmac,hashlib; print(hmac.new(KEY, DATA, hashlib.sha256).hexdigest())'.
        [TestMethod]
        public void Rfc4231_Case1()
        {
            Check(TestData.Fill(0x0b, 20), Utf8.GetBytes("Hi There"), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
        }

        [TestMethod]
        public void Rfc4231_Case2_KeyShorterThanOutput()
        {
            Check(Utf8.GetBytes("Jefe"), Utf8.GetBytes("what do ya want for nothing?"), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
        }

        [TestMethod]
        public void Rfc4231_Case3_CombinedLengthOverOneBlock()
        {
            Check(TestData.Fill(0xaa, 20), TestData.Fill(0xdd, 50), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
        }

        [TestMethod]
        public void Rfc4231_Case4()
        {
            byte[] key = new byte[25];
            for (int i = 0; i < key.Length; i++)
            {
                key[i] = (byte)(i + 1);
            }

            Check(key, TestData.Fill(0xcd, 50), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
        }

        [TestMethod]
        public void Rfc4231_Case5_TruncatedTo128Bits()
        {
            byte[] mac = HmacSha256.Compute(TestData.Fill(0x0c, 20), Utf8.GetBytes("Test With Truncation"));
            byte[] truncated = new byte[16];
            Array.Copy(mac, 0, truncated, 0, 16);
            Assert.AreEqual("a3b6167473100ee06e0c796c2955552b", TestData.Hex(truncated));
        }

        [TestMethod]
        public void Rfc4231_Case6_KeyLargerThanBlock()
        {
            Check(TestData.Fill(0xaa, 131), Utf8.GetBytes("Test Using Larger Than Block-Size Key - Hash Key First"), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
        }

        [TestMethod]
        public void Rfc4231_Case7_KeyAndDataLargerThanBlock()
        {
            Check(
                TestData.Fill(0xaa, 131),
                Utf8.GetBytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm."),
                "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
        }

        // Key lengths around the block size (0, 63, 64 used as is; 65 hashed first). Key = bytes 0,1,2,..,n-1, data "abc";
        // expected from python3 -c 'import hmac,hashlib; print(hmac.new(bytes(range(N)), b"abc", hashlib.sha256).hexdigest())'.
        [TestMethod]
        [DataRow(0, "fd7adb152c05ef80dccf50a1fa4c05d5a3ec6da95575fc312ae7c5d091836351")]
        [DataRow(63, "d2bee6f325e7ec9e0e412319f6775134f43f4e16e168b7386de22a29c70a7b9d")]
        [DataRow(64, "6ab541b4869dca71c4ca11d8bb1b02533b789a557583161429292c7404bc21f6")]
        [DataRow(65, "dfbffee4671bad00ed5d1e1999d55ed3b0cc774ac357f9ebf649c1612414fcec")]
        public void KeyLengthsAroundTheBlockSize(int keyLength, string expected)
        {
            byte[] key = new byte[keyLength];
            for (int i = 0; i < keyLength; i++)
            {
                key[i] = (byte)i;
            }

            Check(key, Utf8.GetBytes("abc"), expected);
        }

        [TestMethod]
        public void Streaming_EqualsOneShot_ForEverySplitPoint()
        {
            byte[] key = TestData.Fill(0xaa, 131);
            byte[] data = Utf8.GetBytes("This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.");
            string expected = TestData.Hex(HmacSha256.Compute(key, data));
            HmacSha256 hmac = new HmacSha256(key);
            for (int split = 0; split <= data.Length; split++)
            {
                hmac.Update(data, 0, split);
                hmac.Update(data, split, data.Length - split);
                Assert.AreEqual(expected, TestData.Hex(hmac.Final()), "split at " + split);
            }

            hmac.Dispose();
        }

        [TestMethod]
        public void FinalAndReset_StartANewMessageUnderTheSameKey()
        {
            HmacSha256 hmac = new HmacSha256(Utf8.GetBytes("Jefe"));
            hmac.Update(Utf8.GetBytes("discarded"));
            hmac.Reset();
            hmac.Update(Utf8.GetBytes("what do ya want for nothing?"));
            Assert.AreEqual("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", TestData.Hex(hmac.Final()));

            hmac.Update(Utf8.GetBytes("what do ya want "));
            hmac.Update(Utf8.GetBytes("for nothing?"));
            byte[] output = new byte[34];
            hmac.Final(output, 2);
            byte[] mac = new byte[32];
            Array.Copy(output, 2, mac, 0, 32);
            Assert.AreEqual("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", TestData.Hex(mac));
            hmac.Dispose();
        }

        [TestMethod]
        public void Dispose_MakesFurtherUseFail()
        {
            HmacSha256 hmac = new HmacSha256(Utf8.GetBytes("Jefe"));
            hmac.Dispose();
            hmac.Dispose();
            Assert.ThrowsException(typeof(ObjectDisposedException), () => hmac.Update(new byte[1]));
            Assert.ThrowsException(typeof(ObjectDisposedException), () => hmac.Final());
            Assert.ThrowsException(typeof(ObjectDisposedException), () => hmac.Reset());
        }

        [TestMethod]
        public void Final_RefusesAnOffsetThatDoesNotFit_AndKeepsTheMessage()
        {
            // RFC 4231 case 2, the message given in two parts around two refused Final calls.
            HmacSha256 hmac = new HmacSha256(Utf8.GetBytes("Jefe"));
            hmac.Update(Utf8.GetBytes("what do ya want "));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => hmac.Final(new byte[40], 9));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => hmac.Final(new byte[40], -1));
            hmac.Update(Utf8.GetBytes("for nothing?"));
            byte[] output = new byte[40];
            hmac.Final(output, 8);
            byte[] mac = new byte[32];
            Array.Copy(output, 8, mac, 0, 32);
            Assert.AreEqual("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", TestData.Hex(mac));
            hmac.Dispose();
        }

        [TestMethod]
        public void Constructor_DoesNotKeepTheCallersKeyArray()
        {
            byte[] key = Utf8.GetBytes("Jefe");
            HmacSha256 hmac = new HmacSha256(key);
            key[0] = (byte)'X';
            hmac.Update(Utf8.GetBytes("what do ya want for nothing?"));
            Assert.AreEqual("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", TestData.Hex(hmac.Final()));
        }

        [TestMethod]
        public void BadArguments_NameTheParameter()
        {
            HmacSha256 hmac = new HmacSha256(new byte[1]);
            Throws.Exactly(typeof(ArgumentNullException), "key", null, () => new HmacSha256(null));
            Throws.Exactly(typeof(ArgumentNullException), "key", null, () => HmacSha256.Compute(null, new byte[0]));
            Throws.Exactly(typeof(ArgumentNullException), "data", null, () => HmacSha256.Compute(new byte[0], null));
            Throws.Exactly(typeof(ArgumentNullException), "data", null, () => hmac.Update(null));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "count", null, () => hmac.Update(new byte[3], 1, 3));
            Throws.Exactly(typeof(ArgumentNullException), "output", null, () => hmac.Final(null, 0));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => hmac.Final(new byte[32], 1));
        }

        private static void Check(byte[] key, byte[] data, string expected)
        {
            Assert.AreEqual(expected, TestData.Hex(HmacSha256.Compute(key, data)), "one-shot");

            // Streamed one byte at a time through a fresh instance.
            HmacSha256 hmac = new HmacSha256(key);
            for (int i = 0; i < data.Length; i++)
            {
                hmac.Update(data, i, 1);
            }

            Assert.AreEqual(expected, TestData.Hex(hmac.Final()), "byte-wise");
            hmac.Dispose();
        }
    }
}
