// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Text
{
    /// <summary>
    /// UTF-8 encoding and decoding without <c>System.Text.Encoding</c>, which the device's mscorlib does not have.
    /// </summary>
    internal static class Utf8
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

            int length;
            char[] chars = Chars.Borrow(text, out length);
            return GetByteCount(chars, 0, length);
        }

        /// <summary>Encodes <paramref name="text"/> as UTF-8. Lone surrogates become U+FFFD.</summary>
        /// <param name="text">The text to encode.</param>
        /// <returns>The UTF-8 bytes, without a byte-order mark.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
        public static byte[] GetBytes(string text)
        {
            if (text == null)
            {
                throw new ArgumentNullException("text");
            }

            int length;
            char[] chars = Chars.Borrow(text, out length);
            byte[] bytes = new byte[GetByteCount(chars, 0, length)];
            Encode(chars, 0, length, bytes, 0);
            return bytes;
        }

        /// <summary>UTF-8 length of <paramref name="chars"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
        internal static int GetByteCount(char[] chars, int start, int end)
        {
            int count = 0;
            for (int i = start; i < end; i++)
            {
                char c = chars[i];
                if (c < 0x80)
                {
                    count += 1;
                }
                else if (c < 0x800)
                {
                    count += 2;
                }
                else if (Chars.IsPairAt(chars, i, end))
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

        /// <summary>Writes the UTF-8 form of <paramref name="chars"/>[<paramref name="start"/>..<paramref name="end"/>) at <paramref name="offset"/>; returns the end offset.</summary>
        internal static int Encode(char[] chars, int start, int end, byte[] bytes, int offset)
        {
            int n = offset;
            for (int i = start; i < end; i++)
            {
                int cp = chars[i];
                if (Chars.IsPairAt(chars, i, end))
                {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (chars[i + 1] - 0xDC00);
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

            return n;
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
            int n = Decode(bytes, offset, count, chars);
            return new string(chars, 0, n);
        }

        /// <summary>Decodes <paramref name="count"/> bytes into <paramref name="chars"/> (at least <paramref name="count"/> long); returns the number of units written.</summary>
        internal static int Decode(byte[] bytes, int offset, int count, char[] chars)
        {
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

            return n;
        }
    }
}
