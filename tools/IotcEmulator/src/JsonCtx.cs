using System.Text.Json.Serialization;

namespace IotcEmulator;

[JsonSerializable(typeof(IReadOnlyDictionary<string, string?>))]
[JsonSerializable(typeof(Dictionary<string, string?>))]
[JsonSerializable(typeof(Dictionary<string, int>))]
internal sealed partial class JsonCtx : JsonSerializerContext;
