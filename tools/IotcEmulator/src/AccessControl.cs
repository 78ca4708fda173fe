using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace IotcEmulator;

/// <summary>
/// Guards the operator API (<c>/api</c>) and the dashboard (<c>/dashboard</c>); DPS paths stay open to devices.
/// <list type="bullet">
/// <item>Only loopback host names are answered (<c>localhost</c>, <c>127.0.0.1</c>, <c>[::1]</c>): a page on another
/// site that rebinds its DNS name to 127.0.0.1 gets 403.</item>
/// <item>The access token: an <c>Authorization: Bearer</c> or <c>X-Iotc-Token</c> header, or for reads the cookie that a
/// first visit with <c>?token=</c> sets (HttpOnly, Secure, SameSite=Strict).</item>
/// <item>State-changing requests (anything but GET/HEAD) need the token in a header — the cookie alone is not enough, so a
/// cross-site form cannot act — and a same-origin <c>Origin</c>/<c>Sec-Fetch-Site</c> when the client sends them.</item>
/// </list>
/// With no token (<c>--no-auth</c>) only the host and same-origin checks apply.
/// </summary>
internal sealed class AccessControl(string? token)
{
    public const string CookieName = "iotc_emulator_token";
    public const string HeaderName = "X-Iotc-Token";

    readonly byte[]? _token = token is null ? null : Encoding.UTF8.GetBytes(token);

    public static bool Guards(PathString path) =>
        path == "/" || path.StartsWithSegments("/api") || path.StartsWithSegments("/dashboard");

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        var req = ctx.Request;
        if (!Guards(req.Path))
        {
            await next(ctx);
            return;
        }

        var res = ctx.Response;
        res.Headers["X-Content-Type-Options"] = "nosniff";
        res.Headers["Referrer-Policy"] = "no-referrer";
        res.Headers["Cache-Control"] = "no-store";
        if (!IsLoopbackHost(req.Host.Host))
        {
            await Refuse(ctx, 403, "this emulator answers only on localhost, 127.0.0.1 or [::1]");
            return;
        }

        var changesState = !(HttpMethods.IsGet(req.Method) || HttpMethods.IsHead(req.Method));
        if (changesState && !IsSameOrigin(req))
        {
            await Refuse(ctx, 403, "cross-origin request refused");
            return;
        }

        if (_token is not null)
        {
            // First visit from the printed URL: keep the token in a cookie and drop it from the address bar.
            if (!changesState && req.Query.TryGetValue("token", out var q) && !req.Path.StartsWithSegments("/api"))
            {
                if (!Matches(q.ToString()))
                {
                    await Refuse(ctx, 401, "wrong access token");
                    return;
                }
                res.Cookies.Append(CookieName, q.ToString(), new CookieOptions { HttpOnly = true, Secure = true, SameSite = SameSiteMode.Strict, Path = "/", IsEssential = true });
                res.Redirect(req.PathBase + req.Path, false);
                return;
            }

            var ok = Matches(HeaderToken(req)) || (!changesState && Matches(req.Cookies[CookieName]));
            if (!ok)
            {
                await Refuse(ctx, 401, changesState
                    ? "access token required in the X-Iotc-Token or Authorization header"
                    : "access token required: open the dashboard URL printed at start-up (it carries ?token=…), or send the X-Iotc-Token header");
                return;
            }
        }

        await next(ctx);
    }

    /// <summary>The token from <c>X-Iotc-Token</c> or <c>Authorization: Bearer</c>, if any.</summary>
    static string? HeaderToken(HttpRequest req)
    {
        if (req.Headers.TryGetValue(HeaderName, out var h)) return h.ToString();
        var auth = req.Headers.Authorization.ToString();
        return auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? auth[7..].Trim() : null;
    }

    bool Matches(string? presented) =>
        _token is not null && presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _token);

    static bool IsLoopbackHost(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) || host == "127.0.0.1" || host is "[::1]" or "::1";

    /// <summary>True when the browser says the request comes from this origin, or when it is not a browser (no headers).</summary>
    static bool IsSameOrigin(HttpRequest req)
    {
        var site = req.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0 && site is not ("same-origin" or "none")) return false;
        var origin = req.Headers.Origin.ToString();
        return origin.Length == 0 || string.Equals(origin, $"{req.Scheme}://{req.Host.Value}", StringComparison.OrdinalIgnoreCase);
    }

    static Task Refuse(HttpContext ctx, int status, string message)
    {
        ctx.Response.StatusCode = status;
        if (ctx.Request.Path.StartsWithSegments("/api"))
        {
            return ctx.Response.WriteAsJsonAsync(new { error = message });
        }
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        return ctx.Response.WriteAsync($"{status}: {message}\n");
    }

    /// <summary>A new random access token (256 bits, URL-safe hex).</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
