// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Ordinal text helpers over <c>char[]</c> (see <see cref="Chars"/>). On .NET, <c>string.StartsWith(string)</c>/
    /// <c>IndexOf(string)</c> are culture-sensitive (they may skip ignorable characters), and nanoFramework has no
    /// <c>StringComparison</c> overloads, so topic matching uses these on both.
    /// </summary>
    internal static class Ordinal
    {
        /// <summary>
        /// A run of ASCII digits and nothing else, as a number; -1 for null, empty, anything else, or more than
        /// <paramref name="maxDigits"/> digits (18 always fit a long). Server text, so it never throws.
        /// </summary>
        internal static long ParseDigits(string text, int maxDigits)
        {
            if (text == null)
            {
                return -1;
            }

            char[] chars = Chars.Of(text);
            return ParseDigits(chars, 0, chars.Length, maxDigits);
        }

        /// <summary><see cref="ParseDigits(string, int)"/> over <paramref name="chars"/>[<paramref name="start"/>..<paramref name="end"/>).</summary>
        internal static long ParseDigits(char[] chars, int start, int end, int maxDigits)
        {
            if (end <= start || end - start > maxDigits)
            {
                return -1;
            }

            long value = 0;
            for (int i = start; i < end; i++)
            {
                char c = chars[i];
                if (c < '0' || c > '9')
                {
                    return -1;
                }

                value = (value * 10) + (c - '0');
            }

            return value;
        }

        /// <summary>Last index of <paramref name="value"/> in <paramref name="chars"/>, or -1.</summary>
        internal static int LastIndexOf(char[] chars, char[] value)
        {
            for (int i = chars.Length - value.Length; i >= 0; i--)
            {
                if (Chars.At(chars, i, chars.Length, value))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
