using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>The IoT Hub device side: MQTT 3.1.1 over TLS with IoT Hub's topics, auth and rules.</summary>
internal sealed class HubService : IAsyncDisposable
{
    // Messages the emulator injects carry this sender prefix plus the target client id, so the enqueue
    // interceptor can hand each one to exactly that device (all devices subscribe to the same $iothub filters).
    const string InjectMarker = "\u0001iotc-emulator>";
    // DPS over MQTT uses the registration id as client id, often the same as the device's hub client id. In Azure they
    // are different hosts; here they share the port, so a DPS connection gets this prefix as its MQTTnet client id
    // (ValidatingConnectionEventArgs.AssignedClientIdentifier) and never takes over or wipes the device's hub session.
    internal const string DpsMarker = "\u0002dps>";
    const string SessionKey = "iotc.session";

    /// <summary>IoT Hub's default maximum delivery count of a C2D message: once reached, the message is dead-lettered.</summary>
    internal const int C2dMaxDeliveryCount = 10;

    readonly Store _store;
    readonly Faults _faults;
    readonly Action<string> _log;
    readonly string _hub;
    readonly MqttServer _server;
    readonly ConcurrentDictionary<string, Conn> _conns = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, DpsCredentials> _dpsConns = new(StringComparer.Ordinal);
    readonly DpsService _dps;
    readonly ConcurrentDictionary<string, TaskCompletionSource<(int Status, string? Payload)>> _pendingMethods = new(StringComparer.Ordinal);
    // What CONNECT validation decided, picked up by the connected handler. MQTTnet hands a resumed session its old
    // session items, so per-connection facts cannot travel in the items of the validating event.
    readonly ConcurrentDictionary<string, ConnectInfo> _validated = new(StringComparer.Ordinal);
    long _rid;

    sealed record ConnectInfo(DateTimeOffset Expiry, string? ModelId, AttestationKind Auth, bool CleanSession, DateTimeOffset ValidatedUtc,
        IReadOnlyDictionary<string, int>? Restore = null);

    // Persistent sessions from before the last start (subscriptions, in SQLite) that no connection has picked up yet.
    // MQTTnet keeps sessions in memory only, so the first clean-session-0 CONNECT of such a device gets its
    // subscriptions back server-side and CONNACK session-present 1, as IoT Hub (which keeps sessions) answers.
    readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, int>> _restorable;

    sealed class Conn
    {
        /// <summary>Tells this connection from a later one of the same device (the session, and its items, may be shared).</summary>
        public required EndPoint? RemoteEndPoint { get; init; }
        public required string ClientId { get; init; }
        public required DateTimeOffset Expiry { get; init; }
        public required HubSession Session { get; init; }
        public CancellationTokenSource Cts { get; } = new();
    }

    /// <summary>
    /// The device's MQTT session as IoT Hub keeps it: which of its topics it listens to and the C2D messages handed to
    /// MQTTnet for it that the device has not acknowledged yet. It lives in MQTTnet's session items, so it lasts exactly
    /// as long as MQTTnet's session: across connections with clean session 0, discarded by a clean session 1 connect.
    /// </summary>
    sealed class HubSession
    {
        public int Connections;
        public volatile bool C2dAtMostOnce;

        /// <summary>The granted filters (IoT Hub allows a handful) and what each gives.</summary>
        public ConcurrentDictionary<string, Grant> Filters { get; } = new(StringComparer.Ordinal);

        /// <summary>Granted QoS per filter, kept in SQLite for a persistent (clean session 0) session.</summary>
        public ConcurrentDictionary<string, int> Qos { get; } = new(StringComparer.Ordinal);

        public bool Persistent;

        /// <summary>C2D messages handed to MQTTnet and not acknowledged yet: message id → the MQTT packet id of its first
        /// send (0 until sent), so that a resumed session's redelivery keeps that packet id with DUP=1 (MQTT 3.1.1 §4.4).</summary>
        public ConcurrentDictionary<long, int> C2dInFlight { get; } = new();

        bool Has(Grant g)
        {
            foreach (var f in Filters) if (f.Value == g) return true;
            return false;
        }

        public bool Methods => Has(Grant.Methods);
        public bool TwinResponses => Has(Grant.TwinResponses);
        public bool Desired => Has(Grant.Desired);
        public bool C2d => Has(Grant.C2d);
    }

    /// <summary>What a subscription filter gives the device.</summary>
    internal enum Grant { Refused, Harmless, Methods, TwinResponses, Desired, C2d }

    /// <summary>
    /// The filters IoT Hub accepts from a device: the documented ones, <c>$iothub/methods/#</c> (the Python iotc SDK)
    /// and <c>devices/+/messages/devicebound/#</c> (Azure SDK for C's C2D filter); the device's own harmless topics
    /// (such as its telemetry topic) are acknowledged without effect; anything else is refused.
    /// </summary>
    internal static Grant Classify(string deviceId, string topic)
    {
        switch (topic)
        {
            case "$iothub/methods/POST/#" or "$iothub/methods/#": return Grant.Methods;
            case "$iothub/twin/res/#": return Grant.TwinResponses;
            case "$iothub/twin/PATCH/properties/desired/#": return Grant.Desired;
            case "devices/+/messages/devicebound/#": return Grant.C2d;
        }
        var own = "devices/" + deviceId + "/";
        if (topic == own + "messages/devicebound/#") return Grant.C2d;
        if (topic.StartsWith(own, StringComparison.Ordinal) && !topic.Contains('+') && !topic[own.Length..].Contains('#') ||
            topic == own + "messages/events/#")
        {
            return Grant.Harmless;
        }
        return Grant.Refused;
    }

    public event Action<TelemetryMessage>? TelemetryReceived;

    public HubService(Store store, Faults faults, Action<string> log, string hubHostName, X509Certificate2Holder cert, IPAddress v4, IPAddress v6, int port, DpsService dps)
    {
        _dps = dps;
        _restorable = new(store.LoadSessions(), StringComparer.Ordinal);
        _store = store;
        _faults = faults;
        _log = log;
        _hub = hubHostName;
        var options = new MqttServerOptionsBuilder()
            .WithoutDefaultEndpoint()
            .WithEncryptedEndpoint()
            .WithEncryptedEndpointBoundIPAddress(v4)
            .WithEncryptedEndpointBoundIPV6Address(v6)
            .WithEncryptedEndpointPort(port)
            .WithEncryptionCertificate(cert.Certificate)
            .WithEncryptionSslProtocol(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13)
            // Ask for a client certificate so X.509 devices can present one; SAS devices send none. The TLS layer
            // accepts what is offered because the device's certificate is checked against its enrollment at CONNECT
            // (thumbprint or enrolled CA), as IoT Hub does; no chain to a public root is expected.
            .WithClientCertificate(static (_, leaf, chain, _) => ClientCertificates.RememberPresented(leaf, chain))
            .WithMaxPendingMessagesPerClient(10_000)
            // IoT Hub keeps a clean-session-0 session (subscriptions, unacknowledged QoS 1 messages) across connections
            // and answers session-present (MQTT 3.1.1 §3.1.2.4, §3.2.2.2); MQTTnet does exactly that with this switch.
            .WithPersistentSessions()
            .Build();
        options.DefaultCommunicationTimeout = TimeSpan.FromSeconds(30);
        _server = new MqttServerFactory().CreateMqttServer(options);
        _server.ValidatingConnectionAsync += OnValidatingAsync;
        _server.ClientConnectedAsync += OnConnectedAsync;
        _server.ClientDisconnectedAsync += OnDisconnectedAsync;
        _server.InterceptingSubscriptionAsync += OnSubscribingAsync;
        _server.ClientSubscribedTopicAsync += OnSubscribedAsync;
        _server.ClientUnsubscribedTopicAsync += OnUnsubscribedAsync;
        _server.ClientAcknowledgedPublishPacketAsync += OnAcknowledgedAsync;
        _server.InterceptingPublishAsync += OnPublishAsync;
        _server.InterceptingClientEnqueueAsync += OnEnqueueAsync;
        Options = options;
        UpdateOutboundInterception();
    }

    public MqttServerOptions Options { get; }

    public int Port => Options.TlsEndpointOptions.Port;

    public Task StartAsync() => _server.StartAsync();

    public bool IsConnected(string deviceId) => _conns.ContainsKey(deviceId);

    /// <summary>
    /// The device's open connection. MQTTnet sends CONNACK just before it raises the connected event, so a device can
    /// already act on its CONNACK while the emulator is still registering it: a connection accepted moments ago is
    /// waited for (briefly) rather than reported offline.
    /// </summary>
    async Task<Conn?> ConnAsync(string deviceId)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_conns.TryGetValue(deviceId, out var c)) return c;
            if (!_validated.TryGetValue(deviceId, out var v) || DateTimeOffset.UtcNow - v.ValidatedUtc > TimeSpan.FromSeconds(5)) return null;
            await Task.Delay(10).ConfigureAwait(false);
        }
        return _conns.GetValueOrDefault(deviceId);
    }

    int _outboundHooked;
    long _c2dAwaitingAck;

    /// <summary>Hooks outbound packets only while some device has PUBACKs withheld: the hook costs an allocation per packet.</summary>
    public void UpdateOutboundInterception()
    {
        // Also while a session from before the restart may still be picked up (its CONNACK needs session-present 1), and
        // while C2D messages await their PUBACK (a redelivery must keep the packet id; counted loosely: entries of
        // discarded sessions keep the hook on, which only costs time).
        var want = !_faults.PubAckWithheld.IsEmpty || !_restorable.IsEmpty || _validated.Values.Any(v => v.Restore is not null) || Volatile.Read(ref _c2dAwaitingAck) > 0;
        if (want && Interlocked.CompareExchange(ref _outboundHooked, 1, 0) == 0) _server.InterceptingOutboundPacketAsync += OnOutboundAsync;
        else if (!want && Interlocked.CompareExchange(ref _outboundHooked, 0, 1) == 1) _server.InterceptingOutboundPacketAsync -= OnOutboundAsync;
    }

    // ---------------- connection ----------------

    /// <summary>Parses <c>{hub}/{deviceId}/?api-version=…&amp;model-id=…</c> or the older <c>{hub}/{deviceId}/api-version=…</c>.</summary>
    internal static bool TryParseUserName(string? userName, string hub, string clientId, out Dictionary<string, string?> query, out string? reason)
    {
        query = new();
        reason = null;
        if (string.IsNullOrEmpty(userName)) { reason = "user name missing"; return false; }
        // Host names compare without case; device ids are case-sensitive.
        var prefix = hub + "/" + clientId + "/";
        if (!userName.StartsWith(hub + "/", StringComparison.OrdinalIgnoreCase) || !userName.AsSpan(hub.Length).StartsWith(prefix.AsSpan(hub.Length), StringComparison.Ordinal))
        {
            reason = "user name does not start with '{hub}/{deviceId}/'";
            return false;
        }
        var rest = userName[prefix.Length..];
        if (rest.StartsWith('?')) rest = rest[1..];
        query = PropertyBag.Parse(rest);
        if (!query.TryGetValue("api-version", out var api) || string.IsNullOrEmpty(api)) { reason = "api-version missing in user name"; return false; }
        return true;
    }

    /// <summary>DPS's MQTT user name: <c>{idScope}/registrations/{registrationId}/api-version=…[&amp;ClientVersion=…]</c>, with the
    /// registration id equal to the client id (https://learn.microsoft.com/azure/iot-dps/iot-dps-mqtt-support).</summary>
    internal static bool IsDpsUserName(string? userName, string clientId, out string idScope, out string? apiVersion)
    {
        idScope = "";
        apiVersion = null;
        if (string.IsNullOrEmpty(userName)) return false;
        var marker = "/registrations/" + clientId + "/";
        var at = userName.IndexOf(marker, StringComparison.Ordinal);
        if (at <= 0 || userName.IndexOf('/') != at) return false;
        idScope = userName[..at];
        var rest = userName[(at + marker.Length)..];
        if (rest.StartsWith('?')) rest = rest[1..];
        PropertyBag.Parse(rest).TryGetValue("api-version", out apiVersion);
        return true;
    }

    async Task ValidateDpsAsync(ValidatingConnectionEventArgs e, string registrationId, string idScope, string? apiVersion)
    {
        var what = $"'{registrationId}' from {e.RemoteEndPoint} (MQTT)";
        if (_dps.Precheck(idScope, registrationId, apiVersion, what, throttle: false) is { } refusal)
        {
            e.ReasonCode = refusal.Status == 404 ? MqttConnectReasonCode.NotAuthorized : MqttConnectReasonCode.BadUserNameOrPassword;
            _log($"dps: refused MQTT connect of {what}: {(string?)refusal.Body["message"]}");
            return;
        }
        DpsCredentials? creds = null;
        if (!string.IsNullOrEmpty(e.Password)) creds = await Task.Run(() => _dps.AuthenticateSas(e.Password, idScope, registrationId, what)).ConfigureAwait(false);
        else if (e.ClientCertificate is { } cert) creds = await Task.Run(() => _dps.AuthenticateCertificate(cert, registrationId, what)).ConfigureAwait(false);
        else _log($"dps: unauthorized {what}: no password and no client certificate");
        if (creds is null)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            return;
        }
        var internalId = DpsMarker + registrationId;
        if (ConnectPacketField?.GetValue(e) is not MqttConnectPacket packet)
        {
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            _log($"dps: refused MQTT connect of {what}: this MQTTnet version hides the CONNECT packet, so DPS over MQTT cannot be told apart from the hub session");
            return;
        }
        packet.ClientId = internalId;
        _dpsConns[internalId] = creds;
        _log($"dps: '{registrationId}' connected over MQTT from {e.RemoteEndPoint} (enrollment '{creds.EnrollmentId}', {creds.Attestation})");
    }

    // MQTTnet (5.2) keys sessions by the CONNECT packet's client id and assigns a new id only to empty MQTT 5 ids, so
    // the DPS connection's id is changed on the packet itself, before MQTTnet looks up the session.
    static readonly System.Reflection.FieldInfo? ConnectPacketField =
        typeof(ValidatingConnectionEventArgs).GetField("_connectPacket", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);

    async Task OnDpsPublishAsync(InterceptingPublishEventArgs e)
    {
        var registrationId = e.ClientId[DpsMarker.Length..];
        var what = $"'{registrationId}' (MQTT)";
        var topic = e.ApplicationMessage.Topic;
        if (!_dpsConns.TryGetValue(e.ClientId, out var creds))
        {
            e.CloseConnection = true;
            return;
        }
        var (path, q) = SplitQuery(topic);
        q.TryGetValue("$rid", out var rid);
        DpsReply reply;
        if (path == "$dps/registrations/PUT/iotdps-register/")
        {
            if (e.ApplicationMessage.Payload.Length > Limits.DpsBodyBytes)
                reply = DpsService.Error(413, 413001, $"The request body is larger than {Limits.DpsBodyBytes} bytes.");
            else if (_dps.Precheck(_dps.IdScope, registrationId, "2021-06-01", what, throttle: true) is { } early)
                reply = early;
            else
                reply = await Task.Run(() => _dps.Register(creds, registrationId, TwinJson.TryParseObject(e.ApplicationMessage.Payload.ToArray()), what)).ConfigureAwait(false);
        }
        else if (path == "$dps/registrations/GET/iotdps-get-operationstatus/" && q.TryGetValue("operationId", out var opId) && opId is not null)
        {
            reply = _dps.Precheck(_dps.IdScope, registrationId, "2021-06-01", what, throttle: true)
                ?? await Task.Run(() => _dps.Poll(registrationId, opId, what)).ConfigureAwait(false);
        }
        else
        {
            e.CloseConnection = true;
            _log($"dps: closing {what}: publish to '{topic}' is not a DPS request");
            return;
        }
        // The status and retry-after travel in the topic (DPS MQTT support page above).
        var responseTopic = $"$dps/registrations/res/{reply.Status}/?$rid={rid}" + (reply.RetryAfter is { } ra ? $"&retry-after={ra}" : "");
        await DeliverAsync(e.ClientId, responseTopic, Encoding.UTF8.GetBytes(reply.Body.ToJsonString(TwinJson.Relaxed))).ConfigureAwait(false);
    }

    async Task OnValidatingAsync(ValidatingConnectionEventArgs e)
    {
        var id = e.ClientId ?? "";
        string Who() => $"'{id}' from {e.RemoteEndPoint}";
        if (_faults.RefusingConnects)
        {
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            _log($"hub: refused {Who()}: fault injection (refusing connects)");
            return;
        }
        if (e.ProtocolVersion != MqttProtocolVersion.V311)
        {
            e.ReasonCode = MqttConnectReasonCode.UnsupportedProtocolVersion;
            _log($"hub: refused {Who()}: MQTT {e.ProtocolVersion} (IoT Hub speaks 3.1.1)");
            return;
        }
        if (IsDpsUserName(e.UserName, id, out var dpsScope, out var dpsApi))
        {
            await ValidateDpsAsync(e, id, dpsScope, dpsApi).ConfigureAwait(false);
            return;
        }
        if (!Limits.IsValidDeviceId(id))
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            _log($"hub: refused {Who()}: invalid device id");
            return;
        }
        if (!TryParseUserName(e.UserName, _hub, id, out var query, out var why))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            _log($"hub: refused {Who()}: {why}");
            return;
        }
        var device = await Task.Run(() => _store.GetDevice(id)).ConfigureAwait(false);
        if (device is null)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            _log($"hub: refused {Who()}: device is not registered (provision it through DPS or enroll it first)");
            return;
        }

        DateTimeOffset expiry;
        var now = DateTimeOffset.UtcNow;
        if (device.Attestation == AttestationKind.X509)
        {
            var cert = e.ClientCertificate;
            if (cert is null)
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                _log($"hub: refused {Who()}: X.509 device presented no client certificate");
                return;
            }
            var ok = (ClientCertificates.MatchesThumbprint(cert, device.Thumbprint) || ClientCertificates.ChainsTo(cert, device.CaPem, ClientCertificates.PresentedIntermediates(cert)))
                && string.Equals(ClientCertificates.CommonName(cert), id, StringComparison.Ordinal)
                && cert.NotBefore <= DateTime.Now && cert.NotAfter >= DateTime.Now;
            if (!ok)
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                _log($"hub: refused {Who()}: client certificate does not match the device's enrollment");
                return;
            }
            expiry = new DateTimeOffset(cert.NotAfter.ToUniversalTime());
        }
        else
        {
            var token = SasToken.TryParse(e.Password);
            if (token is null)
            {
                e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
                _log($"hub: refused {Who()}: password is not a SharedAccessSignature");
                return;
            }
            var resource = _hub + "/devices/" + id;
            if (token.Resource.Length != resource.Length || !token.Resource.StartsWith(_hub + "/", StringComparison.OrdinalIgnoreCase)
                || !token.Resource.AsSpan(_hub.Length).SequenceEqual(resource.AsSpan(_hub.Length)))
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                _log($"hub: refused {Who()}: token sr '{token.Resource}' is not '{resource}'");
                return;
            }
            if (token.KeyName is not null)
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                _log($"hub: refused {Who()}: device tokens carry no skn");
                return;
            }
            if (!token.IsSignedBy([device.PrimaryKey, device.SecondaryKey]))
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                _log($"hub: refused {Who()}: signature does not match the device key");
                return;
            }
            if (token.ExpiresAt <= now)
            {
                e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
                _log($"hub: refused {Who()}: token expired at {token.ExpiresAt:u}");
                return;
            }
            expiry = token.ExpiresAt;
        }
        if (_faults.TokenLifetimeCap is { } cap && now + cap < expiry) expiry = now + cap;

        query.TryGetValue("model-id", out var modelId);
        // Becomes the session's state when MQTTnet starts a new session; a resumed session keeps its own.
        var clean = e.CleanSession != false;
        e.SessionItems[SessionKey] = new HubSession { Persistent = !clean };
        IReadOnlyDictionary<string, int>? restore = null;
        if (_restorable.TryRemove(id, out var stored) && !clean) restore = stored;
        if (clean)
        {
            await Task.Run(() => _store.DeleteSession(id)).ConfigureAwait(false);
            // IoT Hub removes the enqueued C2D messages of a device that connects with clean session 1 (Store.PurgeC2d):
            // only what is sent after it subscribed reaches it.
            var purged = await Task.Run(() => _store.PurgeC2d(id)).ConfigureAwait(false);
            if (purged > 0) _log($"hub: '{id}' connects with clean session 1: {purged} queued C2D message(s) removed, as IoT Hub does");
        }
        _validated[id] = new ConnectInfo(expiry, modelId, device.Attestation, clean, now, restore);
    }

    async Task OnConnectedAsync(ClientConnectedEventArgs e)
    {
        if (e.ClientId.StartsWith(DpsMarker, StringComparison.Ordinal)) return;
        if (!_validated.TryRemove(e.ClientId, out var info) || e.SessionItems[SessionKey] is not HubSession session) return;
        var resumed = Interlocked.Increment(ref session.Connections) > 1;
        var conn = new Conn { RemoteEndPoint = e.RemoteEndPoint, ClientId = e.ClientId, Expiry = info.Expiry, Session = session };
        if (_conns.TryGetValue(e.ClientId, out var old)) old.Cts.Cancel();
        _conns[e.ClientId] = conn;
        var model = info.ModelId;
        var kind = resumed ? "session resumed" : info.CleanSession ? "clean session" : "new persistent session";
        _log($"hub: '{e.ClientId}' connected from {e.RemoteEndPoint} ({info.Auth}{(model is null ? "" : ", model " + model)}, {kind}), token valid until {info.Expiry:u}");
        await Task.Run(() => _store.MarkConnection(e.ClientId, true, model)).ConfigureAwait(false);
        _ = CloseAtExpiryAsync(conn);
        if (info.Restore is { } filters && !resumed)
        {
            _log($"hub: '{e.ClientId}' resumes its session from before the restart: {filters.Count} subscription(s) restored");
            var topicFilters = filters.Select(f => new MqttTopicFilterBuilder().WithTopic(f.Key).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)f.Value).Build()).ToList();
            if (topicFilters.Count > 0) await _server.SubscribeAsync(e.ClientId, topicFilters).ConfigureAwait(false);
        }
        UpdateOutboundInterception();
        if (resumed)
        {
            // MQTTnet sends the resumed session's unacknowledged QoS 1 messages again: each is one more delivery.
            var again = session.C2dInFlight.Keys.ToArray();
            if (again.Length > 0)
            {
                await Task.Run(() => _store.CountC2dRedelivery(again)).ConfigureAwait(false);
                _log($"hub: redelivering {again.Length} unacknowledged C2D message(s) to '{e.ClientId}' in its resumed session");
            }
            if (session.C2d) await Task.Run(() => FlushC2dAsync(e.ClientId)).ConfigureAwait(false);
        }
    }

    async Task CloseAtExpiryAsync(Conn conn)
    {
        try
        {
            var wait = conn.Expiry - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait < TimeSpan.FromDays(24) ? wait : TimeSpan.FromDays(24), conn.Cts.Token).ConfigureAwait(false);
            if (conn.Cts.IsCancellationRequested || conn.Expiry > DateTimeOffset.UtcNow.AddSeconds(1)) return;
            if (_conns.TryGetValue(conn.ClientId, out var current) && current == conn)
            {
                _log($"hub: closing '{conn.ClientId}': its token/session lifetime ended");
                await _server.DisconnectClientAsync(conn.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized }).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) { _log($"hub: closing '{conn.ClientId}' at expiry failed: {ex.Message}"); }
    }

    async Task OnDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        if (e.ClientId.StartsWith(DpsMarker, StringComparison.Ordinal))
        {
            if (e.DisconnectType != MqttClientDisconnectType.Takeover) _dpsConns.TryRemove(e.ClientId, out _);
            return;
        }
        if (e.DisconnectType == MqttClientDisconnectType.Takeover)
        {
            _log($"hub: '{e.ClientId}' taken over by a new connection; old one dropped");
            return;
        }
        if (_conns.TryGetValue(e.ClientId, out var c) && Equals(c.RemoteEndPoint, e.RemoteEndPoint) && _conns.TryRemove(new KeyValuePair<string, Conn>(e.ClientId, c)))
        {
            c.Cts.Cancel();
            _log($"hub: '{e.ClientId}' disconnected ({e.DisconnectType})");
            await Task.Run(() => _store.MarkConnection(e.ClientId, false, null)).ConfigureAwait(false);
        }
    }

    // ---------------- subscriptions ----------------

    Task OnSubscribingAsync(InterceptingSubscriptionEventArgs e)
    {
        var id = e.ClientId;
        var topic = e.TopicFilter.Topic;
        // IoT Hub grants QoS 2 subscriptions as QoS 1.
        if (e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce)
        {
            e.TopicFilter.QualityOfServiceLevel = MqttQualityOfServiceLevel.AtLeastOnce;
        }
        e.Response.ReasonCode = e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce ? MqttSubscribeReasonCode.GrantedQoS0 : MqttSubscribeReasonCode.GrantedQoS1;
        if (id.StartsWith(DpsMarker, StringComparison.Ordinal))
        {
            // A DPS connection may listen to its responses only.
            if (topic != "$dps/registrations/res/#")
            {
                e.ProcessSubscription = false;
                e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
                _log($"dps: refused subscription of '{id[DpsMarker.Length..]}' to '{topic}'");
            }
            return Task.CompletedTask;
        }
        switch (Classify(id, topic))
        {
            case Grant.Refused:
                e.ProcessSubscription = false;
                e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
                _log($"hub: refused subscription of '{id}' to '{topic}': not one of the device's topics");
                break;
            case Grant.Harmless:
                // Older SDKs subscribe to harmless topics of their own (e.g. their telemetry topic): acknowledged, nothing granted.
                e.ProcessSubscription = false;
                _log($"hub: '{id}' subscribed to '{topic}': acknowledged without effect");
                break;
        }
        return Task.CompletedTask;
    }

    async Task OnSubscribedAsync(ClientSubscribedTopicEventArgs e)
    {
        if (e.SessionItems[SessionKey] is not HubSession s) return;
        var grant = Classify(e.ClientId, e.TopicFilter.Topic);
        if (grant is Grant.Refused or Grant.Harmless) return;
        if (grant == Grant.C2d)
        {
            // A QoS 0 subscription gets C2D at QoS 0: nothing to acknowledge, so a message is completed when sent.
            s.C2dAtMostOnce = e.TopicFilter.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtMostOnce;
        }
        s.Filters[e.TopicFilter.Topic] = grant;
        s.Qos[e.TopicFilter.Topic] = (int)e.TopicFilter.QualityOfServiceLevel;
        if (s.Persistent) await Task.Run(() => _store.SaveSession(e.ClientId, s.Qos)).ConfigureAwait(false);
        if (grant == Grant.C2d) await Task.Run(() => FlushC2dAsync(e.ClientId)).ConfigureAwait(false);
    }

    async Task OnUnsubscribedAsync(ClientUnsubscribedTopicEventArgs e)
    {
        if (e.SessionItems[SessionKey] is not HubSession s) return;
        s.Filters.TryRemove(e.TopicFilter, out _);
        s.Qos.TryRemove(e.TopicFilter, out _);
        if (s.Persistent) await Task.Run(() => _store.SaveSession(e.ClientId, s.Qos)).ConfigureAwait(false);
    }

    /// <summary>The <c>$.mid</c> of a C2D topic of this client, or null.</summary>
    static long? C2dMessageId(string clientId, string topic)
    {
        var prefix = "devices/" + clientId + "/messages/devicebound/";
        if (!topic.StartsWith(prefix, StringComparison.Ordinal)) return null;
        return PropertyBag.Parse(topic[prefix.Length..]).TryGetValue("$.mid", out var mid) && long.TryParse(mid, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>The device PUBACKed a message the hub sent it: a C2D message is completed.</summary>
    async Task OnAcknowledgedAsync(ClientAcknowledgedPublishPacketEventArgs e)
    {
        var prefix = "devices/" + e.ClientId + "/messages/devicebound/";
        var topic = e.PublishPacket.Topic;
        if (!topic.StartsWith(prefix, StringComparison.Ordinal)) return;
        if (!PropertyBag.Parse(topic[prefix.Length..]).TryGetValue("$.mid", out var mid) || !long.TryParse(mid, System.Globalization.CultureInfo.InvariantCulture, out var id)) return;
        // Under the delivery lock: a flush that already read the message as pending must not see it leave the
        // session's in-flight set before the store says completed, or it would send it once more.
        await _c2dLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var completed = await Task.Run(() => _store.CompleteC2d(e.ClientId, id)).ConfigureAwait(false);
            if ((e.SessionItems[SessionKey] as HubSession)?.C2dInFlight.TryRemove(id, out _) == true) Interlocked.Decrement(ref _c2dAwaitingAck);
            if (completed) _log($"hub: '{e.ClientId}' acknowledged C2D message {id}: completed");
        }
        finally
        {
            _c2dLock.Release();
        }
    }

    // ---------------- publishes ----------------

    Task OnEnqueueAsync(InterceptingClientApplicationMessageEnqueueEventArgs e)
    {
        e.AcceptEnqueue = e.SenderClientId is { } s && s.StartsWith(InjectMarker, StringComparison.Ordinal)
            && string.Equals(s[InjectMarker.Length..], e.ReceiverClientId, StringComparison.Ordinal);
        return Task.CompletedTask;
    }

    Task OnOutboundAsync(InterceptingPacketEventArgs e)
    {
        if (e.Packet is MqttPubAckPacket && _faults.PubAckWithheld.ContainsKey(e.ClientId))
        {
            e.ProcessPacket = false;
        }
        else if (e.Packet is MqttConnAckPacket ack && _validated.TryGetValue(e.ClientId, out var info) && info.Restore is not null)
        {
            ack.IsSessionPresent = true;
        }
        else if (e.Packet is MqttPublishPacket p && p.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtLeastOnce
            && e.SessionItems?[SessionKey] is HubSession s && !s.C2dInFlight.IsEmpty && C2dMessageId(e.ClientId, p.Topic) is { } mid
            && s.C2dInFlight.TryGetValue(mid, out var firstPacketId))
        {
            // MQTTnet 5.2 gives a resumed session's unacknowledged message a new packet id and DUP=0 when it sends it
            // again; MQTT 3.1.1 §4.4 wants the original id with DUP=1. MQTTnet matches the PUBACK on this same packet
            // object, so changing it here keeps its bookkeeping right.
            if (firstPacketId == 0) s.C2dInFlight.TryUpdate(mid, p.PacketIdentifier, 0);
            else if (firstPacketId != p.PacketIdentifier)
            {
                p.PacketIdentifier = (ushort)firstPacketId;
                p.Dup = true;
            }
        }
        return Task.CompletedTask;
    }

    // Devices repeat the same few property bags; parsing and serialising each distinct one once keeps the hot path cheap.
    // Looked up by span, so a hit allocates nothing (the topic's bag is not cut out as a string).
    readonly ConcurrentDictionary<string, (IReadOnlyDictionary<string, string?> Props, string Json)> _bags = new(StringComparer.Ordinal);

    (IReadOnlyDictionary<string, string?> Props, string Json) ParsedBag(ReadOnlySpan<char> bagSpan)
    {
        var bags = _bags.GetAlternateLookup<ReadOnlySpan<char>>();
        if (bags.TryGetValue(bagSpan, out var hit)) return hit;
        var bag = bagSpan.ToString();
        var props = PropertyBag.Parse(bag);
        var entry = ((IReadOnlyDictionary<string, string?>)props, Store.PropertiesJson(props));
        if (_bags.Count > 4096) _bags.Clear();
        _bags[bag] = entry;
        return entry;
    }

    /// <summary>True for <c>devices/{sender}/messages/events</c>, alone or followed by <c>/</c> and a property bag (which
    /// starts at <paramref name="bagStart"/>), compared in place so that the hot path builds no string.</summary>
    internal static bool IsTelemetryTopic(string topic, string sender, out int bagStart)
    {
        const string Devices = "devices/", Events = "/messages/events";
        var t = topic.AsSpan();
        bagStart = topic.Length;
        if (!t.StartsWith(Devices, StringComparison.Ordinal)) return false;
        t = t[Devices.Length..];
        if (!t.StartsWith(sender, StringComparison.Ordinal)) return false;
        t = t[sender.Length..];
        if (!t.StartsWith(Events, StringComparison.Ordinal)) return false;
        t = t[Events.Length..];
        if (t.Length == 0) return true;
        if (t[0] != '/') return false;
        bagStart = topic.Length - t.Length + 1;
        return true;
    }

    static (string Path, Dictionary<string, string?> Query) SplitQuery(string topic)
    {
        var q = topic.IndexOf('?');
        return q < 0 ? (topic, new()) : (topic[..q], PropertyBag.Parse(topic[(q + 1)..]));
    }

    async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        var sender = e.ClientId;
        if (sender.StartsWith(InjectMarker, StringComparison.Ordinal)) return; // our own delivery
        var msg = e.ApplicationMessage;
        // Device publishes are consumed here and never routed to other clients.
        e.ProcessPublish = false;
        if (sender.StartsWith(DpsMarker, StringComparison.Ordinal))
        {
            await OnDpsPublishAsync(e).ConfigureAwait(false);
            return;
        }
        if (msg.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce)
        {
            e.CloseConnection = true;
            _log($"hub: closing '{sender}': QoS 2 publish is not supported by IoT Hub");
            return;
        }
        if (_faults.PubAckDelays.TryGetValue(sender, out var delay) && msg.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtLeastOnce)
        {
            // The PUBACK is sent after this handler returns, so waiting here delays it.
            try { await Task.Delay(delay, e.CancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
        }
        var topic = msg.Topic;
        if (IsTelemetryTopic(topic, sender, out var bagStart))
        {
            if (msg.Payload.Length + Encoding.UTF8.GetByteCount(topic) > Limits.TelemetryBytes)
            {
                // IoT Hub has no MQTT answer for a refused publish: it closes the connection; nothing is stored or acknowledged.
                e.CloseConnection = true;
                _log($"hub: closing '{sender}': telemetry message of {msg.Payload.Length} bytes is above IoT Hub's {Limits.TelemetryBytes / 1024} KB limit; not stored");
                return;
            }
            var (props, propsJson) = ParsedBag(topic.AsSpan(bagStart));
            TelemetryMessage stored;
            // A QoS 1 PUBACK (sent when this handler returns) promises the message is stored: wait for its commit.
            try { stored = await _store.EnqueueTelemetryAsync(sender, topic, msg.Payload.ToArray(), props, propsJson, e.CancellationToken, untilCommitted: msg.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce).ConfigureAwait(false); }
            catch (OperationCanceledException) { return; }
            catch (IOException ex)
            {
                e.CloseConnection = true; // no PUBACK for a message that is not stored: the device sends it again
                _log($"hub: closing '{sender}': {ex.Message}");
                return;
            }
            TelemetryReceived?.Invoke(stored);
            return;
        }
        if (topic.StartsWith("$iothub/twin/GET/", StringComparison.Ordinal))
        {
            var (_, q) = SplitQuery(topic);
            q.TryGetValue("$rid", out var rid);
            var twin = await Task.Run(() => _store.GetTwin(sender)).ConfigureAwait(false);
            if (twin is null) await DeliverAsync(sender, $"$iothub/twin/res/404/?$rid={rid}", Encoding.UTF8.GetBytes(Error(404, "twin not found"))).ConfigureAwait(false);
            else await DeliverAsync(sender, $"$iothub/twin/res/200/?$rid={rid}", Encoding.UTF8.GetBytes(twin.ToDeviceJson())).ConfigureAwait(false);
            return;
        }
        if (topic.StartsWith("$iothub/twin/PATCH/properties/reported/", StringComparison.Ordinal))
        {
            var (_, q) = SplitQuery(topic);
            q.TryGetValue("$rid", out var rid);
            var patch = TwinJson.TryParseObject(msg.Payload.IsSingleSegment ? msg.Payload.FirstSpan : msg.Payload.ToArray());
            if (patch is null)
            {
                _log($"hub: '{sender}' sent a reported patch that is not a JSON object; answered 400, nothing stored");
                await DeliverAsync(sender, $"$iothub/twin/res/400/?$rid={rid}", Encoding.UTF8.GetBytes(Error(400, "reported properties patch is not a valid JSON object"))).ConfigureAwait(false);
                return;
            }
            var result = await Task.Run(() => _store.PatchTwin(sender, false, patch)).ConfigureAwait(false);
            if (result.NoSuchDevice) await DeliverAsync(sender, $"$iothub/twin/res/404/?$rid={rid}", Encoding.UTF8.GetBytes(Error(404, "twin not found"))).ConfigureAwait(false);
            else if (result.TooLarge)
            {
                // The twin page says IoT Hub "rejects with an error"; the status is not documented: 413 (request entity too large).
                _log($"hub: '{sender}' sent a reported patch that would take reported properties above {Limits.TwinSectionBytes / 1024} KB; answered 413, nothing stored");
                await DeliverAsync(sender, $"$iothub/twin/res/413/?$rid={rid}", Encoding.UTF8.GetBytes(Error(413, $"reported properties would exceed {Limits.TwinSectionBytes} bytes"))).ConfigureAwait(false);
            }
            else await DeliverAsync(sender, $"$iothub/twin/res/204/?$rid={rid}&$version={result.Version}", []).ConfigureAwait(false);
            return;
        }
        if (topic.StartsWith("$iothub/methods/res/", StringComparison.Ordinal))
        {
            var (path, q) = SplitQuery(topic);
            var statusText = path["$iothub/methods/res/".Length..].TrimEnd('/');
            q.TryGetValue("$rid", out var rid);
            if (int.TryParse(statusText, out var status) && rid is not null && _pendingMethods.TryRemove(sender + "\n" + rid, out var tcs))
            {
                tcs.TrySetResult((status, Encoding.UTF8.GetString(msg.Payload)));
            }
            else
            {
                _log($"hub: '{sender}' answered an unknown or expired method request (rid {rid})");
            }
            return;
        }
        e.CloseConnection = true;
        _log($"hub: closing '{sender}': publish to '{topic}' is not allowed for this device");
    }

    static string Error(int status, string message) =>
        new JsonObject { ["errorCode"] = status * 1000 + 1, ["message"] = message, ["timestampUtc"] = DateTimeOffset.UtcNow.ToString("o") }.ToJsonString();

    Task DeliverAsync(string clientId, string topic, byte[] payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtMostOnce)
    {
        var msg = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build();
        return _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(msg) { SenderClientId = InjectMarker + clientId });
    }

    // ---------------- operator actions ----------------

    public async Task<CommandResult> InvokeAsync(string deviceId, string name, string? payloadJson, TimeSpan timeout, CancellationToken ct)
    {
        var id = await Task.Run(() => _store.AddCommand(deviceId, name, payloadJson), ct).ConfigureAwait(false);
        if (await ConnAsync(deviceId).ConfigureAwait(false) is not { Session.Methods: true } c)
        {
            _log($"hub: command '{name}' for '{deviceId}' not sent: device offline or not subscribed to methods");
            var body = Error(404, "Device is not online or not subscribed to methods").Replace("404001", "404103");
            _store.CompleteCommand(id, 404, body, "offline");
            return new CommandResult(id, 404, body, false);
        }
        var rid = Interlocked.Increment(ref _rid).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var tcs = new TaskCompletionSource<(int, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var key = c.ClientId + "\n" + rid;
        _pendingMethods[key] = tcs;
        _log($"hub: invoking '{name}' on '{deviceId}' (rid {rid}, timeout {timeout.TotalSeconds:0.#} s)");
        await DeliverAsync(c.ClientId, $"$iothub/methods/POST/{name}/?$rid={rid}", Encoding.UTF8.GetBytes(payloadJson ?? "null")).ConfigureAwait(false);
        try
        {
            var (status, payload) = await tcs.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
            _store.CompleteCommand(id, status, payload, "completed");
            _log($"hub: '{deviceId}' answered '{name}' with {status}");
            return new CommandResult(id, status, payload, false);
        }
        catch (TimeoutException)
        {
            _pendingMethods.TryRemove(key, out _);
            var body = Error(504, "Timed out waiting for the response from the device").Replace("504001", "504101");
            _store.CompleteCommand(id, 504, body, "timeout");
            _log($"hub: '{deviceId}' did not answer '{name}' in time");
            return new CommandResult(id, 504, body, true);
        }
        catch (OperationCanceledException)
        {
            _pendingMethods.TryRemove(key, out _);
            _store.CompleteCommand(id, null, null, "cancelled");
            throw;
        }
    }

    public async Task<long> SetDesiredAsync(string deviceId, JsonObject patch)
    {
        var result = await Task.Run(() => _store.PatchTwin(deviceId, true, patch)).ConfigureAwait(false);
        if (result.NoSuchDevice) throw new KeyNotFoundException($"device '{deviceId}' not found");
        if (result.TooLarge) throw new PayloadTooLargeException($"desired properties would exceed {Limits.TwinSectionBytes} bytes (IoT Hub's twin section limit)");
        var version = result.Version!.Value;
        var push = (JsonObject)patch.DeepClone();
        push.Remove("$version");
        push["$version"] = version;
        if (await ConnAsync(deviceId).ConfigureAwait(false) is { Session.Desired: true } c)
        {
            await DeliverAsync(c.ClientId, $"$iothub/twin/PATCH/properties/desired/?$version={version}", Encoding.UTF8.GetBytes(push.ToJsonString(TwinJson.Relaxed))).ConfigureAwait(false);
            _log($"hub: pushed desired patch v{version} to '{deviceId}'");
        }
        else
        {
            _log($"hub: desired properties of '{deviceId}' now v{version} (device not listening; it will see them on its next twin GET)");
        }
        return version;
    }

    public async Task<bool> PushMalformedDesiredAsync(string deviceId)
    {
        if (await ConnAsync(deviceId).ConfigureAwait(false) is not { Session.Desired: true } c) return false;
        var twin = _store.GetTwin(deviceId);
        var v = (twin?.DesiredVersion ?? 1) + 1;
        _log($"hub: fault: pushing a malformed desired patch to '{deviceId}' (nothing stored)");
        await DeliverAsync(c.ClientId, $"$iothub/twin/PATCH/properties/desired/?$version={v}", Encoding.UTF8.GetBytes("{\"malformed\": [1, 2,")).ConfigureAwait(false);
        return true;
    }

    /// <summary>Enqueues a C2D message (refused when the device queue holds <see cref="Store.C2dQueueDepth"/>) and delivers what the device can take now.</summary>
    public async Task<long> SendC2dAsync(string deviceId, byte[] payload, IReadOnlyDictionary<string, string?> props, TimeSpan ttl)
    {
        var id = await Task.Run(() => _store.AddC2d(deviceId, payload, props, ttl)).ConfigureAwait(false)
            ?? throw new DeviceQueueFullException(deviceId, Store.C2dQueueDepth);
        _log($"hub: C2D message {id} enqueued for '{deviceId}' (expires in {ttl.TotalSeconds:0} s)");
        await FlushC2dAsync(deviceId).ConfigureAwait(false);
        return id;
    }

    readonly SemaphoreSlim _c2dLock = new(1, 1);

    /// <summary>
    /// Sends the device every pending C2D message (enqueued, or delivered earlier and never acknowledged) that its
    /// current session does not already hold; MQTTnet itself re-sends what the session holds when it is resumed.
    /// </summary>
    async Task FlushC2dAsync(string deviceId)
    {
        if (await ConnAsync(deviceId).ConfigureAwait(false) is not { Session.C2d: true } c) return;
        await _c2dLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var s = c.Session;
            foreach (var m in _store.PendingC2d(deviceId))
            {
                if (s.C2dInFlight.ContainsKey(m.Id)) continue;
                if (m.DeliveryCount >= C2dMaxDeliveryCount)
                {
                    _store.DeadLetterC2d(m.Id);
                    _log($"hub: C2D message {m.Id} for '{deviceId}' dead-lettered after {m.DeliveryCount} deliveries without acknowledgement");
                    continue;
                }
                var props = new Dictionary<string, string?>(m.Properties) { ["$.mid"] = m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["$.to"] = $"/devices/{c.ClientId}/messages/deviceBound" };
                var atMostOnce = s.C2dAtMostOnce;
                // Recorded before it goes out, so that a quick PUBACK finds the message delivered.
                if (!atMostOnce && s.C2dInFlight.TryAdd(m.Id, 0) && Interlocked.Increment(ref _c2dAwaitingAck) == 1) UpdateOutboundInterception();
                _store.MarkC2dDelivered(m.Id, completed: atMostOnce);
                await DeliverAsync(c.ClientId, $"devices/{c.ClientId}/messages/devicebound/{PropertyBag.Format(props)}", m.Payload,
                    atMostOnce ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce).ConfigureAwait(false);
                _log($"hub: delivered C2D message {m.Id} to '{deviceId}' (delivery {m.DeliveryCount + 1}{(atMostOnce ? ", QoS 0: completed" : "")})");
            }
        }
        finally
        {
            _c2dLock.Release();
        }
    }

    public async Task<bool> DropAsync(string deviceId)
    {
        if (!_conns.TryGetValue(deviceId, out var c)) return false;
        _log($"hub: fault: dropping the connection of '{deviceId}'");
        await _server.DisconnectClientAsync(c.ClientId, new MqttServerClientDisconnectOptions()).ConfigureAwait(false);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _conns.Values) c.Cts.Cancel();
        try { await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false); } catch (Exception ex) { _log($"hub: stop: {ex.Message}"); }
        _server.Dispose();
    }
}

/// <summary>Holds the server certificate so MQTT and Kestrel share one instance.</summary>
internal sealed class X509Certificate2Holder(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
{
    public System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate { get; } = certificate;
}
