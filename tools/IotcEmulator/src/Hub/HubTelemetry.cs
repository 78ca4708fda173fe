using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>Device-to-cloud telemetry: <c>devices/{id}/messages/events/{property bag}</c>, stored through the
/// store's batching writer before a QoS 1 PUBACK goes out.</summary>
internal sealed class HubTelemetry(Store store, Action<string> log)
{
    /// <summary>Raised for every stored message.</summary>
    public event Action<TelemetryMessage>? Received;

    // Devices repeat the same few property bags; parsing and serialising each distinct one once keeps the hot path cheap.
    // Looked up by span, so a hit allocates nothing (the topic's bag is not cut out as a string).
    readonly ConcurrentDictionary<string, (IReadOnlyDictionary<string, string?> Props, string Json)> _bags = new(StringComparer.Ordinal);

    (IReadOnlyDictionary<string, string?> Props, string Json) ParsedBag(ReadOnlySpan<char> bagSpan)
    {
        var bags = _bags.GetAlternateLookup<ReadOnlySpan<char>>();
        if (bags.TryGetValue(bagSpan, out var hit)) return hit;
        var bag = bagSpan.ToString();
        var props = PropertyBag.Parse(bag);
        var entry = ((IReadOnlyDictionary<string, string?>)props, TelemetryTable.PropertiesJson(props));
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

    public async Task OnPublishAsync(InterceptingPublishEventArgs e)
    {
        var sender = e.ClientId;
        var msg = e.ApplicationMessage;
        var topic = msg.Topic;
        IsTelemetryTopic(topic, sender, out var bagStart); // the topic table matched it; this finds where its bag starts
        if (msg.Payload.Length + Encoding.UTF8.GetByteCount(topic) > Limits.TelemetryBytes)
        {
            // IoT Hub has no MQTT answer for a refused publish: it closes the connection; nothing is stored or acknowledged.
            e.CloseConnection = true;
            log($"hub: closing '{sender}': telemetry message of {msg.Payload.Length} bytes is above IoT Hub's {Limits.TelemetryBytes / 1024} KB limit; not stored");
            return;
        }
        var (props, propsJson) = ParsedBag(topic.AsSpan(bagStart));
        TelemetryMessage stored;
        // A QoS 1 PUBACK (sent when this handler returns) promises the message is stored: wait for its commit.
        try { stored = await store.Telemetry.EnqueueAsync(sender, topic, msg.Payload.ToArray(), props, propsJson, e.CancellationToken, untilCommitted: msg.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce).ConfigureAwait(false); }
        catch (OperationCanceledException) { return; }
        catch (IOException ex)
        {
            e.CloseConnection = true; // no PUBACK for a message that is not stored: the device sends it again
            log($"hub: closing '{sender}': {ex.Message}");
            return;
        }
        Received?.Invoke(stored);
    }
}
