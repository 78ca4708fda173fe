// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>
    /// One HTTPS request/response exchange, used for DPS registration. The SDK creates one transport per registration
    /// and sends its requests one at a time. A transport may keep one connection open from one request to the next
    /// (HTTP/1.1 keep-alive); it then implements <see cref="System.IDisposable"/>, and the SDK disposes it when the
    /// registration ends, before MQTT connects (an ESP32 cannot hold the DPS and the MQTT TLS sessions at once).
    /// </summary>
    public interface IHttpTransport
    {
        /// <summary>Sends <paramref name="request"/> and returns the response, whatever its status code.</summary>
        /// <param name="request">The request.</param>
        /// <returns>The response; non-2xx statuses are returned, not thrown.</returns>
        /// <exception cref="TransportException">DNS, socket, TLS or time-out failure.</exception>
        HttpResponse Send(HttpRequest request);
    }
}
