// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// Everything that shapes a connection, in one place. Device's setters validate into it and refuse changes once
    /// Connect() has started (<see cref="Frozen"/>); the parts read it.
    /// </summary>
    internal sealed class DeviceOptions
    {
        internal string ScopeId;
        internal string DeviceId;
        internal string DeviceKey;
        internal IotConnectType CredType;
        internal string ClientCertificatePem;
        internal string ClientPrivateKeyPem;

        internal string ServiceHost = Device.DefaultServiceHost;
        internal int ServicePort = 443;
        internal int MqttPort = 8883;
        internal int Qos = 1;
        internal int TokenLifetimeSeconds = 3600;
        internal string ModelId;
        internal string RootCaPem;
        internal int KeepAliveSeconds = 60;
        internal int TimeoutMilliseconds = 30000;
        internal int BackoffMinMilliseconds = 1000;
        internal int BackoffMaxMilliseconds = 60000;

        /// <summary>A connection shorter than this does not reset the back-off (a hub closing it at once, a duplicate identity).</summary>
        internal int MinStableConnectionMilliseconds = 30000;

        /// <summary>How long one DPS registration (register plus polls) may take.</summary>
        internal long ProvisioningTimeoutMilliseconds = 120000;

        internal ITransportFactory Transports;
        internal IProvisioningStore ProvisioningStore;

        /// <summary>Connection attempts (DPS, TLS, CONNECT) run on a worker thread; the outcome is taken up by a later DoNext.</summary>
        internal bool ConnectInBackground;
        internal IClock Clock = new SystemClock();

        /// <summary>Set when Connect() starts: connection settings cannot change afterwards.</summary>
        internal bool Frozen;

        internal TlsSettings Tls()
        {
            TlsSettings tls = new TlsSettings();
            tls.RootCaPem = RootCaPem;
            tls.ClientCertificatePem = ClientCertificatePem;
            tls.ClientPrivateKeyPem = ClientPrivateKeyPem;
            return tls;
        }
    }
}
