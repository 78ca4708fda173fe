// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>How the device authenticates (Python: <c>IOTConnectType</c>).</summary>
    public enum IotConnectType
    {
        /// <summary>A device's own symmetric key (Python: <c>IOTC_CONNECT_SYMM_KEY</c> = 1).</summary>
        SymmetricKey = 1,

        /// <summary>An X.509 client certificate (Python: <c>IOTC_CONNECT_X509_CERT</c> = 2).</summary>
        X509Certificate = 2,

        /// <summary>
        /// A group enrollment key (IoT Central "SAS-IoT-Devices" group): the SDK derives the device key as
        /// base64(HMAC-SHA256(groupKey, deviceId)) before connecting.
        /// </summary>
        SymmetricGroupKey = 3
    }
}
