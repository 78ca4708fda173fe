namespace IotcEmulator;

/// <summary>
/// The identifier rules and size limits IoT Hub and DPS enforce, in one place. Each value names the Microsoft
/// documentation it comes from; where the documentation gives no number or status, the choice is said so.
/// </summary>
internal static class Limits
{
    /// <summary>Device id: "a case-sensitive string (up to 128 characters long) of ASCII 7-bit alphanumeric characters
    /// plus certain special characters: - . % _ * ? ! ( ) , : = @ $ ' + # ;" (IoT Hub identity registry,
    /// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry#device-identity-properties).</summary>
    public static bool IsValidDeviceId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 128) return false;
        foreach (var c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || "-.%_*?!(),:=@$'+#;".Contains(c))) return false;
        return true;
    }

    /// <summary>DPS registration id: "a case-insensitive string (up to 128 characters long) of alphanumeric characters
    /// plus the special characters '-', '.', '_', ':'. The last character must be alphanumeric or dash"
    /// (https://learn.microsoft.com/azure/iot-dps/concepts-service#registration-id). Enrollment group ids follow the same rule here.</summary>
    public static bool IsValidRegistrationId(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 128) return false;
        foreach (var c in id)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or ':')) return false;
        var last = id[^1];
        return char.IsAsciiLetterOrDigit(last) || last == '-';
    }

    /// <summary>Device-to-cloud message: 256 KB (IoT Hub quotas, https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling#other-limits).
    /// The emulator counts payload plus topic (which carries the properties).</summary>
    public const int TelemetryBytes = 256 * 1024;

    /// <summary>Cloud-to-device message: 64 KB (same page).</summary>
    public const int C2dBytes = 64 * 1024;

    /// <summary>Direct method request and response payload: 128 KB (same page).</summary>
    public const int MethodPayloadBytes = 128 * 1024;

    /// <summary>Desired and reported properties: 32 KB each, exclusive of $version and $metadata (device twins,
    /// https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-device-twins#device-twin-size). The emulator counts the
    /// UTF-8 bytes of the section's compact JSON, a slight over-count of Azure's key+value sum (never an under-count).</summary>
    public const int TwinSectionBytes = 32 * 1024;

    /// <summary>Request bodies of DPS and the operator API. DPS documents no number for a registration body; 64 KB is this
    /// emulator's choice (far above any registration payload) so that no request body is read into memory unbounded.</summary>
    public const int DpsBodyBytes = 64 * 1024;

    /// <summary>Operator API bodies: room for a 64 KB C2D payload or 128 KB command payload in JSON, escaped.</summary>
    public const int ApiBodyBytes = 1024 * 1024;

    /// <summary>True when <paramref name="text"/> is well-formed UTF-16 (no lone surrogate), i.e. can be sent as UTF-8.</summary>
    public static bool IsWellFormed(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>True when <paramref name="key"/> is base64 of at least one byte (IoT Hub and DPS keys are base64).</summary>
    public static bool IsBase64Key(string? key)
    {
        if (string.IsNullOrWhiteSpace(key)) return false;
        var buffer = new byte[(key.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(key, buffer, out var n) && n > 0;
    }

    /// <summary>A duration in seconds from the operator, or null when it is not a finite number in 0..<paramref name="maxSeconds"/>.</summary>
    public static TimeSpan? Seconds(double seconds, double maxSeconds) =>
        double.IsFinite(seconds) && seconds >= 0 && seconds <= maxSeconds ? TimeSpan.FromSeconds(seconds) : null;
}
