// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>The nanoFramework transports: M2Mqtt for MQTT, System.Net's SslStream for the DPS HTTPS exchange.</summary>
    public class BoardTransportFactory : ITransportFactory
    {
        /// <summary>Creates a new, unconnected <see cref="M2MqttTransport"/>.</summary>
        /// <returns>The transport.</returns>
        public IMqttTransport CreateMqttTransport()
        {
            return new M2MqttTransport();
        }

        /// <summary>Creates a <see cref="NanoHttpTransport"/>.</summary>
        /// <returns>The transport.</returns>
        public IHttpTransport CreateHttpTransport()
        {
            return new NanoHttpTransport();
        }
    }
}
