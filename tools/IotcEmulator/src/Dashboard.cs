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
