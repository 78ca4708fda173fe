using System.Text;

namespace IotcEmulator;

/// <summary>IoT Hub property bags: <c>urlencode(name)=urlencode(value)&amp;…</c>.</summary>
internal static class PropertyBag
{
    public static Dictionary<string, string?> Parse(string bag)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(bag)) return result;
        foreach (var part in bag.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            if (eq < 0) result[Decode(part)] = null;
            else result[Decode(part[..eq])] = Decode(part[(eq + 1)..]);
        }
        return result;
    }

    static string Decode(string s)
    {
        try { return Uri.UnescapeDataString(s); }
        catch (UriFormatException) { return s; }
    }

    public static string Format(IReadOnlyDictionary<string, string?> props)
    {
        var sb = new StringBuilder();
        foreach (var (k, v) in props)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(SasHelper.UrlEncode(k));
            if (v is not null) sb.Append('=').Append(SasHelper.UrlEncode(v));
        }
        return sb.ToString();
    }
}
