namespace IotcEmulator;

/// <summary>A telemetry message as stored.</summary>
/// <param name="Id">Monotonic row id (use as a cursor for tailing).</param>
/// <param name="DeviceId">Sender.</param>
/// <param name="Topic">Full MQTT topic.</param>
/// <param name="Payload">Raw payload bytes.</param>
/// <param name="Properties">Decoded property bag (system properties keep their <c>$.</c> names); a name without value maps to null.</param>
/// <param name="ArrivedUtc">Arrival time at the emulator.</param>
public sealed record TelemetryMessage(
    long Id,
    string DeviceId,
    string Topic,
    byte[] Payload,
    IReadOnlyDictionary<string, string?> Properties,
    DateTimeOffset ArrivedUtc)
{
    /// <summary>The payload as UTF-8 text.</summary>
    public string PayloadText => System.Text.Encoding.UTF8.GetString(Payload);
}
