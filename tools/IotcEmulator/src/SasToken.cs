using System.Security.Cryptography;
using System.Text;

namespace IotcEmulator;

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
