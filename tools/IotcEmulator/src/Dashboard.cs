using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace IotcEmulator;

/// <summary>
/// The web dashboard: a small static front end (<c>/dashboard/</c>, embedded in the assembly, no build step, no CDN)
/// over the operator API, plus the two read endpoints it needs beyond it: <c>/api/overview</c> (devices with their
/// enrollment kind and today's message count) and <c>/api/events</c> (Server-Sent Events: each telemetry message as it
/// arrives, and a tick every second on which the page refreshes twins, commands and the C2D queue).
/// </summary>
internal static class Dashboard
{
    static readonly Dictionary<string, string> ContentTypes = new()
    {
        ["index.html"] = "text/html; charset=utf-8",
        ["app.js"] = "text/javascript; charset=utf-8",
        ["app.css"] = "text/css; charset=utf-8",
    };

    // No inline script or style, nothing from elsewhere: even a rendering mistake cannot run injected markup.
    const string Csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void Map(WebApplication app, EmulatorOperator op, DashboardStats stats, string? token)
    {
        app.MapGet("/", () => Results.Redirect("/dashboard/"));
        app.MapGet("/dashboard/{file?}", (HttpContext ctx, string? file) =>
        {
            if (file is null && !ctx.Request.Path.Value!.EndsWith('/')) return Results.Redirect("/dashboard/"); // relative asset URLs need the slash
            file ??= "index.html";
            if (!ContentTypes.TryGetValue(file, out var type)) return Results.NotFound();
            var text = Asset(file);
            // The page carries the token for its state-changing requests (a header, which other sites cannot set).
            if (file == "index.html") text = text.Replace("{{TOKEN}}", System.Net.WebUtility.HtmlEncode(token ?? ""), StringComparison.Ordinal);
            ctx.Response.Headers["Content-Security-Policy"] = Csp;
            ctx.Response.Headers["X-Frame-Options"] = "DENY";
            return Results.Text(text, type);
        });

        app.MapGet("/api/overview", async () => Results.Json(await stats.OverviewAsync(op), RestApi.Json));

        app.MapGet("/api/events", async (HttpContext ctx, string? deviceId) =>
        {
            ctx.Response.Headers.ContentType = "text/event-stream; charset=utf-8";
            ctx.Response.Headers.CacheControl = "no-store";
            // A slow page loses old messages instead of slowing the hub down.
            var channel = Channel.CreateBounded<TelemetryMessage>(new BoundedChannelOptions(2000) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
            void OnTelemetry(TelemetryMessage m)
            {
                if (deviceId is null || string.Equals(m.DeviceId, deviceId, StringComparison.Ordinal)) channel.Writer.TryWrite(m);
            }
            op.TelemetryReceived += OnTelemetry;
            // Ends with the page, or when the emulator stops (else an open page would hold up the shutdown).
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted, app.Lifetime.ApplicationStopping);
            try
            {
                var ct = stop.Token;
                await ctx.Response.WriteAsync("retry: 1000\n\n", ct);
                await ctx.Response.Body.FlushAsync(ct);
                using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
                var tick = timer.WaitForNextTickAsync(ct).AsTask();
                while (!ct.IsCancellationRequested)
                {
                    var read = channel.Reader.WaitToReadAsync(ct).AsTask();
                    if (await Task.WhenAny(read, tick) == tick)
                    {
                        await tick;
                        await ctx.Response.WriteAsync("event: tick\ndata: {}\n\n", ct);
                        tick = timer.WaitForNextTickAsync(ct).AsTask();
                    }
                    while (channel.Reader.TryRead(out var m))
                    {
                        await ctx.Response.WriteAsync("event: telemetry\ndata: " + JsonSerializer.Serialize(RestApi.Telemetry(m), RestApi.Json) + "\n\n", ct);
                    }
                    await ctx.Response.Body.FlushAsync(ct);
                }
            }
            catch (OperationCanceledException)
            {
                // the page went away
            }
            finally
            {
                op.TelemetryReceived -= OnTelemetry;
            }
        });
    }

    static string Asset(string file)
    {
        using var s = typeof(Dashboard).Assembly.GetManifestResourceStream("dashboard/" + file)
            ?? throw new InvalidOperationException($"dashboard asset '{file}' is not embedded");
        using var r = new StreamReader(s);
        return r.ReadToEnd();
    }
}

/// <summary>Per-device facts for the device list that the device table does not keep: today's message count and when a
/// message last arrived. Both are read from the telemetry table, only the rows added since the last look (an id range),
/// so a message costs the hot ingest path nothing here and nothing is held in memory between looks.</summary>
internal sealed class DashboardStats(Store store)
{
    readonly SemaphoreSlim _sync = new(1, 1);
    readonly Dictionary<string, long> _today = new(StringComparer.Ordinal);
    readonly Dictionary<string, DateTimeOffset> _lastMessage = new(StringComparer.Ordinal);
    DateOnly _day;
    long _seenMaxId;

    /// <summary>Brings the counts up to everything committed so far (rows with ids above the last look).</summary>
    async Task RefreshAsync(EmulatorOperator op)
    {
        await op.GetTelemetryAsync(limit: 1).ConfigureAwait(false); // flushes what has arrived
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        if (day != _day)
        {
            // Rows up to the last look arrived before it, so on another day none of them counts; later rows may.
            _today.Clear();
            _day = day;
        }
        var dayStart = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var after = _seenMaxId;
        var rows = await Task.Run(() => store.TelemetryActivitySince(after, dayStart)).ConfigureAwait(false);
        foreach (var r in rows)
        {
            if (r.Today > 0) _today[r.DeviceId] = _today.GetValueOrDefault(r.DeviceId) + r.Today;
            if (!_lastMessage.TryGetValue(r.DeviceId, out var t) || r.LastArrivedUtc > t) _lastMessage[r.DeviceId] = r.LastArrivedUtc;
            _seenMaxId = Math.Max(_seenMaxId, r.MaxId);
        }
    }

    public async Task<object> OverviewAsync(EmulatorOperator op)
    {
        await _sync.WaitAsync().ConfigureAwait(false);
        try
        {
            await RefreshAsync(op).ConfigureAwait(false);
            return await OverviewLockedAsync(op).ConfigureAwait(false);
        }
        finally
        {
            _sync.Release();
        }
    }

    async Task<object> OverviewLockedAsync(EmulatorOperator op)
    {
        var today = _today;
        var enrollments = (await op.ListEnrollmentsAsync().ConfigureAwait(false)).ToDictionary(e => e.Id, StringComparer.OrdinalIgnoreCase);
        var devices = await op.ListDevicesAsync().ConfigureAwait(false);
        return devices.Select(d =>
        {
            var e = d.EnrollmentId is null ? null : enrollments.GetValueOrDefault(d.EnrollmentId);
            var enrollment = d.EnrollmentId is null ? "direct (no DPS)"
                : e is null ? "enrollment revoked"
                : (e.IsGroup ? "group" : "individual") + (d.Attestation == AttestationKind.X509 ? ", X.509" : ", symmetric key");
            DateTimeOffset? lastSeen = d.Connected ? DateTimeOffset.UtcNow : Max(Max(d.LastConnectedUtc, d.LastDisconnectedUtc), _lastMessage.TryGetValue(d.DeviceId, out var t) ? t : null);
            return new
            {
                deviceId = d.DeviceId, connected = d.Connected, lastSeenUtc = lastSeen, modelId = d.ModelId,
                enrollmentId = d.EnrollmentId, enrollment, attestation = d.Attestation, messagesToday = today.GetValueOrDefault(d.DeviceId),
            };
        }).ToList();
    }

    static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
