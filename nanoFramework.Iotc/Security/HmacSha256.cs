// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Security
{
    /// <summary>
    /// HMAC-SHA256 (RFC 2104 with <see cref="Sha256"/>; test cases in RFC 4231). Streaming (<see cref="Update(byte[], int, int)"/>
    /// then <see cref="Final()"/>, which starts the next message under the same key) or one-shot (<see cref="Compute"/>).
    /// Keys longer than the 64-byte block are hashed first, as RFC 2104 requires. <see cref="Dispose"/> clears the
    /// key-derived pads. An instance is not thread-safe.
    /// </summary>
    internal sealed class HmacSha256 : IDisposable
    {
        /// <summary>Size of a MAC in bytes (32).</summary>
        public const int HashSize = Sha256.HashSize;

        private const int BlockSize = Sha256.BlockSize;

        // One hash object serves the inner and then the outer hash, so an instance holds a single set of SHA-256 buffers.
        private readonly Sha256 _sha = new Sha256();
        private readonly byte[] _innerPad = new byte[BlockSize];
        private readonly byte[] _outerPad = new byte[BlockSize];
        private readonly byte[] _innerHash = new byte[HashSize];
        private bool _disposed;

        /// <summary>Creates a MAC for <paramref name="key"/>, ready to take data.</summary>
        /// <param name="key">The secret key, any length (an empty key is allowed by RFC 2104).</param>
        /// <exception cref="ArgumentNullException"><paramref name="key"/> is null.</exception>
        public HmacSha256(byte[] key)
        {
            if (key == null)
            {
                throw new ArgumentNullException("key");
            }

            byte[] k = key.Length > BlockSize ? Sha256.Hash(key) : key;
            for (int i = 0; i < k.Length; i++)
            {
                _innerPad[i] = (byte)(k[i] ^ 0x36);
                _outerPad[i] = (byte)(k[i] ^ 0x5c);
            }

            for (int i = k.Length; i < BlockSize; i++)
            {
                _innerPad[i] = 0x36;
                _outerPad[i] = 0x5c;
            }

            if (k != key)
            {
                Array.Clear(k, 0, k.Length);
            }

            Start();
        }

        /// <summary>Computes HMAC-SHA256 of <paramref name="data"/> under <paramref name="key"/>.</summary>
        /// <param name="key">The secret key, any length.</param>
        /// <param name="data">The message.</param>
        /// <returns>The 32-byte MAC.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="key"/> or <paramref name="data"/> is null.</exception>
        public static byte[] Compute(byte[] key, byte[] data)
        {
            if (key == null)
            {
                throw new ArgumentNullException("key");
            }

            if (data == null)
            {
                throw new ArgumentNullException("data");
            }

            HmacSha256 hmac = new HmacSha256(key);
            try
            {
                hmac.Update(data, 0, data.Length);
                return hmac.Final();
            }
            finally
            {
                hmac.Dispose();
            }
        }

        /// <summary>Discards any data taken so far and starts a new message under the same key.</summary>
        /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
        public void Reset()
        {
            ThrowIfDisposed();
            Start();
        }

        /// <summary>Adds all of <paramref name="data"/> to the message.</summary>
        /// <param name="data">The bytes to add.</param>
        /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
        /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
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
        /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
        public void Update(byte[] data, int offset, int count)
        {
            ThrowIfDisposed();
            _sha.Update(data, offset, count);
        }

        /// <summary>Finishes the message and returns its MAC; the instance then starts a new message under the same key.</summary>
        /// <returns>The 32-byte MAC.</returns>
        /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
        public byte[] Final()
        {
            byte[] mac = new byte[HashSize];
            Final(mac, 0);
            return mac;
        }

        /// <summary>
        /// Finishes the message and writes its MAC into <paramref name="output"/> at <paramref name="offset"/>, without
        /// allocating; the instance then starts a new message under the same key.
        /// </summary>
        /// <param name="output">Receives the 32-byte MAC.</param>
        /// <param name="offset">Where in <paramref name="output"/> the MAC starts.</param>
        /// <exception cref="ArgumentNullException"><paramref name="output"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">Fewer than 32 bytes fit at <paramref name="offset"/>.</exception>
        /// <exception cref="ObjectDisposedException">The instance was disposed.</exception>
        public void Final(byte[] output, int offset)
        {
            ThrowIfDisposed();
            if (output == null)
            {
                throw new ArgumentNullException("output");
            }

            if (offset < 0 || offset > output.Length - HashSize)
            {
                throw new ArgumentOutOfRangeException("offset");
            }

            // H(K ^ opad || H(K ^ ipad || message))
            _sha.Final(_innerHash, 0);
            _sha.Update(_outerPad, 0, BlockSize);
            _sha.Update(_innerHash, 0, HashSize);
            _sha.Final(output, offset);
            Array.Clear(_innerHash, 0, HashSize);
            Start();
        }

        /// <summary>Clears the key-derived pads and hash state; the instance cannot be used afterwards.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Array.Clear(_innerPad, 0, BlockSize);
            Array.Clear(_outerPad, 0, BlockSize);
            Array.Clear(_innerHash, 0, HashSize);
            _sha.Reset();
        }

        private void Start()
        {
            _sha.Reset();
            _sha.Update(_innerPad, 0, BlockSize);
        }

        private void ThrowIfDisposed()
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("HmacSha256");
            }
        }
    }
}
