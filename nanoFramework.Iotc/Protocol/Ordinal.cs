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
