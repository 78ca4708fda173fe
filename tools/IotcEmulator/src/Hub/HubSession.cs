using System.Collections.Concurrent;

namespace IotcEmulator;

/// <summary>
/// The device's MQTT session as IoT Hub keeps it: which of its topics it listens to and the C2D messages handed to
/// MQTTnet for it that the device has not acknowledged yet. It lives in MQTTnet's session items, so it lasts exactly
/// as long as MQTTnet's session: across connections with clean session 0, discarded by a clean session 1 connect.
/// </summary>
internal sealed class HubSession
{
    /// <summary>Its key in MQTTnet's session items.</summary>
    public const string Key = "iotc.session";

    public int Connections;
    public volatile bool C2dAtMostOnce;

    /// <summary>The granted filters (IoT Hub allows a handful) and what each gives.</summary>
    public ConcurrentDictionary<string, SubscriptionGrant> Filters { get; } = new(StringComparer.Ordinal);

    /// <summary>Granted QoS per filter, kept in SQLite for a persistent (clean session 0) session.</summary>
    public ConcurrentDictionary<string, int> Qos { get; } = new(StringComparer.Ordinal);

    public bool Persistent;

    /// <summary>C2D messages handed to MQTTnet and not acknowledged yet: message id → the MQTT packet id of its first
    /// send (0 until sent), so that a resumed session's redelivery keeps that packet id with DUP=1 (MQTT 3.1.1 §4.4).</summary>
    public ConcurrentDictionary<long, int> C2dInFlight { get; } = new();

    bool Has(SubscriptionGrant g)
    {
        foreach (var f in Filters) if (f.Value == g) return true;
        return false;
    }

    public bool Methods => Has(SubscriptionGrant.Methods);
    public bool TwinResponses => Has(SubscriptionGrant.TwinResponses);
    public bool Desired => Has(SubscriptionGrant.Desired);
    public bool C2d => Has(SubscriptionGrant.C2d);
}
