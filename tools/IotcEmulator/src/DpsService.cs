using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace IotcEmulator;

/// <summary>The Device Provisioning Service's device API (register + operation status), served over HTTPS here and over
/// MQTT by <see cref="HubService"/> (the <c>$dps/registrations/…</c> topics).</summary>
internal sealed class DpsService
{
    readonly Store _store;
    readonly Faults _faults;
    readonly Action<string> _log;
    readonly Func<string> _idScope;
    readonly string _hub;
    readonly int _retryAfter;
    readonly object _assignLock = new();

    public DpsService(Store store, Faults faults, Action<string> log, Func<string> idScope, string hubHostName, int retryAfterSeconds)
    {
        _store = store;
        _faults = faults;
        _log = log;
        _idScope = idScope;
        _hub = hubHostName;
        _retryAfter = Math.Max(1, retryAfterSeconds);
    }

    public string IdScope => _idScope();

    static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    internal static DpsReply Error(int status, int code, string message, int? retryAfter = null) => new(status, new JsonObject
    {
        ["errorCode"] = code,
        ["trackingId"] = Guid.NewGuid().ToString(),
        ["message"] = message,
        ["timestampUtc"] = DateTime.UtcNow.ToString("o"),
    }, retryAfter);

    static DpsReply Unauthorized() => Error(401, 401002, "The request was not authorized (bad signature, expired token, or unknown enrollment).");

    internal static bool IsSupportedApiVersion(string? v)
    {
        if (string.IsNullOrEmpty(v) || v.Length < 10) return false;
        var date = v[..10];
        return DateOnly.TryParseExact(date, "yyyy-MM-dd", out var d) && d >= new DateOnly(2018, 11, 1) && d <= new DateOnly(2021, 6, 1);
    }

    /// <summary>Throttling fault, api-version, ID scope and registration id rules; null when the request may go on.</summary>
    public DpsReply? Precheck(string idScope, string registrationId, string? apiVersion, string what, bool throttle = true)
    {
        if (throttle && _faults.TakeDpsThrottle() is { } ra)
        {
            _log($"dps: throttled {what} (fault injection, Retry-After {ra} s)");
            return Error(429, 429001, "Operations are being throttled for this tenant.", ra);
        }
        if (!IsSupportedApiVersion(apiVersion))
        {
            _log($"dps: rejected {what}: unsupported api-version '{apiVersion}'");
            return Error(400, 400004, "The api-version query parameter is missing or not supported (2018-11-01 .. 2021-06-01).");
        }
        if (!string.Equals(idScope, _idScope(), StringComparison.OrdinalIgnoreCase))
        {
            _log($"dps: rejected {what}: unknown ID scope");
            return Error(404, 404001, "ID scope not found.");
        }
        if (!Limits.IsValidRegistrationId(registrationId))
        {
            _log($"dps: rejected {what}: invalid registration id");
            return Error(400, 400003, "Invalid registration id.");
        }
        return null;
    }

    /// <summary>Checks a DPS SAS token (<c>sr={idScope}/registrations/{id}</c>, <c>skn=registration</c>) against the
    /// individual enrollment or a symmetric-key group; null with a logged reason when it fails.</summary>
    public DpsCredentials? AuthenticateSas(string authorization, string idScope, string registrationId, string what)
    {
        var token = SasToken.TryParse(authorization);
        if (token is null) { _log($"dps: unauthorized {what}: not a SharedAccessSignature"); return null; }
        var expected = idScope + "/registrations/" + registrationId;
        if (!string.Equals(token.Resource, expected, StringComparison.OrdinalIgnoreCase)) { _log($"dps: unauthorized {what}: token sr '{token.Resource}' is not '{expected}'"); return null; }
        if (!string.Equals(token.KeyName, "registration", StringComparison.Ordinal)) { _log($"dps: unauthorized {what}: skn must be 'registration'"); return null; }
        DpsCredentials? found = null;
        var individual = _store.Enrollments.List(registrationId, group: false).FirstOrDefault();
        if (individual is not null)
        {
            if (individual.Attestation == AttestationKind.SymmetricKey && token.IsSignedBy([individual.PrimaryKey, individual.SecondaryKey]))
                found = new DpsCredentials(individual.Id, AttestationKind.SymmetricKey, individual.PrimaryKey, individual.SecondaryKey, null, null);
        }
        else
        {
            foreach (var g in _store.Enrollments.List(group: true).Where(g => g.Attestation == AttestationKind.SymmetricKey))
            {
                var pk = SasHelper.TryDeriveDeviceKey(g.PrimaryKey, registrationId);
                var sk = SasHelper.TryDeriveDeviceKey(g.SecondaryKey, registrationId);
                if (token.IsSignedBy([pk, sk])) { found = new DpsCredentials(g.Id, AttestationKind.SymmetricKey, pk, sk, null, null); break; }
            }
        }
        if (found is null)
        {
            _log($"dps: unauthorized {what}: {(individual is null ? "no enrollment's key signed this token" : "signature does not match the individual enrollment")}");
            return null;
        }
        // Expiry after the signature: a forged token learns nothing about expiry, and any se (even year 9999) is just a number.
        if (token.ExpiresAt <= DateTimeOffset.UtcNow) { _log($"dps: unauthorized {what}: token expired at {token.ExpiresAt:u}"); return null; }
        return found;
    }

    /// <summary>Checks a TLS client certificate (CN = registration id) against the individual enrollment's thumbprint or a
    /// group's CA, building the chain with the intermediates the client sent; null with a logged reason when it fails.</summary>
    public DpsCredentials? AuthenticateCertificate(X509Certificate2 cert, string registrationId, string what)
    {
        if (!string.Equals(ClientCertificates.CommonName(cert), registrationId, StringComparison.OrdinalIgnoreCase))
        {
            _log($"dps: unauthorized {what}: certificate CN does not equal the registration id");
            return null;
        }
        if (cert.NotAfter < DateTime.Now || cert.NotBefore > DateTime.Now) { _log($"dps: unauthorized {what}: client certificate not valid now"); return null; }
        var ind = _store.Enrollments.List(registrationId, group: false).FirstOrDefault();
        if (ind is not null)
        {
            if (ind.Attestation == AttestationKind.X509 && ClientCertificates.MatchesThumbprint(cert, ind.Thumbprint))
                return new DpsCredentials(ind.Id, AttestationKind.X509, null, null, ClientCertificates.Thumbprint(cert), null);
            _log($"dps: unauthorized {what}: certificate does not match the individual enrollment");
            return null;
        }
        var presented = ClientCertificates.PresentedIntermediates(cert);
        foreach (var g in _store.Enrollments.List(group: true).Where(g => g.Attestation == AttestationKind.X509))
        {
            if (ClientCertificates.ChainsTo(cert, g.CaPem, presented) || ClientCertificates.MatchesThumbprint(cert, g.Thumbprint))
                return new DpsCredentials(g.Id, AttestationKind.X509, null, null, ClientCertificates.Thumbprint(cert), g.CaPem);
        }
        _log($"dps: unauthorized {what}: certificate matches no enrollment ({presented.Count} intermediate(s) presented)");
        return null;
    }

    /// <summary>Starts a registration: an operation id in state "assigning" (kept in SQLite).</summary>
    public DpsReply Register(DpsCredentials creds, string registrationId, JsonObject? body, string what)
    {
        if (body is null) return Error(400, 400001, "The request body is not a JSON object.");
        var bodyRegId = body["registrationId"]?.GetValueKind() == JsonValueKind.String ? body["registrationId"]!.GetValue<string>() : null;
        if (bodyRegId is not null && !string.Equals(bodyRegId, registrationId, StringComparison.OrdinalIgnoreCase))
            return Error(400, 400002, "registrationId in the body does not match the URL.");
        // api-version 2019-03-31+ sends 'payload'; older IoT Central clients sent 'data' (with 'iotcModelId').
        var payload = body["payload"] as JsonObject ?? body["data"] as JsonObject;
        string? modelId = null;
        foreach (var name in new[] { "modelId", "iotcModelId" })
        {
            if (payload?[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String) { modelId = v.GetValue<string>(); break; }
        }
        string? payloadJson;
        try { payloadJson = payload?.ToJsonString(TwinJson.Relaxed); }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException) { return Error(400, 400001, "The payload is not valid JSON text (invalid Unicode)."); }

        var opId = "4." + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(8)).ToLowerInvariant() + "." + Guid.NewGuid();
        _store.DpsOperations.Add(new DpsOperation(opId, registrationId, creds.EnrollmentId, creds.Attestation, creds.PrimaryKey, creds.SecondaryKey,
            creds.Thumbprint, creds.CaPem, modelId, payloadJson, _faults.AssigningPolls, DateTimeOffset.UtcNow));
        _log($"dps: registration of {what} accepted via enrollment '{creds.EnrollmentId}' ({creds.Attestation}{(modelId is null ? "" : ", model " + modelId)}); operation {opId}");
        return new DpsReply(202, new JsonObject { ["operationId"] = opId, ["status"] = "assigning" }, _retryAfter);
    }

    /// <summary>Operation status: "assigning" while the fault says so, then the assignment (the hub device is created or
    /// updated on the first "assigned" answer).</summary>
    public DpsReply Poll(string registrationId, string operationId, string what)
    {
        var op = _store.DpsOperations.Get(operationId);
        if (op is null || !string.Equals(op.RegistrationId, registrationId, StringComparison.OrdinalIgnoreCase))
        {
            _log($"dps: unknown operation '{operationId}' for {what}");
            return Error(404, 404002, "Operation not found.");
        }
        DeviceRow device;
        lock (_assignLock)
        {
            if (_store.DpsOperations.TakePoll(operationId))
            {
                _log($"dps: {what} still assigning (fault injection)");
                return new DpsReply(202, new JsonObject { ["operationId"] = operationId, ["status"] = "assigning" }, _retryAfter);
            }
            var existing = _store.Devices.Get(registrationId);
            device = existing is not null && existing.EnrollmentId == op.EnrollmentId && existing.PrimaryKey == op.PrimaryKey && existing.Thumbprint == op.Thumbprint
                && existing.LastUpdated >= op.Created
                ? existing
                : _store.Devices.Upsert(registrationId, op.EnrollmentId, op.Attestation, op.PrimaryKey, op.SecondaryKey, op.Thumbprint, op.CaPem, op.ModelId, op.Payload, _hub);
            if (!ReferenceEquals(device, existing)) _log($"dps: {what} assigned to hub {_hub}");
        }
        var state = new JsonObject
        {
            ["registrationId"] = registrationId,
            ["createdDateTimeUtc"] = device.Created.UtcDateTime.ToString("o"),
            ["assignedHub"] = device.AssignedHub,
            ["deviceId"] = device.DeviceId,
            ["status"] = "assigned",
            ["substatus"] = "initialAssignment",
            ["lastUpdatedDateTimeUtc"] = device.LastUpdated.UtcDateTime.ToString("o"),
            ["etag"] = "\"" + device.Etag + "\"",
        };
        return new DpsReply(200, new JsonObject { ["operationId"] = operationId, ["status"] = "assigned", ["registrationState"] = state });
    }

    // ---------------- HTTPS ----------------

    static IResult ToResult(HttpContext ctx, DpsReply r)
    {
        if (r.RetryAfter is { } ra) ctx.Response.Headers.RetryAfter = ra.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Content(r.Body.ToJsonString(Compact), "application/json; charset=utf-8", null, r.Status);
    }

    DpsCredentials? AuthenticateHttp(HttpContext ctx, string idScope, string registrationId, string what)
    {
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (!string.IsNullOrEmpty(auth)) return AuthenticateSas(auth, idScope, registrationId, what);
        if (ctx.Connection.ClientCertificate is { } cert) return AuthenticateCertificate(cert, registrationId, what);
        _log($"dps: unauthorized {what}: no Authorization header and no client certificate");
        return null;
    }

    public async Task<IResult> RegisterAsync(HttpContext ctx, string idScope, string registrationId)
    {
        // The client's port too: it shows which requests shared a connection (a device keeping one alive for its polls).
        var what = $"'{registrationId}' from {ctx.Connection.RemoteIpAddress}:{ctx.Connection.RemotePort}";
        if (Precheck(idScope, registrationId, ctx.Request.Query["api-version"].ToString(), what) is { } early) return ToResult(ctx, early);
        var creds = AuthenticateHttp(ctx, idScope, registrationId, what);
        if (creds is null) return ToResult(ctx, Unauthorized());
        if (ctx.Request.ContentLength > Limits.DpsBodyBytes) return ToResult(ctx, Error(413, 413001, $"The request body is larger than {Limits.DpsBodyBytes} bytes."));
        JsonObject? body;
        try
        {
            body = await JsonNode.ParseAsync(ctx.Request.Body).ConfigureAwait(false) as JsonObject;
        }
        catch (JsonException)
        {
            body = null;
        }
        return ToResult(ctx, Register(creds, registrationId, body, what));
    }

    public IResult Operation_(HttpContext ctx, string idScope, string registrationId, string operationId)
    {
        // The client's port too: it shows which requests shared a connection (a device keeping one alive for its polls).
        var what = $"'{registrationId}' from {ctx.Connection.RemoteIpAddress}:{ctx.Connection.RemotePort}";
        if (Precheck(idScope, registrationId, ctx.Request.Query["api-version"].ToString(), what) is { } early) return ToResult(ctx, early);
        if (AuthenticateHttp(ctx, idScope, registrationId, what) is null) return ToResult(ctx, Unauthorized());
        return ToResult(ctx, Poll(registrationId, operationId, what));
    }
}
