// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>Everything an <see cref="IMqttTransport"/> needs to open one connection.</summary>
    public class MqttConnectOptions
    {
        /// <summary>Server host name (the assigned IoT hub).</summary>
        public string Host;

        /// <summary>Server port (8883 for IoT Hub).</summary>
        public int Port = 8883;

        /// <summary>MQTT client id (the device id).</summary>
        public string ClientId;

        /// <summary>MQTT user name (<c>{hub}/{deviceId}/?api-version=…</c>).</summary>
        public string Username;

        /// <summary>MQTT password: the hub SAS token, or null for X.509 authentication. Secret: never log it.</summary>
        public string Password;

        /// <summary>Keep-alive period in seconds.</summary>
        public int KeepAliveSeconds = 60;

        /// <summary>Upper bound for connect + CONNACK, in milliseconds.</summary>
        public int TimeoutMilliseconds = 30000;

        /// <summary>
        /// MQTT clean session. False (the default) keeps the session on the hub while the device is away, so the
        /// cloud-to-device messages sent meanwhile (IoT Central's queued commands among them) arrive when it is back:
        /// Microsoft documents that with clean session true a device receives only the messages sent after it subscribed
        /// (Microsoft.Azure.Devices.Client <c>IotHubClientMqttSettings.CleanSession</c>).
        /// </summary>
        public bool CleanSession;

        /// <summary>Server trust and optional client certificate.</summary>
        public TlsSettings Tls;
    }
}
