// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Security
{
    [TestClass]
    public class Sha256Tests
    {
        // Expected digests: the FIPS 180-2 / NIST CSRC example values for "", "abc", the 448-bit and 896-bit messages and
        // one million 'a' (also reproduced here with python3 hashlib.sha256(m).hexdigest() and coreutils sha256sum).
        private const string Abcdbcde = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
        private const string Abcdefgh = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu";
        private const string MillionA = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

        [TestMethod]
        public void Hash_EmptyMessage()
        {
            Assert.AreEqual("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TestData.Hex(Sha256.Hash(new byte[0])));
        }

        [TestMethod]
        public void Hash_Abc()
        {
            Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TestData.Hex(Sha256.Hash(Utf8.GetBytes("abc"))));
        }

        [TestMethod]
        public void Hash_448BitMessage()
        {
            Assert.AreEqual(448 / 8, Abcdbcde.Length);
            Assert.AreEqual("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1", TestData.Hex(Sha256.Hash(Utf8.GetBytes(Abcdbcde))));
        }

        [TestMethod]
        public void Hash_896BitMessage()
        {
            Assert.AreEqual(896 / 8, Abcdefgh.Length);
            Assert.AreEqual("cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1", TestData.Hex(Sha256.Hash(Utf8.GetBytes(Abcdefgh))));
        }

        // Lengths around the padding boundary: 55 bytes is the longest message whose padding fits in one block, 56..63 need
        // a second block, 64 is exactly one block, 65 spills one byte. Expected values from
        // python3 -c 'import hashlib; print(hashlib.sha256(b"a"*N).hexdigest())' for N = 55, 56, 63, 64, 65
        // (65 also checked with: head -c 65 /dev/zero | tr "\0" a | sha256sum).
        [TestMethod]
        [DataRow(55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318")]
        [DataRow(56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a")]
        [DataRow(63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34")]
        [DataRow(64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb")]
        [DataRow(65, "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0")]
        public void Hash_PaddingBoundaries(int length, string expected)
        {
            Assert.AreEqual(expected, TestData.Hex(Sha256.Hash(TestData.Fill((byte)'a', length))), "length " + length);

            // Same message one byte at a time, through the partial-block path.
            Sha256 sha = new Sha256();
            byte[] one = TestData.Fill((byte)'a', 1);
            for (int i = 0; i < length; i++)
            {
                sha.Update(one, 0, 1);
            }

            Assert.AreEqual(expected, TestData.Hex(sha.Final()), "byte-wise, length " + length);
        }

        [TestMethod]
        public void Streaming_OneMillionA_InEvenChunks()
        {
            // 1,000 x 1,000 bytes: never holds the whole message, so it also runs on a board.
            byte[] chunk = TestData.Fill((byte)'a', 1000);
            Sha256 sha = new Sha256();
            for (int i = 0; i < 1000; i++)
            {
                sha.Update(chunk);
            }

            Assert.AreEqual(MillionA, TestData.Hex(sha.Final()));
        }

        [TestMethod]
        public void Streaming_OneMillionA_InOddChunks()
        {
            // Chunk sizes cycle 1..131 so every buffer fill level and block-straddling split is exercised.
            byte[] buffer = TestData.Fill((byte)'a', 200);
            Sha256 sha = new Sha256();
            int remaining = 1000000;
            int size = 1;
            while (remaining > 0)
            {
                int n = size < remaining ? size : remaining;
                sha.Update(buffer, 200 - n, n);
                remaining -= n;
                size = (size % 131) + 1;
            }

            Assert.AreEqual(MillionA, TestData.Hex(sha.Final()));
        }

        [TestMethod]
        public void Streaming_EqualsOneShot_ForEverySplitPoint()
        {
            byte[] data = Utf8.GetBytes(Abcdefgh);
            string expected = TestData.Hex(Sha256.Hash(data));
            Sha256 sha = new Sha256();
            for (int split = 0; split <= data.Length; split++)
            {
                sha.Update(data, 0, split);
                sha.Update(data, split, data.Length - split);
                Assert.AreEqual(expected, TestData.Hex(sha.Final()), "split at " + split);
            }
        }

        [TestMethod]
        public void Streaming_OverAPartlyFilledBlock_ClearsItsLeftoverBytes()
        {
            // 1 + 120 bytes: the first block goes through the internal buffer, the last 57 bytes overwrite only its start,
            // so the padding must clear the first block's leftovers. python3 -c 'import hashlib; print(hashlib.sha256(b"a"*121).hexdigest())'
            byte[] data = TestData.Fill((byte)'a', 121);
            Sha256 sha = new Sha256();
            sha.Update(data, 0, 1);
            sha.Update(data, 1, 120);
            Assert.AreEqual("e9615320128cc7a3d6078e9af05603188e5ccbf0d07d8b735d3df5e8e0c1281f", TestData.Hex(sha.Final()));
        }

        [TestMethod]
        public void Final_ResetsForTheNextMessage()
        {
            Sha256 sha = new Sha256();
            sha.Update(Utf8.GetBytes("something else"));
            sha.Final();
            sha.Update(Utf8.GetBytes("abc"));
            Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TestData.Hex(sha.Final()));
        }

        [TestMethod]
        public void Reset_DiscardsPendingData()
        {
            Sha256 sha = new Sha256();
            sha.Update(TestData.Fill((byte)'a', 100));
            sha.Reset();
            sha.Update(Utf8.GetBytes("abc"));
            Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TestData.Hex(sha.Final()));
        }

        [TestMethod]
        public void Final_IntoBuffer_WritesAtOffset()
        {
            Sha256 sha = new Sha256();
            sha.Update(Utf8.GetBytes("abc"));
            byte[] output = new byte[40];
            sha.Final(output, 5);
            byte[] digest = new byte[32];
            Array.Copy(output, 5, digest, 0, 32);
            Assert.AreEqual("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", TestData.Hex(digest));
            Assert.AreEqual((byte)0, output[4]);
            Assert.AreEqual((byte)0, output[37]);
        }

        [TestMethod]
        public void BadArguments_NameTheParameter()
        {
            Sha256 sha = new Sha256();
            Throws.Exactly(typeof(ArgumentNullException), "data", null, () => Sha256.Hash(null));
            Throws.Exactly(typeof(ArgumentNullException), "data", null, () => sha.Update(null));
            Throws.Exactly(typeof(ArgumentNullException), "data", null, () => sha.Update(null, 0, 0));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => sha.Update(new byte[4], -1, 1));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => sha.Update(new byte[4], 5, 0));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "count", null, () => sha.Update(new byte[4], 2, 3));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "count", null, () => sha.Update(new byte[4], 0, -1));
            Throws.Exactly(typeof(ArgumentNullException), "output", null, () => sha.Final(null, 0));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "offset", null, () => sha.Final(new byte[40], 9));
        }
    }
}
