// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    /// <summary>
    /// An Azure IoT Central device (Python: <c>iotc.Device</c>). Single-threaded and cooperative: <see cref="Connect"/>
    /// provisions through DPS and opens the IoT Hub MQTT session; after that the application calls
    /// <see cref="DoNext"/> in its loop, and every callback runs inside that call, on that thread.
    /// <para>
    /// Data path: <c>SendTelemetry</c> puts a message in the bounded outbox and returns its id; <c>DoNext</c> publishes
    /// it through the transport; the transport's PUBACK lands in the inbox; the next <c>DoNext</c> takes it out of the
    /// outbox and raises <c>MessageSent</c> with that id. A lost link puts unconfirmed messages back in line and
    /// <c>DoNext</c> reconnects with back-off.
    /// </para>
    /// </summary>
    public partial class Device : IDisposable
    {
        /// <summary>The global DPS endpoint (Python default).</summary>
        public const string DefaultServiceHost = "global.azure-devices-provisioning.net";

        private const int StateIdle = 0;
        private const int StateConnected = 1;
        private const int StateReconnecting = 2;
        private const int StateDisconnected = 3;
        private const int StateDisposed = 4;

        private const int MaxPayloadBytes = 256 * 1024;

        /// <summary>Publishes of one reported patch answered 429/5xx before it is reported as failed.</summary>
        private const int MaxTwinAttempts = 5;

        private readonly string _scopeId;
        private readonly string _deviceId;
        private readonly string _deviceKey;
        private readonly IotConnectType _credType;
        private readonly string _clientCertificatePem;
        private readonly string _clientPrivateKeyPem;

        private readonly HandlerTable _handlers = new HandlerTable();
        private readonly Inbox _inbox = new Inbox();
        private readonly Outbox _outbox = new Outbox(32, 32 * 1024);
        private readonly ArrayList _pendingCallbacks = new ArrayList();

        private ITransportFactory _transports;
        private IClock _clock = new SystemClock();
        private IotcLogSink _logSink;
        private IotLogLevel _logLevel = IotLogLevel.Disabled;

        private string _serviceHost = DefaultServiceHost;
        private int _servicePort = 443;
        private int _mqttPort = 8883;
        private int _qos = 1;
        private int _tokenLifetimeSeconds = 3600;
        private string _modelId;
        private string _rootCaPem;
        private bool _legacyAcks;
        private int _keepAliveSeconds = 60;
        private int _timeoutMilliseconds = 30000;
        private int _maxInFlight = 16;
        private long _provisioningTimeoutMs = 120000;
        private Backoff _backoff = new Backoff(1000, 60000, 0);

        private int _state = StateIdle;
        private bool _inPump;
        private IMqttTransport _mqtt;
        private int _generation;
        private string _hubHost;
        private string _hubDeviceId;
        private long _renewAtMs;
        private long _nextAttemptAtMs;
        private int _failedAttempts;
        private int _authFailures;
        private int _networkFailures;
        private bool _reprovision;
        private int _nextMessageId;
        private int _nextRequestId;
        private string _twinGetRequestId;
        private int _twinGetAttempts;
        private long _twinGetRetryAtMs;
        private long _desiredVersion = -1;
        private int _lastStatus;

        /// <summary>
        /// Creates a device that authenticates with a symmetric key (Python: <c>Device(scopeId, key, deviceId, credType)</c>).
        /// </summary>
        /// <param name="scopeId">The DPS ID scope of the IoT Central application (e.g. <c>0ne0012345A</c>).</param>
        /// <param name="symmetricKey">The device's primary key, or the group enrollment key with <see cref="IotConnectType.SymmetricGroupKey"/> (base64).</param>
        /// <param name="deviceId">The device id (also the DPS registration id).</param>
        /// <param name="credType"><see cref="IotConnectType.SymmetricKey"/> or <see cref="IotConnectType.SymmetricGroupKey"/>.</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed (the key's value is never included in the message).</exception>
        public Device(string scopeId, string symmetricKey, string deviceId, IotConnectType credType)
        {
            CheckScopeAndDevice(scopeId, deviceId);
            if (credType == IotConnectType.X509Certificate)
            {
                throw new ArgumentException("use the X.509 constructor (certificate and private key) for IotConnectType.X509Certificate", "credType");
            }

            if (credType != IotConnectType.SymmetricKey && credType != IotConnectType.SymmetricGroupKey)
            {
                throw new ArgumentOutOfRangeException("credType");
            }

            // Validates the key (without echoing it) and, for a group key, derives this device's key once.
            byte[] key = SasToken.DecodeKey(symmetricKey, "symmetricKey");
            int keyLength = key.Length;
            Array.Clear(key, 0, key.Length);
            if (keyLength == 0)
            {
                throw new ArgumentException("the key is empty", "symmetricKey");
            }

            _scopeId = scopeId;
            _deviceId = deviceId;
            _credType = credType;
            _deviceKey = credType == IotConnectType.SymmetricGroupKey ? SasToken.DeriveDeviceKey(symmetricKey, deviceId) : symmetricKey;
            CreatePlatformTransports(ref _transports);
        }

        /// <summary>
        /// Creates a device that authenticates with an X.509 client certificate (Python: <c>IOTC_CONNECT_X509_CERT</c>).
        /// </summary>
        /// <param name="scopeId">The DPS ID scope.</param>
        /// <param name="certificatePem">The device certificate (PEM).</param>
        /// <param name="privateKeyPem">The certificate's private key (PEM). Secret: it is never logged.</param>
        /// <param name="deviceId">The device id; must match the certificate's CN for DPS.</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed.</exception>
        public Device(string scopeId, string certificatePem, string privateKeyPem, string deviceId)
            : this(scopeId, deviceId, IotConnectType.X509Certificate)
        {
            if (certificatePem == null)
            {
                throw new ArgumentNullException("certificatePem");
            }

            if (privateKeyPem == null)
            {
                throw new ArgumentNullException("privateKeyPem");
            }

            if (certificatePem.IndexOf("-----BEGIN CERTIFICATE-----") < 0)
            {
                throw new ArgumentException("not a PEM certificate", "certificatePem");
            }

            if (privateKeyPem.IndexOf("PRIVATE KEY-----") < 0)
            {
                throw new ArgumentException("not a PEM private key", "privateKeyPem");
            }

            _clientCertificatePem = certificatePem;
            _clientPrivateKeyPem = privateKeyPem;
        }

        /// <summary>
        /// Creates a device that authenticates with the X.509 certificate stored on the board (uploaded with the
        /// nanoFramework device explorer); on .NET there is no such store, so give the certificate instead.
        /// </summary>
        /// <param name="scopeId">The DPS ID scope.</param>
        /// <param name="deviceId">The device id; must match the stored certificate's CN for DPS.</param>
        /// <param name="credType">Must be <see cref="IotConnectType.X509Certificate"/>.</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed, or <paramref name="credType"/> is not X.509.</exception>
        public Device(string scopeId, string deviceId, IotConnectType credType)
        {
            CheckScopeAndDevice(scopeId, deviceId);
            if (credType != IotConnectType.X509Certificate)
            {
                throw new ArgumentException("without a key only X.509 (the certificate stored on the device) is possible", "credType");
            }

            _scopeId = scopeId;
            _deviceId = deviceId;
            _credType = IotConnectType.X509Certificate;
            CreatePlatformTransports(ref _transports);
        }

        /// <summary>
        /// Creates a device that authenticates with an X.509 client certificate given as bytes: PEM text, or DER
        /// (the certificate as X.509 DER, the key as PKCS#8 DER).
        /// </summary>
        /// <param name="scopeId">The DPS ID scope.</param>
        /// <param name="certificate">The device certificate (PEM or DER bytes).</param>
        /// <param name="privateKey">The certificate's private key (PEM or PKCS#8 DER bytes). Secret: it is never logged.</param>
        /// <param name="deviceId">The device id; must match the certificate's CN for DPS.</param>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or malformed.</exception>
        public Device(string scopeId, byte[] certificate, byte[] privateKey, string deviceId)
            : this(scopeId, ToPem(certificate, "CERTIFICATE", "certificate"), ToPem(privateKey, "PRIVATE KEY", "privateKey"), deviceId)
        {
        }

        /// <summary>Each platform build (board, .NET) supplies its transports here; the portable core has none.</summary>
        static partial void CreatePlatformTransports(ref ITransportFactory factory);

        /// <summary>
        /// True while the MQTT session is up (Python: <c>isConnected()</c>). After a lost link it is false until
        /// <see cref="DoNext"/> has reconnected, so keep calling <see cref="DoNext"/> rather than looping on this.
        /// </summary>
        public bool IsConnected
        {
            get { return _state == StateConnected && _mqtt != null && _mqtt.IsConnected; }
        }

        /// <summary>The device id.</summary>
        public string DeviceId
        {
            get { return _deviceId; }
        }

        /// <summary>The IoT hub DPS assigned, once connected; null before.</summary>
        public string HubHost
        {
            get { return _hubHost; }
        }

        /// <summary>Messages waiting for confirmation (sent or not yet sent).</summary>
        public int PendingMessages
        {
            get { return _outbox.Count; }
        }

        /// <summary>Sets how much is logged (Python: <c>setLogLevel</c>). Default <see cref="IotLogLevel.Disabled"/>.</summary>
        /// <param name="logLevel">The level.</param>
        public void SetLogLevel(IotLogLevel logLevel)
        {
            if (logLevel != IotLogLevel.Disabled && logLevel != IotLogLevel.ApiOnly && logLevel != IotLogLevel.All)
            {
                throw new ArgumentOutOfRangeException("logLevel");
            }

            _logLevel = logLevel;
        }

        /// <summary>Replaces where log lines go (default: <c>Console.WriteLine</c>). Null restores the default.</summary>
        /// <param name="sink">The sink.</param>
        public void SetLogSink(IotcLogSink sink)
        {
            _logSink = sink;
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
            if (host == null)
            {
                throw new ArgumentNullException("host");
            }

            int port = 443;
            string name = host.Trim();
            if (name.IndexOf("://") >= 0)
            {
                throw new ArgumentException("give a host name (optionally host:port), not a URL", "host");
            }

            int colon = name.LastIndexOf(':');
            if (colon >= 0 && name.IndexOf(']') < colon)
            {
                port = ParsePort(name.Substring(colon + 1), "host");
                name = name.Substring(0, colon);
            }

            if (name.Length == 0 || name.IndexOf('/') >= 0 || name.IndexOf(' ') >= 0)
            {
                throw new ArgumentException("not a host name", "host");
            }

            _serviceHost = name;
            _servicePort = port;
        }

        /// <summary>Sets the IoT Hub MQTT port (default 8883). Call before <see cref="Connect"/>.</summary>
        /// <param name="port">1..65535.</param>
        public void SetHubPort(int port)
        {
            CheckNotStarted("SetHubPort");
            if (port < 1 || port > 65535)
            {
                throw new ArgumentOutOfRangeException("port");
            }

            _mqttPort = port;
        }

        /// <summary>Sets the QoS for telemetry (0 or 1; default 1). Properties, acks and command responses always use QoS 1.</summary>
        /// <param name="qosLevel">0 or 1.</param>
        public void SetQosLevel(int qosLevel)
        {
            if (qosLevel != 0 && qosLevel != 1)
            {
                throw new ArgumentOutOfRangeException("qosLevel", "IoT Hub supports QoS 0 and 1");
            }

            _qos = qosLevel;
        }

        /// <summary>
        /// Sets the SAS token lifetime in seconds (default 3600). The SDK reconnects with a fresh token at 80 % of it, so
        /// the hub never closes the link for an expired token.
        /// </summary>
        /// <param name="seconds">10 .. 31,536,000 (one year).</param>
        public void SetTokenExpiration(int seconds)
        {
            if (seconds < 10 || seconds > 31536000)
            {
                throw new ArgumentOutOfRangeException("seconds", "between 10 seconds and one year");
            }

            _tokenLifetimeSeconds = seconds;
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
            if (modelId == null)
            {
                throw new ArgumentNullException("modelId");
            }

            if (!IsModelId(modelId))
            {
                throw new ArgumentException("a DTDL model id looks like dtmi:com:example:Model;1", "modelId");
            }

            _modelId = modelId;
        }

        /// <summary>
        /// Trusts these root certificate(s) (PEM) for DPS and IoT Hub instead of the platform's store, e.g. the local
        /// emulator's CA. Validation stays on. Call before <see cref="Connect"/>.
        /// </summary>
        /// <param name="pem">One or more PEM certificates.</param>
        public void SetRootCertificate(string pem)
        {
            CheckNotStarted("SetRootCertificate");
            if (pem == null)
            {
                throw new ArgumentNullException("pem");
            }

            if (pem.IndexOf("-----BEGIN CERTIFICATE-----") < 0)
            {
                throw new ArgumentException("not a PEM certificate", "pem");
            }

            _rootCaPem = pem;
        }

        /// <summary>
        /// Chooses the writable-property acknowledgement format: false (default) for IoT Central / Plug and Play
        /// (<c>{"name":{"value":v,"ac":200,"ad":"completed","av":N}}</c>), true for the legacy iotc form
        /// (<c>{"name":{"value":v,"statusCode":200,"status":"completed","desiredVersion":N}}</c>).
        /// </summary>
        /// <param name="legacy">True for the legacy form.</param>
        public void SetLegacyAcknowledgements(bool legacy)
        {
            _legacyAcks = legacy;
        }

        /// <summary>Bounds the outbox (default 32 messages, 32 KB). When it is full, <c>Send*</c> throws instead of dropping.</summary>
        /// <param name="maxMessages">At least 1.</param>
        /// <param name="maxBytes">At least 1.</param>
        public void SetOutboxLimits(int maxMessages, int maxBytes)
        {
            _outbox.SetLimits(maxMessages, maxBytes);
        }

        /// <summary>Sets the reconnect back-off: first delay and cap, in milliseconds (default 1,000 and 60,000).</summary>
        /// <param name="minMilliseconds">First retry delay (≥ 1).</param>
        /// <param name="maxMilliseconds">Cap (≥ <paramref name="minMilliseconds"/>).</param>
        public void SetReconnectBackoff(int minMilliseconds, int maxMilliseconds)
        {
            if (minMilliseconds < 1)
            {
                throw new ArgumentOutOfRangeException("minMilliseconds");
            }

            if (maxMilliseconds < minMilliseconds)
            {
                throw new ArgumentOutOfRangeException("maxMilliseconds");
            }

            _backoff = new Backoff(minMilliseconds, maxMilliseconds, _deviceId.GetHashCode());
        }

        /// <summary>Sets the MQTT keep-alive (default 60 s) and the connect/request time-out (default 30 s).</summary>
        /// <param name="keepAliveSeconds">5 .. 1200.</param>
        /// <param name="timeoutMilliseconds">500 .. 120,000.</param>
        public void SetTimeouts(int keepAliveSeconds, int timeoutMilliseconds)
        {
            if (keepAliveSeconds < 5 || keepAliveSeconds > 1200)
            {
                throw new ArgumentOutOfRangeException("keepAliveSeconds");
            }

            if (timeoutMilliseconds < 500 || timeoutMilliseconds > 120000)
            {
                throw new ArgumentOutOfRangeException("timeoutMilliseconds");
            }

            _keepAliveSeconds = keepAliveSeconds;
            _timeoutMilliseconds = timeoutMilliseconds;
        }

        /// <summary>Uses these transports instead of the platform's (tests, custom stacks). Call before <see cref="Connect"/>.</summary>
        /// <param name="transports">The factory.</param>
        public void SetTransportFactory(ITransportFactory transports)
        {
            CheckNotStarted("SetTransportFactory");
            if (transports == null)
            {
                throw new ArgumentNullException("transports");
            }

            _transports = transports;
        }

        /// <summary>Uses this clock instead of the system clock (tests). Call before <see cref="Connect"/>.</summary>
        /// <param name="clock">The clock.</param>
        public void SetClock(IClock clock)
        {
            CheckNotStarted("SetClock");
            if (clock == null)
            {
                throw new ArgumentNullException("clock");
            }

            _clock = clock;
        }

        /// <summary>
        /// Registers <paramref name="callback"/> for <paramref name="eventName"/> (Python: <c>on</c>); see
        /// <see cref="IotcEvents"/>. A later registration for the same event replaces the earlier one; null removes it.
        /// </summary>
        /// <param name="eventName">ConnectionStatus, MessageSent, Command, SettingsUpdated, MessageReceived or EnqueuedCommand.</param>
        /// <param name="callback">The handler.</param>
        /// <exception cref="ArgumentException">Unknown event name.</exception>
        public void On(string eventName, IotcCallback callback)
        {
            if (eventName == null)
            {
                throw new ArgumentNullException("eventName");
            }

            if (!IotcEvents.IsKnown(eventName))
            {
                throw new ArgumentException("unknown event '" + eventName + "'; expected ConnectionStatus, MessageSent, Command, SettingsUpdated, MessageReceived or EnqueuedCommand", "eventName");
            }

            _handlers.Set(eventName, callback);
        }

        /// <summary>
        /// Provisions the device through DPS, then opens the IoT Hub MQTT session, subscribes and fetches the twin
        /// (Python: <c>connect()</c>). Blocks until connected or failed. <c>ConnectionStatus</c> is raised before it
        /// returns or throws (status 0 when connected).
        /// </summary>
        /// <exception cref="IotcException">Provisioning or the hub refused, or could not be reached; see its status.</exception>
        /// <exception cref="InvalidOperationException">Already connected, called from inside a callback, or no transport for this platform.</exception>
        /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
        public void Connect()
        {
            CheckNotDisposed();
            if (_inPump)
            {
                // Connecting blocks (DPS, TLS) and would re-enter the pump half-way through a callback.
                throw new InvalidOperationException("Connect() was called from inside a callback; call it from the application loop instead");
            }

            if (_state == StateConnected || _state == StateReconnecting)
            {
                throw new InvalidOperationException("already connected; call Disconnect() first");
            }

            if (_transports == null)
            {
                throw new InvalidOperationException("no transport for this platform; call SetTransportFactory first");
            }

            Log(IotLogLevel.ApiOnly, "connect: device '" + _deviceId + "', scope '" + _scopeId + "', DPS " + _serviceHost + ":" + _servicePort);
            try
            {
                ConnectOnce();
                _failedAttempts = 0;
            }
            catch (IotcException ex)
            {
                _state = StateDisconnected;
                RaiseConnectionStatus(ex.StatusCode == 0 ? -1 : ex.StatusCode, ex.Message);
                DeliverPendingCallbacks();
                throw;
            }

            DeliverPendingCallbacks();
        }

        /// <summary>Sends telemetry (Python: <c>sendTelemetry</c>) with content type JSON/UTF-8.</summary>
        /// <param name="payload">The message text, normally JSON.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="payload"/> is null.</exception>
        /// <exception cref="ArgumentException">The payload is larger than 256 KB.</exception>
        /// <exception cref="InvalidOperationException">Not connected yet, disconnected, or the outbox is full.</exception>
        public int SendTelemetry(string payload)
        {
            return SendTelemetry(payload, null);
        }

        /// <summary>Sends telemetry with application properties (sent in the topic's property bag).</summary>
        /// <param name="payload">The message text.</param>
        /// <param name="properties">Application properties, or null.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendTelemetry(string payload, PropertyBag properties)
        {
            return EnqueueTelemetry("SendTelemetry", payload, properties);
        }

        /// <summary>Sends device state (Python: <c>sendState</c>); on the wire it is telemetry.</summary>
        /// <param name="payload">The state as JSON, e.g. <c>{"status":"WARNING"}</c>.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendState(string payload)
        {
            return EnqueueTelemetry("SendState", payload, null);
        }

        /// <summary>Sends an event (Python: <c>sendEvent</c>); on the wire it is telemetry.</summary>
        /// <param name="payload">The event as JSON.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendEvent(string payload)
        {
            return EnqueueTelemetry("SendEvent", payload, null);
        }

        /// <summary>
        /// Reports properties (Python: <c>sendProperty</c>): <paramref name="payload"/> is a JSON object patched into the
        /// twin's reported properties. <c>MessageSent</c> fires when the hub accepted it (status 0) or refused it (the
        /// twin status, e.g. 400).
        /// </summary>
        /// <param name="payload">A JSON object, e.g. <c>{"firmware":"1.2"}</c>.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        /// <exception cref="ArgumentException">The payload is not a JSON object.</exception>
        public int SendProperty(string payload)
        {
            CheckCanSend("SendProperty", payload);
            JsonValue parsed;
            try
            {
                parsed = JsonValue.Parse(payload);
            }
            catch (JsonException ex)
            {
                throw new ArgumentException("not valid JSON: " + ex.Message, "payload");
            }

            if (parsed.Kind != JsonValueKind.Object)
            {
                throw new ArgumentException("reported properties must be a JSON object", "payload");
            }

            // The hub refuses a twin patch whose keys break its rules (400), which would surface much later.
            CheckPropertyNames(parsed);

            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.Property;
            m.Text = payload;
            m.Payload = Utf8.GetBytes(payload);
            m.Qos = 1;
            return Enqueue(m, "SendProperty");
        }

        /// <summary>
        /// Does the pending work (Python: <c>doNext()</c>): takes what the transport received, raises callbacks, sends
        /// acks, responses and queued messages, renews the token and reconnects after a loss. Never blocks longer than a
        /// reconnect attempt. Call it often (e.g. every 10–100 ms).
        /// </summary>
        /// <exception cref="InvalidOperationException">Called from inside a callback.</exception>
        /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
        public void DoNext()
        {
            CheckNotDisposed();
            if (_inPump)
            {
                throw new InvalidOperationException("DoNext() was called from inside a callback; return from the callback instead");
            }

            _inPump = true;
            try
            {
                // Also while reconnecting: late events of dead connections are discarded rather than left to pile up.
                ProcessInbox();

                if (_state == StateConnected && _clock.NowMilliseconds >= _renewAtMs)
                {
                    Log(IotLogLevel.ApiOnly, "SAS token at 80% of its lifetime: reconnecting with a fresh one");
                    CloseTransport();
                    _outbox.MarkAllForResend();
                    _state = StateReconnecting;
                    _nextAttemptAtMs = _clock.NowMilliseconds;
                    RaiseConnectionStatus(IotcStatus.TokenRenewal, "renewing SAS token");
                }

                if (_state == StateReconnecting && _clock.NowMilliseconds >= _nextAttemptAtMs)
                {
                    TryReconnect();
                }

                if (_state == StateConnected && _twinGetRetryAtMs != 0 && _clock.NowMilliseconds >= _twinGetRetryAtMs)
                {
                    try
                    {
                        RequestTwin(_mqtt);
                    }
                    catch (TransportException ex)
                    {
                        OnConnectionLost("twin GET failed: " + ex.Message);
                    }
                }

                if (_state == StateConnected)
                {
                    FlushOutbox();
                }

                DeliverPendingCallbacks();
            }
            finally
            {
                _inPump = false;
            }
        }

        /// <summary>Closes the session (Python: <c>disconnect()</c>). Idempotent. Unconfirmed messages stay in the outbox for a later <see cref="Connect"/>.</summary>
        public void Disconnect()
        {
            if (_state == StateDisposed || _state == StateIdle || _state == StateDisconnected)
            {
                return;
            }

            Log(IotLogLevel.ApiOnly, "disconnect");
            CloseTransport();
            _outbox.MarkAllForResend();
            _state = StateDisconnected;
            RaiseConnectionStatus(IotcStatus.Disconnected, "disconnected by the application");
            if (!_inPump)
            {
                DeliverPendingCallbacks();
            }
        }

        /// <summary>Disconnects and releases the transport. The device cannot be used afterwards.</summary>
        public void Dispose()
        {
            if (_state == StateDisposed)
            {
                return;
            }

            Disconnect();
            _state = StateDisposed;
        }

        // ---- connection --------------------------------------------------------------------------------------------

        private void ConnectOnce()
        {
            if (_hubHost == null || _reprovision)
            {
                Provision();
                _reprovision = false;
            }

            string password = null;
            long nowSeconds = _clock.NowMilliseconds / 1000;
            if (_credType != IotConnectType.X509Certificate)
            {
                password = SasToken.ForHub(_hubHost, _hubDeviceId, _deviceKey, nowSeconds + _tokenLifetimeSeconds);
            }

            MqttConnectOptions options = new MqttConnectOptions();
            options.Host = _hubHost;
            options.Port = _mqttPort;
            options.ClientId = _hubDeviceId;
            options.Username = HubTopics.Username(_hubHost, _hubDeviceId, _modelId, null);
            options.Password = password;
            options.KeepAliveSeconds = _keepAliveSeconds;
            options.TimeoutMilliseconds = _timeoutMilliseconds;
            options.Tls = Tls();

            _generation++;
            IMqttTransport mqtt = _transports.CreateMqttTransport();
            Log(IotLogLevel.ApiOnly, "MQTT: connecting to " + _hubHost + ":" + _mqttPort + " as '" + _hubDeviceId + "'");
            int connack;
            try
            {
                connack = mqtt.Connect(options, new ConnectionEvents(_inbox, _generation));
            }
            catch (TransportException ex)
            {
                SafeClose(mqtt);
                _networkFailures++;
                throw new IotcException("IoT Hub " + _hubHost + ":" + _mqttPort + " unreachable: " + ex.Message, -1, 0, null, ex);
            }

            if (connack != 0)
            {
                SafeClose(mqtt);
                if (connack == 4 || connack == 5)
                {
                    _authFailures++;
                }

                throw new IotcException("IoT Hub refused the connection: CONNACK " + connack + " (" + ConnackText(connack) + ")", connack, 0, null, null);
            }

            try
            {
                mqtt.Subscribe(HubTopics.Subscriptions(_hubDeviceId));
                _twinGetAttempts = 0;
                RequestTwin(mqtt);
            }
            catch (TransportException ex)
            {
                SafeClose(mqtt);
                _networkFailures++;
                throw new IotcException("IoT Hub connection lost while subscribing: " + ex.Message, -1, 0, null, ex);
            }

            _mqtt = mqtt;
            _state = StateConnected;
            _authFailures = 0;
            _networkFailures = 0;
            _renewAtMs = _clock.NowMilliseconds + (long)_tokenLifetimeSeconds * 800;
            Log(IotLogLevel.ApiOnly, "MQTT: connected to " + _hubHost + "; " + _outbox.Count + " message(s) waiting");
            RaiseConnectionStatus(0, "connected");
        }

        private void Provision()
        {
            DpsClient dps = new DpsClient(_transports.CreateHttpTransport(), _clock, this);
            DpsResult result = dps.Register(_serviceHost, _servicePort, _scopeId, _deviceId, _credType == IotConnectType.X509Certificate ? null : _deviceKey, _modelId, Tls(), _tokenLifetimeSeconds, _timeoutMilliseconds, _provisioningTimeoutMs);
            _hubHost = result.AssignedHub;
            _hubDeviceId = result.DeviceId;
        }

        private void TryReconnect()
        {
            // A fresh transport per attempt: reusing a client after a drop hangs some stacks.
            if (_authFailures >= 3 || _networkFailures >= 5)
            {
                Log(IotLogLevel.ApiOnly, "repeated failures at " + _hubHost + ": provisioning again through DPS");
                _reprovision = true;
            }

            try
            {
                ConnectOnce();
                _failedAttempts = 0;
            }
            catch (IotcException ex)
            {
                if (IsFatal(ex))
                {
                    Log(IotLogLevel.ApiOnly, "giving up: " + ex.Message);
                    _state = StateDisconnected;
                    RaiseConnectionStatus(ex.StatusCode, "fatal: " + ex.Message);
                    return;
                }

                int delay = _backoff.Delay(_failedAttempts);
                _failedAttempts++;
                _nextAttemptAtMs = _clock.NowMilliseconds + delay;
                Log(IotLogLevel.ApiOnly, "reconnect attempt " + _failedAttempts + " failed (" + ex.Message + "); next in " + delay + " ms");
                RaiseConnectionStatus(ex.StatusCode == 0 ? -1 : ex.StatusCode, ex.Message);
            }
        }

        private bool IsFatal(IotcException ex)
        {
            // CONNACK 1 (protocol) and 2 (client id) will not pass by retrying. Credentials refused by DPS itself
            // (401/403) or an unknown registration (404) will not either; a hub refusal (4/5) may (token, re-assignment).
            int s = ex.StatusCode;
            return s == 1 || s == 2 || s == 400 || s == 401 || s == 403 || s == 404 || (s >= 4 && s <= 5 && _authFailures >= 6);
        }

        private void OnConnectionLost(string reason)
        {
            Log(IotLogLevel.ApiOnly, "connection lost: " + reason);
            CloseTransport();
            _outbox.MarkAllForResend();
            _state = StateReconnecting;
            int delay = _backoff.Delay(0);
            _failedAttempts = 1;
            _nextAttemptAtMs = _clock.NowMilliseconds + delay;
            RaiseConnectionStatus(IotcStatus.ConnectionLost, "connection lost: " + reason + "; reconnecting in " + delay + " ms");
        }

        private void CloseTransport()
        {
            IMqttTransport mqtt = _mqtt;
            _mqtt = null;
            _generation++;
            if (mqtt != null)
            {
                SafeClose(mqtt);
            }
        }

        private static void SafeClose(IMqttTransport mqtt)
        {
            try
            {
                mqtt.Close();
            }
            catch (Exception)
            {
                // Close() must not throw; a transport that does anyway must not break the pump.
            }
        }

        private TlsSettings Tls()
        {
            TlsSettings tls = new TlsSettings();
            tls.RootCaPem = _rootCaPem;
            tls.ClientCertificatePem = _clientCertificatePem;
            tls.ClientPrivateKeyPem = _clientPrivateKeyPem;
            return tls;
        }

        private static string ConnackText(int code)
        {
            switch (code)
            {
                case 1: return "unacceptable protocol version";
                case 2: return "identifier rejected";
                case 3: return "server unavailable";
                case 4: return "bad user name or password";
                case 5: return "not authorized";
                default: return "unknown";
            }
        }

        // ---- inbound -----------------------------------------------------------------------------------------------

        private void ProcessInbox()
        {
            int dropped;
            ArrayList events = _inbox.TakeAll(out dropped);
            if (dropped > 0)
            {
                Log(IotLogLevel.ApiOnly, dropped + " server message(s)/PUBACK(s) dropped because the inbox was full: call DoNext() more often (unconfirmed messages are re-sent after the next reconnect)");
            }

            for (int i = 0; i < events.Count; i++)
            {
                InboundEvent e = (InboundEvent)events[i];
                if (e.Generation != _generation || _state != StateConnected)
                {
                    continue;
                }

                try
                {
                    switch (e.Kind)
                    {
                        case InboundEvent.Published:
                            OnPublished(e.PacketId);
                            break;
                        case InboundEvent.Message:
                            OnMessage(e.Topic, e.Payload);
                            break;
                        case InboundEvent.Lost:
                            OnConnectionLost(e.Reason);
                            break;
                    }
                }
                catch (Exception ex)
                {
                    // Hostile or unexpected server input must never break the pump.
                    Log(IotLogLevel.ApiOnly, "ignored a server message that could not be handled: " + ex.Message);
                }
            }

            events.Clear();
            if (_state == StateConnected && _mqtt != null && !_mqtt.IsConnected)
            {
                OnConnectionLost("transport closed");
            }
        }

        private void OnPublished(int packetId)
        {
            int index = _outbox.IndexOfPacket(packetId);
            if (index < 0)
            {
                return;
            }

            OutboundMessage m = _outbox[index];
            if (m.Kind == OutboundMessage.Telemetry)
            {
                _outbox.RemoveAt(index);
                RaiseMessageSent(m, 0);
            }
            else if (m.Kind == OutboundMessage.CommandResponse)
            {
                _outbox.RemoveAt(index);
            }

            // Reported patches wait for their twin response, which says whether the hub accepted them.
        }

        private void OnMessage(string topic, byte[] payload)
        {
            HubTopicInfo message = HubTopicParser.Parse(topic);
            if (Logs(IotLogLevel.All))
            {
                Log(IotLogLevel.All, "received " + topic + " (" + payload.Length + " bytes)");
            }
            switch (message.Kind)
            {
                case HubTopicKind.MethodRequest:
                    OnCommand(message.MethodName, message.RequestId, Utf8.GetString(payload));
                    break;
                case HubTopicKind.TwinResponse:
                    OnTwinResponse(message.Status, message.RequestId, Utf8.GetString(payload));
                    break;
                case HubTopicKind.DesiredPatch:
                    OnDesired(TwinProtocol.ParseDesiredPatch(Utf8.GetString(payload)), message.Version);
                    break;
                case HubTopicKind.CloudToDevice:
                    if (message.DeviceId != (_hubDeviceId != null ? _hubDeviceId : _deviceId))
                    {
                        Log(IotLogLevel.ApiOnly, "ignored a cloud-to-device message for another device");
                        break;
                    }

                    OnCloudToDevice(message.Properties, Utf8.GetString(payload));
                    break;
                default:
                    Log(IotLogLevel.ApiOnly, "ignored a message on an unexpected topic");
                    break;
            }
        }

        private void OnCommand(string name, string rid, string body)
        {
            if (!_outbox.HasRoom(0, true))
            {
                // Running a command that cannot be answered would do the work while the operator sees a failure;
                // not running it lets the hub time it out, which tells the truth.
                Log(IotLogLevel.ApiOnly, "command '" + name + "' ($rid " + rid + ") not run: the outbox is full, so it could not be answered; the hub will time it out");
                return;
            }

            IotcCallback handler = _handlers.Get(IotcEvents.Command);
            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.Command);
            info.Tag = name;
            info.Payload = body;
            int status;
            string response;
            if (handler == null)
            {
                status = 501;
                response = MethodProtocol.NoHandlerBody(name);
                Log(IotLogLevel.ApiOnly, "command '" + name + "' has no handler: answering 501");
            }
            else
            {
                Invoke(handler, info);
                status = info.HasResponse ? info.ResponseCode : 200;
                response = info.HasResponse ? CommandResponseBody(info.ResponseMessage) : MethodProtocol.EmptyBody;
                if (status < 0)
                {
                    // A negative status cannot go in the response topic; answer something the operator can read.
                    Log(IotLogLevel.ApiOnly, "command '" + name + "': the callback set response code " + status + "; answering 500");
                    status = 500;
                    response = MethodProtocol.MessageBody("the device set an invalid response code");
                }
            }

            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.CommandResponse;
            m.Status = status;
            m.RequestId = rid;
            m.Payload = Utf8.GetBytes(response);
            m.Qos = 1;
            EnqueueAutomatic(m, "the response to command '" + name + "' ($rid " + rid + ")");
        }

        private void OnTwinResponse(int status, string rid, string body)
        {
            if (rid == null)
            {
                return;
            }

            if (rid == _twinGetRequestId)
            {
                _twinGetRequestId = null;
                if (status == 200)
                {
                    OnDesired(TwinProtocol.ParseTwinGet(body), -1);
                }
                else if ((status == 429 || (status >= 500 && status < 600)) && _twinGetAttempts < MaxTwinAttempts)
                {
                    // Throttled or a service fault: the settings changed while offline still have to arrive, so ask again.
                    int delay = _backoff.Delay(_twinGetAttempts - 1);
                    _twinGetRetryAtMs = _clock.NowMilliseconds + delay;
                    Log(IotLogLevel.ApiOnly, "twin GET answered " + status + "; asking again in " + delay + " ms");
                }
                else
                {
                    Log(IotLogLevel.ApiOnly, "twin GET answered " + status + "; desired properties arrive with the next change or reconnect");
                }

                return;
            }

            int index = _outbox.IndexOfTwinRequest(rid);
            if (index < 0)
            {
                Log(IotLogLevel.All, "twin response for an unknown $rid ignored");
                return;
            }

            OutboundMessage m = _outbox[index];
            bool accepted = status >= 200 && status < 300;
            if ((status == 429 || (status >= 500 && status < 600)) && m.Attempts < MaxTwinAttempts)
            {
                // Throttled or a service fault: send the same patch again later (a few times, not forever).
                m.InFlight = false;
                m.TwinRequestId = null;
                return;
            }

            // Anything but 2xx is a refusal; a status that is not HTTP-like (e.g. 0) must not read as success.
            int reported = accepted ? 0 : (status >= 100 && status < 600 ? status : IotcStatus.ProtocolError);
            _outbox.RemoveAt(index);
            if (m.Kind == OutboundMessage.Property)
            {
                RaiseMessageSent(m, reported);
            }
            else if (!accepted)
            {
                Log(IotLogLevel.ApiOnly, "the hub refused a setting acknowledgement: twin status " + status);
            }
        }

        private void OnDesired(DesiredProperties desired, long topicVersion)
        {
            if (desired == null || desired.IsMalformed)
            {
                Log(IotLogLevel.ApiOnly, "ignored a malformed desired-properties document");
                return;
            }

            // The hub always sends the body's $version; the topic's is the fallback.
            long version = desired.Version >= 0 ? desired.Version : topicVersion;

            // After a reconnect the twin GET repeats what was delivered already: raise only what is newer.
            if (version >= 0 && version <= _desiredVersion)
            {
                return;
            }

            if (version > _desiredVersion)
            {
                _desiredVersion = version;
            }
            else
            {
                // The values are still the operator's wish, so deliver them; but an ack must name the version it
                // answers (IoT Central matches "av"), and "av":-1 would be a false claim. So: no ack, and say so.
                Log(IotLogLevel.ApiOnly, "desired properties without a $version: delivered to SettingsUpdated (DesiredVersion -1) but not acknowledged");
            }

            // A callback may Disconnect() or Dispose(): then the rest of the document is not raised.
            for (int i = 0; i < desired.Count && _state == StateConnected; i++)
            {
                if (!desired.IsComponent(i))
                {
                    RaiseSetting(null, desired.GetName(i), desired.GetRawValue(i), version);
                    continue;
                }

                // A Plug and Play component: {"comp":{"__t":"c","prop":v}} raises "comp*prop", like component commands.
                JsonValue component = desired.GetValue(i);
                for (int j = 0; j < component.Count && _state == StateConnected; j++)
                {
                    string name = component.GetName(j);
                    if (name.Length > 0 && name[0] != '$' && name != "__t")
                    {
                        RaiseSetting(desired.GetName(i), name, component.GetValue(j).RawText, version);
                    }
                }
            }
        }

        private void RaiseSetting(string component, string name, string rawValue, long version)
        {
            IotcCallback handler = _handlers.Get(IotcEvents.SettingsUpdated);
            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.SettingsUpdated);
            info.Tag = component == null ? name : component + MethodProtocol.ComponentSeparator + name;
            info.Payload = rawValue;
            info.DesiredVersion = version;
            if (handler != null)
            {
                Invoke(handler, info);
            }

            if (version < 0)
            {
                return;
            }

            int code = info.HasResponse ? info.ResponseCode : TwinProtocol.AckCompleted;
            string description = info.HasResponse ? info.ResponseMessage : TwinProtocol.AckCompletedDescription;
            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.SettingAck;
            m.Payload = Utf8.GetBytes(component == null
                ? TwinProtocol.BuildAck(name, rawValue, code, description, version, _legacyAcks)
                : TwinProtocol.BuildComponentAck(component, name, rawValue, code, description, version));
            m.Qos = 1;
            EnqueueAutomatic(m, "the acknowledgement of setting '" + info.Tag + "' (version " + version + ")");
        }

        /// <summary>A command's response body: JSON text goes as-is, anything else as a JSON string.</summary>
        private static string CommandResponseBody(string message)
        {
            if (message == null || message.Length == 0)
            {
                return MethodProtocol.EmptyBody;
            }

            JsonValue parsed;
            return JsonValue.TryParse(message, out parsed) ? message : JsonWriter.Quote(message);
        }

        private void OnCloudToDevice(PropertyBag properties, string body)
        {
            // IoT Central queues offline commands as C2D messages named by a "method-name" property.
            string methodName = properties == null ? null : properties.Get("method-name");
            string eventName = methodName != null ? IotcEvents.EnqueuedCommand : IotcEvents.MessageReceived;
            IotcCallback handler = _handlers.Get(eventName);
            if (handler == null)
            {
                Log(IotLogLevel.ApiOnly, "cloud-to-device message with no " + eventName + " handler");
                return;
            }

            IotcCallbackInfo info = new IotcCallbackInfo(this, eventName);
            info.Payload = body;
            info.Tag = methodName;
            info.Properties = properties;
            Invoke(handler, info);
        }

        // ---- outbound ----------------------------------------------------------------------------------------------

        private int EnqueueTelemetry(string api, string payload, PropertyBag properties)
        {
            CheckCanSend(api, payload);
            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.Telemetry;
            m.Text = payload;
            m.Topic = HubTopics.Telemetry(_hubDeviceId != null ? _hubDeviceId : _deviceId, properties);
            m.Payload = Utf8.GetBytes(payload);
            m.Qos = _qos;
            return Enqueue(m, api);
        }

        private int Enqueue(OutboundMessage m, string api)
        {
            if (m.Payload.Length > MaxPayloadBytes)
            {
                throw new ArgumentException("the payload is " + m.Payload.Length + " bytes; IoT Hub accepts at most 262144", "payload");
            }

            if (m.Payload.Length > _outbox.MaxBytes)
            {
                // It would never fit, however long the application waits: "outbox full" would be misleading.
                throw new ArgumentException("the payload is " + m.Payload.Length + " bytes; the outbox holds at most " + _outbox.MaxBytes + " (SetOutboxLimits)", "payload");
            }

            if (!_outbox.HasRoom(m.Payload.Length, false))
            {
                throw new InvalidOperationException(api + ": the outbox is full (" + _outbox.Count + " messages, " + _outbox.Bytes + " bytes waiting); call DoNext() until MessageSent frees room, or raise SetOutboxLimits");
            }

            _nextMessageId = _nextMessageId == int.MaxValue ? 1 : _nextMessageId + 1;
            m.MessageId = _nextMessageId;
            _outbox.Add(m);
            if (Logs(IotLogLevel.ApiOnly))
            {
                Log(IotLogLevel.ApiOnly, api + ": message " + m.MessageId + " queued (" + m.Payload.Length + " bytes)");
            }
            return m.MessageId;
        }

        /// <summary>Queues an ack or command response in the outbox's small reserve; what does not fit is logged, by name.</summary>
        private void EnqueueAutomatic(OutboundMessage m, string what)
        {
            if (!_outbox.HasRoom(m.Payload.Length, true))
            {
                Log(IotLogLevel.ApiOnly, what + " was NOT sent: the outbox is full (" + _outbox.Count + " messages, " + _outbox.Bytes + " bytes waiting; this one is " + m.Payload.Length + " bytes)");
                return;
            }

            _outbox.Add(m);
        }

        private void FlushOutbox()
        {
            int inFlight = _outbox.InFlightCount();
            for (int i = 0; i < _outbox.Count && _state == StateConnected; i++)
            {
                OutboundMessage m = _outbox[i];
                if (m.InFlight)
                {
                    continue;
                }

                if (inFlight >= _maxInFlight)
                {
                    return;
                }

                string topic = m.Topic;
                if (m.Kind == OutboundMessage.Property || m.Kind == OutboundMessage.SettingAck)
                {
                    m.TwinRequestId = NextRequestId();
                    topic = HubTopics.TwinPatchReported(m.TwinRequestId);
                }
                else if (m.Kind == OutboundMessage.CommandResponse)
                {
                    topic = HubTopics.MethodResponse(m.Status, m.RequestId);
                }

                int packetId;
                try
                {
                    packetId = _mqtt.Publish(topic, m.Payload, m.Qos);
                }
                catch (TransportException ex)
                {
                    m.TwinRequestId = null;
                    OnConnectionLost("publish failed: " + ex.Message);
                    return;
                }

                m.Attempts++;
                if (Logs(IotLogLevel.All))
                {
                    Log(IotLogLevel.All, "published " + topic + " (" + m.Payload.Length + " bytes, QoS " + m.Qos + ")");
                }
                if (m.Qos == 0 && m.Kind == OutboundMessage.Telemetry)
                {
                    // QoS 0 is confirmed by the write itself.
                    _outbox.RemoveAt(i);
                    i--;
                    RaiseMessageSent(m, 0);
                    continue;
                }

                m.InFlight = true;
                m.PacketId = packetId;
                inFlight++;
            }
        }

        /// <summary>Asks for the whole twin: after every (re)connect, so settings changed while offline are delivered.</summary>
        private void RequestTwin(IMqttTransport mqtt)
        {
            _twinGetRetryAtMs = 0;
            _twinGetAttempts++;
            _twinGetRequestId = NextRequestId();
            mqtt.Publish(HubTopics.TwinGet(_twinGetRequestId), new byte[0], 0);
        }

        private string NextRequestId()
        {
            _nextRequestId = _nextRequestId == int.MaxValue ? 1 : _nextRequestId + 1;
            return _nextRequestId.ToString();
        }

        // ---- callbacks ---------------------------------------------------------------------------------------------

        private void RaiseMessageSent(OutboundMessage m, int status)
        {
            IotcCallback handler = _handlers.Get(IotcEvents.MessageSent);
            if (Logs(IotLogLevel.All))
            {
                Log(IotLogLevel.All, "message " + m.MessageId + " confirmed" + (status == 0 ? string.Empty : " with status " + status));
            }
            if (handler == null)
            {
                return;
            }

            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.MessageSent);
            info.Payload = m.Text;
            info.MessageId = m.MessageId;
            info.StatusCode = status;
            Invoke(handler, info);
        }

        private void RaiseConnectionStatus(int status, string reason)
        {
            _lastStatus = status;
            IotcCallback handler = _handlers.Get(IotcEvents.ConnectionStatus);
            if (handler == null)
            {
                return;
            }

            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.ConnectionStatus);
            info.StatusCode = status;
            info.Payload = reason;

            // Status changes can happen inside Connect() or Disconnect(); queue them so they are delivered in order.
            _pendingCallbacks.Add(new object[] { handler, info });
        }

        private void DeliverPendingCallbacks()
        {
            while (_pendingCallbacks.Count > 0)
            {
                object[] pending = (object[])_pendingCallbacks[0];
                _pendingCallbacks.RemoveAt(0);
                bool wasInPump = _inPump;
                _inPump = true;
                try
                {
                    Invoke((IotcCallback)pending[0], (IotcCallbackInfo)pending[1]);
                }
                finally
                {
                    _inPump = wasInPump;
                }
            }
        }

        private void Invoke(IotcCallback handler, IotcCallbackInfo info)
        {
            bool wasInPump = _inPump;
            _inPump = true;
            try
            {
                handler(info);
            }
            catch (Exception ex)
            {
                // A throwing callback is the application's bug; it must not stop acks or the pump.
                Log(IotLogLevel.ApiOnly, info.EventName + " callback threw " + ex.GetType().Name + ": " + ex.Message);
            }
            finally
            {
                _inPump = wasInPump;
            }
        }

        // ---- checks and logging ------------------------------------------------------------------------------------

        private void CheckCanSend(string api, string payload)
        {
            CheckNotDisposed();
            if (payload == null)
            {
                throw new ArgumentNullException("payload");
            }

            if (_state == StateIdle)
            {
                throw new InvalidOperationException(api + " before Connect(): connect first");
            }

            if (_state == StateDisconnected)
            {
                throw new InvalidOperationException(api + " after Disconnect() or a fatal connection failure: connect again first");
            }
        }

        private void CheckNotStarted(string api)
        {
            CheckNotDisposed();
            if (_state != StateIdle)
            {
                throw new InvalidOperationException(api + " must be called before Connect()");
            }
        }

        private void CheckNotDisposed()
        {
            if (_state == StateDisposed)
            {
                throw new ObjectDisposedException("Device");
            }
        }

        private static void CheckScopeAndDevice(string scopeId, string deviceId)
        {
            if (scopeId == null)
            {
                throw new ArgumentNullException("scopeId");
            }

            if (scopeId.Trim().Length == 0)
            {
                throw new ArgumentException("the ID scope is empty", "scopeId");
            }

            for (int i = 0; i < scopeId.Length; i++)
            {
                char c = scopeId[i];
                if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
                {
                    throw new ArgumentException("an ID scope has only letters and digits (e.g. 0ne0012345A)", "scopeId");
                }
            }

            if (scopeId.Length > 64)
            {
                throw new ArgumentException("an ID scope is short (e.g. 0ne0012345A)", "scopeId");
            }

            Validation.ValidateDeviceId(deviceId, "deviceId");

            // The device id is also the DPS registration id, whose character set is narrower; fail here, not in Connect.
            Validation.ValidateRegistrationId(deviceId, "deviceId");
        }

        /// <summary>DTMI syntax (DTDL): <c>dtmi:</c>, segments of letters, digits and '_' separated by ':', then <c>;</c> and a version.</summary>
        private static bool IsModelId(string id)
        {
            int semicolon = id.IndexOf(';');
            if (id.Length > 2048 || !id.StartsWith("dtmi:") || semicolon <= 5 || semicolon == id.Length - 1 || id.Length - semicolon > 10)
            {
                return false;
            }

            for (int i = 5; i < id.Length; i++)
            {
                char c = id[i];
                bool ok = i > semicolon
                    ? c >= '0' && c <= '9'
                    : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (c == ':' && id[i - 1] != ':' && i != 5 && i != semicolon - 1) || i == semicolon;
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Every member name of a reported patch, at any depth, must be a valid twin key.</summary>
        private static void CheckPropertyNames(JsonValue value)
        {
            if (value.Kind == JsonValueKind.Array)
            {
                for (int i = 0; i < value.Count; i++)
                {
                    CheckPropertyNames(value.GetItem(i));
                }
            }

            if (value.Kind != JsonValueKind.Object)
            {
                return;
            }

            for (int i = 0; i < value.Count; i++)
            {
                Validation.ValidatePropertyName(value.GetName(i), "payload");
                CheckPropertyNames(value.GetValue(i));
            }
        }

        /// <summary>PEM bytes pass through as text; anything else is taken as DER and wrapped under <paramref name="label"/>.</summary>
        private static string ToPem(byte[] data, string label, string paramName)
        {
            if (data == null)
            {
                throw new ArgumentNullException(paramName);
            }

            if (data.Length == 0)
            {
                throw new ArgumentException("empty", paramName);
            }

            if (data.Length > 10 && data[0] == (byte)'-' && data[1] == (byte)'-')
            {
                return Utf8.GetString(data);
            }

            // DER is an ASN.1 SEQUENCE: anything else is neither PEM nor DER.
            if (data[0] != 0x30)
            {
                throw new ArgumentException("neither PEM text nor DER", paramName);
            }

            return "-----BEGIN " + label + "-----\n" + Convert.ToBase64String(data, Base64FormattingOptions.InsertLineBreaks) + "\n-----END " + label + "-----\n";
        }

        private static int ParsePort(string text, string paramName)
        {
            int port;
            if (!int.TryParse(text, out port) || port < 1 || port > 65535)
            {
                throw new ArgumentException("the port must be 1..65535", paramName);
            }

            return port;
        }

        /// <summary>True when lines of <paramref name="level"/> are logged: per-message lines check it first, so a quiet device builds no strings.</summary>
        private bool Logs(IotLogLevel level)
        {
            return _logLevel != IotLogLevel.Disabled && (level != IotLogLevel.All || _logLevel == IotLogLevel.All);
        }

        internal void Log(IotLogLevel level, string line)
        {
            if (!Logs(level))
            {
                return;
            }

            string text = "[iotc] " + line;
            IotcLogSink sink = _logSink;
            if (sink != null)
            {
                sink(text);
            }
            else
            {
                Console.WriteLine(text);
            }
        }
    }
}
