// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Pump;

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

        /// <summary>
        /// True when trying again cannot fix this failure, so <see cref="Device.Connect"/> would only fail the same way:
        /// DPS refused the ID scope, device id or key (400, 401, 403, 404), the hub refused the protocol or the client id
        /// (CONNACK 1, 2), or the certificate, private key or root certificate cannot be used
        /// (<see cref="IotcStatus.InvalidCredential"/>). False for what may pass: the network, throttling (429), service
        /// faults (5xx), a hub that is unavailable or refuses the key once (CONNACK 3-5), a clock not set yet
        /// (<see cref="IotcStatus.InvalidClock"/>). The same rule makes the pump give up (<see cref="IotcStatus.GaveUp"/>).
        /// </summary>
        public bool IsFinal
        {
            get { return RetryPolicy.IsFinal(StatusCode); }
        }
    }
}
