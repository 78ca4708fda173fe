// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Ordinal string searches. On .NET, <c>string.StartsWith(string)</c>/<c>IndexOf(string)</c> are culture-sensitive
    /// (they may skip ignorable characters), and nanoFramework has no <c>StringComparison</c> overloads, so topic
    /// matching uses these char-by-char helpers on both.
    /// </summary>
    internal static class Ordinal
    {
        /// <summary>
        /// A run of ASCII digits and nothing else, as a number; -1 for null, empty, anything else, or more than
        /// <paramref name="maxDigits"/> digits (18 always fit a long). Server text, so it never throws.
        /// </summary>
        internal static long ParseDigits(string text, int maxDigits)
        {
            if (text == null || text.Length == 0 || text.Length > maxDigits)
            {
                return -1;
            }

            long value = 0;
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c < '0' || c > '9')
                {
                    return -1;
                }

                value = (value * 10) + (c - '0');
            }

            return value;
        }

        internal static bool StartsWith(string text, string prefix)
        {
            return text.Length >= prefix.Length && At(text, 0, prefix);
        }

        internal static bool At(string text, int index, string value)
        {
            if (index < 0 || index > text.Length - value.Length)
            {
                return false;
            }

            for (int i = 0; i < value.Length; i++)
            {
                if (text[index + i] != value[i])
                {
                    return false;
                }
            }

            return true;
        }

        internal static int LastIndexOf(string text, string value)
        {
            for (int i = text.Length - value.Length; i >= 0; i--)
            {
                if (At(text, i, value))
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
