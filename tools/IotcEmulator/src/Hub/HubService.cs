using System.Net;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>
/// The IoT Hub device side: MQTT 3.1.1 over TLS with IoT Hub's topics, auth and rules. Owns the MQTTnet server and
/// hands its events to one handler per feature: connections, subscriptions, telemetry, twin, methods, C2D, and DPS over
/// MQTT (which shares the port); device publishes go through one topic table.
/// </summary>
internal sealed class HubService : IAsyncDisposable
{
    // Messages the emulator injects carry this sender prefix plus the target client id, so the enqueue
    // interceptor can hand each one to exactly that device (all devices subscribe to the same $iothub filters).
    const string InjectMarker = "\u0001iotc-emulator>";
    // DPS over MQTT uses the registration id as client id, often the same as the device's hub client id. In Azure they
    // are different hosts; here they share the port, so a DPS connection gets this prefix as its MQTTnet client id
    // (ValidatingConnectionEventArgs.AssignedClientIdentifier) and never takes over or wipes the device's hub session.
    internal const string DpsMarker = "\u0002dps>";

    readonly Faults _faults;
    readonly Action<string> _log;
    readonly MqttServer _server;

    // The topics a device may publish to, in match order (telemetry first: it is the hot path); a publish to anything
    // else closes the connection. The pattern column is IoT Hub's documented topic, for the reader.
    readonly (string Pattern, Func<string, string, bool> Matches, Func<InterceptingPublishEventArgs, Task> Handle)[] _topics;

    public HubService(Store store, Faults faults, Action<string> log, string hubHostName, X509Certificate2Holder cert, IPAddress v4, IPAddress v6, int port, DpsService dps)
    {
        _faults = faults;
        _log = log;
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
        Options = options;
        Dps = new HubDps(this, dps, log);
        C2d = new HubC2d(this, store, log);
        Connections = new HubConnections(this, store, faults, log, hubHostName);
        Subscriptions = new HubSubscriptions(this, store, log);
        Telemetry = new HubTelemetry(store, log);
        Twin = new HubTwin(this, store, log);
        Methods = new HubMethods(this, store, log);
        _topics =
        [
            ("devices/{deviceId}/messages/events/{property bag}", static (topic, sender) => HubTelemetry.IsTelemetryTopic(topic, sender, out _), Telemetry.OnPublishAsync),
            ("$iothub/twin/GET/?$rid={rid}", Prefix("$iothub/twin/GET/"), Twin.OnGetAsync),
            ("$iothub/twin/PATCH/properties/reported/?$rid={rid}", Prefix("$iothub/twin/PATCH/properties/reported/"), Twin.OnReportedPatchAsync),
            ("$iothub/methods/res/{status}/?$rid={rid}", Prefix(HubMethods.ResponsePrefix), Methods.OnResponseAsync),
        ];
        _server.ValidatingConnectionAsync += Connections.OnValidatingAsync;
        _server.ClientConnectedAsync += Connections.OnConnectedAsync;
        _server.ClientDisconnectedAsync += Connections.OnDisconnectedAsync;
        _server.InterceptingSubscriptionAsync += Subscriptions.OnSubscribingAsync;
        _server.ClientSubscribedTopicAsync += Subscriptions.OnSubscribedAsync;
        _server.ClientUnsubscribedTopicAsync += Subscriptions.OnUnsubscribedAsync;
        _server.ClientAcknowledgedPublishPacketAsync += C2d.OnAcknowledgedAsync;
        _server.InterceptingPublishAsync += OnPublishAsync;
        _server.InterceptingClientEnqueueAsync += OnEnqueueAsync;
        UpdateOutboundInterception();
    }

    static Func<string, string, bool> Prefix(string prefix) => (topic, _) => topic.StartsWith(prefix, StringComparison.Ordinal);

    public MqttServerOptions Options { get; }

    public int Port => Options.TlsEndpointOptions.Port;

    internal MqttServer Server => _server;

    public HubConnections Connections { get; }
    public HubSubscriptions Subscriptions { get; }
    public HubTelemetry Telemetry { get; }
    public HubTwin Twin { get; }
    public HubMethods Methods { get; }
    public HubC2d C2d { get; }
    public HubDps Dps { get; }

    public Task StartAsync() => _server.StartAsync();

    int _outboundHooked;

    /// <summary>Hooks outbound packets only while some device has PUBACKs withheld: the hook costs an allocation per packet.</summary>
    public void UpdateOutboundInterception()
    {
        // Also while a session from before the restart may still be picked up (its CONNACK needs session-present 1), and
        // while C2D messages await their PUBACK (a redelivery must keep the packet id; counted loosely: entries of
        // discarded sessions keep the hook on, which only costs time).
        var want = !_faults.PubAckWithheld.IsEmpty || Connections.RestoresSessions || C2d.AwaitingAck;
        if (want && Interlocked.CompareExchange(ref _outboundHooked, 1, 0) == 0) _server.InterceptingOutboundPacketAsync += OnOutboundAsync;
        else if (!want && Interlocked.CompareExchange(ref _outboundHooked, 0, 1) == 1) _server.InterceptingOutboundPacketAsync -= OnOutboundAsync;
    }

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
        else if (e.Packet is MqttConnAckPacket ack && Connections.ResumesStoredSession(e.ClientId))
        {
            ack.IsSessionPresent = true;
        }
        else if (e.Packet is MqttPublishPacket p)
        {
            C2d.OnSending(e, p);
        }
        return Task.CompletedTask;
    }

    // Not async itself: the handler the topic table picks is the one state machine a publish costs (telemetry is the hot path).
    Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        var sender = e.ClientId;
        if (sender.StartsWith(InjectMarker, StringComparison.Ordinal)) return Task.CompletedTask; // our own delivery
        var msg = e.ApplicationMessage;
        // Device publishes are consumed here and never routed to other clients.
        e.ProcessPublish = false;
        if (sender.StartsWith(DpsMarker, StringComparison.Ordinal)) return Dps.OnPublishAsync(e);
        if (msg.QualityOfServiceLevel == MqttQualityOfServiceLevel.ExactlyOnce)
        {
            e.CloseConnection = true;
            _log($"hub: closing '{sender}': QoS 2 publish is not supported by IoT Hub");
            return Task.CompletedTask;
        }
        if (_faults.PubAckDelays.TryGetValue(sender, out var delay) && msg.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtLeastOnce)
        {
            return DelayThenRouteAsync(e, delay);
        }
        return RouteAsync(e);
    }

    async Task DelayThenRouteAsync(InterceptingPublishEventArgs e, TimeSpan delay)
    {
        // The PUBACK is sent after the publish handler returns, so waiting here delays it.
        try { await Task.Delay(delay, e.CancellationToken).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
        await RouteAsync(e).ConfigureAwait(false);
    }

    /// <summary>Hands a device publish to the first topic table entry that matches; closes the connection when none does.</summary>
    Task RouteAsync(InterceptingPublishEventArgs e)
    {
        var topic = e.ApplicationMessage.Topic;
        foreach (var route in _topics)
        {
            if (route.Matches(topic, e.ClientId)) return route.Handle(e);
        }
        e.CloseConnection = true;
        _log($"hub: closing '{e.ClientId}': publish to '{topic}' is not allowed for this device");
        return Task.CompletedTask;
    }

    /// <summary>The topic's path and its <c>?</c> query as a property bag.</summary>
    internal static (string Path, Dictionary<string, string?> Query) SplitQuery(string topic)
    {
        var q = topic.IndexOf('?');
        return q < 0 ? (topic, new()) : (topic[..q], PropertyBag.Parse(topic[(q + 1)..]));
    }

    /// <summary>IoT Hub's error body: <c>errorCode</c> is the status times 1000 plus 1 unless the caller names a finer one.</summary>
    internal static string Error(int status, string message) =>
        new JsonObject { ["errorCode"] = status * 1000 + 1, ["message"] = message, ["timestampUtc"] = DateTimeOffset.UtcNow.ToString("o") }.ToJsonString();

    /// <summary>Publishes to one client (the enqueue interceptor lets only that client have it).</summary>
    internal Task DeliverAsync(string clientId, string topic, byte[] payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtMostOnce)
    {
        var msg = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build();
        return _server.InjectApplicationMessage(new InjectedMqttApplicationMessage(msg) { SenderClientId = InjectMarker + clientId });
    }

    public async ValueTask DisposeAsync()
    {
        Connections.CancelAll();
        try { await _server.StopAsync(new MqttServerStopOptions()).ConfigureAwait(false); } catch (Exception ex) { _log($"hub: stop: {ex.Message}"); }
        _server.Dispose();
    }
}
