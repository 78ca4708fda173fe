// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Argument checks for the public API, so bad input fails early with an exception that names the parameter
    /// instead of being refused by the service later.
    /// </summary>
    internal static class Validation
    {
        /// <summary>Longest device id IoT Hub accepts (characters).</summary>
        public const int MaxDeviceIdLength = 128;

        /// <summary>Largest device-to-cloud message body, in UTF-8 bytes (IoT Hub quotas and throttling: 256 KB).</summary>
        public const int MaxPayloadBytes = 262144;

        /// <summary>Longest twin property name, in UTF-8 bytes (Learn, "Understand and use device twins": keys up to 1 KB).</summary>
        public const int MaxPropertyNameBytes = 1024;

        private const string DeviceIdPunctuation = "-.%_*?!(),:=@$';";

        /// <summary>
        /// Checks a device id: 1–128 ASCII letters, digits and <c>- . % _ * ? ! ( ) , : = @ $ ' ;</c> (the IoT Hub identity
        /// registry set). The registry also allows <c>+</c> and <c>#</c>, but those are MQTT wildcards and cannot appear in the
        /// topic names this SDK publishes to, so they are refused here.
        /// </summary>
        /// <param name="deviceId">The device id.</param>
        /// <param name="paramName">The caller's parameter name, used in the exception.</param>
        /// <exception cref="ArgumentNullException"><paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="deviceId"/> is empty, too long or has a character IoT Hub refuses.</exception>
        public static void ValidateDeviceId(string deviceId, string paramName)
        {
            if (deviceId == null)
            {
                throw new ArgumentNullException(paramName);
            }

            char[] chars = Chars.Of(deviceId);
            if (chars.Length == 0 || chars.Length > MaxDeviceIdLength)
            {
                throw new ArgumentException("A device id must be 1 to 128 characters long.", paramName);
            }

            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                if (c == '+' || c == '#')
                {
                    throw new ArgumentException("A device id cannot contain '+' or '#' (MQTT wildcards).", paramName);
                }

                if (!IsAsciiAlphanumeric(c) && DeviceIdPunctuation.IndexOf(c) < 0)
                {
                    throw new ArgumentException("A device id may only contain ASCII letters, digits and - . % _ * ? ! ( ) , : = @ $ ' ;", paramName);
                }
            }
        }

        /// <summary>True when <see cref="ValidateDeviceId"/> would accept <paramref name="deviceId"/>.</summary>
        /// <param name="deviceId">The device id (null gives false).</param>
        /// <returns>Whether it is valid.</returns>
        public static bool IsValidDeviceId(string deviceId)
        {
            if (deviceId == null)
            {
                return false;
            }

            try
            {
                ValidateDeviceId(deviceId, "deviceId");
                return true;
            }
            catch (ArgumentException)
            {
                return false;
            }
        }

        /// <summary>
        /// Checks a DPS registration id: 1–128 characters, ASCII letters, digits and <c>- . _ :</c>
        /// (Learn, DPS "Device enrollments": the registration id is case-insensitive alphanumeric plus those four).
        /// </summary>
        /// <param name="registrationId">The registration id.</param>
        /// <param name="paramName">The caller's parameter name, used in the exception.</param>
        /// <exception cref="ArgumentNullException"><paramref name="registrationId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="registrationId"/> is empty, too long or has another character.</exception>
        public static void ValidateRegistrationId(string registrationId, string paramName)
        {
            if (registrationId == null)
            {
                throw new ArgumentNullException(paramName);
            }

            char[] chars = Chars.Of(registrationId);
            if (chars.Length == 0 || chars.Length > 128)
            {
                throw new ArgumentException("A registration id must be 1 to 128 characters long.", paramName);
            }

            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                if (!IsAsciiAlphanumeric(c) && c != '-' && c != '.' && c != '_' && c != ':')
                {
                    throw new ArgumentException("A registration id may only contain ASCII letters, digits and - . _ :", paramName);
                }
            }
        }

        /// <summary>
        /// Checks a twin property / JSON member name: not empty, at most 1 KB of UTF-8, and none of the characters twin keys
        /// exclude (C0/C1 control characters, <c>.</c>, <c>$</c>, space).
        /// </summary>
        /// <param name="name">The property name.</param>
        /// <param name="paramName">The caller's parameter name, used in the exception.</param>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="name"/> is empty, too long or has a refused character.</exception>
        public static void ValidatePropertyName(string name, string paramName)
        {
            if (name == null)
            {
                throw new ArgumentNullException(paramName);
            }

            char[] chars = Chars.Of(name);
            if (chars.Length == 0)
            {
                throw new ArgumentException("A property name cannot be empty.", paramName);
            }

            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || c == '.' || c == '$' || c == ' ')
                {
                    throw new ArgumentException("A property name cannot contain control characters, '.', '$' or spaces.", paramName);
                }
            }

            if (Utf8.GetByteCount(chars, 0, chars.Length) > MaxPropertyNameBytes)
            {
                throw new ArgumentException("A property name cannot exceed 1024 UTF-8 bytes.", paramName);
            }
        }

        /// <summary>Checks that a message payload is not null and fits IoT Hub's 256 KB message limit once UTF-8 encoded.</summary>
        /// <param name="payload">The message text.</param>
        /// <param name="paramName">The caller's parameter name, used in the exception.</param>
        /// <exception cref="ArgumentNullException"><paramref name="payload"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="payload"/> exceeds <see cref="MaxPayloadBytes"/>.</exception>
        public static void ValidatePayloadSize(string payload, string paramName)
        {
            if (payload == null)
            {
                throw new ArgumentNullException(paramName);
            }

            // Each char is at most 3 UTF-8 bytes (a surrogate pair is 4 for 2 chars), so short text needs no count.
            if (payload.Length * 3 > MaxPayloadBytes && Utf8.GetByteCount(payload) > MaxPayloadBytes)
            {
                throw new ArgumentException("The payload exceeds IoT Hub's 256 KB message limit.", paramName);
            }
        }

        /// <summary>
        /// True for a DNS host name (RFC 1123: 1–253 characters, dot-separated labels of 1–63 ASCII letters, digits and
        /// hyphens, no label starting or ending with a hyphen; an IPv4 address is such a name) or a bracketed IPv6
        /// literal such as <c>[::1]</c>. Nothing else can reach a TLS connect or an HTTP <c>Host:</c> header.
        /// </summary>
        /// <param name="host">The host (null gives false).</param>
        /// <returns>Whether it is a usable host.</returns>
        public static bool IsHostName(string host)
        {
            if (host == null)
            {
                return false;
            }

            char[] chars = Chars.Of(host);
            if (chars.Length > 2 && chars[0] == '[' && chars[chars.Length - 1] == ']')
            {
                for (int i = 1; i < chars.Length - 1; i++)
                {
                    char c = chars[i];
                    if (!(c == ':' || c == '.' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
                    {
                        return false;
                    }
                }

                return true;
            }

            if (chars.Length == 0 || chars.Length > 253)
            {
                return false;
            }

            int labelStart = 0;
            for (int i = 0; i <= chars.Length; i++)
            {
                if (i == chars.Length || chars[i] == '.')
                {
                    int length = i - labelStart;
                    if (length < 1 || length > 63 || chars[labelStart] == '-' || chars[i - 1] == '-')
                    {
                        return false;
                    }

                    labelStart = i + 1;
                    continue;
                }

                if (!IsAsciiAlphanumeric(chars[i]) && chars[i] != '-')
                {
                    return false;
                }
            }

            return true;
        }

        private static bool IsAsciiAlphanumeric(char c)
        {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        }
    }
}
