// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Security
{
    /// <summary>
    /// Shared access signature tokens for IoT Hub and the Device Provisioning Service, and group-enrollment key derivation.
    /// Format as in Microsoft Learn "Control access to IoT Hub with shared access signatures" and
    /// "iot-dps-https-sym-key-support", and as the Azure SDK for C builds it (az_iot_hub_client_sas.c,
    /// az_iot_provisioning_client_sas.c):
    /// <c>SharedAccessSignature sr={urlencode(resource)}&amp;sig={urlencode(base64(HMAC-SHA256(key, urlencode(resource) + "\n" + expiry)))}&amp;se={expiry}[&amp;skn={keyName}]</c>.
    /// Errors never include the key, the signature or the token.
    /// </summary>
    internal static class SasToken
    {
        /// <summary>Latest accepted expiry: 2100-01-01T00:00:00Z in Unix seconds. Anything later is almost certainly a unit mistake (milliseconds).</summary>
        public const long MaxExpiry = 4102444800;

        /// <summary>The <c>skn</c> the Device Provisioning Service expects for symmetric-key registration.</summary>
        public const string DpsKeyName = "registration";

        /// <summary>Builds a SAS token for <paramref name="resourceUri"/>.</summary>
        /// <param name="resourceUri">The resource, unencoded, e.g. <c>myhub.azure-devices.net/devices/dev1</c>; it is URL-encoded
        /// once and the encoded text is both signed and sent as <c>sr</c>.</param>
        /// <param name="base64Key">The shared access key, base64.</param>
        /// <param name="expiryUnixSeconds">Expiry in seconds since 1970-01-01T00:00:00Z; 1 to <see cref="MaxExpiry"/>.</param>
        /// <param name="keyName">The policy or key name for <c>skn</c>, URL-encoded when emitted; null or empty leaves <c>skn</c> out.</param>
        /// <returns>The token, starting with <c>SharedAccessSignature </c>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="resourceUri"/> or <paramref name="base64Key"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="resourceUri"/> is empty or blank, or <paramref name="base64Key"/> is not valid base64.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiryUnixSeconds"/> is not in 1..<see cref="MaxExpiry"/>.</exception>
        public static string Build(string resourceUri, string base64Key, long expiryUnixSeconds, string keyName)
        {
            RequireText(resourceUri, "resourceUri");
            return BuildChecked(resourceUri, base64Key, "base64Key", expiryUnixSeconds, "expiryUnixSeconds", keyName);
        }

        /// <summary>
        /// Builds the Device Provisioning Service token: resource <c>{idScope}/registrations/{registrationId}</c>,
        /// <c>skn=registration</c>.
        /// </summary>
        /// <param name="idScope">The DPS ID scope, e.g. <c>0ne00000000</c>.</param>
        /// <param name="registrationId">The registration (device) id.</param>
        /// <param name="base64Key">The device key, base64 (for a group enrollment, see <see cref="DeriveDeviceKey"/>).</param>
        /// <param name="expiry">Expiry in Unix seconds; 1 to <see cref="MaxExpiry"/>.</param>
        /// <returns>The token for the <c>Authorization</c> header (HTTPS) or MQTT password.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or blank, or <paramref name="base64Key"/> is not valid base64.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiry"/> is not in 1..<see cref="MaxExpiry"/>.</exception>
        public static string ForDps(string idScope, string registrationId, string base64Key, long expiry)
        {
            RequireText(idScope, "idScope");
            RequireText(registrationId, "registrationId");
            return BuildChecked(string.Concat(idScope, "/registrations/", registrationId), base64Key, "base64Key", expiry, "expiry", DpsKeyName);
        }

        /// <summary>Builds the IoT Hub device token: resource <c>{hubHostName}/devices/{deviceId}</c>, no <c>skn</c>.</summary>
        /// <param name="hubHostName">The hub host name, e.g. <c>iotc-xxxx.azure-devices.net</c>.</param>
        /// <param name="deviceId">The device id.</param>
        /// <param name="base64Key">The device key, base64.</param>
        /// <param name="expiry">Expiry in Unix seconds; 1 to <see cref="MaxExpiry"/>.</param>
        /// <returns>The token for the MQTT password.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or blank, or <paramref name="base64Key"/> is not valid base64.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="expiry"/> is not in 1..<see cref="MaxExpiry"/>.</exception>
        public static string ForHub(string hubHostName, string deviceId, string base64Key, long expiry)
        {
            RequireText(hubHostName, "hubHostName");
            RequireText(deviceId, "deviceId");
            return BuildChecked(string.Concat(hubHostName, "/devices/", deviceId), base64Key, "base64Key", expiry, "expiry", null);
        }

        /// <summary>
        /// Derives a device key from a DPS group-enrollment key: base64(HMAC-SHA256(base64decode(groupKey), UTF-8(registrationId))).
        /// The registration id is used as is, not URL-encoded (Learn "How to use symmetric keys with group enrollments").
        /// </summary>
        /// <param name="base64GroupKey">The enrollment group's key, base64.</param>
        /// <param name="registrationId">The registration (device) id.</param>
        /// <returns>The device key, base64.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or blank, or <paramref name="base64GroupKey"/> is not valid base64.</exception>
        public static string DeriveDeviceKey(string base64GroupKey, string registrationId)
        {
            byte[] key = DecodeKey(base64GroupKey, "base64GroupKey");
            try
            {
                RequireText(registrationId, "registrationId");
                return Convert.ToBase64String(HmacSha256.Compute(key, Utf8.GetBytes(registrationId)));
            }
            finally
            {
                Array.Clear(key, 0, key.Length);
            }
        }

        /// <summary>
        /// Decodes a base64 key after checking it strictly (non-empty, length a multiple of 4, only <c>A-Z a-z 0-9 + /</c>
        /// and at most two trailing <c>=</c>), because nanoFramework's <c>Convert.FromBase64String</c> may not reject bad input.
        /// </summary>
        /// <param name="base64Key">The key text.</param>
        /// <param name="paramName">The caller's parameter name, for the exception.</param>
        /// <returns>The key bytes; clear them when done.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="base64Key"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="base64Key"/> is not valid base64 (the message does not repeat the key).</exception>
        public static byte[] DecodeKey(string base64Key, string paramName)
        {
            if (base64Key == null)
            {
                throw new ArgumentNullException(paramName);
            }

            if (!IsStrictBase64(base64Key))
            {
                throw new ArgumentException(string.Concat(paramName, " is not valid base64 (expected a non-empty key of A-Z a-z 0-9 + / with '=' padding to a multiple of 4 characters)"), paramName);
            }

            return Convert.FromBase64String(base64Key);
        }

        private static string BuildChecked(string resource, string base64Key, string keyParam, long expiry, string expiryParam, string keyName)
        {
            if (expiry <= 0 || expiry > MaxExpiry)
            {
                throw new ArgumentOutOfRangeException(expiryParam, string.Concat(expiryParam, " must be Unix seconds between 1 and ", MaxExpiry.ToString(), " (2100-01-01)"));
            }

            byte[] key = DecodeKey(base64Key, keyParam);
            byte[] signature;
            string se = expiry.ToString();

            // Sign exactly the sr text that is sent: the service recomputes the HMAC over it.
            string sr = UrlEncoding.Encode(resource);
            try
            {
                signature = HmacSha256.Compute(key, Utf8.GetBytes(string.Concat(sr, "\n", se)));
            }
            finally
            {
                Array.Clear(key, 0, key.Length);
            }

            string token = string.Concat(
                string.Concat("SharedAccessSignature sr=", sr, "&sig=", UrlEncoding.Encode(Convert.ToBase64String(signature))),
                string.Concat("&se=", se));
            if (keyName != null && keyName.Length > 0)
            {
                token = string.Concat(token, "&skn=", UrlEncoding.Encode(keyName));
            }

            return token;
        }

        private static void RequireText(string value, string paramName)
        {
            if (value == null)
            {
                throw new ArgumentNullException(paramName);
            }

            char[] chars = Chars.Of(value);
            for (int i = 0; i < chars.Length; i++)
            {
                if (!IsWhiteSpace(chars[i]))
                {
                    return;
                }
            }

            throw new ArgumentException(string.Concat(paramName, " must not be empty or blank"), paramName);
        }

        // char.IsWhiteSpace is not in every nanoFramework mscorlib; this covers the Unicode White_Space set.
        private static bool IsWhiteSpace(char c)
        {
            return c == ' ' || (c >= '\t' && c <= '\r') || c == '\u0085' || c == '\u00A0' || c == '\u1680'
                || (c >= '\u2000' && c <= '\u200A') || c == '\u2028' || c == '\u2029' || c == '\u202F' || c == '\u205F' || c == '\u3000';
        }

        private static bool IsStrictBase64(string text)
        {
            char[] chars = Chars.Of(text);
            int length = chars.Length;
            if (length == 0 || (length % 4) != 0)
            {
                return false;
            }

            int padding = 0;
            if (chars[length - 1] == '=')
            {
                padding = chars[length - 2] == '=' ? 2 : 1;
            }

            for (int i = 0; i < length - padding; i++)
            {
                char c = chars[i];
                bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
