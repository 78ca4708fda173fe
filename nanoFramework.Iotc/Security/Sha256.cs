// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Security
{
    /// <summary>
    /// SHA-256 (FIPS 180-4, section 6.2) in managed code, so SAS signing works on every nanoFramework firmware image
    /// (the native <c>HMACSHA256</c> is not on all of them). Streaming (<see cref="Update(byte[], int, int)"/> then
    /// <see cref="Final()"/>) or one-shot (<see cref="Hash"/>). The block loop uses only the instance's fixed buffers.
    /// An instance is not thread-safe.
    /// </summary>
    internal sealed class Sha256
    {
        /// <summary>Size of a digest in bytes (32).</summary>
        public const int HashSize = 32;

        /// <summary>Size of a message block in bytes (64).</summary>
        public const int BlockSize = 64;

        // FIPS 180-4 section 4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes.
        private static readonly uint[] K =
        {
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
            0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
            0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
            0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
            0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
            0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
            0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
        };

        private readonly uint[] _state = new uint[8];
        private readonly uint[] _schedule = new uint[64];
        private readonly byte[] _block = new byte[BlockSize];
        private int _blockCount;

        // Message length in bytes. The bit length written into the padding is this times 8, modulo 2^64 as FIPS 180-4
        // allows messages up to 2^64 - 1 bits; a ulong keeps lengths beyond 2^32 bits (512 MiB) correct.
        private ulong _length;

        /// <summary>Creates a hash ready to take data.</summary>
        public Sha256()
        {
            Reset();
        }

        /// <summary>Computes the SHA-256 digest of <paramref name="data"/>.</summary>
        /// <param name="data">The message.</param>
        /// <returns>The 32-byte digest.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
        public static byte[] Hash(byte[] data)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }

            Sha256 sha = new Sha256();
            sha.Update(data, 0, data.Length);
            return sha.Final();
        }

        /// <summary>Discards any data taken so far and starts a new message.</summary>
        public void Reset()
        {
            // FIPS 180-4 section 5.3.3: initial hash value.
            _state[0] = 0x6a09e667;
            _state[1] = 0xbb67ae85;
            _state[2] = 0x3c6ef372;
            _state[3] = 0xa54ff53a;
            _state[4] = 0x510e527f;
            _state[5] = 0x9b05688c;
            _state[6] = 0x1f83d9ab;
            _state[7] = 0x5be0cd19;
            _blockCount = 0;
            _length = 0;

            // The buffers may hold key-derived data when used by HMAC; clearing them is cheap next to one block.
            Array.Clear(_block, 0, BlockSize);
            Array.Clear(_schedule, 0, 64);
        }

        /// <summary>Adds all of <paramref name="data"/> to the message.</summary>
        /// <param name="data">The bytes to add.</param>
        /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
        public void Update(byte[] data)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }

            Update(data, 0, data.Length);
        }

        /// <summary>Adds <paramref name="count"/> bytes of <paramref name="data"/>, starting at <paramref name="offset"/>, to the message.</summary>
        /// <param name="data">The buffer.</param>
        /// <param name="offset">Index of the first byte to add.</param>
        /// <param name="count">Number of bytes to add.</param>
        /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="offset"/> or <paramref name="count"/> lies outside <paramref name="data"/>.</exception>
        public void Update(byte[] data, int offset, int count)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }

            if (offset < 0 || offset > data.Length)
            {
                throw new ArgumentOutOfRangeException("offset");
            }

            if (count < 0 || count > data.Length - offset)
            {
                throw new ArgumentOutOfRangeException("count");
            }

            _length += (ulong)count;

            // Top up a partly filled block first.
            if (_blockCount > 0)
            {
                int take = BlockSize - _blockCount;
                if (take > count)
                {
                    take = count;
                }

                Array.Copy(data, offset, _block, _blockCount, take);
                _blockCount += take;
                offset += take;
                count -= take;
                if (_blockCount < BlockSize)
                {
                    return;
                }

                Compress(_block, 0);
                _blockCount = 0;
            }

            // Whole blocks straight from the caller's buffer, no copy.
            while (count >= BlockSize)
            {
                Compress(data, offset);
                offset += BlockSize;
                count -= BlockSize;
            }

            if (count > 0)
            {
                Array.Copy(data, offset, _block, 0, count);
                _blockCount = count;
            }
        }

        /// <summary>Finishes the message and returns its digest; the instance is then reset for a new message.</summary>
        /// <returns>The 32-byte digest.</returns>
        public byte[] Final()
        {
            byte[] digest = new byte[HashSize];
            Final(digest, 0);
            return digest;
        }

        /// <summary>
        /// Finishes the message and writes its digest into <paramref name="output"/> at <paramref name="offset"/>, without
        /// allocating; the instance is then reset for a new message.
        /// </summary>
        /// <param name="output">Receives the 32-byte digest.</param>
        /// <param name="offset">Where in <paramref name="output"/> the digest starts.</param>
        /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">Fewer than 32 bytes fit at <paramref name="offset"/>.</exception>
        public void Final(byte[] output, int offset)
        {
            if (output == null)
            {
                throw new ArgumentNullException("output");
            }

            if (offset < 0 || offset > output.Length - HashSize)
            {
                throw new ArgumentOutOfRangeException("offset");
            }

            ulong bitLength = _length << 3;

            // FIPS 180-4 section 5.1.1: a 1 bit, zeros up to 56 mod 64 bytes, then the 64-bit big-endian bit length.
            int n = _blockCount;
            _block[n++] = 0x80;
            if (n > 56)
            {
                Array.Clear(_block, n, BlockSize - n);
                Compress(_block, 0);
                n = 0;
            }

            Array.Clear(_block, n, 56 - n);
            for (int i = 0; i < 8; i++)
            {
                _block[63 - i] = (byte)(bitLength >> (8 * i));
            }

            Compress(_block, 0);

            for (int i = 0; i < 8; i++)
            {
                uint s = _state[i];
                int o = offset + (i * 4);
                output[o] = (byte)(s >> 24);
                output[o + 1] = (byte)(s >> 16);
                output[o + 2] = (byte)(s >> 8);
                output[o + 3] = (byte)s;
            }

            Reset();
        }

        // FIPS 180-4 section 6.2.2: one 64-byte block at data[offset].
        private void Compress(byte[] data, int offset)
        {
            uint[] w = _schedule;
            for (int t = 0; t < 16; t++)
            {
                int o = offset + (t * 4);
                w[t] = ((uint)data[o] << 24) | ((uint)data[o + 1] << 16) | ((uint)data[o + 2] << 8) | data[o + 3];
            }

            for (int t = 16; t < 64; t++)
            {
                uint x = w[t - 15];
                uint y = w[t - 2];
                uint s0 = ((x >> 7) | (x << 25)) ^ ((x >> 18) | (x << 14)) ^ (x >> 3);
                uint s1 = ((y >> 17) | (y << 15)) ^ ((y >> 19) | (y << 13)) ^ (y >> 10);
                w[t] = w[t - 16] + s0 + w[t - 7] + s1;
            }

            uint a = _state[0];
            uint b = _state[1];
            uint c = _state[2];
            uint d = _state[3];
            uint e = _state[4];
            uint f = _state[5];
            uint g = _state[6];
            uint h = _state[7];
            uint[] k = K;

            for (int t = 0; t < 64; t++)
            {
                uint bigSigma1 = ((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7));
                uint ch = (e & f) ^ (~e & g);
                uint t1 = h + bigSigma1 + ch + k[t] + w[t];
                uint bigSigma0 = ((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10));
                uint maj = (a & b) ^ (a & c) ^ (b & c);
                uint t2 = bigSigma0 + maj;
                h = g;
                g = f;
                f = e;
                e = d + t1;
                d = c;
                c = b;
                b = a;
                a = t1 + t2;
            }

            _state[0] += a;
            _state[1] += b;
            _state[2] += c;
            _state[3] += d;
            _state[4] += e;
            _state[5] += f;
            _state[6] += g;
            _state[7] += h;
        }
    }
}
