// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using System.Threading;
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
        private Logger _log;
        private readonly HandlerTable _handlers = new HandlerTable();
        private readonly CallbackQueue _callbacks = new CallbackQueue();
        private readonly Inbox _inbox = new Inbox();
        private readonly RecentIds _recentC2d = new RecentIds(16);
        private Session _session;
        private Publisher _publisher;
        private TwinSync _twin;
        private bool _disposed;
        private bool _inPump;
        private long _lastInboundAtMs;

        /// <summary>
        /// How long <see cref="Flush"/> waits, connected and with nothing arriving, before it takes what the hub queued
        /// for the device (C2D messages, queued commands) as delivered: MQTT has no "queue empty" signal, and the hub
        /// sends what it holds right after the subscriptions.
        /// </summary>
        public const int FlushQuietMilliseconds = 500;

        /// <summary>
        /// Longest a DoNext() with nothing to do but wait for PUBACKs sleeps for one (.NET only; it returns as soon as
        /// the transport posts anything). Short, so an application that does its own work in the same loop is not held up.
        /// </summary>
        private const int WaitForNetworkMs = 1;

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

            // Up front: a pair that cannot work would otherwise fail every connection attempt with a TLS error.
            string argument = null;
            string problem = null;
            CheckPlatformCredential(certificatePem, privateKeyPem, ref argument, ref problem);
            if (problem != null)
            {
                throw new IotcException(argument + ": " + problem, IotcStatus.InvalidCredential, 0, null, null);
            }

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
            _log = new Logger(_options);
            _session = new Session(this, _options, _inbox, _callbacks, _log);
            _publisher = new Publisher(this, _callbacks, _log);
        }

        /// <summary>
        /// True while the MQTT session is up (Python: <c>isConnected()</c>). After a lost link it is false until
        /// <see cref="DoNext"/> has reconnected, so keep calling <see cref="DoNext"/> rather than looping on this.
        /// </summary>
        public bool IsConnected
        {
            get { return !_disposed && _session.IsConnected; }
        }

        /// <summary>
        /// True when a message can be queued now: connected (or reconnecting after a first connect) and the outbox has
        /// room for one more. The cheap check for a sending loop; <see cref="TrySendTelemetry"/> does check and send at once.
        /// </summary>
        public bool CanSend
        {
            get { return !_disposed && _session.IsStarted && _publisher.HasRoom(1); }
        }

        /// <summary>The device id.</summary>
        public string DeviceId
        {
            get { return _options.DeviceId; }
        }

        /// <summary>The IoT hub DPS assigned, once connected; null before.</summary>
        public string HubHost
        {
            get { return _session.HubHost; }
        }

        /// <summary>Messages waiting for confirmation (sent or not yet sent).</summary>
        public int PendingMessages
        {
            get { return _publisher.Count; }
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
        /// (Python: <c>connect()</c>). Blocks until connected or failed (the pump itself never blocks: DoNext takes one
        /// step at a time). <c>ConnectionStatus</c> is raised before it returns or throws (status 0 when connected).
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

            if (_session.IsStarted)
            {
                throw new InvalidOperationException("already connected; call Disconnect() first");
            }

            if (_options.Transports == null)
            {
                throw new InvalidOperationException("no transport for this platform; call SetTransportFactory first");
            }

            if (!_options.Frozen)
            {
                // The settings are final from here on; the parts that depend on them are made once.
                _options.Frozen = true;
                Backoff backoff = new Backoff(_options.BackoffMinMilliseconds, _options.BackoffMaxMilliseconds, Backoff.Seed(_options.DeviceId, _options.Clock.NowMilliseconds));
                _twin = new TwinSync(this, _options, _callbacks, _log, _publisher, backoff);
                _publisher.Start(_options);
                _session.Start(_publisher, _twin, backoff);
            }

            _log.Log(IotLogLevel.ApiOnly, "connect: device '" + _options.DeviceId + "', scope '" + _options.ScopeId + "', DPS " + _options.ServiceHost + ":" + _options.ServicePort);
            // Not a finally block: callbacks may throw and catch inside, and nanoCLR crashed (measured) on an exception
            // thrown in code running from a finally block.
            try
            {
                _session.ConnectBlocking();
            }
            catch (IotcException)
            {
                DeliverCallbacks();
                throw;
            }

            DeliverCallbacks();
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
            return Accept(TelemetryMessage("SendTelemetry", payload, properties), "SendTelemetry", true);
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
            messageId = Accept(TelemetryMessage("TrySendTelemetry", payload, properties), "TrySendTelemetry", false);
            return messageId != 0;
        }

        /// <summary>Sends device state (Python: <c>sendState</c>); on the wire it is telemetry.</summary>
        /// <param name="payload">The state as JSON, e.g. <c>{"status":"WARNING"}</c>.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendState(string payload)
        {
            return Accept(TelemetryMessage("SendState", payload, null), "SendState", true);
        }

        /// <summary>Sends an event (Python: <c>sendEvent</c>); on the wire it is telemetry.</summary>
        /// <param name="payload">The event as JSON.</param>
        /// <returns>The message id <c>MessageSent</c> will report.</returns>
        public int SendEvent(string payload)
        {
            return Accept(TelemetryMessage("SendEvent", payload, null), "SendEvent", true);
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
            int id = Accept(m, "SendProperty", true);
            _twin.Own(m);
            return id;
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
            if (_inPump)
            {
                throw new InvalidOperationException("DoNext() was called from inside a callback; return from the callback instead");
            }

            _inPump = true;
            try
            {
                _inbox.SetPumpThread(Thread.CurrentThread);

                // One clock read for the whole step: taking the inbox, the session step and publishing.
                long now = _options.Clock.NowMilliseconds;

                // While an attempt connects on its worker, the new connection's first messages wait for it to be taken up.
                int work = _session.AttemptRunning ? 0 : ProcessInbox(now);
                if (_twin != null)
                {
                    _session.Step(now);

                    // Callbacks first, so command responses and setting acks they produce go out in this same call.
                    work += DeliverCallbacks();
                    if (_session.State == Session.Connected)
                    {
                        Publish(now);
                        work += _publisher.PublishedLastFlush;
                    }
                }

                work += DeliverCallbacks();
                if (work == 0 && _publisher.Outbox.InFlightCount() > 0)
                {
                    // Nothing to do but wait for the network: give the processor to the transport's threads. A loop
                    // calling DoNext() flat out otherwise starves them (measured: about 1,800 empty DoNext() calls per
                    // message and a third of the raw client's rate on two cores).
                    WaitForNetwork();
                }
            }
            finally
            {
                _inPump = false;
            }
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

            if (_inPump)
            {
                throw new InvalidOperationException("Flush() was called from inside a callback; call it from the application loop instead");
            }

            if (!_session.IsStarted)
            {
                throw new InvalidOperationException("Flush() needs a connected device: call Connect() first");
            }

            IClock clock = _options.Clock;
            long deadline = clock.NowMilliseconds + timeoutMilliseconds;
            while (true)
            {
                DoNext();
                long now = clock.NowMilliseconds;
                bool connected = _session.IsConnected;
                long quietSince = _lastInboundAtMs > _session.ConnectedAtMs ? _lastInboundAtMs : _session.ConnectedAtMs;
                bool quiet = connected && now - quietSince >= FlushQuietMilliseconds;
                int pendingAcks = _twin.PendingAcks;
                if (quiet && _publisher.Count == 0 && pendingAcks == 0 && !_twin.IsFetching && _callbacks.Count == 0)
                {
                    _log.Log(IotLogLevel.ApiOnly, "flush: everything confirmed and delivered");
                    return true;
                }

                if (now >= deadline || !_session.IsStarted)
                {
                    _log.Log(IotLogLevel.ApiOnly, "flush: stopped " + (now >= deadline ? "at the deadline (" + timeoutMilliseconds + " ms)" : "because the session stopped") + " with " + _publisher.Count + " message(s) unconfirmed, "
                        + pendingAcks + " setting ack(s) pending, " + (_twin.IsFetching ? "the twin not yet fetched, " : string.Empty)
                        + (connected ? "connected" : "not connected"));
                    return false;
                }

                clock.Sleep(10);
            }
        }

        /// <summary>Closes the session (Python: <c>disconnect()</c>). Idempotent. Unconfirmed messages stay in the outbox for a later <see cref="Connect"/>.</summary>
        public void Disconnect()
        {
            if (_disposed)
            {
                return;
            }

            if (!_session.IsStarted)
            {
                return;
            }

            _log.Log(IotLogLevel.ApiOnly, "disconnect");
            _session.Stop("disconnected by the application", IotcStatus.Disconnected);
            if (!_inPump)
            {
                // Messages the client acknowledged before the link closed are still raised.
                ProcessInbox(_options.Clock.NowMilliseconds);
                DeliverCallbacks();
            }
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

        // ---- the pump ------------------------------------------------------------------------------------------------

        /// <summary>Handles what the transport received; returns how many events there were.</summary>
        private int ProcessInbox(long now)
        {
            ArrayList events = _inbox.TakeAll();
            int count = events.Count;
            if (count > 0)
            {
                _lastInboundAtMs = now;
            }

            for (int i = 0; i < events.Count; i++)
            {
                InboundEvent e = (InboundEvent)events[i];
                bool current = e.Generation == _session.Generation && _session.State == Session.Connected;
                if (!current && e.Kind != InboundEvent.Message)
                {
                    // A late ack or loss of a closed connection: its unconfirmed messages are sent again anyway.
                    continue;
                }

                try
                {
                    switch (e.Kind)
                    {
                        case InboundEvent.Published:
                            if (_publisher.OnPuback(e.PacketId))
                            {
                                _session.OnUsefulWork();
                            }

                            break;
                        case InboundEvent.Message:
                            // Also from a connection already closed (the pump closed it while this arrived): the client
                            // acknowledged it, so the hub will not send it again.
                            if (OnMessage(e.Topic, e.Payload, current) && current)
                            {
                                _session.OnUsefulWork();
                            }

                            break;
                        case InboundEvent.Lost:
                            _session.OnLinkLost(e.Reason, now);
                            break;
                    }
                }
                catch (Exception ex)
                {
                    // Hostile or unexpected server input must never break the pump.
                    _log.Log(IotLogLevel.ApiOnly, "ignored a server message that could not be handled: " + ex.Message);
                }
            }

            _inbox.Recycle(events);
            if (_session.State == Session.Connected && !_session.IsConnected)
            {
                _session.OnLinkLost("transport closed", now);
            }

            return count;
        }

        /// <summary>
        /// One message from the hub; <paramref name="current"/> false when its connection is already closed. True when it
        /// is the hub's work for the application (a command, setting or C2D message; not a twin answer, which every
        /// connection gets): the back-off policy counts that connection as useful.
        /// </summary>
        private bool OnMessage(string topic, byte[] payload, bool current)
        {
            HubTopicInfo message = HubTopicParser.Parse(topic);
            if (_log.Logs(IotLogLevel.All))
            {
                _log.Log(IotLogLevel.All, "received " + topic + " (" + payload.Length + " bytes)");
            }

            switch (message.Kind)
            {
                case HubTopicKind.MethodRequest:
                    if (!current)
                    {
                        // Its response could only go out on another connection, after the hub told the operator the
                        // device is gone: running it would do the work while the operator sees a failure.
                        _log.Log(IotLogLevel.ApiOnly, "command '" + message.MethodName + "' ($rid " + message.RequestId + ") arrived as its connection closed: not run");
                        return false;
                    }

                    IotcCallbackInfo command = Pending(PendingCallback.Command, IotcEvents.Command);
                    command.Tag = message.MethodName;
                    command.Payload = Utf8.GetString(payload);
                    command.Answer = new PendingCallback();
                    command.Answer.RequestId = message.RequestId;
                    _callbacks.Add(command);
                    return true;
                case HubTopicKind.TwinResponse:
                    _twin.OnTwinResponse(message.Status, message.RequestId, Utf8.GetString(payload), _options.Clock.NowMilliseconds);
                    return false;
                case HubTopicKind.DesiredPatch:
                    _twin.OnDesiredPatch(Utf8.GetString(payload), message.Version);
                    return true;
                case HubTopicKind.CloudToDevice:
                    if (message.DeviceId != _session.HubDeviceId)
                    {
                        _log.Log(IotLogLevel.ApiOnly, "ignored a cloud-to-device message for another device");
                        return false;
                    }

                    string messageId = message.Properties == null ? null : message.Properties.Get("$.mid");
                    if (!string.IsNullOrEmpty(messageId) && !_recentC2d.Add(messageId))
                    {
                        _log.Log(IotLogLevel.ApiOnly, "cloud-to-device message " + messageId + " arrived again (the hub resends what it saw no PUBACK for); raised once");
                        return false;
                    }

                    // IoT Central queues offline commands as C2D messages named by a "method-name" property.
                    string methodName = message.Properties == null ? null : message.Properties.Get("method-name");
                    IotcCallbackInfo c2d = Pending(PendingCallback.CloudToDevice, methodName != null ? IotcEvents.EnqueuedCommand : IotcEvents.MessageReceived);
                    c2d.Payload = Utf8.GetString(payload);
                    c2d.Tag = methodName;
                    c2d.Properties = message.Properties;
                    _callbacks.Add(c2d);
                    return true;
                default:
                    _log.Log(IotLogLevel.ApiOnly, "ignored a message on an unexpected topic");
                    return false;
            }
        }

        private IotcCallbackInfo Pending(byte kind, string eventName)
        {
            IotcCallbackInfo c = new IotcCallbackInfo(this, eventName);
            c.Kind = kind;
            return c;
        }

        private void Publish(long now)
        {
            IMqttTransport mqtt = _session.Mqtt;
            try
            {
                _twin.Step(mqtt, now);
            }
            catch (TransportException ex)
            {
                _session.OnLinkLost("twin GET failed: " + ex.Message, now);
                return;
            }

            string lost = _publisher.Flush(mqtt, now);
            if (lost != null)
            {
                _session.OnLinkLost(lost, now);
            }
        }

        /// <summary>Raises the queued callbacks in order; returns how many were taken.</summary>
        private int DeliverCallbacks()
        {
            int count = 0;
            IotcCallbackInfo c;
            while ((c = _callbacks.Take()) != null)
            {
                count++;
                // Commands and settings arrived acknowledged, so a lost link does not cancel them (answers go out after
                // the reconnect); after Disconnect()/Dispose() the rest is not raised: a setting's version then stays
                // undelivered and the next Connect()'s twin GET brings it again.
                bool stopped = _disposed || _session.State == Session.Stopped;
                switch (c.Kind)
                {
                    case PendingCallback.Command:
                        if (!stopped)
                        {
                            RunCommand(c);
                        }

                        break;
                    case PendingCallback.Setting:
                        if (!stopped)
                        {
                            Invoke(_handlers.Get(IotcEvents.SettingsUpdated), c);
                            _twin.OnSettingRaised(c);
                        }

                        break;
                    case PendingCallback.CloudToDevice:
                        IotcCallback handler = _handlers.Get(c.EventName);
                        if (handler == null)
                        {
                            _log.Log(IotLogLevel.ApiOnly, "cloud-to-device message with no " + c.EventName + " handler");
                        }

                        Invoke(handler, c);
                        break;
                    default:
                        Invoke(_handlers.Get(c.EventName), c);
                        break;
                }
            }

            return count;
        }

        private void RunCommand(IotcCallbackInfo c)
        {
            string name = c.Tag;
            if (!_publisher.Outbox.HasRoom(0, true))
            {
                // Running a command that cannot be answered would do the work while the operator sees a failure;
                // not running it lets the hub time it out, which tells the truth.
                _log.Log(IotLogLevel.ApiOnly, "command '" + name + "' ($rid " + c.Answer.RequestId + ") not run: the outbox is full, so it could not be answered; the hub will time it out");
                return;
            }

            IotcCallback handler = _handlers.Get(IotcEvents.Command);
            int status;
            string response;
            if (handler == null)
            {
                status = MethodProtocol.NoHandlerStatus;
                response = MethodProtocol.NoHandlerBody(name);
                _log.Log(IotLogLevel.ApiOnly, "command '" + name + "' has no handler: answering 501");
            }
            else
            {
                Invoke(handler, c);
                status = c.HasResponse ? c.ResponseCode : MethodProtocol.DefaultStatus;
                response = c.HasResponse ? CommandResponseBody(c.ResponseMessage) : MethodProtocol.EmptyBody;
                if (status < 0)
                {
                    // A negative status cannot go in the response topic; answer something the operator can read.
                    _log.Log(IotLogLevel.ApiOnly, "command '" + name + "': the callback set response code " + status + "; answering 500");
                    status = 500;
                    response = MethodProtocol.MessageBody("the device set an invalid response code");
                }
            }

            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.CommandResponse;
            m.Topic = HubTopics.MethodResponse(status, c.Answer.RequestId);
            m.Payload = Utf8.GetBytes(response);
            m.Qos = 1;
            if (!_publisher.TryAddAutomatic(m))
            {
                _log.Log(IotLogLevel.ApiOnly, "the response to command '" + name + "' ($rid " + c.Answer.RequestId + ") was NOT sent: the outbox is full");
            }
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

        private void Invoke(IotcCallback handler, IotcCallbackInfo info)
        {
            if (handler == null)
            {
                return;
            }

            bool wasInPump = _inPump;
            _inPump = true;
            try
            {
                handler(info);
            }
            catch (Exception ex)
            {
                // A throwing callback is the application's bug; it must not stop acks or the pump.
                _log.Log(IotLogLevel.ApiOnly, info.EventName + " callback threw " + ex.GetType().Name + ": " + ex.Message);
            }
            finally
            {
                _inPump = wasInPump;
            }
        }

        // ---- outbound ------------------------------------------------------------------------------------------------

        private OutboundMessage TelemetryMessage(string api, string payload, PropertyBag properties)
        {
            CheckCanSend(api, payload);
            OutboundMessage m = _publisher.RentTelemetry();
            m.Kind = OutboundMessage.Telemetry;
            m.Text = payload;
            m.Topic = properties == null ? _session.TelemetryTopic : HubTopics.Telemetry(_session.HubDeviceId, properties);
            m.Payload = Utf8.GetBytes(payload);
            m.Qos = _options.Qos;

            // The creation time goes with the message if it leaves late (Publisher.LateAfterMs); the application's own
            // $.ctime wins, and a clock that is not set gives none.
            long now = _options.Clock.NowMilliseconds;
            m.CreatedAtMs = Session.IsClockSet(now) && (properties == null || !properties.Contains(HubTopics.CreationTimeProperty)) ? now : 0;
            return m;
        }

        /// <summary>Validates and queues; returns the id, or 0 (or throws <see cref="IotcOutboxFullException"/>) when the outbox is full.</summary>
        private int Accept(OutboundMessage m, string api, bool throwWhenFull)
        {
            // Reported patches go to a short $iothub topic; the shared telemetry topic's length is known.
            int topicBytes = m.Topic == null ? Publisher.ShortTopicBytes : (object)m.Topic == (object)_session.TelemetryTopic ? _session.TelemetryTopicBytes : Utf8.GetByteCount(m.Topic);
            _publisher.Validate(m, topicBytes);
            int id = _publisher.TryAdd(m, api);
            if (id == 0 && throwWhenFull)
            {
                throw new IotcOutboxFullException(api + ": the outbox is full (" + _publisher.Count + " messages, " + _publisher.Outbox.Bytes + " bytes waiting); call DoNext() until MessageSent frees room, or raise SetOutboxLimits");
            }

            return id;
        }

        private void WaitForNetwork()
        {
#if NANOFRAMEWORK_1_0
            Thread.Sleep(0);
#else
            // Until the transport posts something (a PUBACK, usually well under a millisecond on a LAN), at most
            // WaitForNetworkMs: a yield alone still spins a core when nothing else is ready to run (measured on two
            // cores: 65-180 DoNext() calls and 90-190 µs of the app thread's CPU per QoS 1 message).
            // A full window wakes once per half of it: the app refills while the other half is still on the wire.
            _inbox.WaitForEvents(WaitForNetworkMs, _publisher.Outbox.InFlightCount() / 2);
#endif
        }

        /// <summary>True when the application registered a callback for <paramref name="eventName"/>.</summary>
        internal bool Handles(string eventName)
        {
            return _handlers.Get(eventName) != null;
        }
    }
}
