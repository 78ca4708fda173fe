// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc
{
    // Device: argument and state checks, and logging that never carries secrets.
    public partial class Device
    {
        // ---- checks and logging ------------------------------------------------------------------------------------

        private void CheckCanSend(string api, string payload)
        {
            CheckNotDisposed();
            if (payload == null)
            {
                throw new ArgumentNullException("payload");
            }

            if (_session.State == Session.Idle)
            {
                throw new InvalidOperationException(api + " before Connect(): connect first");
            }

            if (_session.State == Session.Stopped)
            {
                throw new InvalidOperationException(api + " after Disconnect() or a fatal connection failure: connect again first");
            }
        }

        private void CheckNotStarted(string api)
        {
            CheckNotDisposed();
            if (_options.Frozen)
            {
                throw new InvalidOperationException(api + " must be called before Connect()");
            }
        }

        private void CheckNotDisposed()
        {
            if (_disposed)
            {
                throw new ObjectDisposedException("Device");
            }
        }

        private static void CheckScopeAndDevice(string scopeId, string deviceId)
        {
            if (scopeId == null)
            {
                throw new ArgumentNullException("scopeId");
            }

            if (scopeId.Trim().Length == 0)
            {
                throw new ArgumentException("the ID scope is empty", "scopeId");
            }

            char[] chars = Chars.Of(scopeId);
            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                {
                    throw new ArgumentException("an ID scope has only letters and digits (e.g. 0ne0012345A)", "scopeId");
                }
            }

            if (chars.Length > 64)
            {
                throw new ArgumentException("an ID scope is short (e.g. 0ne0012345A)", "scopeId");
            }

            Validation.ValidateDeviceId(deviceId, "deviceId");

            // The device id is also the DPS registration id, whose character set is narrower; fail here, not in Connect.
            Validation.ValidateRegistrationId(deviceId, "deviceId");
        }

        /// <summary>Every member name of a reported patch, at any depth, must be a valid twin key.</summary>
        private static void CheckPropertyNames(JsonValue value)
        {
            if (value.Kind == JsonValueKind.Array)
            {
                for (int i = 0; i < value.Count; i++)
                {
                    CheckPropertyNames(value.GetItem(i));
                }
            }

            if (value.Kind != JsonValueKind.Object)
            {
                return;
            }

            for (int i = 0; i < value.Count; i++)
            {
                string name = value.GetName(i);
                if (name == null)
                {
                    throw new ArgumentException("a property name cannot hold U+0000 (\\u0000)", "payload");
                }

                Validation.ValidatePropertyName(name, "payload");
                CheckPropertyNames(value.GetValue(i));
            }
        }

        /// <summary>PEM bytes pass through as text; anything else is taken as DER and wrapped under <paramref name="label"/>.</summary>
        private static string ToPem(byte[] data, string label, string paramName)
        {
            if (data == null)
            {
                throw new ArgumentNullException(paramName);
            }

            if (data.Length == 0)
            {
                throw new ArgumentException("empty", paramName);
            }

            if (data.Length > 10 && data[0] == (byte)'-' && data[1] == (byte)'-')
            {
                return Utf8.GetString(data);
            }

            // DER is an ASN.1 SEQUENCE: anything else is neither PEM nor DER.
            if (data[0] != 0x30)
            {
                throw new ArgumentException("neither PEM text nor DER", paramName);
            }

            return "-----BEGIN " + label + "-----\n" + Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks) + "\n-----END " + label + "-----\n";
        }
    }
}
