using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IotcEmulator;

/// <summary>The Device Provisioning Service's device REST API (register + operation status).</summary>
internal sealed class DpsService
{
    readonly Store _store;
    readonly Faults _faults;
    readonly Action<string> _log;
    readonly Func<string> _idScope;
    readonly string _hub;
    readonly int _retryAfter;
    readonly ConcurrentDictionary<string, Operation> _ops = new(StringComparer.Ordinal);

    sealed class Operation
    {
        public required string IdScope { get; init; }
        public required string RegistrationId { get; init; }
        public required Credentials Creds { get; init; }
        public string? ModelId { get; init; }
        public string? Payload { get; init; }
        public int PollsLeft;
        public Store.DeviceRow? Device;
        public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;
    }

    sealed record Credentials(string? EnrollmentId, AttestationKind Attestation, string? PrimaryKey, string? SecondaryKey, string? Thumbprint, string? CaPem);

    public DpsService(Store store, Faults faults, Action<string> log, Func<string> idScope, string hubHostName, int retryAfterSeconds)
    {
        _store = store;
        _faults = faults;
        _log = log;
        _idScope = idScope;
        _hub = hubHostName;
        _retryAfter = Math.Max(1, retryAfterSeconds);
    }

    static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    static IResult Error(HttpContext ctx, int status, int code, string message, int? retryAfter = null)
    {
        if (retryAfter is { } ra) ctx.Response.Headers.RetryAfter = ra.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var body = new JsonObject
        {
            ["errorCode"] = code,
            ["trackingId"] = Guid.NewGuid().ToString(),
            ["message"] = message,
            ["timestampUtc"] = DateTime.UtcNow.ToString("o"),
        };
        return Results.Content(body.ToJsonString(Compact), "application/json; charset=utf-8", null, status);
    }

    internal static bool IsSupportedApiVersion(string? v)
    {
        if (string.IsNullOrEmpty(v) || v.Length < 10) return false;
        var date = v[..10];
        return DateOnly.TryParseExact(date, "yyyy-MM-dd", out var d) && d >= new DateOnly(2018, 11, 1) && d <= new DateOnly(2021, 6, 1);
    }

    static bool ValidRegistrationId(string id) =>
        id.Length is > 0 and <= 128 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or ':');

    IResult? Precheck(HttpContext ctx, string idScope, string registrationId, out string what)
    {
        // The client's port too: it shows which requests shared a connection (a device keeping one alive for its polls).
        what = $"'{registrationId}' from {ctx.Connection.RemoteIpAddress}:{ctx.Connection.RemotePort}";
        if (_faults.TakeDpsThrottle() is { } ra)
        {
            _log($"dps: throttled {what} (fault injection, Retry-After {ra} s)");
            return Error(ctx, 429, 429001, "Operations are being throttled for this tenant.", ra);
        }
        var api = ctx.Request.Query["api-version"].ToString();
        if (!IsSupportedApiVersion(api))
        {
            _log($"dps: rejected {what}: unsupported api-version '{api}'");
            return Error(ctx, 400, 400004, "The api-version query parameter is missing or not supported (2018-11-01 .. 2021-06-01).");
        }
        if (!string.Equals(idScope, _idScope(), StringComparison.OrdinalIgnoreCase))
        {
            _log($"dps: rejected {what}: unknown ID scope '{idScope}'");
            return Error(ctx, 404, 404001, "ID scope not found.");
        }
        if (!ValidRegistrationId(registrationId))
        {
            _log($"dps: rejected {what}: invalid registration id");
            return Error(ctx, 400, 400003, "Invalid registration id.");
        }
        return null;
    }

    /// <summary>Authenticates the caller (SAS or TLS client certificate); null with a logged reason when it fails.</summary>
    Credentials? Authenticate(HttpContext ctx, string idScope, string registrationId, string what)
    {
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (!string.IsNullOrEmpty(auth))
        {
            var token = SasToken.TryParse(auth);
            if (token is null) { _log($"dps: unauthorized {what}: Authorization is not a SharedAccessSignature"); return null; }
            var expected = idScope + "/registrations/" + registrationId;
            if (!string.Equals(token.Resource, expected, StringComparison.OrdinalIgnoreCase)) { _log($"dps: unauthorized {what}: token sr '{token.Resource}' is not '{expected}'"); return null; }
            if (!string.Equals(token.KeyName, "registration", StringComparison.Ordinal)) { _log($"dps: unauthorized {what}: skn must be 'registration'"); return null; }
            if (token.ExpiresAt <= DateTimeOffset.UtcNow) { _log($"dps: unauthorized {what}: token expired at {token.ExpiresAt:u}"); return null; }
            var individual = _store.ListEnrollments(registrationId, group: false).FirstOrDefault();
            if (individual is not null)
            {
                if (individual.Attestation == AttestationKind.SymmetricKey && token.IsSignedBy([individual.PrimaryKey, individual.SecondaryKey]))
                    return new Credentials(individual.Id, AttestationKind.SymmetricKey, individual.PrimaryKey, individual.SecondaryKey, null, null);
                _log($"dps: unauthorized {what}: signature does not match the individual enrollment");
                return null;
            }
            foreach (var g in _store.ListEnrollments(group: true).Where(g => g.Attestation == AttestationKind.SymmetricKey))
            {
                var pk = g.PrimaryKey is null ? null : SasHelper.DeriveDeviceKey(g.PrimaryKey, registrationId);
                var sk = g.SecondaryKey is null ? null : SasHelper.DeriveDeviceKey(g.SecondaryKey, registrationId);
                if (token.IsSignedBy([pk, sk])) return new Credentials(g.Id, AttestationKind.SymmetricKey, pk, sk, null, null);
            }
            _log($"dps: unauthorized {what}: no enrollment's key signed this token");
            return null;
        }
        var cert = ctx.Connection.ClientCertificate;
        if (cert is null) { _log($"dps: unauthorized {what}: no Authorization header and no client certificate"); return null; }
        if (!string.Equals(ClientCertificates.CommonName(cert), registrationId, StringComparison.OrdinalIgnoreCase))
        {
            _log($"dps: unauthorized {what}: certificate CN does not equal the registration id");
            return null;
        }
        if (cert.NotAfter < DateTime.Now || cert.NotBefore > DateTime.Now) { _log($"dps: unauthorized {what}: client certificate not valid now"); return null; }
        var ind = _store.ListEnrollments(registrationId, group: false).FirstOrDefault();
        if (ind is not null)
        {
            if (ind.Attestation == AttestationKind.X509 && ClientCertificates.MatchesThumbprint(cert, ind.Thumbprint))
                return new Credentials(ind.Id, AttestationKind.X509, null, null, ClientCertificates.Thumbprint(cert), null);
            _log($"dps: unauthorized {what}: certificate does not match the individual enrollment");
            return null;
        }
        foreach (var g in _store.ListEnrollments(group: true).Where(g => g.Attestation == AttestationKind.X509))
        {
            if (ClientCertificates.ChainsTo(cert, g.CaPem) || ClientCertificates.MatchesThumbprint(cert, g.Thumbprint))
                return new Credentials(g.Id, AttestationKind.X509, null, null, ClientCertificates.Thumbprint(cert), g.CaPem);
        }
        _log($"dps: unauthorized {what}: certificate matches no enrollment");
        return null;
    }

    public async Task<IResult> RegisterAsync(HttpContext ctx, string idScope, string registrationId)
    {
        if (Precheck(ctx, idScope, registrationId, out var what) is { } early) return early;
        var creds = Authenticate(ctx, idScope, registrationId, what);
        if (creds is null) return Error(ctx, 401, 401002, "The request was not authorized (bad signature, expired token, or unknown enrollment).");

        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }
        if (body is null) return Error(ctx, 400, 400001, "The request body is not a JSON object.");
        var bodyRegId = body["registrationId"]?.GetValueKind() == JsonValueKind.String ? body["registrationId"]!.GetValue<string>() : null;
        if (bodyRegId is not null && !string.Equals(bodyRegId, registrationId, StringComparison.OrdinalIgnoreCase))
            return Error(ctx, 400, 400002, "registrationId in the body does not match the URL.");
        // api-version 2019-03-31+ sends 'payload'; older IoT Central clients sent 'data' (with 'iotcModelId').
        var payload = body["payload"] as JsonObject ?? body["data"] as JsonObject;
        string? modelId = null;
        foreach (var name in new[] { "modelId", "iotcModelId" })
        {
            if (payload?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String) { modelId = v.GetValue<string>(); break; }
        }

        var opId = "4." + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant() + "." + Guid.NewGuid();
        var op = new Operation
        {
            IdScope = idScope, RegistrationId = registrationId, Creds = creds, ModelId = modelId, Payload = payload?.ToJsonString(),
            PollsLeft = _faults.AssigningPolls,
        };
        _ops[opId] = op;
        _log($"dps: registration of {what} accepted via enrollment '{creds.EnrollmentId}' ({creds.Attestation}{(modelId is null ? "" : ", model " + modelId)}); operation {opId}");
        ctx.Response.Headers.RetryAfter = _retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(new JsonObject { ["operationId"] = opId, ["status"] = "assigning" }, Compact, "application/json; charset=utf-8", 202);
    }

    public IResult Operation_(HttpContext ctx, string idScope, string registrationId, string operationId)
    {
        if (Precheck(ctx, idScope, registrationId, out var what) is { } early) return early;
        var creds = Authenticate(ctx, idScope, registrationId, what);
        if (creds is null) return Error(ctx, 401, 401002, "The request was not authorized (bad signature, expired token, or unknown enrollment).");
        if (!_ops.TryGetValue(operationId, out var op) || !string.Equals(op.RegistrationId, registrationId, StringComparison.OrdinalIgnoreCase))
        {
            _log($"dps: unknown operation '{operationId}' for {what}");
            return Error(ctx, 404, 404002, "Operation not found.");
        }
        lock (op)
        {
            if (op.PollsLeft > 0)
            {
                op.PollsLeft--;
                _log($"dps: {what} still assigning (fault injection, {op.PollsLeft} more)");
                ctx.Response.Headers.RetryAfter = _retryAfter.ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new JsonObject { ["operationId"] = operationId, ["status"] = "assigning" }, Compact, "application/json; charset=utf-8", 202);
            }
            if (op.Device is null)
            {
                var c = op.Creds;
                op.Device = _store.UpsertDevice(registrationId, c.EnrollmentId, c.Attestation, c.PrimaryKey, c.SecondaryKey, c.Thumbprint, c.CaPem, op.ModelId, op.Payload, _hub);
                _log($"dps: {what} assigned to hub {_hub}");
            }
        }
        var d = op.Device;
        var state = new JsonObject
        {
            ["registrationId"] = registrationId,
            ["createdDateTimeUtc"] = d.Created.UtcDateTime.ToString("o"),
            ["assignedHub"] = d.AssignedHub,
            ["deviceId"] = d.DeviceId,
            ["status"] = "assigned",
            ["substatus"] = "initialAssignment",
            ["lastUpdatedDateTimeUtc"] = d.LastUpdated.UtcDateTime.ToString("o"),
            ["etag"] = "\"" + d.Etag + "\"",
        };
        return Results.Json(new JsonObject { ["operationId"] = operationId, ["status"] = "assigned", ["registrationState"] = state }, Compact, "application/json; charset=utf-8", 200);
    }
}
