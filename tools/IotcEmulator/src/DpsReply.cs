using System.Text.Json.Nodes;

namespace IotcEmulator;

/// <summary>What DPS answers, whichever transport asked: HTTP status (or the status in a <c>$dps/registrations/res/{status}</c>
/// topic), the JSON body and an optional retry-after in seconds.</summary>
internal sealed record DpsReply(int Status, JsonObject Body, int? RetryAfter = null);
