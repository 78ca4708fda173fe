// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Text
{
    /// <summary>
    /// UTC times as ISO 8601 text in the form .NET's round-trip format ("o") writes a UTC time,
    /// <c>2026-12-08T07:05:09.1230000Z</c>: the form Microsoft's .NET device SDK sends as a message's creation time
    /// (<c>$.ctime</c>) and parses back with <c>DateTime.ParseExact(value, "o")</c>. Written by hand: the device's
    /// <c>DateTime.ToString</c> formats differ from .NET's.
    /// </summary>
    internal static class Iso8601
    {
        /// <summary>Milliseconds from 1970-01-01 to 10000-01-01: the first time this form cannot write.</summary>
        internal const long MaxUnixMilliseconds = 253402300800000L;

        /// <summary>Formats a time given as milliseconds since the Unix epoch (0 to year 9999).</summary>
        /// <param name="unixMilliseconds">The time.</param>
        /// <returns>28 characters, e.g. <c>1970-01-01T00:00:00.0000000Z</c>.</returns>
        /// <exception cref="System.ArgumentOutOfRangeException">Before 1970 or after 9999.</exception>
        internal static string FormatUtc(long unixMilliseconds)
        {
            if (unixMilliseconds < 0 || unixMilliseconds >= MaxUnixMilliseconds)
            {
                throw new System.ArgumentOutOfRangeException("unixMilliseconds");
            }

            long days = unixMilliseconds / 86400000L;
            int msOfDay = (int)(unixMilliseconds % 86400000L);

            // Civil date from a day count, counting in 400-year eras of 146,097 days that start on 0000-03-01, so the
            // leap day is the last day of a year (the standard proleptic Gregorian conversion).
            long z = days + 719468;
            long era = z / 146097;
            int dayOfEra = (int)(z - era * 146097);
            int yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
            int dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
            int shiftedMonth = (5 * dayOfYear + 2) / 153;
            int day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
            int month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
            int year = (int)(era * 400) + yearOfEra + (month <= 2 ? 1 : 0);

            char[] text = new char[28];
            Digits(text, 0, year, 4);
            text[4] = '-';
            Digits(text, 5, month, 2);
            text[7] = '-';
            Digits(text, 8, day, 2);
            text[10] = 'T';
            Digits(text, 11, msOfDay / 3600000, 2);
            text[13] = ':';
            Digits(text, 14, msOfDay / 60000 % 60, 2);
            text[16] = ':';
            Digits(text, 17, msOfDay / 1000 % 60, 2);
            text[19] = '.';
            Digits(text, 20, msOfDay % 1000, 3);
            Digits(text, 23, 0, 4);
            text[27] = 'Z';
            return new string(text);
        }

        private static void Digits(char[] text, int start, int value, int count)
        {
            for (int i = start + count - 1; i >= start; i--)
            {
                text[i] = (char)('0' + value % 10);
                value /= 10;
            }
        }
    }
}
