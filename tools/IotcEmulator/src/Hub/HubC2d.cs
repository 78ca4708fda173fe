using MQTTnet.Packets;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>Cloud-to-device messages: the device queue's life cycle as IoT Hub keeps it (enqueued, delivered, completed
/// by the device's PUBACK, dead-lettered after <see cref="MaxDeliveryCount"/> deliveries, purged by a clean session),
/// and redelivery of a resumed session's unacknowledged messages with their first packet id.</summary>
internal sealed class HubC2d(HubService hub, Store store, Action<string> log)
{
    /// <summary>IoT Hub's default maximum delivery count of a C2D message: once reached, the message is dead-lettered.</summary>
    internal const int MaxDeliveryCount = 10;

    readonly SemaphoreSlim _lock = new(1, 1);
    long _awaitingAck;

    /// <summary>True while C2D messages await their PUBACK (the hub then watches outbound packets, see <see cref="OnSending"/>).</summary>
    public bool AwaitingAck => Volatile.Read(ref _awaitingAck) > 0;

    /// <summary>Enqueues a C2D message (refused when the device queue holds <see cref="C2dTable.QueueDepth"/>) and delivers what the device can take now.</summary>
    public async Task<long> SendAsync(string deviceId, byte[] payload, IReadOnlyDictionary<string, string?> props, TimeSpan ttl)
    {
        var id = await Task.Run(() => store.C2d.Add(deviceId, payload, props, ttl)).ConfigureAwait(false)
            ?? throw new DeviceQueueFullException(deviceId, C2dTable.QueueDepth);
        log($"hub: C2D message {id} enqueued for '{deviceId}' (expires in {ttl.TotalSeconds:0} s)");
        await FlushAsync(deviceId).ConfigureAwait(false);
        return id;
    }

    /// <summary>
    /// Sends the device every pending C2D message (enqueued, or delivered earlier and never acknowledged) that its
    /// current session does not already hold; MQTTnet itself re-sends what the session holds when it is resumed.
    /// </summary>
    public async Task FlushAsync(string deviceId)
    {
        if (await hub.Connections.ConnAsync(deviceId).ConfigureAwait(false) is not { Session.C2d: true } c) return;
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var s = c.Session;
            foreach (var m in store.C2d.Pending(deviceId))
            {
                if (s.C2dInFlight.ContainsKey(m.Id)) continue;
                if (m.DeliveryCount >= MaxDeliveryCount)
                {
                    store.C2d.DeadLetter(m.Id);
                    log($"hub: C2D message {m.Id} for '{deviceId}' dead-lettered after {m.DeliveryCount} deliveries without acknowledgement");
                    continue;
                }
                var props = new Dictionary<string, string?>(m.Properties) { ["$.mid"] = m.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["$.to"] = $"/devices/{c.ClientId}/messages/deviceBound" };
                var atMostOnce = s.C2dAtMostOnce;
                // Recorded before it goes out, so that a quick PUBACK finds the message delivered.
                if (!atMostOnce && s.C2dInFlight.TryAdd(m.Id, 0) && Interlocked.Increment(ref _awaitingAck) == 1) hub.UpdateOutboundInterception();
                store.C2d.MarkDelivered(m.Id, completed: atMostOnce);
                await hub.DeliverAsync(c.ClientId, $"devices/{c.ClientId}/messages/devicebound/{PropertyBag.Format(props)}", m.Payload,
                    atMostOnce ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce).ConfigureAwait(false);
                log($"hub: delivered C2D message {m.Id} to '{deviceId}' (delivery {m.DeliveryCount + 1}{(atMostOnce ? ", QoS 0: completed" : "")})");
            }
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>
    /// A clean-session CONNECT: IoT Hub removes the device's enqueued C2D messages (C2dTable.Purge): only what is sent
    /// after it subscribed reaches it.
    /// </summary>
    public async Task PurgeQueuedAsync(string deviceId)
    {
        var purged = await Task.Run(() => store.C2d.Purge(deviceId)).ConfigureAwait(false);
        if (purged > 0) log($"hub: '{deviceId}' connects with clean session 1: {purged} queued C2D message(s) removed, as IoT Hub does");
    }

    /// <summary>A session resumed (clean session 0): its unacknowledged messages go out again, then whatever is pending.</summary>
    public async Task OnSessionResumedAsync(string clientId, HubSession session)
    {
        // MQTTnet sends the resumed session's unacknowledged QoS 1 messages again: each is one more delivery.
        var again = session.C2dInFlight.Keys.ToArray();
        if (again.Length > 0)
        {
            await Task.Run(() => store.C2d.CountRedelivery(again)).ConfigureAwait(false);
            log($"hub: redelivering {again.Length} unacknowledged C2D message(s) to '{clientId}' in its resumed session");
        }
        if (session.C2d) await Task.Run(() => FlushAsync(clientId)).ConfigureAwait(false);
    }

    /// <summary>The <c>$.mid</c> of a C2D topic of this client, or null.</summary>
    static long? MessageId(string clientId, string topic)
    {
        var prefix = "devices/" + clientId + "/messages/devicebound/";
        if (!topic.StartsWith(prefix, StringComparison.Ordinal)) return null;
        return PropertyBag.Parse(topic[prefix.Length..]).TryGetValue("$.mid", out var mid) && long.TryParse(mid, System.Globalization.CultureInfo.InvariantCulture, out var id) ? id : null;
    }

    /// <summary>The device PUBACKed a message the hub sent it: a C2D message is completed.</summary>
    public async Task OnAcknowledgedAsync(ClientAcknowledgedPublishPacketEventArgs e)
    {
        if (MessageId(e.ClientId, e.PublishPacket.Topic) is not { } id) return;
        // Under the delivery lock: a flush that already read the message as pending must not see it leave the
        // session's in-flight set before the store says completed, or it would send it once more.
        await _lock.WaitAsync().ConfigureAwait(false);
        try
        {
            var completed = await Task.Run(() => store.C2d.Complete(e.ClientId, id)).ConfigureAwait(false);
            if ((e.SessionItems[HubSession.Key] as HubSession)?.C2dInFlight.TryRemove(id, out _) == true) Interlocked.Decrement(ref _awaitingAck);
            if (completed) log($"hub: '{e.ClientId}' acknowledged C2D message {id}: completed");
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>A QoS 1 publish going out: a resumed session's unacknowledged C2D message keeps its first packet id.</summary>
    public void OnSending(InterceptingPacketEventArgs e, MqttPublishPacket p)
    {
        if (p.QualityOfServiceLevel == MqttQualityOfServiceLevel.AtLeastOnce
            && e.SessionItems?[HubSession.Key] is HubSession s && !s.C2dInFlight.IsEmpty && MessageId(e.ClientId, p.Topic) is { } mid
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
    }
}
