// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Text
{
    /// <summary>
    /// Percent-encoding as Azure IoT expects it (RFC 3986, as the Azure SDK for C does): unreserved characters
    /// <c>A-Z a-z 0-9 - _ . ~</c> stay, every other UTF-8 byte becomes <c>%XX</c> with upper-case hex.
    /// One encoder serves SAS <c>sr</c>/<c>sig</c>, <c>model-id</c> and message property bags.
    /// </summary>
    internal static class UrlEncoding
    {
        /// <summary>Percent-encodes <paramref name="value"/>.</summary>
        /// <param name="value">The text to encode.</param>
        /// <returns>The encoded text; an empty string stays empty.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
        public static string Encode(string value)
        {
            if (value == null)
            {
                throw new ArgumentNullException("value");
            }

            byte[] bytes = Utf8.GetBytes(value);
            int length = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                length += IsUnreserved(bytes[i]) ? 1 : 3;
            }

            if (length == bytes.Length)
            {
                return value;
            }

            char[] chars = new char[length];
            int n = 0;
            for (int i = 0; i < bytes.Length; i++)
            {
                byte b = bytes[i];
                if (IsUnreserved(b))
                {
                    chars[n++] = (char)b;
                }
                else
                {
                    chars[n++] = '%';
                    chars[n++] = Hex.Upper(b >> 4);
                    chars[n++] = Hex.Upper(b & 0x0F);
                }
            }

            return new string(chars);
        }

        /// <summary>
        /// Decodes <c>%XX</c> sequences (either hex case) and reads the result as UTF-8. A <c>%</c> not followed by two
        /// hex digits is kept literally; <c>+</c> is kept as <c>+</c> (IoT Hub encodes space as <c>%20</c>).
        /// </summary>
        /// <param name="value">The encoded text.</param>
        /// <returns>The decoded text.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
        public static string Decode(string value)
        {
            if (value == null)
            {
                throw new ArgumentNullException("value");
            }

            char[] chars = Chars.Of(value);
            return Decode(chars, 0, chars.Length);
        }

        /// <summary><see cref="Decode(string)"/> over <paramref name="chars"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
        internal static string Decode(char[] chars, int start, int end)
        {
            if (Chars.IndexOf(chars, '%', start, end) < 0)
            {
                return new string(chars, start, end - start);
            }

            byte[] source = new byte[Utf8.GetByteCount(chars, start, end)];
            Utf8.Encode(chars, start, end, source, 0);
            int n = 0;
            for (int i = 0; i < source.Length; i++)
            {
                byte b = source[i];
                int hi;
                int lo;
                if (b == (byte)'%' && i + 2 < source.Length && (hi = Hex.Digit(source[i + 1])) >= 0 && (lo = Hex.Digit(source[i + 2])) >= 0)
                {
                    source[n++] = (byte)((hi << 4) | lo);
                    i += 2;
                }
                else
                {
                    source[n++] = b;
                }
            }

            return Utf8.GetString(source, 0, n);
        }

        private static bool IsUnreserved(byte b)
        {
            return (b >= (byte)'A' && b <= (byte)'Z')
                || (b >= (byte)'a' && b <= (byte)'z')
                || (b >= (byte)'0' && b <= (byte)'9')
                || b == (byte)'-' || b == (byte)'_' || b == (byte)'.' || b == (byte)'~';
        }
    }
}
