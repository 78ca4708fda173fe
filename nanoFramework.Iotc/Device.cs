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
    /// <para>
    /// The class is split by concern: this file has the public API and the pump loop; Device.Messages.cs the data path
    /// (inbox, outbox, callbacks); Device.Session.cs provisioning and (re)connecting; Device.Settings.cs the setters;
    /// Device.Checks.cs argument checks and logging.
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

        /// <summary>Publishes of one reported patch answered 429/5xx before it is reported as failed.</summary>
        private const int MaxTwinAttempts = 5;

        /// <summary>How long a reported patch waits for its twin response before it is sent again (IoT Hub answers within seconds).</summary>
        private const int TwinResponseTimeoutMs = 30000;

        /// <summary>Outbox messages published but not yet confirmed, at most.</summary>
        private const int MaxInFlight = 16;

        /// <summary>How long one DPS registration (register plus polls) may take.</summary>
        private const long ProvisioningTimeoutMs = 120000;

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
        private string _telemetryTopic;
        private int _nextRequestId;
        private string _twinGetRequestId;
        private int _twinGetAttempts;
        private long _twinGetRetryAtMs;
        private long _desiredVersion = -1;

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
                RaiseConnectionStatus(FailureStatus(ex), ex.Message);
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
    }
}
