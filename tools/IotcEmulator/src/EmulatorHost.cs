using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace IotcEmulator;

/// <summary>
/// A running emulator: DPS + operator REST API over HTTPS (Kestrel) and IoT Hub over MQTT/TLS (MQTTnet), with state in
/// SQLite. Start one with <see cref="StartAsync(EmulatorOptions, CancellationToken)"/>; dispose it to stop.
/// </summary>
public sealed class EmulatorHost : IAsyncDisposable
{
    readonly WebApplication _web;
    readonly HubService _hub;
    readonly Store _store;
    readonly CertificateSet _certs;
    readonly Action<string> _log;
    int _stopped;

    EmulatorHost(WebApplication web, HubService hub, Store store, CertificateSet certs, Action<string> log, EmulatorOperator op,
        string dataDirectory, string idScope, string hubHostName, int dpsPort, int mqttPort, EnrollmentInfo? demo, string? accessToken)
    {
        AccessToken = accessToken;
        _web = web;
        _hub = hub;
        _store = store;
        _certs = certs;
        _log = log;
        Operator = op;
        DataDirectory = dataDirectory;
        IdScope = idScope;
        HubHostName = hubHostName;
        DpsPort = dpsPort;
        MqttPort = mqttPort;
        DemoEnrollment = demo;
    }

    /// <summary>Operator API: enroll, devices, twins, commands, C2D, telemetry, fault injection.</summary>
    public EmulatorOperator Operator { get; }

    /// <summary>Full path of the data folder.</summary>
    public string DataDirectory { get; }

    /// <summary>DPS ID scope devices must use.</summary>
    public string IdScope { get; }

    /// <summary>Hub host name handed out by DPS and expected in MQTT user names and SAS resources.</summary>
    public string HubHostName { get; }

    /// <summary>The LAN address DPS and the hub listen on (e.g. <c>0.0.0.0</c>), or null in the default loopback-only mode.</summary>
    public string? BindAddress { get; private init; }

    /// <summary>Bound HTTPS port (DPS and <c>/api</c>).</summary>
    public int DpsPort { get; }

    /// <summary>Bound MQTT/TLS port.</summary>
    public int MqttPort { get; }

    /// <summary>DPS global endpoint host for device code, e.g. <c>localhost:8443</c>.</summary>
    public string DpsEndpoint => $"localhost:{DpsPort}";

    /// <summary>Base URI of the HTTPS listener, e.g. <c>https://localhost:8443/</c>.</summary>
    public Uri DpsBaseUri => new($"https://localhost:{DpsPort}/");

    /// <summary>Path of the development CA certificate (PEM) that clients must trust.</summary>
    public string CaCertificatePath => _certs.CaPemPath;

    /// <summary>The development CA certificate, PEM text.</summary>
    public string CaCertificatePem => _certs.CaPem;

    /// <summary>The development CA certificate (public part only).</summary>
    public X509Certificate2 CaCertificate => _certs.Ca;

    /// <summary>The token the dashboard and the operator API require (send it as <c>X-Iotc-Token</c> or
    /// <c>Authorization: Bearer</c>), or null when <see cref="EmulatorOptions.RequireAccessToken"/> is false.</summary>
    public string? AccessToken { get; }

    /// <summary>The dashboard, e.g. <c>https://localhost:8443/dashboard/</c> (without the token).</summary>
    public Uri DashboardUri => new($"https://localhost:{DpsPort}/dashboard/");

    /// <summary>The dashboard URL to open first: it carries the token, which the page then keeps in a cookie.</summary>
    public Uri DashboardLoginUri => AccessToken is null ? DashboardUri : new($"https://localhost:{DpsPort}/dashboard/?token={AccessToken}");

    /// <summary>The demo individual enrollment (symmetric key), or null when disabled.</summary>
    public EnrollmentInfo? DemoEnrollment { get; }

    /// <summary>Starts the emulator. Ports 0 pick free ports (read <see cref="DpsPort"/>/<see cref="MqttPort"/>).</summary>
    public static async Task<EmulatorHost> StartAsync(EmulatorOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new EmulatorOptions();
        var log = options.Log ?? (line => Console.WriteLine($"{DateTime.Now:HH:mm:ss.fff} {line}"));
        var dataDir = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDir);
        var hubHost = string.IsNullOrWhiteSpace(options.HubHostName) ? "localhost" : options.HubHostName.Trim();

        IPAddress? bind = null;
        if (!string.IsNullOrWhiteSpace(options.BindAddress))
        {
            if (!IPAddress.TryParse(options.BindAddress.Trim(), out bind) || bind.AddressFamily != AddressFamily.InterNetwork)
                throw new ArgumentException($"bind address '{options.BindAddress}' is not an IPv4 address (e.g. 0.0.0.0 or 192.168.1.10)", nameof(options));
            if (bind.Equals(IPAddress.Loopback)) bind = null; // the default; other 127.x addresses count as a specific address (tests use one)
        }
        var names = new List<string> { hubHost };
        if (bind is not null && !bind.Equals(IPAddress.Any)) names.Add(bind.ToString());
        names.AddRange(options.CertificateNames.Where(n => !string.IsNullOrWhiteSpace(n)).Select(n => n.Trim()));
        var certDir = Path.GetFullPath(options.CertificateDirectory ?? dataDir);
        var certs = CertificateSet.LoadOrCreate(certDir, names);
        log(certs.Created ? $"tls: created development CA and server certificate in {certDir}" : $"tls: using the development CA in {certDir}");
        var store = new Store(Path.Combine(dataDir, "emulator.db"), log);
        var idScope = options.IdScope ?? store.Meta.Get("idScope");
        if (idScope is null)
        {
            idScope = "0ne" + Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
            store.Meta.Set("idScope", idScope);
        }

        EnrollmentInfo? demo = null;
        if (options.CreateDemoEnrollment)
        {
            demo = store.Enrollments.List(options.DemoRegistrationId, group: false).FirstOrDefault();
            if (demo is null)
            {
                demo = new EnrollmentInfo(options.DemoRegistrationId, false, AttestationKind.SymmetricKey, SasHelper.NewKey(), SasHelper.NewKey(), null, null, DateTimeOffset.UtcNow);
                store.Enrollments.Upsert(demo);
            }
        }

        var ipv6 = bind is null && options.ListenIPv6 && Ports.HasIPv6Loopback();
        if (bind is not null)
            log($"WARNING: LAN mode: DPS and the hub listen on {bind} and are reachable from the network; devices still need their keys or certificates, and the dashboard and /api answer on localhost only");
        var faults = new Faults();
        var holder = new X509Certificate2Holder(certs.Server);
        HubService? hub = null;
        WebApplication? web = null;
        try
        {
            string IdScopeNow() => idScope;
            var dps = new DpsService(store, faults, log, IdScopeNow, hubHost, options.DpsRetryAfterSeconds);
            var mqttPort = options.MqttPort;
            for (var attempt = 0; ; attempt++)
            {
                var port = mqttPort == 0 ? Ports.FindFree(ipv6) : mqttPort;
                hub = new HubService(store, faults, log, hubHost, holder, bind ?? IPAddress.Loopback, ipv6 ? IPAddress.IPv6Loopback : IPAddress.None, port, dps);
                try
                {
                    await hub.StartAsync().ConfigureAwait(false);
                    break;
                }
                catch (SocketException) when (mqttPort == 0 && attempt < 5)
                {
                    await hub.DisposeAsync().ConfigureAwait(false); // a racing process took the probed port: try another
                }
                catch (SocketException ex) when (mqttPort != 0 && ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
                {
                    throw new PortInUseException(mqttPort, "MQTT (hub)", "--mqtt-port", ex);
                }
            }
            var op = new EmulatorOperator(store, hub, faults, log, hubHost);
            var token = options.RequireAccessToken ? options.AccessToken ?? AccessControl.NewToken() : null;
            WriteTokenFile(dataDir, token);
            var dashboard = new DashboardWiring(new AccessControl(token), new DashboardStats(store), token);

            var dpsPort = options.DpsPort;
            for (var attempt = 0; ; attempt++)
            {
                var port = dpsPort == 0 ? Ports.FindFree(ipv6) : dpsPort;
                web = BuildWeb(dataDir, port, ipv6, bind, certs.Server, dps, op, dashboard, () => new { idScope, hubHostName = hubHost, dpsPort = port, mqttPort = hub.Port, caCertificatePath = certs.CaPemPath, dpsEndpoint = $"{hubHost}:{port}" });
                try
                {
                    await web.StartAsync(cancellationToken).ConfigureAwait(false);
                    dpsPort = port;
                    break;
                }
                catch (IOException) when (dpsPort == 0 && attempt < 5)
                {
                    await web.DisposeAsync().ConfigureAwait(false);
                }
                catch (IOException ex) when (dpsPort != 0 && ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException or SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse })
                {
                    throw new PortInUseException(dpsPort, "HTTPS (DPS, operator API, dashboard)", "--dps-port", ex);
                }
            }
            var host = new EmulatorHost(web, hub, store, certs, log, op, dataDir, idScope, hubHost, dpsPort, hub.Port, demo, token) { BindAddress = bind?.ToString() };
            log($"emulator: DPS https://localhost:{dpsPort} (ID scope {idScope}), hub mqtts://{hubHost}:{hub.Port}, dashboard {host.DashboardUri}{(token is null ? " (no access token)" : "")}, data {dataDir}");
            return host;
        }
        catch
        {
            if (web is not null) await web.DisposeAsync().ConfigureAwait(false);
            if (hub is not null) await hub.DisposeAsync().ConfigureAwait(false);
            await store.DisposeAsync().ConfigureAwait(false);
            certs.Dispose();
            throw;
        }
    }

    static WebApplication BuildWeb(string dataDir, int port, bool ipv6, IPAddress? bind, X509Certificate2 cert, DpsService dps, EmulatorOperator op, DashboardWiring dashboard, Func<object> info)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = dataDir, EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        // The default console lifetime would take over Ctrl+C/SIGTERM of whatever process embeds us; the CLI handles signals itself.
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, NoSignalLifetime>();
        builder.WebHost.UseUrls();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            // Bounded request bodies (Kestrel answers 413 beyond): DPS registrations and operator calls are small.
            k.Limits.MaxRequestBodySize = Limits.ApiBodyBytes;
            void Https(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions l) => l.UseHttps(h =>
            {
                h.ServerCertificate = cert;
                h.SslProtocols = System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13;
                // X.509 devices present a certificate to DPS; it is checked against enrollments in DpsService, so the
                // TLS layer takes whatever is offered (device certificates chain to the user's own CA, not to a public root).
                h.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                h.ClientCertificateValidation = static (cert, chain, _) => ClientCertificates.RememberPresented(cert, chain);
            });
            if (bind is null || !bind.Equals(IPAddress.Any)) k.Listen(IPAddress.Loopback, port, Https);
            if (bind is not null) k.Listen(bind, port, Https);
            if (ipv6) k.Listen(IPAddress.IPv6Loopback, port, Https);
        });
        var app = builder.Build();
        app.Use(dashboard.Access.InvokeAsync);
        app.MapPut("/{idScope}/registrations/{registrationId}/register", (Microsoft.AspNetCore.Http.HttpContext ctx, string idScope, string registrationId) => dps.RegisterAsync(ctx, idScope, registrationId));
        app.MapGet("/{idScope}/registrations/{registrationId}/operations/{operationId}", (Microsoft.AspNetCore.Http.HttpContext ctx, string idScope, string registrationId, string operationId) => dps.Operation_(ctx, idScope, registrationId, operationId));
        RestApi.Map(app, op, info);
        Dashboard.Map(app, op, dashboard.Stats, dashboard.Token);
        return app;
    }

    sealed record DashboardWiring(AccessControl Access, DashboardStats Stats, string? Token);

    /// <summary>Writes (or removes) <c>access-token</c> in the data folder, readable by this user only: the CLI reads it
    /// like it reads <c>ca.pem</c>. Anyone who can read the data folder can read the CA key too.</summary>
    static void WriteTokenFile(string dataDir, string? token)
    {
        var path = Path.Combine(dataDir, "access-token");
        if (token is null)
        {
            File.Delete(path);
            return;
        }
        File.Delete(path);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using var f = new FileStream(path, options);
        f.Write(System.Text.Encoding.ASCII.GetBytes(token));
    }

    /// <summary>Stops both servers and flushes pending telemetry to SQLite. Safe to call twice.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        try { await _web.StopAsync().ConfigureAwait(false); } catch (Exception ex) { _log($"emulator: stopping HTTPS: {ex.Message}"); }
        await _web.DisposeAsync().ConfigureAwait(false);
        await _hub.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        _certs.Dispose();
        _log("emulator: stopped");
    }

    /// <inheritdoc cref="StopAsync"/>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
