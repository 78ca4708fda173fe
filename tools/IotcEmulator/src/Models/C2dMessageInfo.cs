namespace IotcEmulator;

/// <summary>A cloud-to-device message in the queue.</summary>
/// <param name="Id">Queue id.</param>
/// <param name="DeviceId">Target device.</param>
/// <param name="Payload">Payload bytes.</param>
/// <param name="Properties">Application properties (sent as the topic's property bag).</param>
/// <param name="EnqueuedUtc">When queued.</param>
/// <param name="State">IoT Hub's life cycle: <c>queued</c> (enqueued), <c>delivered</c> (sent, awaiting the device's
/// PUBACK; sent again after a reconnect), <c>completed</c> (acknowledged), <c>expired</c> (its time to live passed first),
/// <c>deadlettered</c> (delivered the maximum number of times, 10, without acknowledgement).</param>
/// <param name="DeliveredUtc">When it was last sent to the device.</param>
/// <param name="DeliveryCount">How many times it was sent to the device.</param>
/// <param name="ExpiresUtc">When it expires unless completed first (null for messages from older data folders).</param>
/// <param name="CompletedUtc">When the device acknowledged it.</param>
public sealed record C2dMessageInfo(long Id, string DeviceId, byte[] Payload, IReadOnlyDictionary<string, string?> Properties,
    DateTimeOffset EnqueuedUtc, string State, DateTimeOffset? DeliveredUtc, int DeliveryCount, DateTimeOffset? ExpiresUtc, DateTimeOffset? CompletedUtc);
