// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>
    /// <see cref="IotcCallbackInfo.StatusCode"/> values of <c>ConnectionStatus</c>. Besides these: MQTT CONNACK refusals
    /// 1–5 (4 bad credentials, 5 not authorized, 3 server unavailable) and DPS HTTP statuses (401, 404, 429, 5xx …).
    /// </summary>
    public static class IotcStatus
    {
        /// <summary>Connected.</summary>
        public const int Connected = 0;

        /// <summary>The server could not be reached (DNS, socket, TLS, time-out).</summary>
        public const int NetworkError = -1;

        /// <summary>An open connection was lost; the SDK is reconnecting.</summary>
        public const int ConnectionLost = -2;

        /// <summary>The SDK closed the connection to reconnect with a fresh SAS token.</summary>
        public const int TokenRenewal = -3;

        /// <summary>The application called <see cref="Device.Disconnect"/>.</summary>
        public const int Disconnected = -4;

        /// <summary>A server answer could not be understood (e.g. a malformed DPS response).</summary>
        public const int ProtocolError = -5;

        /// <summary>MessageSent: the transport refused to publish this message (it left the outbox unsent).</summary>
        public const int PublishRefused = -6;

        /// <summary>
        /// ConnectionStatus: a refusal retrying cannot fix (DPS 400/401/403/404, CONNACK 1/2, a key refused again and
        /// again, also right after a fresh DPS assignment, a clock that gives no valid token, TLS material the transport
        /// cannot use). The SDK stopped; the payload says which refusal. Every other non-zero status is followed by
        /// another attempt.
        /// </summary>
        public const int GaveUp = -7;

        /// <summary>
        /// The device clock gives no valid SAS expiry: not set yet (before 2023) or past 2100. <c>Connect()</c> throws it;
        /// after a first connect the pump keeps retrying (with back-off) until the clock is set (SNTP).
        /// </summary>
        public const int InvalidClock = -8;

        /// <summary>
        /// The TLS material cannot be used: an X.509 certificate or private key that cannot be read or do not match
        /// (<see cref="IotcException.StatusCode"/> of the constructor's exception), or a transport that failed on its
        /// TLS settings; the <c>ConnectionStatus</c> that follows is <see cref="GaveUp"/>, naming this status.
        /// </summary>
        public const int InvalidCredential = -9;
    }
}
