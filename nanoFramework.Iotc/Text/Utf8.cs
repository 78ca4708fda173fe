// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Text
{
    /// <summary>
    /// UTF-8 encoding and decoding without <c>System.Text.Encoding</c>, which the device's mscorlib does not have.
    /// </summary>
    public static class Utf8
    {
        /// <summary>Returns the number of bytes <see cref="GetBytes(string)"/> produces for <paramref name="text"/>.</summary>
        /// <param name="text">The text to measure.</param>
        /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
        public static int GetByteCount(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }

            int count = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c < 0x80)
                {
                    count += 1;
                }
                else if (c < 0x800)
                {
                    count += 2;
                }
                else if (IsHighSurrogate(c) && i + 1 < text.Length && IsLowSurrogate(text[i + 1]))
                {
                    count += 4;
                    i++;
                }
                else
                {
                    // BMP character, or a lone surrogate which is written as U+FFFD (3 bytes).
                    count += 3;
                }
            }

            return count;
        }

        /// <summary>Encodes <paramref name="text"/> as UTF-8. Lone surrogates become U+FFFD.</summary>
        /// <param name="text">The text to encode.</param>
        /// <returns>The UTF-8 bytes, without a byte-order mark.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
        public static byte[] GetBytes(string text)
        {
            byte[] bytes = new byte[GetByteCount(text)];
            int n = 0;
            for (int i = 0; i < text.Length; i++)
            {
                int cp = text[i];
                if (IsHighSurrogate((char)cp) && i + 1 < text.Length && IsLowSurrogate(text[i + 1]))
                {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (text[i + 1] - 0xDC00);
                    i++;
                }
                else if (cp >= 0xD800 && cp <= 0xDFFF)
                {
                    cp = 0xFFFD;
                }

                if (cp < 0x80)
                {
                    bytes[n++] = (byte)cp;
                }
                else if (cp < 0x800)
                {
                    bytes[n++] = (byte)(0xC0 | (cp >> 6));
                    bytes[n++] = (byte)(0x80 | (cp & 0x3F));
                }
                else if (cp < 0x10000)
                {
                    bytes[n++] = (byte)(0xE0 | (cp >> 12));
                    bytes[n++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                    bytes[n++] = (byte)(0x80 | (cp & 0x3F));
                }
                else
                {
                    bytes[n++] = (byte)(0xF0 | (cp >> 18));
                    bytes[n++] = (byte)(0x80 | ((cp >> 12) & 0x3F));
                    bytes[n++] = (byte)(0x80 | ((cp >> 6) & 0x3F));
                    bytes[n++] = (byte)(0x80 | (cp & 0x3F));
                }
            }

            return bytes;
        }

        /// <summary>Decodes UTF-8 bytes. Invalid or truncated sequences become U+FFFD; a leading BOM is kept as U+FEFF.</summary>
        /// <param name="bytes">The bytes to decode.</param>
        /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is null.</exception>
        public static string GetString(byte[] bytes)
        {
            if (bytes == null)
            {
                throw new ArgumentNullException("bytes");
            }

            return GetString(bytes, 0, bytes.Length);
        }

        /// <summary>Decodes <paramref name="count"/> UTF-8 bytes starting at <paramref name="offset"/>.</summary>
        /// <param name="bytes">The buffer.</param>
        /// <param name="offset">Index of the first byte to decode.</param>
        /// <param name="count">Number of bytes to decode.</param>
        /// <exception cref="ArgumentNullException"><paramref name="bytes"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The range lies outside <paramref name="bytes"/>.</exception>
        public static string GetString(byte[] bytes, int offset, int count)
        {
            if (bytes == null)
            {
                throw new ArgumentNullException("bytes");
            }

            if (offset < 0 || count < 0 || offset > bytes.Length - count)
            {
                throw new ArgumentOutOfRangeException("offset");
            }

            // Every byte yields at most one UTF-16 unit, except 4-byte sequences, which yield two units for four bytes.
            char[] chars = new char[count];
            int n = 0;
            int end = offset + count;
            int i = offset;
            while (i < end)
            {
                int b = bytes[i];
                int need;
                int cp;
                int min;
                if (b < 0x80)
                {
                    chars[n++] = (char)b;
                    i++;
                    continue;
                }
                else if ((b & 0xE0) == 0xC0)
                {
                    need = 1;
                    cp = b & 0x1F;
                    min = 0x80;
                }
                else if ((b & 0xF0) == 0xE0)
                {
                    need = 2;
                    cp = b & 0x0F;
                    min = 0x800;
                }
                else if ((b & 0xF8) == 0xF0)
                {
                    need = 3;
                    cp = b & 0x07;
                    min = 0x10000;
                }
                else
                {
                    chars[n++] = '\uFFFD';
                    i++;
                    continue;
                }

                int j = 1;
                while (j <= need && i + j < end && (bytes[i + j] & 0xC0) == 0x80)
                {
                    cp = (cp << 6) | (bytes[i + j] & 0x3F);
                    j++;
                }

                if (j <= need || cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                {
                    // Truncated, overlong or out-of-range sequence: one replacement char for the bytes consumed.
                    chars[n++] = '\uFFFD';
                    i += j;
                    continue;
                }

                if (cp >= 0x10000)
                {
                    cp -= 0x10000;
                    chars[n++] = (char)(0xD800 + (cp >> 10));
                    chars[n++] = (char)(0xDC00 + (cp & 0x3FF));
                }
                else
                {
                    chars[n++] = (char)cp;
                }

                i += need + 1;
            }

            return new string(chars, 0, n);
        }

        private static bool IsHighSurrogate(char c)
        {
            return c >= 0xD800 && c <= 0xDBFF;
        }

        private static bool IsLowSurrogate(char c)
        {
            return c >= 0xDC00 && c <= 0xDFFF;
        }
    }
}
