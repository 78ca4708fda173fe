using System.Collections.Concurrent;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>Hub connections: CONNECT validation (user name, SAS token or X.509 certificate), the open connection per
/// device, session restore after a restart, and closing a connection when its token or certificate expires.</summary>
internal sealed class HubConnections
{
    readonly HubService _hub;
    readonly Store _store;
    readonly Faults _faults;
    readonly Action<string> _log;
    readonly string _hubHostName;
    readonly ConcurrentDictionary<string, HubConnection> _conns = new(StringComparer.Ordinal);
    // What CONNECT validation decided, picked up by the connected handler. MQTTnet hands a resumed session its old
    // session items, so per-connection facts cannot travel in the items of the validating event.
    readonly ConcurrentDictionary<string, ConnectInfo> _validated = new(StringComparer.Ordinal);

    sealed record ConnectInfo(DateTimeOffset Expiry, string? ModelId, AttestationKind Auth, bool CleanSession, DateTimeOffset ValidatedUtc,
        IReadOnlyDictionary<string, int>? Restore = null);

    // Persistent sessions from before the last start (subscriptions, in SQLite) that no connection has picked up yet.
    // MQTTnet keeps sessions in memory only, so the first clean-session-0 CONNECT of such a device gets its
    // subscriptions back server-side and CONNACK session-present 1, as IoT Hub (which keeps sessions) answers.
    readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, int>> _restorable;

    public HubConnections(HubService hub, Store store, Faults faults, Action<string> log, string hubHostName)
    {
        _hub = hub;
        _restorable = new(store.Sessions.Load(), StringComparer.Ordinal);
        _store = store;
        _faults = faults;
        _log = log;
        _hubHostName = hubHostName;
    }

    public bool IsConnected(string deviceId) => _conns.ContainsKey(deviceId);

    /// <summary>True while a session from before the restart may still be picked up (its CONNACK needs session-present 1).</summary>
    public bool RestoresSessions => !_restorable.IsEmpty || _validated.Values.Any(v => v.Restore is not null);

    /// <summary>True when this client's CONNECT picked up a session from before the restart.</summary>
    public bool ResumesStoredSession(string clientId) => _validated.TryGetValue(clientId, out var info) && info.Restore is not null;

    /// <summary>
    /// The device's open connection. MQTTnet sends CONNACK just before it raises the connected event, so a device can
    /// already act on its CONNACK while the emulator is still registering it: a connection accepted moments ago is
    /// waited for (briefly) rather than reported offline.
    /// </summary>
    public async Task<HubConnection?> ConnAsync(string deviceId)
    {
        for (var i = 0; i < 100; i++)
        {
            if (_conns.TryGetValue(deviceId, out var c)) return c;
            if (!_validated.TryGetValue(deviceId, out var v) || DateTimeOffset.UtcNow - v.ValidatedUtc > TimeSpan.FromSeconds(5)) return null;
            await Task.Delay(10).ConfigureAwait(false);
        }
        return _conns.GetValueOrDefault(deviceId);
    }

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

    public async Task OnValidatingAsync(ValidatingConnectionEventArgs e)
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
        if (HubDps.IsDpsUserName(e.UserName, id, out var dpsScope, out var dpsApi))
        {
            await _hub.Dps.ValidateAsync(e, id, dpsScope, dpsApi).ConfigureAwait(false);
            return;
        }
        if (!Limits.IsValidDeviceId(id))
        {
            e.ReasonCode = MqttConnectReasonCode.ClientIdentifierNotValid;
            _log($"hub: refused {Who()}: invalid device id");
            return;
        }
        if (!TryParseUserName(e.UserName, _hubHostName, id, out var query, out var why))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            _log($"hub: refused {Who()}: {why}");
            return;
        }
        var device = await Task.Run(() => _store.Devices.Get(id)).ConfigureAwait(false);
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
            var resource = _hubHostName + "/devices/" + id;
            if (token.Resource.Length != resource.Length || !token.Resource.StartsWith(_hubHostName + "/", StringComparison.OrdinalIgnoreCase)
                || !token.Resource.AsSpan(_hubHostName.Length).SequenceEqual(resource.AsSpan(_hubHostName.Length)))
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
        e.SessionItems[HubSession.Key] = new HubSession { Persistent = !clean };
        IReadOnlyDictionary<string, int>? restore = null;
        if (_restorable.TryRemove(id, out var stored) && !clean) restore = stored;
        if (clean)
        {
            await Task.Run(() => _store.Sessions.Delete(id)).ConfigureAwait(false);
            await _hub.C2d.PurgeQueuedAsync(id).ConfigureAwait(false);
        }
        _validated[id] = new ConnectInfo(expiry, modelId, device.Attestation, clean, now, restore);
    }

    public async Task OnConnectedAsync(ClientConnectedEventArgs e)
    {
        if (e.ClientId.StartsWith(HubService.DpsMarker, StringComparison.Ordinal)) return;
        if (!_validated.TryRemove(e.ClientId, out var info) || e.SessionItems[HubSession.Key] is not HubSession session) return;
        var resumed = Interlocked.Increment(ref session.Connections) > 1;
        var conn = new HubConnection { RemoteEndPoint = e.RemoteEndPoint, ClientId = e.ClientId, Expiry = info.Expiry, Session = session };
        if (_conns.TryGetValue(e.ClientId, out var old)) old.Cts.Cancel();
        _conns[e.ClientId] = conn;
        var model = info.ModelId;
        var kind = resumed ? "session resumed" : info.CleanSession ? "clean session" : "new persistent session";
        _log($"hub: '{e.ClientId}' connected from {e.RemoteEndPoint} ({info.Auth}{(model is null ? "" : ", model " + model)}, {kind}), token valid until {info.Expiry:u}");
        await Task.Run(() => _store.Devices.MarkConnection(e.ClientId, true, model)).ConfigureAwait(false);
        _ = CloseAtExpiryAsync(conn);
        if (info.Restore is { } filters && !resumed)
        {
            _log($"hub: '{e.ClientId}' resumes its session from before the restart: {filters.Count} subscription(s) restored");
            var topicFilters = filters.Select(f => new MqttTopicFilterBuilder().WithTopic(f.Key).WithQualityOfServiceLevel((MqttQualityOfServiceLevel)f.Value).Build()).ToList();
            if (topicFilters.Count > 0) await _hub.Server.SubscribeAsync(e.ClientId, topicFilters).ConfigureAwait(false);
        }
        _hub.UpdateOutboundInterception();
        if (resumed) await _hub.C2d.OnSessionResumedAsync(e.ClientId, session).ConfigureAwait(false);
    }

    async Task CloseAtExpiryAsync(HubConnection conn)
    {
        try
        {
            var wait = conn.Expiry - DateTimeOffset.UtcNow;
            if (wait > TimeSpan.Zero) await Task.Delay(wait < TimeSpan.FromDays(24) ? wait : TimeSpan.FromDays(24), conn.Cts.Token).ConfigureAwait(false);
            if (conn.Cts.IsCancellationRequested || conn.Expiry > DateTimeOffset.UtcNow.AddSeconds(1)) return;
            if (_conns.TryGetValue(conn.ClientId, out var current) && current == conn)
            {
                _log($"hub: closing '{conn.ClientId}': its token/session lifetime ended");
                await _hub.Server.DisconnectClientAsync(conn.ClientId, new MqttServerClientDisconnectOptions { ReasonCode = MqttDisconnectReasonCode.NotAuthorized }).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception ex) { _log($"hub: closing '{conn.ClientId}' at expiry failed: {ex.Message}"); }
    }

    public async Task OnDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        if (e.ClientId.StartsWith(HubService.DpsMarker, StringComparison.Ordinal))
        {
            _hub.Dps.OnDisconnected(e);
            return;
        }
        if (e.DisconnectType == MqttClientDisconnectType.Takeover)
        {
            _log($"hub: '{e.ClientId}' taken over by a new connection; old one dropped");
            return;
        }
        if (_conns.TryGetValue(e.ClientId, out var c) && Equals(c.RemoteEndPoint, e.RemoteEndPoint) && _conns.TryRemove(new KeyValuePair<string, HubConnection>(e.ClientId, c)))
        {
            c.Cts.Cancel();
            _log($"hub: '{e.ClientId}' disconnected ({e.DisconnectType})");
            await Task.Run(() => _store.Devices.MarkConnection(e.ClientId, false, null)).ConfigureAwait(false);
        }
    }

    public async Task<bool> DropAsync(string deviceId)
    {
        if (!_conns.TryGetValue(deviceId, out var c)) return false;
        _log($"hub: fault: dropping the connection of '{deviceId}'");
        await _hub.Server.DisconnectClientAsync(c.ClientId, new MqttServerClientDisconnectOptions()).ConfigureAwait(false);
        return true;
    }

    /// <summary>Ends every connection's expiry wait (the hub is stopping).</summary>
    public void CancelAll()
    {
        foreach (var c in _conns.Values) c.Cts.Cancel();
    }
}
