using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace IotcEmulator;

[JsonSerializable(typeof(IReadOnlyDictionary<string, string?>))]
[JsonSerializable(typeof(Dictionary<string, string?>))]
internal sealed partial class JsonCtx : JsonSerializerContext;

/// <summary>Twin document helpers (merge-patch as IoT Hub applies it).</summary>
internal static class TwinJson
{
    public static string WithVersion(string json, long version)
    {
        var obj = JsonNode.Parse(json) as JsonObject ?? new JsonObject();
        obj.Remove("$version");
        obj["$version"] = version;
        return obj.ToJsonString();
    }

    /// <summary>Parses a patch; null when it is not a JSON object.</summary>
    public static JsonObject? TryParseObject(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            return JsonNode.Parse(ref reader) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static JsonObject? TryParseObject(string text) => TryParseObject(Encoding.UTF8.GetBytes(text));

    public static string Merge(string currentJson, JsonObject patch)
    {
        var current = JsonNode.Parse(currentJson) as JsonObject ?? new JsonObject();
        MergeInto(current, patch);
        current.Remove("$version");
        return current.ToJsonString();
    }

    static void MergeInto(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch.ToList())
        {
            if (name == "$version" || name == "$metadata") continue; // service-owned
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject po && target[name] is JsonObject to)
            {
                MergeInto(to, po);
            }
            else
            {
                target[name] = value.DeepClone();
            }
        }
    }
}

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
