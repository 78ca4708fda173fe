// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Desktop
{
    /// <summary>The .NET transports: MQTTnet for IoT Hub, HttpClient for DPS.</summary>
    public sealed class DesktopTransportFactory : ITransportFactory
    {
        /// <inheritdoc/>
        public IMqttTransport CreateMqttTransport()
        {
            return new MqttNetTransport();
        }

        /// <inheritdoc/>
        public IHttpTransport CreateHttpTransport()
        {
            return new HttpClientTransport();
        }
    }
}
