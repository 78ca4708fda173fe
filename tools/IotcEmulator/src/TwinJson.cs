using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IotcEmulator;

/// <summary>Twin document helpers (merge-patch as IoT Hub applies it).</summary>
internal static class TwinJson
{
    /// <summary>JSON text as IoT Hub sends it: characters such as &lt; &gt; &amp; ' and non-ASCII letters as they are,
    /// not as \uXXXX escapes (System.Text.Json's default escapes them for HTML safety).</summary>
    public static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string WithVersion(string json, long version)
    {
        var obj = JsonNode.Parse(json) as JsonObject ?? new JsonObject();
        obj.Remove("$version");
        obj["$version"] = version;
        return obj.ToJsonString(Relaxed);
    }

    /// <summary>Parses a patch; null when it is not a JSON object or holds a string that is not valid Unicode (an escaped
    /// lone surrogate such as "\ud800" parses, but cannot be stored or sent as UTF-8).</summary>
    public static JsonObject? TryParseObject(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            return JsonNode.Parse(ref reader) is JsonObject o && WellFormed(o) ? o : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // A lone surrogate surfaces as InvalidOperationException when the string is read, not as JsonException.
            return null;
        }
    }

    public static JsonObject? TryParseObject(string text) => Limits.IsWellFormed(text) ? TryParseObject(Encoding.UTF8.GetBytes(text)) : null;

    static bool WellFormed(JsonNode? node) => node switch
    {
        JsonObject o => o.All(p => Limits.IsWellFormed(p.Key) && WellFormed(p.Value)),
        JsonArray a => a.All(WellFormed),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => Limits.IsWellFormed(v.GetValue<string>()),
        _ => true,
    };

    /// <summary>UTF-8 size of a twin section as the emulator counts it against <see cref="Limits.TwinSectionBytes"/>.</summary>
    public static int SectionBytes(string json) => Encoding.UTF8.GetByteCount(json);

    public static string Merge(string currentJson, JsonObject patch)
    {
        var current = JsonNode.Parse(currentJson) as JsonObject ?? new JsonObject();
        MergeInto(current, patch);
        current.Remove("$version");
        return current.ToJsonString(Relaxed);
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
