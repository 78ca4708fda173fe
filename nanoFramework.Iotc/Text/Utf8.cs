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

        /// <summary>Decodes UTF-8 bytes. Ill-formed input gives one U+FFFD per maximal subpart (Unicode 3.9, like .NET); a leading BOM is kept as U+FEFF.</summary>
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
                if (b < 0x80)
                {
                    chars[n++] = (char)b;
                    i++;
                    continue;
                }

                // Unicode Table 3-7: the lead byte fixes the length and the allowed range of the SECOND byte, which is
                // what rules out overlong forms (E0, F0), encoded surrogates (ED) and values above U+10FFFF (F4).
                int need;
                int cp;
                int lo = 0x80;
                int hi = 0xBF;
                if (b >= 0xC2 && b <= 0xDF)
                {
                    need = 1;
                    cp = b & 0x1F;
                }
                else if (b >= 0xE0 && b <= 0xEF)
                {
                    need = 2;
                    cp = b & 0x0F;
                    lo = b == 0xE0 ? 0xA0 : 0x80;
                    hi = b == 0xED ? 0x9F : 0xBF;
                }
                else if (b >= 0xF0 && b <= 0xF4)
                {
                    need = 3;
                    cp = b & 0x07;
                    lo = b == 0xF0 ? 0x90 : 0x80;
                    hi = b == 0xF4 ? 0x8F : 0xBF;
                }
                else
                {
                    // 80..C1 and F5..FF never start a well-formed sequence.
                    chars[n++] = '\uFFFD';
                    i++;
                    continue;
                }

                int j = 1;
                while (j <= need && i + j < end)
                {
                    int next = bytes[i + j];
                    if (next < lo || next > hi)
                    {
                        break;
                    }

                    cp = (cp << 6) | (next & 0x3F);
                    lo = 0x80;
                    hi = 0xBF;
                    j++;
                }

                if (j <= need)
                {
                    // Ill-formed: one U+FFFD per maximal subpart (Unicode 15 section 3.9, what .NET and the WHATWG
                    // decoder do); the byte that broke the sequence is decoded afresh.
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

                i += j;
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
