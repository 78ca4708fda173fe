using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>DPS over MQTT on the hub's port (https://learn.microsoft.com/azure/iot-dps/iot-dps-mqtt-support): the
/// CONNECT of a registration, its <c>$dps/registrations/…</c> requests answered by <see cref="DpsService"/>, and its
/// one allowed subscription.</summary>
internal sealed class HubDps(HubService hub, DpsService dps, Action<string> log)
{
    readonly ConcurrentDictionary<string, DpsCredentials> _dpsConns = new(StringComparer.Ordinal);

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

    public async Task ValidateAsync(ValidatingConnectionEventArgs e, string registrationId, string idScope, string? apiVersion)
    {
        var what = $"'{registrationId}' from {e.RemoteEndPoint} (MQTT)";
        if (dps.Precheck(idScope, registrationId, apiVersion, what, throttle: false) is { } refusal)
        {
            e.ReasonCode = refusal.Status == 404 ? MqttConnectReasonCode.NotAuthorized : MqttConnectReasonCode.BadUserNameOrPassword;
            log($"dps: refused MQTT connect of {what}: {(string?)refusal.Body["message"]}");
            return;
        }
        DpsCredentials? creds = null;
        if (!string.IsNullOrEmpty(e.Password)) creds = await Task.Run(() => dps.AuthenticateSas(e.Password, idScope, registrationId, what)).ConfigureAwait(false);
        else if (e.ClientCertificate is { } cert) creds = await Task.Run(() => dps.AuthenticateCertificate(cert, registrationId, what)).ConfigureAwait(false);
        else log($"dps: unauthorized {what}: no password and no client certificate");
        if (creds is null)
        {
            e.ReasonCode = MqttConnectReasonCode.NotAuthorized;
            return;
        }
        var internalId = HubService.DpsMarker + registrationId;
        if (ConnectPacketField?.GetValue(e) is not MqttConnectPacket packet)
        {
            e.ReasonCode = MqttConnectReasonCode.ServerUnavailable;
            log($"dps: refused MQTT connect of {what}: this MQTTnet version hides the CONNECT packet, so DPS over MQTT cannot be told apart from the hub session");
            return;
        }
        packet.ClientId = internalId;
        _dpsConns[internalId] = creds;
        log($"dps: '{registrationId}' connected over MQTT from {e.RemoteEndPoint} (enrollment '{creds.EnrollmentId}', {creds.Attestation})");
    }

    // MQTTnet (5.2) keys sessions by the CONNECT packet's client id and assigns a new id only to empty MQTT 5 ids, so
    // the DPS connection's id is changed on the packet itself, before MQTTnet looks up the session.
    static readonly System.Reflection.FieldInfo? ConnectPacketField =
        typeof(ValidatingConnectionEventArgs).GetField("_connectPacket", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance);

    public async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        var registrationId = e.ClientId[HubService.DpsMarker.Length..];
        var what = $"'{registrationId}' (MQTT)";
        var topic = e.ApplicationMessage.Topic;
        if (!_dpsConns.TryGetValue(e.ClientId, out var creds))
        {
            e.CloseConnection = true;
            return;
        }
        var (path, q) = HubService.SplitQuery(topic);
        q.TryGetValue("$rid", out var rid);
        DpsReply reply;
        if (path == "$dps/registrations/PUT/iotdps-register/")
        {
            if (e.ApplicationMessage.Payload.Length > Limits.DpsBodyBytes)
                reply = DpsService.Error(413, 413001, $"The request body is larger than {Limits.DpsBodyBytes} bytes.");
            else if (dps.Precheck(dps.IdScope, registrationId, "2021-06-01", what, throttle: true) is { } early)
                reply = early;
            else
                reply = await Task.Run(() => dps.Register(creds, registrationId, TwinJson.TryParseObject(e.ApplicationMessage.Payload.ToArray()), what)).ConfigureAwait(false);
        }
        else if (path == "$dps/registrations/GET/iotdps-get-operationstatus/" && q.TryGetValue("operationId", out var opId) && opId is not null)
        {
            reply = dps.Precheck(dps.IdScope, registrationId, "2021-06-01", what, throttle: true)
                ?? await Task.Run(() => dps.Poll(registrationId, opId, what)).ConfigureAwait(false);
        }
        else
        {
            e.CloseConnection = true;
            log($"dps: closing {what}: publish to '{topic}' is not a DPS request");
            return;
        }
        // The status and retry-after travel in the topic (DPS MQTT support page above).
        var responseTopic = $"$dps/registrations/res/{reply.Status}/?$rid={rid}" + (reply.RetryAfter is { } ra ? $"&retry-after={ra}" : "");
        await hub.DeliverAsync(e.ClientId, responseTopic, Encoding.UTF8.GetBytes(reply.Body.ToJsonString(TwinJson.Relaxed))).ConfigureAwait(false);
    }

    /// <summary>A DPS connection may listen to its responses only.</summary>
    public void OnSubscribing(InterceptingSubscriptionEventArgs e)
    {
        var topic = e.TopicFilter.Topic;
        if (topic != "$dps/registrations/res/#")
        {
            e.ProcessSubscription = false;
            e.Response.ReasonCode = MqttSubscribeReasonCode.NotAuthorized;
            log($"dps: refused subscription of '{e.ClientId[HubService.DpsMarker.Length..]}' to '{topic}'");
        }
    }

    public void OnDisconnected(ClientDisconnectedEventArgs e)
    {
        if (e.DisconnectType != MqttClientDisconnectType.Takeover) _dpsConns.TryRemove(e.ClientId, out _);
    }
}
