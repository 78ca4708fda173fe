using System.Security.Cryptography;
using System.Text;

namespace IotcEmulator;

/// <summary>SAS helpers shared by DPS, the hub and the operator tooling.</summary>
public static class SasHelper
{
    /// <summary>RFC 3986 encoding as Azure SDK for C does it: unreserved bytes kept, others %XX upper-case.</summary>
    public static string UrlEncode(string value)
    {
        var sb = new StringBuilder(value.Length + 16);
        foreach (var b in Encoding.UTF8.GetBytes(value))
        {
            var c = (char)b;
            if (c is >= 'A' and <= 'Z' or >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '_' or '.' or '~') sb.Append(c);
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }

    /// <summary>Builds a SAS token for <paramref name="resourceUri"/> signed with a base64 key.</summary>
    /// <param name="resourceUri">Unencoded resource, e.g. <c>localhost/devices/dev1</c>.</param>
    /// <param name="base64Key">The shared key, base64.</param>
    /// <param name="expiry">Expiry instant.</param>
    /// <param name="keyName">Optional <c>skn</c> (DPS uses <c>registration</c>).</param>
    public static string CreateToken(string resourceUri, string base64Key, DateTimeOffset expiry, string? keyName = null)
    {
        var sr = UrlEncode(resourceUri);
        var se = expiry.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sig = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64Key), Encoding.UTF8.GetBytes(sr + "\n" + se)));
        var token = $"SharedAccessSignature sr={sr}&sig={UrlEncode(sig)}&se={se}";
        return keyName is null ? token : token + "&skn=" + UrlEncode(keyName);
    }

    /// <summary>Derives a device key from a group enrollment key: base64(HMACSHA256(base64decode(groupKey), registrationId)).</summary>
    public static string DeriveDeviceKey(string base64GroupKey, string registrationId) =>
        Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(base64GroupKey), Encoding.UTF8.GetBytes(registrationId)));

    /// <summary>The derived key, or null when the group key is missing or not base64.</summary>
    internal static string? TryDeriveDeviceKey(string? base64GroupKey, string registrationId) =>
        Limits.IsBase64Key(base64GroupKey) ? DeriveDeviceKey(base64GroupKey!, registrationId) : null;

    /// <summary>A new random 64-byte key, base64 (the size Azure generates).</summary>
    public static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
}
