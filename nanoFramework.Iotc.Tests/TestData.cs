// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Tests
{
    /// <summary>Small builders for test inputs and expected values, shared by the test classes.</summary>
    internal static class TestData
    {
        /// <summary><paramref name="length"/> bytes of <paramref name="value"/>.</summary>
        internal static byte[] Fill(byte value, int length)
        {
            byte[] bytes = new byte[length];
            for (int i = 0; i < length; i++)
            {
                bytes[i] = value;
            }

            return bytes;
        }

        /// <summary>Lower-case hex, the form FIPS and RFC test vectors are written in.</summary>
        internal static string Hex(byte[] bytes)
        {
            const string Digits = "0123456789abcdef";
            char[] chars = new char[bytes.Length * 2];
            for (int i = 0; i < bytes.Length; i++)
            {
                chars[2 * i] = Digits[bytes[i] >> 4];
                chars[(2 * i) + 1] = Digits[bytes[i] & 0x0F];
            }

            return new string(chars);
        }
    }
}
