using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace IotcEmulator;

/// <summary>The operator REST API under <c>/api</c> (loopback only; <see cref="AccessControl"/> requires the access token).</summary>
internal static class RestApi
{
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        // Output is for people and tools on this machine, not for embedding in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    static IResult Ok(object? value, int status = 200) => Results.Json(value, Json, "application/json; charset=utf-8", status);

    static IResult Problem(int status, string message) => Ok(new { error = message }, status);

    // IoT Hub's error codes (https://learn.microsoft.com/rest/api/iothub/common-error-codes): 409001 DeviceAlreadyExists;
    // 413 for a payload above a documented size limit.
    static IResult Problem(int status, int errorCode, string message) => Ok(new { error = message, errorCode }, status);

    static IResult BadSeconds(string name, double max) => Problem(400, $"'{name}' must be a number from 0 to {max}");

    const double MaxFaultSeconds = 7 * 24 * 3600;

    static async Task<JsonObject?> BodyObject(HttpContext ctx)
    {
        try { return await JsonNode.ParseAsync(ctx.Request.Body) as JsonObject; }
        catch (JsonException) { return null; }
    }

    static async Task<string> BodyText(HttpContext ctx)
    {
        using var r = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        return await r.ReadToEndAsync();
    }

    static string? S(JsonObject o, string name) => o[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    internal static object Telemetry(TelemetryMessage m) => new
    {
        id = m.Id, deviceId = m.DeviceId, topic = m.Topic, properties = m.Properties, arrivedUtc = m.ArrivedUtc,
        payload = m.PayloadText, payloadBase64 = Convert.ToBase64String(m.Payload),
    };

    static object C2d(C2dMessageInfo m) => new
    {
        id = m.Id, deviceId = m.DeviceId, payload = Encoding.UTF8.GetString(m.Payload), properties = m.Properties,
        enqueuedUtc = m.EnqueuedUtc, state = m.State, deliveredUtc = m.DeliveredUtc, deliveryCount = m.DeliveryCount,
        expiresUtc = m.ExpiresUtc, completedUtc = m.CompletedUtc,
    };

    static object Twin(TwinDocument t, IReadOnlyDictionary<string, long> desiredVersions) => new
    {
        deviceId = t.DeviceId,
        desired = JsonNode.Parse(t.DesiredJson),
        reported = JsonNode.Parse(t.ReportedJson),
        desiredVersions, // the desired $version at which each setting was last set ("component*name" inside components)
    };

    // Keys are shown when an enrollment is created, and afterwards only on an explicit ?reveal=true.
    static EnrollmentInfo Redact(EnrollmentInfo e, bool reveal) => reveal ? e : e with { PrimaryKey = null, SecondaryKey = null };

    public static void Map(WebApplication app, EmulatorOperator op, Func<object> info)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/info", () => Ok(info()));

        api.MapGet("/enrollments", async (bool? reveal) => Ok((await op.ListEnrollmentsAsync()).Select(e => Redact(e, reveal == true))));
        api.MapGet("/enrollments/{id}", async (string id, bool? reveal) =>
        {
            if ((await op.ListEnrollmentsAsync()).FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.OrdinalIgnoreCase)) is not { } e) return Problem(404, "no such enrollment");
            return Ok(Redact(e, reveal == true));
        });
        api.MapGet("/enrollments/{id}/derive", async (string id, string? deviceId) =>
        {
            if (string.IsNullOrEmpty(deviceId)) return Problem(400, "'deviceId' is required");
            var e = (await op.ListEnrollmentsAsync()).FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.OrdinalIgnoreCase));
            if (e is not { IsGroup: true, PrimaryKey: { } groupKey }) return Problem(404, "no such symmetric-key group enrollment");
            return Ok(new { enrollmentId = e.Id, deviceId, key = SasHelper.DeriveDeviceKey(groupKey, deviceId) });
        });
        api.MapPost("/enrollments", async (HttpContext ctx) =>
        {
            var b = await BodyObject(ctx);
            if (b is null || S(b, "id") is not { } id) return Problem(400, "body must be a JSON object with 'id'");
            var group = b["group"] is JsonValue g && g.GetValueKind() == JsonValueKind.True;
            var att = S(b, "attestation") ?? (S(b, "thumbprint") is not null || S(b, "caPem") is not null ? "x509" : "symmetricKey");
            try
            {
                EnrollmentInfo e;
                if (att.Equals("x509", StringComparison.OrdinalIgnoreCase))
                {
                    if (group)
                        e = S(b, "caPem") is { } ca ? await op.EnrollX509CaAsync(id, ca) : throw new ArgumentException("X.509 group enrollment needs 'caPem'");
                    else
                        e = S(b, "thumbprint") is { } tp ? await op.EnrollX509Async(id, tp) : throw new ArgumentException("X.509 enrollment needs 'thumbprint'");
                }
                else
                {
                    e = group ? await op.EnrollGroupAsync(id, S(b, "primaryKey"), S(b, "secondaryKey")) : await op.EnrollSymmetricKeyAsync(id, S(b, "primaryKey"), S(b, "secondaryKey"));
                }
                return Ok(e, 201);
            }
            catch (Exception ex) when (ex is ArgumentException or FormatException or System.Security.Cryptography.CryptographicException)
            {
                return Problem(400, ex.Message);
            }
        });
        api.MapDelete("/enrollments/{id}", async (string id) => await op.DeleteEnrollmentAsync(id) ? Results.NoContent() : Problem(404, "no such enrollment"));

        api.MapGet("/devices", async () => Ok(await op.ListDevicesAsync()));
        api.MapGet("/devices/{id}", async (string id) => await op.GetDeviceAsync(id) is { } d ? Ok(d) : Problem(404, "no such device"));
        api.MapPost("/devices", async (HttpContext ctx) =>
        {
            var b = await BodyObject(ctx);
            if (b is null || S(b, "deviceId") is not { } id) return Problem(400, "body must be a JSON object with 'deviceId'");
            try
            {
                if (S(b, "thumbprint") is { } tp) return Ok(await op.CreateX509DeviceAsync(id, tp), 201);
                var (dev, key) = await op.CreateDeviceAsync(id, S(b, "primaryKey"));
                return Ok(new { device = dev, primaryKey = key }, 201);
            }
            catch (DeviceAlreadyExistsException ex) { return Problem(409, 409001, ex.Message); }
            catch (ArgumentException ex) { return Problem(400, ex.Message); }
        });

        api.MapGet("/devices/{id}/twin", async (string id) => await op.GetTwinAsync(id) is { } t ? Ok(Twin(t, await op.GetDesiredPropertyVersionsAsync(id))) : Problem(404, "no such device"));
        api.MapMethods("/devices/{id}/twin/desired", ["PATCH", "POST"], async (HttpContext ctx, string id) =>
        {
            try { return Ok(new { version = await op.SetDesiredPropertiesAsync(id, await BodyText(ctx)) }); }
            catch (PayloadTooLargeException ex) { return Problem(413, 413001, ex.Message); }
            catch (ArgumentException ex) { return Problem(400, ex.Message); }
            catch (KeyNotFoundException ex) { return Problem(404, ex.Message); }
        });

        api.MapPost("/devices/{id}/commands/{name}", async (HttpContext ctx, string id, string name, double? timeout) =>
        {
            var body = await BodyText(ctx);
            try
            {
                var seconds = timeout ?? 30;
                if (!double.IsFinite(seconds)) return BadSeconds("timeout", 300);
                var r = await op.InvokeCommandAsync(id, name, string.IsNullOrWhiteSpace(body) ? null : body, TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 300)), ctx.RequestAborted);
                return Ok(new { invocationId = r.InvocationId, status = r.Status, timedOut = r.TimedOut, payload = r.PayloadJson });
            }
            catch (PayloadTooLargeException ex) { return Problem(413, 413001, ex.Message); }
            catch (ArgumentException ex) { return Problem(400, ex.Message); }
            catch (KeyNotFoundException ex) { return Problem(404, ex.Message); }
        });
        api.MapGet("/devices/{id}/commands", async (string id) => Ok(await op.ListCommandsAsync(id)));

        api.MapPost("/devices/{id}/c2d", async (HttpContext ctx, string id) =>
        {
            var b = await BodyObject(ctx);
            if (b is null || S(b, "payload") is not { } payload) return Problem(400, "body must be {\"payload\":\"…\",\"properties\":{…},\"ttlSeconds\":n}");
            var props = new Dictionary<string, string?>();
            if (b["properties"] is JsonObject p) foreach (var (k, v) in p) props[k] = v?.ToString();
            TimeSpan? ttl = null;
            if (b["ttlSeconds"] is JsonValue t)
            {
                if (!t.TryGetValue<double>(out var seconds) || seconds <= 0 || Limits.Seconds(seconds, EmulatorOperator.MaxC2dTimeToLive.TotalSeconds) is not { } valid)
                    return Problem(400, $"'ttlSeconds' must be a number above 0 and at most {EmulatorOperator.MaxC2dTimeToLive.TotalSeconds} (48 h, IoT Hub's maximum)");
                ttl = valid;
            }
            try { return Ok(new { id = await op.SendC2dAsync(id, payload, props, ttl) }, 201); }
            catch (KeyNotFoundException ex) { return Problem(404, ex.Message); }
            catch (PayloadTooLargeException ex) { return Problem(413, 413001, ex.Message); }
            catch (ArgumentException ex) { return Problem(400, ex.Message); }
            // IoT Hub answers a full device queue with 403004 DeviceMaximumQueueDepthExceeded.
            catch (DeviceQueueFullException ex) { return Ok(new { error = ex.Message, errorCode = 403004 }, 403); }
        });
        api.MapGet("/devices/{id}/c2d", async (string id) => Ok((await op.ListC2dAsync(id)).Select(C2d)));

        api.MapGet("/telemetry", async (string? deviceId, long? after, int? limit, int? tail) =>
            Ok((tail is > 0 ? await op.GetRecentTelemetryAsync(deviceId, tail.Value) : await op.GetTelemetryAsync(deviceId, after ?? 0, limit ?? 1000)).Select(Telemetry)));
        api.MapGet("/telemetry/count", async (string? deviceId) => Ok(new { deviceId, count = await op.CountTelemetryAsync(deviceId) }));

        var f = api.MapGroup("/faults");
        f.MapGet("", () => Ok(op.GetFaults()));
        f.MapDelete("", () => { op.ClearFaults(); return Results.NoContent(); });
        f.MapPost("/drop/{deviceId}", async (string deviceId) => Ok(new { dropped = await op.DropConnectionAsync(deviceId) }));
        f.MapPost("/refuse-connects", (double seconds) =>
        {
            if (Limits.Seconds(seconds, MaxFaultSeconds) is not { } d) return BadSeconds("seconds", MaxFaultSeconds);
            op.RefuseConnects(d);
            return Ok(op.GetFaults());
        });
        f.MapPost("/dps-throttle", (int requests, int? retryAfter) =>
        {
            if (requests < 0 || retryAfter is < 1 or > 3600) return Problem(400, "'requests' must be 0 or more and 'retryAfter' 1..3600");
            op.ThrottleDps(requests, retryAfter ?? 5);
            return Ok(op.GetFaults());
        });
        f.MapPost("/dps-assigning", (int polls) =>
        {
            if (polls < 0) return Problem(400, "'polls' must be 0 or more");
            op.KeepDpsAssigning(polls);
            return Ok(op.GetFaults());
        });
        f.MapPost("/puback-delay/{deviceId}", (string deviceId, int ms) =>
        {
            if (ms is < 0 or > 600_000) return Problem(400, "'ms' must be 0..600000");
            op.DelayPubAcks(deviceId, TimeSpan.FromMilliseconds(ms));
            return Ok(op.GetFaults());
        });
        f.MapPost("/puback-withhold/{deviceId}", (string deviceId, bool? on) => { op.WithholdPubAcks(deviceId, on ?? true); return Ok(op.GetFaults()); });
        f.MapPost("/token-lifetime", (double seconds) =>
        {
            if (Limits.Seconds(seconds, MaxFaultSeconds) is not { } d) return BadSeconds("seconds", MaxFaultSeconds);
            op.CapTokenLifetime(d > TimeSpan.Zero ? d : null);
            return Ok(op.GetFaults());
        });
        f.MapPost("/malformed-desired/{deviceId}", async (string deviceId) => Ok(new { pushed = await op.PushMalformedDesiredPatchAsync(deviceId) }));
    }
}
