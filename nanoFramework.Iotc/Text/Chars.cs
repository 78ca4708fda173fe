// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Text
{
    /// <summary>
    /// THE RULE for reading text in this library: scan a string through one <see cref="Of"/> (a <c>char[]</c>), or
    /// through its UTF-8 bytes; never <c>s[i]</c> or <c>s.Length</c> in a loop.
    /// Why (measured on nanoCLR): nanoFramework stores strings as UTF-8, so every <c>s[i]</c> and <c>s.Length</c>
    /// walks the string from its start (a loop over <c>s[i]</c> is quadratic: 32 KB of JSON took seconds on a fast
    /// host), and the indexer returns the high surrogate at both positions of a pair (emoji get corrupted), while
    /// <c>ToCharArray()</c> is linear and surrogate-correct. <c>build/nf-lint</c> enforces the rule in CI.
    /// </summary>
    internal static class Chars
    {
        /// <summary>The UTF-16 units of <paramref name="text"/>, once; null gives an empty array.</summary>
        internal static char[] Of(string text)
        {
            return text == null ? new char[0] : text.ToCharArray();
        }

#if NANOFRAMEWORK_1_0
        /// <summary>
        /// The units of <paramref name="text"/> for one scan that keeps nothing (<paramref name="length"/> of them; the array
        /// may be longer). On the device: <see cref="Of"/>.
        /// </summary>
        internal static char[] Borrow(string text, out int length)
        {
            char[] chars = text.ToCharArray();
            length = chars.Length;
            return chars;
        }
#else
        // .NET indexes strings in O(1), so the copy only costs garbage there: one buffer per thread is reused instead
        // (messages are encoded once each; the pump's allocation per message is a benchmark figure).
        [System.ThreadStatic]
        private static char[] _scratch;

        /// <summary>
        /// The units of <paramref name="text"/> for one scan that keeps nothing (<paramref name="length"/> of them; the array
        /// may be longer and is reused by the next call on this thread). On .NET a per-thread buffer, for text up to 64 K.
        /// </summary>
        internal static char[] Borrow(string text, out int length)
        {
            length = text.Length;
            if (length > 65536)
            {
                return text.ToCharArray();
            }

            char[] scratch = _scratch;
            if (scratch == null || scratch.Length < length)
            {
                scratch = new char[length < 256 ? 256 : length];
                _scratch = scratch;
            }

            text.CopyTo(0, scratch, 0, length);
            return scratch;
        }
#endif

        internal static bool IsHighSurrogate(int c)
        {
            return c >= 0xD800 && c <= 0xDBFF;
        }

        internal static bool IsLowSurrogate(int c)
        {
            return c >= 0xDC00 && c <= 0xDFFF;
        }

        /// <summary>True when a surrogate pair starts at <paramref name="i"/> (both units inside <paramref name="end"/>).</summary>
        internal static bool IsPairAt(char[] chars, int i, int end)
        {
            return IsHighSurrogate(chars[i]) && i + 1 < end && IsLowSurrogate(chars[i + 1]);
        }

        /// <summary>Ordinal comparison of <paramref name="value"/> with <paramref name="chars"/> at <paramref name="index"/>.</summary>
        internal static bool At(char[] chars, int index, int end, char[] value)
        {
            if (index < 0 || index > end - value.Length)
            {
                return false;
            }

            for (int i = 0; i < value.Length; i++)
            {
                if (chars[index + i] != value[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>First index of <paramref name="c"/> in [<paramref name="start"/>, <paramref name="end"/>), or -1.</summary>
        internal static int IndexOf(char[] chars, char c, int start, int end)
        {
            for (int i = start; i < end; i++)
            {
                if (chars[i] == c)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
