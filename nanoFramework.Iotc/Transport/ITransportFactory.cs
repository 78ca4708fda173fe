// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>Creates transports: a fresh MQTT transport per connection attempt, an HTTP transport for DPS.</summary>
    public interface ITransportFactory
    {
        /// <summary>Creates a new, unconnected MQTT transport.</summary>
        IMqttTransport CreateMqttTransport();

        /// <summary>Creates an HTTPS transport for DPS.</summary>
        IHttpTransport CreateHttpTransport();
    }
}
