// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    // Device: the settings that shape a connection (the Python setters and their extras), kept and validated by DeviceOptions.
    public partial class Device
    {
        /// <summary>Sets how much is logged (Python: <c>setLogLevel</c>). Default <see cref="IotLogLevel.Disabled"/>.</summary>
        /// <param name="logLevel">The level.</param>
        public void SetLogLevel(IotLogLevel logLevel)
        {
            _options.SetLogLevel(logLevel);
        }

        /// <summary>Replaces where log lines go (default: <c>Console.WriteLine</c>). Null restores the default.</summary>
        /// <param name="sink">The sink.</param>
        public void SetLogSink(IotcLogSink sink)
        {
            _options.LogSink = sink;
        }

        /// <summary>
        /// Sets the DPS endpoint (Python: <c>setServiceHost</c>), <c>host</c> or <c>host:port</c>; default
        /// <see cref="DefaultServiceHost"/>:443. Call before <see cref="Connect"/>.
        /// </summary>
        /// <param name="host">Host name, optionally with <c>:port</c>.</param>
        /// <exception cref="InvalidOperationException">Called after <see cref="Connect"/>.</exception>
        public void SetServiceHost(string host)
        {
            CheckNotStarted("SetServiceHost");
            _options.SetServiceHost(host);
        }

        /// <summary>Sets the IoT Hub MQTT port (default 8883). Call before <see cref="Connect"/>.</summary>
        /// <param name="port">1..65535.</param>
        public void SetHubPort(int port)
        {
            CheckNotStarted("SetHubPort");
            _options.SetHubPort(port);
        }

        /// <summary>Sets the QoS for telemetry (0 or 1; default 1). Properties, acks and command responses always use QoS 1.</summary>
        /// <param name="qosLevel">0 or 1.</param>
        public void SetQosLevel(int qosLevel)
        {
            CheckNotStarted("SetQosLevel");
            _options.SetQos(qosLevel);
        }

        /// <summary>
        /// Sets the SAS token lifetime in seconds (default 3600). The SDK reconnects with a fresh token at 80 % of it, so
        /// the hub never closes the link for an expired token.
        /// </summary>
        /// <param name="seconds">10 .. 31,536,000 (one year).</param>
        public void SetTokenExpiration(int seconds)
        {
            CheckNotStarted("SetTokenExpiration");
            _options.SetTokenLifetime(seconds);
        }

        /// <summary>
        /// Declares the IoT Plug and Play model (DTDL id, e.g. <c>dtmi:com:example:Thermostat;1</c>): sent to DPS as
        /// <c>payload.modelId</c> (IoT Central picks the device template from it) and in the MQTT user name.
        /// Call before <see cref="Connect"/>.
        /// </summary>
        /// <param name="modelId">The model id.</param>
        public void SetModelId(string modelId)
        {
            CheckNotStarted("SetModelId");
            _options.SetModelId(modelId);
        }

        /// <summary>
        /// Trusts these root certificate(s) (PEM) for DPS and IoT Hub instead of the platform's store, e.g. the local
        /// emulator's CA. Validation stays on. Call before <see cref="Connect"/>.
        /// </summary>
        /// <param name="pem">One or more PEM certificates, each starting on its own line.</param>
        /// <exception cref="ArgumentException">Not PEM, certificates glued without a line break, or (on .NET) a certificate that cannot be read.</exception>
        public void SetRootCertificate(string pem)
        {
            CheckNotStarted("SetRootCertificate");
            string problem = null;
            if (pem != null)
            {
                CheckPlatformRoot(pem, ref problem);
            }

            _options.SetRootCertificate(pem, problem);
        }

        /// <summary>
        /// Chooses the writable-property acknowledgement format: false (default) for IoT Central / Plug and Play
        /// (<c>{"name":{"value":v,"ac":200,"ad":"completed","av":N}}</c>), true for the legacy iotc form
        /// (<c>{"name":{"value":v,"statusCode":200,"status":"completed","desiredVersion":N}}</c>).
        /// </summary>
        /// <param name="legacy">True for the legacy form.</param>
        public void SetLegacyAcknowledgements(bool legacy)
        {
            _options.LegacyAcks = legacy;
        }

        /// <summary>Bounds the outbox (default 32 messages, 32 KB). When it is full, <c>Send*</c> throws instead of dropping.</summary>
        /// <param name="maxMessages">At least 1.</param>
        /// <param name="maxBytes">At least 1.</param>
        public void SetOutboxLimits(int maxMessages, int maxBytes)
        {
            CheckNotStarted("SetOutboxLimits");
            _options.SetOutboxLimits(maxMessages, maxBytes);
        }

        /// <summary>
        /// Sets how many QoS 1 messages may wait for their PUBACK at once (default 8, sized for M2Mqtt on a board; a
        /// desktop can go higher) and how long one may wait before the link counts as stalled and is reconnected
        /// (unconfirmed messages are then sent again). Call before <see cref="Connect"/>.
        /// </summary>
        /// <param name="messages">1..1024.</param>
        /// <param name="timeoutMilliseconds">1,000..600,000 (default 30,000).</param>
        public void SetInFlightWindow(int messages, int timeoutMilliseconds)
        {
            CheckNotStarted("SetInFlightWindow");
            _options.SetInFlightWindow(messages, timeoutMilliseconds);
        }

        /// <summary>Sets the reconnect back-off: first delay and cap, in milliseconds (default 1,000 and 60,000).</summary>
        /// <param name="minMilliseconds">First retry delay (≥ 1).</param>
        /// <param name="maxMilliseconds">Cap (≥ <paramref name="minMilliseconds"/>).</param>
        public void SetReconnectBackoff(int minMilliseconds, int maxMilliseconds)
        {
            CheckNotStarted("SetReconnectBackoff");
            _options.SetBackoff(minMilliseconds, maxMilliseconds);
        }

        /// <summary>Sets the MQTT keep-alive (default 60 s) and the connect/request time-out (default 30 s).</summary>
        /// <param name="keepAliveSeconds">5 .. 1200.</param>
        /// <param name="timeoutMilliseconds">500 .. 120,000.</param>
        public void SetTimeouts(int keepAliveSeconds, int timeoutMilliseconds)
        {
            CheckNotStarted("SetTimeouts");
            _options.SetTimeouts(keepAliveSeconds, timeoutMilliseconds);
        }

        /// <summary>
        /// Uses these transports instead of the platform's (tests, custom stacks). Call before <see cref="Connect"/>.
        /// Their connection attempts run on the application's thread unless <see cref="SetConnectInBackground"/>(true) follows.
        /// </summary>
        /// <param name="transports">The factory.</param>
        public void SetTransportFactory(ITransportFactory transports)
        {
            CheckNotStarted("SetTransportFactory");
            _options.SetTransports(transports);
        }

        /// <summary>
        /// Runs the network exchanges of reconnect attempts (DPS requests, TLS handshake, CONNECT and SUBSCRIBE) on a
        /// worker thread, taking up their outcome in a later <see cref="DoNext"/>, so DoNext never waits for a slow or
        /// silent server; every callback still runs on the application's thread. <see cref="Connect"/> itself always
        /// blocks. Default: true on .NET with its own transports, false on the board and with <see cref="SetTransportFactory"/>
        /// (the transports must then allow a call from another thread). Call before <see cref="Connect"/>.
        /// </summary>
        /// <param name="background">True to connect on a worker thread.</param>
        public void SetConnectInBackground(bool background)
        {
            CheckNotStarted("SetConnectInBackground");
            _options.ConnectInBackground = background;
        }

        /// <summary>
        /// Keeps the DPS assignment in <paramref name="store"/> so that later starts connect straight to the hub and ask
        /// DPS only when that hub refuses the device or cannot be reached (see <see cref="IProvisioningStore"/>). Call
        /// before <see cref="Connect"/>; null (the default) provisions at every <see cref="Connect"/>.
        /// </summary>
        /// <param name="store">The store, or null.</param>
        public void SetProvisioningStore(IProvisioningStore store)
        {
            CheckNotStarted("SetProvisioningStore");
            _options.ProvisioningStore = store;
        }

        /// <summary>Uses this clock instead of the system clock (tests). Call before <see cref="Connect"/>.</summary>
        /// <param name="clock">The clock.</param>
        public void SetClock(IClock clock)
        {
            CheckNotStarted("SetClock");
            _options.SetClock(clock);
        }
    }
}
