// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Text
{
    [TestClass]
    public class Iso8601Tests
    {
        // Expected texts: .NET's DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("o").
        [TestMethod]
        [DataRow(0L, "1970-01-01T00:00:00.0000000Z")]
        [DataRow(951782400000L, "2000-02-29T00:00:00.0000000Z")]
        [DataRow(951868799999L, "2000-02-29T23:59:59.9990000Z")]
        [DataRow(1709164800123L, "2024-02-29T00:00:00.1230000Z")]
        [DataRow(1796688309123L, "2026-12-08T00:05:09.1230000Z")]
        [DataRow(4107542400000L, "2100-03-01T00:00:00.0000000Z")]
        [DataRow(253402300799999L, "9999-12-31T23:59:59.9990000Z")]
        public void FormatUtc_WritesTheRoundTripForm(long unixMilliseconds, string expected)
        {
            Assert.AreEqual(expected, Iso8601.FormatUtc(unixMilliseconds));
        }

        [TestMethod]
        public void FormatUtc_RefusesTimesItCannotWrite()
        {
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "unixMilliseconds", null, () => Iso8601.FormatUtc(-1));
            Assert.ThrowsException(typeof(ArgumentOutOfRangeException), () => Iso8601.FormatUtc(Iso8601.MaxUnixMilliseconds));
        }
    }
}
