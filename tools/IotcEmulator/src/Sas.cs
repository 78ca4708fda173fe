using System.Security.Cryptography;
using System.Text;

namespace IotcEmulator;

/// <summary>Outcome of checking a shared access signature.</summary>
internal enum SasCheck
{
    Ok,
    Malformed,
    WrongResource,
    WrongKeyName,
    Expired,
    BadSignature,
}

/// <summary>A parsed <c>SharedAccessSignature sr=…&amp;sig=…&amp;se=…[&amp;skn=…]</c> token.</summary>
internal sealed class SasToken
{
    /// <summary>The <c>sr</c> value exactly as sent (still URL-encoded): the service signs these bytes.</summary>
    public required string RawResource { get; init; }
    public required string Resource { get; init; }
    public required byte[] Signature { get; init; }
    public required long Expiry { get; init; }
    public string? KeyName { get; init; }

    /// <summary>The expiry instant; <c>se</c> beyond year 9999 (e.g. 253402300800) reads as <see cref="DateTimeOffset.MaxValue"/>.</summary>
    public DateTimeOffset ExpiresAt => Expiry > MaxUnixSeconds ? DateTimeOffset.MaxValue : DateTimeOffset.FromUnixTimeSeconds(Expiry);

    static readonly long MaxUnixSeconds = DateTimeOffset.MaxValue.ToUnixTimeSeconds();

    public static SasToken? TryParse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        const string prefix = "SharedAccessSignature ";
        text = text.Trim();
        if (!text.StartsWith(prefix, StringComparison.Ordinal)) return null;
        string? sr = null, sig = null, se = null, skn = null;
        foreach (var part in text[prefix.Length..].Split('&'))
        {
            var eq = part.IndexOf('=');
            if (eq <= 0) return null;
            var name = part[..eq];
            var value = part[(eq + 1)..];
            switch (name)
            {
                case "sr": sr = value; break;
                case "sig": sig = value; break;
                case "se": se = value; break;
                case "skn": skn = value; break;
                default: break; // unknown fields are ignored, as the service does
            }
        }
        if (sr is null || sig is null || se is null) return null;
        if (!long.TryParse(se, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var expiry)) return null;
        byte[] signature;
        try { signature = Convert.FromBase64String(Uri.UnescapeDataString(sig)); }
        catch (FormatException) { return null; }
        return new SasToken
        {
            RawResource = sr,
            Resource = Uri.UnescapeDataString(sr),
            Signature = signature,
            Expiry = expiry,
            KeyName = skn is null ? null : Uri.UnescapeDataString(skn),
        };
    }

    /// <summary>True when this token's signature was made with one of <paramref name="base64Keys"/>.</summary>
    public bool IsSignedBy(IEnumerable<string?> base64Keys)
    {
        var message = Encoding.UTF8.GetBytes(RawResource + "\n" + Expiry.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var k in base64Keys)
        {
            if (string.IsNullOrEmpty(k)) continue;
            byte[] key;
            try { key = Convert.FromBase64String(k); } catch (FormatException) { continue; }
            var expected = HMACSHA256.HashData(key, message);
            if (CryptographicOperations.FixedTimeEquals(expected, Signature)) return true;
        }
        return false;
    }
}

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
