// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Threading;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The connection as states, each <see cref="Step"/> doing at most one network exchange:
    /// <code>
    /// Idle --Connect()--> Provisioning (DPS: register, wait Retry-After, poll) --> Connecting (MQTT) --> Connected
    /// Connected --link lost / stalled / token at 80 %--> Waiting (back-off) --> [Provisioning after repeated refusals] --> Connecting
    /// any --Disconnect()--> Stopped;  a refusal retrying cannot fix --> Stopped (ConnectionStatus GaveUp)
    /// </code>
    /// When to retry, provision again or give up is <see cref="RetryPolicy"/>'s; the waits are the device's <see cref="Backoff"/>.
    /// </summary>
    internal sealed class Session
    {
        internal const int Idle = 0;
        internal const int Provisioning = 1;
        internal const int Connecting = 2;
        internal const int Connected = 3;
        internal const int Waiting = 4;
        internal const int Stopped = 5;

        private readonly Device _device;
        private readonly DeviceOptions _options;
        private readonly Inbox _inbox;
        private readonly CallbackQueue _callbacks;
        private readonly Logger _log;
        private Publisher _publisher;
        private TwinSync _twin;
        private Backoff _backoff;

        private int _state = Idle;
        private IMqttTransport _mqtt;
        private int _generation;
        private string _hubHost;
        private string _hubDeviceId;
        private string _telemetryTopic;
        private int _telemetryTopicBytes;
        private DpsRegistration _dps;
        private readonly ProvisioningCache _cache;
        private bool _fromCache;
        private bool _reprovision;
        private long _renewAtMs;
        private long _connectedAtMs;
        private bool _usefulWork;

        // A connection attempt's network exchange running on a worker thread (ConnectInBackground), or null.
        private NetworkWorker _worker;
        private long _nextAttemptAtMs;
        private int _failedAttempts;
        private int _authFailures;
        private int _networkFailures;

        internal Session(Device device, DeviceOptions options, Inbox inbox, CallbackQueue callbacks, Logger log)
        {
            _device = device;
            _options = options;
            _inbox = inbox;
            _callbacks = callbacks;
            _log = log;
            _cache = new ProvisioningCache(options, log);
        }

        internal int State
        {
            get { return _state; }
        }

        internal IMqttTransport Mqtt
        {
            get { return _mqtt; }
        }

        internal int Generation
        {
            get { return _generation; }
        }

        internal string HubHost
        {
            get { return _hubHost; }
        }

        internal string HubDeviceId
        {
            get { return _hubDeviceId; }
        }

        /// <summary>The telemetry topic without properties, shared by every such message (built when DPS assigns the id).</summary>
        internal string TelemetryTopic
        {
            get { return _telemetryTopic; }
        }

        /// <summary>UTF-8 length of <see cref="TelemetryTopic"/>.</summary>
        internal int TelemetryTopicBytes
        {
            get { return _telemetryTopicBytes; }
        }

        /// <summary>Connect() has run and neither Disconnect() nor a final refusal has stopped it (connected or reconnecting).</summary>
        internal bool IsStarted
        {
            get { return _state != Idle && _state != Stopped; }
        }

        /// <summary>A connection attempt's network exchange is running on a worker: the new connection's events wait in the inbox until it is taken up.</summary>
        internal bool AttemptRunning
        {
            get { return _worker != null; }
        }

        internal bool IsConnected
        {
            get { return _state == Connected && _mqtt != null && _mqtt.IsConnected; }
        }

        /// <summary>When the current connection was accepted (clock milliseconds).</summary>
        internal long ConnectedAtMs
        {
            get { return _connectedAtMs; }
        }

        internal Backoff Backoff
        {
            get { return _backoff; }
        }

        /// <summary>Wires the other parts and the back-off (at Connect(), when the options are final).</summary>
        internal void Start(Publisher publisher, TwinSync twin, Backoff backoff)
        {
            _publisher = publisher;
            _twin = twin;
            _backoff = backoff;
        }

        /// <summary>
        /// The blocking Connect(): runs the states (sleeping through DPS's Retry-After) until connected; a failure is
        /// thrown (ConnectionStatus is queued first) and leaves the session stopped.
        /// </summary>
        internal void ConnectBlocking()
        {
            _inbox.SetPumpThread(Thread.CurrentThread);
            _state = _hubHost == null || _reprovision ? Provisioning : Connecting;
            if (_hubHost == null && UseStoredAssignment())
            {
                _state = Connecting;
            }

            while (_state != Connected)
            {
                try
                {
                    if (_state == Provisioning)
                    {
                        StartProvisioning();
                        ApplyAssignment(_dps.Register());
                    }

                    ConnectMqtt();
                }
                catch (IotcException ex)
                {
                    if (ForgetStoredHubAfter(ex))
                    {
                        _state = Provisioning;
                        continue;
                    }

                    _state = Stopped;
                    EndProvisioning();
                    RaiseStatus(FailureStatus(ex), ex.Message);
                    throw;
                }
            }

            _failedAttempts = 0;
        }

        /// <summary>One pump step: token renewal, a due reconnect or DPS request. At most one network exchange.</summary>
        internal void Step(long now)
        {
            if (_state == Connected && now >= _renewAtMs)
            {
                _log.Log(IotLogLevel.ApiOnly, "SAS token at 80% of its lifetime: reconnecting with a fresh one");
                DropLink();
                _state = Waiting;
                _nextAttemptAtMs = now;
                RaiseStatus(IotcStatus.TokenRenewal, "renewing SAS token");
            }

            if (_state == Waiting && now >= _nextAttemptAtMs)
            {
                if (RetryPolicy.ShouldReprovision(_authFailures, _networkFailures))
                {
                    _log.Log(IotLogLevel.ApiOnly, "repeated failures at " + _hubHost + ": provisioning again through DPS");
                    _reprovision = true;
                }

                _state = _reprovision || (_hubHost == null && !UseStoredAssignment()) ? Provisioning : Connecting;
            }

            try
            {
                if (_state == Provisioning)
                {
                    if (_dps == null)
                    {
                        StartProvisioning();
                    }

                    DpsResult result;
                    if (_worker != null)
                    {
                        if (!_worker.IsDone)
                        {
                            return;
                        }

                        NetworkWorker done = _worker;
                        _worker = null;
                        result = _dps.OnResponse(done.Response, done.Failure);
                    }
                    else if (now < _dps.NextRequestAtMs)
                    {
                        return;
                    }
                    else if (_options.ConnectInBackground)
                    {
                        _worker = NetworkWorker.Send(_dps.Http, _dps.NextRequest());
                        return;
                    }
                    else
                    {
                        result = _dps.Step();
                    }

                    if (result != null)
                    {
                        // The DPS exchange was this step's network work; the MQTT connect is the next DoNext's.
                        ApplyAssignment(result);
                        _state = Connecting;
                    }

                    return;
                }

                if (_state == Connecting)
                {
                    // The failure count is not reset here: only a connection that lasts resets it (OnLinkLost).
                    if (_worker == null && _options.ConnectInBackground)
                    {
                        MqttConnectOptions connect = PrepareConnect(now);
                        _worker = NetworkWorker.Connect(_options.Transports.CreateMqttTransport(), connect, new ConnectionEvents(_inbox, _generation), HubTopics.Subscriptions(_hubDeviceId));
                        return;
                    }

                    if (_worker != null)
                    {
                        if (!_worker.IsDone)
                        {
                            return;
                        }

                        NetworkWorker done = _worker;
                        _worker = null;
                        FinishConnect(done.Mqtt, done.Connack, done.Failure, now);
                        return;
                    }

                    ConnectMqtt();
                }
            }
            catch (IotcException ex)
            {
                OnAttemptFailed(ex, now);
            }
        }

        /// <summary>The link is gone (transport event, publish failure, PUBACK time-out): back off, then reconnect.</summary>
        internal void OnLinkLost(string reason, long now)
        {
            if (_state != Connected)
            {
                return;
            }

            _log.Log(IotLogLevel.ApiOnly, "connection lost: " + reason);
            bool startOver = RetryPolicy.LossStartsOver(now - _connectedAtMs, _options.MinStableConnectionMilliseconds, _usefulWork);
            DropLink();
            _state = Waiting;

            // A connection that dies before doing anything (duplicate identity, a hub closing it) must not retry at the
            // first step forever; one that moved messages lost the network, and waiting longer only delays them.
            _failedAttempts = (startOver ? 0 : _failedAttempts) + 1;
            int delay = _backoff.Delay(_failedAttempts);
            _nextAttemptAtMs = now + delay;
            RaiseStatus(IotcStatus.ConnectionLost, "connection lost: " + reason + "; reconnecting in " + delay + " ms");
        }

        /// <summary>The connection did useful work (confirmed a message, delivered one from the hub): its loss does not escalate the back-off.</summary>
        internal void OnUsefulWork()
        {
            _usefulWork = true;
        }

        /// <summary>Disconnect(): closes the link; unconfirmed messages stay for a later Connect().</summary>
        internal void Stop(string reason, int status)
        {
            if (!IsStarted)
            {
                return;
            }

            DropLink();
            if (_worker != null)
            {
                // First: the worker may be using the DPS transport that EndProvisioning closes.
                _worker.Abandon();
                _worker = null;
            }

            EndProvisioning();
            _state = Stopped;
            RaiseStatus(status, reason);
        }

        private void StartProvisioning()
        {
            _dps = new DpsRegistration(_options, _options.Transports.CreateHttpTransport(), _options.Clock, _log);
        }

        private void EndProvisioning()
        {
            // A transport that kept the DPS connection open closes it here, before MQTT opens its own: a board cannot
            // hold two TLS sessions.
            if (_dps != null)
            {
                _dps.Close();
                _dps = null;
            }
        }

        private void ApplyAssignment(DpsResult result)
        {
            EndProvisioning();
            _reprovision = false;
            _fromCache = false;
            SetHub(result.AssignedHub, result.DeviceId);
            _cache.Save(_hubHost, _hubDeviceId);
            _state = Connecting;
        }

        /// <summary>Takes the hub and device id of the stored DPS assignment, if the store has one for this device.</summary>
        private bool UseStoredAssignment()
        {
            string[] stored = _cache.Load();
            if (stored == null)
            {
                return false;
            }

            if (!Validation.IsHostName(stored[0]) || !Validation.IsValidDeviceId(stored[1]))
            {
                // The same checks a DPS answer gets: the store is outside the SDK's control.
                _cache.Forget("its hub or device id is not valid");
                return false;
            }

            SetHub(stored[0], stored[1]);
            _fromCache = true;
            return true;
        }

        /// <summary>
        /// The fallback rule of the stored assignment: a stored hub that refuses the device or cannot be reached at the
        /// first attempt is forgotten, and DPS is asked (true). Other failures (a clock not set) say nothing about the hub.
        /// </summary>
        private bool ForgetStoredHubAfter(IotcException ex)
        {
            if (!_fromCache || !RetryPolicy.ForgetsStoredHub(ex.StatusCode))
            {
                return false;
            }

            _fromCache = false;
            _reprovision = true;
            _cache.Forget("hub " + _hubHost + ": " + ex.Message);
            return true;
        }

        private void SetHub(string hub, string deviceId)
        {
            _hubHost = hub;
            _hubDeviceId = deviceId;

            // Telemetry without properties (the common case) shares one topic string: less garbage per message on a
            // board's small heap. DPS decides the device id, so this is the place it can change.
            _telemetryTopic = HubTopics.Telemetry(_hubDeviceId, null);
            _telemetryTopicBytes = Utf8.GetByteCount(_telemetryTopic);
        }

        private void ConnectMqtt()
        {
            long now = _options.Clock.NowMilliseconds;
            MqttConnectOptions connect = PrepareConnect(now);
            IMqttTransport mqtt = _options.Transports.CreateMqttTransport();
            int connack = -1;
            Exception failure = null;
            try
            {
                connack = mqtt.Connect(connect, new ConnectionEvents(_inbox, _generation));
                if (connack == 0)
                {
                    mqtt.Subscribe(HubTopics.Subscriptions(_hubDeviceId));
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            FinishConnect(mqtt, connack, failure, now);
        }

        /// <summary>The CONNECT of a new attempt (a fresh SAS token), under a new generation of inbox events.</summary>
        private MqttConnectOptions PrepareConnect(long now)
        {
            string password = null;
            if (_options.CredType != IotConnectType.X509Certificate)
            {
                password = SasToken.ForHub(_hubHost, _hubDeviceId, _options.DeviceKey, TokenExpiry(now, _options.TokenLifetimeSeconds));
            }

            MqttConnectOptions connect = new MqttConnectOptions();
            connect.Host = _hubHost;
            connect.Port = _options.MqttPort;
            connect.ClientId = _hubDeviceId;
            connect.Username = HubTopics.Username(_hubHost, _hubDeviceId, _options.ModelId, null);
            connect.Password = password;
            connect.KeepAliveSeconds = _options.KeepAliveSeconds;
            connect.TimeoutMilliseconds = _options.TimeoutMilliseconds;
            connect.Tls = _options.Tls();

            // A fresh transport per attempt: reusing a client after a drop hangs some stacks.
            _generation++;
            _inbox.Open(_generation);
            _log.Log(IotLogLevel.ApiOnly, "MQTT: connecting to " + _hubHost + ":" + _options.MqttPort + " as '" + _hubDeviceId + "'");
            return connect;
        }

        /// <summary>Takes up the outcome of CONNECT (and SUBSCRIBE when accepted) on the pump's thread; throws IotcException for a failed attempt.</summary>
        private void FinishConnect(IMqttTransport mqtt, int connack, Exception failure, long now)
        {
            if (failure is TransportException)
            {
                SafeClose(mqtt);
                _networkFailures++;
                throw new IotcException((connack == 0 ? "IoT Hub connection lost while subscribing: " : "IoT Hub " + _hubHost + ":" + _options.MqttPort + " unreachable: ") + failure.Message, IotcStatus.NetworkError, 0, null, failure);
            }

            if (failure != null)
            {
                SafeClose(mqtt);
                throw UnusableSettings("IoT Hub", failure);
            }

            if (connack != 0)
            {
                SafeClose(mqtt);
                if (RetryPolicy.IsKeyRefusal(connack))
                {
                    _authFailures++;
                }

                throw new IotcException("IoT Hub refused the connection: CONNACK " + connack + " (" + ConnackText(connack) + ")", connack, 0, null, null);
            }

            try
            {
                _twin.OnConnected(mqtt);
            }
            catch (TransportException ex)
            {
                SafeClose(mqtt);
                _networkFailures++;
                throw new IotcException("IoT Hub connection lost while subscribing: " + ex.Message, IotcStatus.NetworkError, 0, null, ex);
            }

            _mqtt = mqtt;
            _state = Connected;
            _fromCache = false;
            _usefulWork = false;
            _authFailures = 0;
            _networkFailures = 0;
            _connectedAtMs = now;
            _renewAtMs = now + (long)_options.TokenLifetimeSeconds * 800;
            _log.Log(IotLogLevel.ApiOnly, "MQTT: connected to " + _hubHost + "; " + _publisher.Count + " message(s) waiting");
            RaiseStatus(IotcStatus.Connected, "connected");
        }

        /// <summary>
        /// A transport that fails with anything but <see cref="TransportException"/> (the network's failures) could not use
        /// its settings: a certificate or key it cannot read, a root it cannot load. Retrying cannot fix that. Only the
        /// exception's type is shown: its text may be about the key.
        /// </summary>
        internal static IotcException UnusableSettings(string server, Exception ex)
        {
            return new IotcException(server + ": the transport could not use the TLS settings (certificate, private key or root certificate): " + ex.GetType().Name, IotcStatus.InvalidCredential, 0, null, ex);
        }


        /// <summary>
        /// 2023-01-01T00:00:00Z in Unix milliseconds. A clock before it has not been set: a board starts at 1970 (or its
        /// firmware's date) until SNTP runs, and a token signed then is refused by DPS as 401, which reads as a wrong key.
        /// </summary>
        internal const long ClockSetAfterMs = 1672531200000L;

        /// <summary>True when <paramref name="nowMilliseconds"/> can be a real time: set (after 2023) and before 2100.</summary>
        internal static bool IsClockSet(long nowMilliseconds)
        {
            return nowMilliseconds >= ClockSetAfterMs && nowMilliseconds / 1000 < SasToken.MaxExpiry;
        }

        /// <summary>
        /// A SAS expiry for a token made now. A clock that is not set (before 2023) or far off (past 2100) is a
        /// connection failure with status <see cref="IotcStatus.InvalidClock"/>, retried until the clock is set; not an argument error.
        /// </summary>
        internal static long TokenExpiry(long nowMilliseconds, int lifetimeSeconds)
        {
            long expiry = nowMilliseconds / 1000 + lifetimeSeconds;
            if (nowMilliseconds < ClockSetAfterMs || expiry > SasToken.MaxExpiry)
            {
                throw new IotcException("the device clock (" + nowMilliseconds / 1000 + " s since 1970) is not set or gives no valid token expiry; set the clock (SNTP)", IotcStatus.InvalidClock, 0, null, null);
            }

            return expiry;
        }

        private void OnAttemptFailed(IotcException ex, long now)
        {
            EndProvisioning();
            ForgetStoredHubAfter(ex);
            if (RetryPolicy.IsFinal(ex.StatusCode, _authFailures))
            {
                _log.Log(IotLogLevel.ApiOnly, "giving up: " + ex.Message);
                _state = Stopped;
                RaiseStatus(IotcStatus.GaveUp, "gave up (status " + ex.StatusCode + "): " + ex.Message);
                return;
            }

            _failedAttempts++;
            int delay = _backoff.Delay(_failedAttempts);
            _state = Waiting;
            _nextAttemptAtMs = now + delay;
            _log.Log(IotLogLevel.ApiOnly, "reconnect attempt " + _failedAttempts + " failed (" + ex.Message + "); next in " + delay + " ms");
            RaiseStatus(FailureStatus(ex), ex.Message);
        }

        /// <summary>The ConnectionStatus code of a failed attempt: a failure never reads as 0 (connected).</summary>
        private static int FailureStatus(IotcException ex)
        {
            return ex.StatusCode == IotcStatus.Connected ? IotcStatus.NetworkError : ex.StatusCode;
        }

        private void DropLink()
        {
            IMqttTransport mqtt = _mqtt;
            _mqtt = null;
            _generation++;
            _inbox.Open(_generation);
            if (mqtt != null)
            {
                SafeClose(mqtt);
            }

            _publisher.MarkAllForResend();
            _twin.OnLinkLost();
        }

        private void RaiseStatus(int status, string reason)
        {
            IotcCallbackInfo c = new IotcCallbackInfo(_device, IotcEvents.ConnectionStatus);
            c.Kind = PendingCallback.Status;
            c.StatusCode = status;
            c.Payload = reason;
            _callbacks.Add(c);
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
    }
}
