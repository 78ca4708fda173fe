// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    /// <summary>
    /// An Azure IoT Central device (Python: <c>iotc.Device</c>). Single-threaded and cooperative: <see cref="Connect"/>
    /// provisions through DPS and opens the IoT Hub MQTT session; after that the application calls
    /// <see cref="DoNext"/> in its loop, and every callback runs inside that call, on that thread, in the order things
    /// happened.
    /// <para>
    /// This class is the Python-shaped facade. The work is done by parts that own their state (namespace
    /// <c>nanoFramework.Iotc.Pump</c>): <c>Session</c> (DPS and MQTT connection as non-blocking states, back-off, token
    /// renewal), <c>Publisher</c> (outbox, in-flight window and time-out, confirmations), <c>TwinSync</c> (twin GET,
    /// desired versions, coalesced acks, every twin request's $rid, time-out and retries), the <c>Inbox</c> the
    /// transport's thread fills (with back-pressure, never dropping) and one ordered <c>CallbackQueue</c> that DoNext
    /// drains. Each DoNext: take what arrived, one session step (at most one network exchange), settings acks, publish
    /// what the window allows, raise the callbacks.
    /// </para>
    /// </summary>
    public partial class Device : IDisposable
    {
        /// <summary>The global DPS endpoint (Python default).</summary>
        public const string DefaultServiceHost = "global.azure-devices-provisioning.net";

        private readonly DeviceOptions _options = new DeviceOptions();
        private DevicePump _pump;
        private bool _disposed;

        /// <summary>
        /// How long <see cref="Flush"/> waits, connected and with nothing arriving, before it takes what the hub queued
        /// for the device (C2D messages, queued commands) as delivered: MQTT has no "queue empty" signal, and the hub
        /// sends what it holds right after the subscriptions.
        /// </summary>
        public const int FlushQuietMilliseconds = 500;

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

            CheckSymmetricKey(symmetricKey);
            _options.ScopeId = scopeId;
            _options.DeviceId = deviceId;
            _options.CredType = credType;
            _options.DeviceKey = credType == IotConnectType.SymmetricGroupKey ? SasToken.DeriveDeviceKey(symmetricKey, deviceId) : symmetricKey;
            Init();
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
        /// <exception cref="IotcException">
        /// Status <see cref="IotcStatus.InvalidCredential"/>: the certificate cannot be read, or the private key cannot be
        /// read or does not match it (the message names the argument). On .NET the pair is checked here; on the board
        /// the certificate and the key are read here, and a key of another certificate ends the first connection
        /// attempt with <see cref="IotcStatus.InvalidCredential"/> when the server refuses the TLS handshake.
        /// </exception>
        public Device(string scopeId, string certificatePem, string privateKeyPem, string deviceId)
            : this(scopeId, deviceId, IotConnectType.X509Certificate)
        {
            CheckCertificatePair(certificatePem, privateKeyPem);
            _options.ClientCertificatePem = certificatePem;
            _options.ClientPrivateKeyPem = privateKeyPem;
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

            _options.ScopeId = scopeId;
            _options.DeviceId = deviceId;
            _options.CredType = IotConnectType.X509Certificate;
            Init();
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

        /// <summary>A platform whose transports are safe to drive from a worker thread runs connection attempts there by default.</summary>
        static partial void PlatformConnectsInBackground(ref bool background);

        /// <summary>
        /// A platform that can read certificates checks an X.509 pair here: sets the argument at fault and what is wrong
        /// (never any of the key's content), or leaves both null.
        /// </summary>
        static partial void CheckPlatformCredential(string certificatePem, string privateKeyPem, ref string argument, ref string problem);

        /// <summary>A platform that can read certificates checks a root PEM here: sets what is wrong, or leaves it null.</summary>
        static partial void CheckPlatformRoot(string pem, ref string problem);

        private void Init()
        {
            CreatePlatformTransports(ref _options.Transports);
            PlatformConnectsInBackground(ref _options.ConnectInBackground);
            _pump = new DevicePump(_options, this);
        }

        /// <summary>
        /// True while the MQTT session is up (Python: <c>isConnected()</c>). After a lost link it is false until
        /// <see cref="DoNext"/> has reconnected, so keep calling <see cref="DoNext"/> rather than looping on this.
        /// </summary>
        public bool IsConnected
        {
            get { return !_disposed && _pump.IsConnected; }
        }

        /// <summary>
        /// True when a message can be queued now: connected (or reconnecting after a first connect) and the outbox has
        /// room for one more. The cheap check for a sending loop; <see cref="TrySendTelemetry"/> does check and send at once.
        /// </summary>
        public bool CanSend
        {
            get { return !_disposed && _pump.CanSend; }
        }

        /// <summary>The device id.</summary>
        public string DeviceId
        {
            get { return _options.DeviceId; }
        }

        /// <summary>The IoT hub DPS assigned, once connected; null before.</summary>
        public string HubHost
        {
            get { return _pump.HubHost; }
        }

        /// <summary>Messages waiting for confirmation (sent or not yet sent).</summary>
        public int PendingMessages
        {
            get { return _pump.PendingMessages; }
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

            _pump.On(eventName, callback);
        }

        /// <summary>
        /// Provisions the device through DPS, then opens the IoT Hub MQTT session, subscribes and fetches the twin
        /// (Python: <c>connect()</c>). Blocks until connected or failed (the pump itself never blocks: DoNext takes one
        /// step at a time). <c>ConnectionStatus</c> is raised before it returns or throws (status 0 when connected).
        /// </summary>
        /// <exception cref="IotcException">Provisioning or the hub refused, or could not be reached; see its status.</exception>
        /// <exception cref="InvalidOperationException">Already connected, called from inside a callback, or no transport for this platform.</exception>
        /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
        public void Connect()
        {
            CheckNotDisposed();
            if (_pump.InPump)
            {
                // Connecting blocks (DPS, TLS) and would re-enter the pump half-way through a callback.
                throw new InvalidOperationException("Connect() was called from inside a callback; call it from the application loop instead");
            }

            if (_pump.IsStarted)
            {
                throw new InvalidOperationException("already connected; call Disconnect() first");
            }

            if (_options.Transports == null)
            {
                throw new InvalidOperationException("no transport for this platform; call SetTransportFactory first");
            }

            _pump.Connect();
        }

        /// <summary>Sends telemetry (Python: <c>sendTelemetry</c>) with content type JSON/UTF-8.</summary>
        /// <param name="payload">The message text, normally JSON.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="payload"/> is null.</exception>
        /// <exception cref="ArgumentException">The payload is larger than 256 KB.</exception>
        /// <exception cref="InvalidOperationException">Not connected yet, or disconnected.</exception>
        /// <exception cref="IotcOutboxFullException">The outbox is full: call DoNext() until MessageSent frees room (or use <see cref="TrySendTelemetry"/>).</exception>
        public int SendTelemetry(string payload)
        {
            return SendTelemetry(payload, null);
        }

        /// <summary>Sends telemetry with application properties (sent in the topic's property bag).</summary>
        /// <param name="payload">The message text.</param>
        /// <param name="properties">Application properties, or null.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        /// <exception cref="ArgumentException">The message (payload and the topic its properties make) exceeds IoT Hub's or MQTT's limits, or the outbox.</exception>
        /// <exception cref="IotcOutboxFullException">The outbox is full for now.</exception>
        public int SendTelemetry(string payload, PropertyBag properties)
        {
            CheckCanSend("SendTelemetry", payload);
            return _pump.SendTelemetry("SendTelemetry", payload, properties, true);
        }

        /// <summary>
        /// Sends telemetry if the outbox has room, without an exception when it has not (flow control for a tight loop;
        /// exceptions are expensive on a microcontroller).
        /// </summary>
        /// <param name="payload">The message text.</param>
        /// <param name="properties">Application properties, or null.</param>
        /// <param name="messageId">The id MessageSent will report; 0 when not accepted.</param>
        /// <returns>True when queued; false when the outbox is full (call DoNext() and try again).</returns>
        /// <exception cref="ArgumentException">The message can never be sent (too large for IoT Hub, MQTT or the outbox).</exception>
        /// <exception cref="InvalidOperationException">Not connected yet, or disconnected.</exception>
        public bool TrySendTelemetry(string payload, PropertyBag properties, out int messageId)
        {
            CheckCanSend("TrySendTelemetry", payload);
            messageId = _pump.SendTelemetry("TrySendTelemetry", payload, properties, false);
            return messageId != 0;
        }

        /// <summary>Sends device state (Python: <c>sendState</c>); on the wire it is telemetry.</summary>
        /// <param name="payload">The state as JSON, e.g. <c>{"status":"WARNING"}</c>.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendState(string payload)
        {
            CheckCanSend("SendState", payload);
            return _pump.SendTelemetry("SendState", payload, null, true);
        }

        /// <summary>Sends an event (Python: <c>sendEvent</c>); on the wire it is telemetry.</summary>
        /// <param name="payload">The event as JSON.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendEvent(string payload)
        {
            CheckCanSend("SendEvent", payload);
            return _pump.SendTelemetry("SendEvent", payload, null, true);
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
            CheckReportedPatch(payload);
            return _pump.SendProperty(payload);
        }

        /// <summary>
        /// Does the pending work (Python: <c>doNext()</c>): takes what the transport received, raises callbacks in order,
        /// sends acks, responses and queued messages, renews the token and reconnects after a loss. With
        /// <see cref="SetConnectInBackground"/> (the default on .NET) a reconnect's network exchanges (DPS, TLS, CONNECT)
        /// run on a worker thread and a later call takes up their outcome, so no call waits for the network; otherwise at
        /// most one exchange (bounded by SetTimeouts) per call. Call it often (every 10–100 ms). On .NET a call that finds
        /// nothing to do but wait for PUBACKs waits for the transport (at most 1 ms) instead of returning at once, so a
        /// loop calling it flat out does not spin a core.
        /// </summary>
        /// <exception cref="InvalidOperationException">Called from inside a callback.</exception>
        /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
        public void DoNext()
        {
            CheckNotDisposed();
            if (_pump.InPump)
            {
                throw new InvalidOperationException("DoNext() was called from inside a callback; return from the callback instead");
            }

            _pump.DoNext();
        }

        /// <summary>
        /// Sends what there is and takes what the hub holds, then returns: for a device that is about to sleep. Runs
        /// <see cref="DoNext"/> (callbacks included) until every message is confirmed, the twin is fetched and its
        /// settings raised and acknowledged, and nothing has arrived for <see cref="FlushQuietMilliseconds"/> while
        /// connected — or until <paramref name="timeoutMilliseconds"/> have passed. It reconnects as DoNext does. What was
        /// left is logged; unconfirmed messages stay in the outbox (see <see cref="PendingMessages"/>).
        /// </summary>
        /// <param name="timeoutMilliseconds">The deadline (1 or more). A connection attempt in progress may end after it (SetTimeouts bounds one).</param>
        /// <returns>True when everything was done; false at the deadline.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeoutMilliseconds"/> is less than 1.</exception>
        /// <exception cref="InvalidOperationException">Not connected yet, disconnected, or called from inside a callback.</exception>
        /// <exception cref="ObjectDisposedException">The device was disposed.</exception>
        public bool Flush(int timeoutMilliseconds)
        {
            CheckNotDisposed();
            if (timeoutMilliseconds < 1)
            {
                throw new ArgumentOutOfRangeException("timeoutMilliseconds", "the deadline must be at least 1 ms");
            }

            if (_pump.InPump)
            {
                throw new InvalidOperationException("Flush() was called from inside a callback; call it from the application loop instead");
            }

            if (!_pump.IsStarted)
            {
                throw new InvalidOperationException("Flush() needs a connected device: call Connect() first");
            }

            return _pump.Flush(timeoutMilliseconds, FlushQuietMilliseconds);
        }

        /// <summary>Closes the session (Python: <c>disconnect()</c>). Idempotent. Unconfirmed messages stay in the outbox for a later <see cref="Connect"/>.</summary>
        public void Disconnect()
        {
            if (_disposed)
            {
                return;
            }

            if (!_pump.IsStarted)
            {
                return;
            }

            _pump.Disconnect();
        }

        /// <summary>Disconnects and releases the transport. The device cannot be used afterwards.</summary>
        public void Dispose()
        {
            if (_disposed)
            {
                return;
            }

            Disconnect();
            _disposed = true;
        }
    }
}
