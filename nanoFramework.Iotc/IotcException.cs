// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc
{
    /// <summary>
    /// A connection that could not be made: provisioning (DPS) or the IoT Hub refused it or could not be reached.
    /// The message says which step failed and why; it never contains keys or signatures.
    /// </summary>
    public class IotcException : Exception
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">What failed.</param>
        /// <param name="statusCode">The status (DPS HTTP status, MQTT CONNACK code, or -1 for a network failure).</param>
        /// <param name="errorCode">The DPS <c>errorCode</c>, or 0.</param>
        /// <param name="trackingId">The DPS <c>trackingId</c>, or null.</param>
        /// <param name="innerException">The cause, or null.</param>
        public IotcException(string message, int statusCode, int errorCode, string trackingId, Exception innerException)
            : base(message, innerException)
        {
            StatusCode = statusCode;
            ErrorCode = errorCode;
            TrackingId = trackingId;
        }

        /// <summary>DPS HTTP status, MQTT CONNACK return code, or -1 for a network/TLS failure.</summary>
        public int StatusCode { get; private set; }

        /// <summary>DPS <c>errorCode</c> (e.g. 401002), or 0.</summary>
        public int ErrorCode { get; private set; }

        /// <summary>DPS <c>trackingId</c> for support requests, or null.</summary>
        public string TrackingId { get; private set; }
    }
}
