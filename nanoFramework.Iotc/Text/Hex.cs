// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Text
{
    /// <summary>Hex digits, for percent-escapes, JSON <c>\u</c> escapes and HTTP chunk sizes.</summary>
    internal static class Hex
    {
        /// <summary>The value of one hex digit (either case), or -1 for any other character.</summary>
        internal static int Digit(int c)
        {
            if (c >= '0' && c <= '9')
            {
                return c - '0';
            }

            if (c >= 'a' && c <= 'f')
            {
                return c - 'a' + 10;
            }

            if (c >= 'A' && c <= 'F')
            {
                return c - 'A' + 10;
            }

            return -1;
        }

        /// <summary>The digit for <paramref name="value"/> (0–15), upper case as percent-escapes want it.</summary>
        internal static char Upper(int value)
        {
            return (char)(value < 10 ? '0' + value : 'A' + value - 10);
        }

        /// <summary>The digit for <paramref name="value"/> (0–15), lower case as JSON <c>\u</c> escapes are written.</summary>
        internal static char Lower(int value)
        {
            return (char)(value < 10 ? '0' + value : 'a' + value - 10);
        }
    }
}
