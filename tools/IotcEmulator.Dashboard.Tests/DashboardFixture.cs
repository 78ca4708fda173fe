using System.Collections.Concurrent;
using Microsoft.Playwright;
using nanoFramework.Iotc;
using Xunit;

namespace IotcEmulator.Dashboard.Tests;

/// <summary>One emulator (free loopback ports, temp data folder, access token on) and one headless Chromium for the
/// whole suite. Chromium comes from Debian's package; nothing is downloaded.</summary>
public sealed class DashboardFixture : IAsyncLifetime
{
    public EmulatorHost Emu { get; private set; } = null!;
    public IPlaywright Playwright { get; private set; } = null!;
    public IBrowser Browser { get; private set; } = null!;
    public ConcurrentQueue<string> Log { get; } = new();
    readonly string _dir = Path.Combine(Path.GetTempPath(), "iotc-dash-tests-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>The Chromium binary: <c>IOTC_CHROMIUM</c>, or Debian's <c>/usr/bin/chromium</c>.</summary>
    public static string ChromiumPath => Environment.GetEnvironmentVariable("IOTC_CHROMIUM") is { Length: > 0 } p ? p : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
            throw new InvalidOperationException($"Chromium not found at {ChromiumPath}: apt-get install chromium (or set IOTC_CHROMIUM)");
        Emu = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = _dir, DpsPort = 0, MqttPort = 0, DpsRetryAfterSeconds = 1, Log = Log.Enqueue });
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();

        // TLS stays validated: the fixture checks the emulator's certificate against its CA itself, then tells Chromium to
        // accept exactly that key (the development CA is not in the browser's trust store), instead of ignoring errors.
        string pin = await ValidatedServerKeyPinAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Timeout = 30_000,
            Args = new[] { "--ignore-certificate-errors-spki-list=" + pin },
        });
    }

    /// <summary>The base64 SHA-256 of the emulator certificate's public key, after a TLS handshake that validated it against the emulator's CA.</summary>
    async Task<string> ValidatedServerKeyPinAsync()
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("localhost", Emu.DpsPort);
        System.Security.Cryptography.X509Certificates.X509Certificate2? leaf = null;
        using var tls = new System.Net.Security.SslStream(tcp.GetStream(), false, (_, cert, _, _) =>
        {
            if (cert is null)
                return false;
            using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
            chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(Emu.CaCertificate);
            chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
            leaf = new System.Security.Cryptography.X509Certificates.X509Certificate2(cert);
            return chain.Build(leaf);
        });
        await tls.AuthenticateAsClientAsync("localhost");
        return Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(leaf!.PublicKey.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>A fresh browser context (no cookie yet); the emulator's key is pinned at launch (see InitializeAsync).</summary>
    public Task<IBrowserContext> NewContextAsync() =>
        Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });

    /// <summary>A page that opened the printed dashboard URL (token in the query, then in a cookie).</summary>
    public async Task<IPage> OpenDashboardAsync(IBrowserContext context, string hash = "")
    {
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(15_000);
        await page.GotoAsync(Emu.DashboardLoginUri.ToString());
        if (hash.Length > 0) await page.GotoAsync(Emu.DashboardUri + hash);
        await Assertions.Expect(page.Locator("#live")).ToHaveTextAsync("live");
        return page;
    }

    /// <summary>A connected SDK device and a dashboard page open on it.</summary>
    public async Task<DeviceView> OpenDeviceAsync(string prefix)
    {
        var id = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        var context = await NewContextAsync();
        var device = await PumpedDevice.ConnectAsync(Emu, id);
        var page = await OpenDashboardAsync(context, "#/device/" + id);
        await Assertions.Expect(page.Locator("#device-id")).ToHaveTextAsync(id);
        return new DeviceView(id, context, device, page);
    }

    /// <summary>Fills the named fields of a dashboard form (<c>input</c>, <c>textarea</c> or <c>select</c>) and submits it.</summary>
    public static async Task SubmitAsync(IPage page, string formId, params (string Name, string Value)[] fields)
    {
        foreach (var (name, value) in fields)
        {
            var field = page.Locator($"#{formId} [name={name}]");
            if (await field.EvaluateAsync<string>("e => e.tagName") == "SELECT") await field.SelectOptionAsync(value);
            else await field.FillAsync(value);
        }
        await page.ClickAsync($"#{formId} button[type=submit]");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        Playwright?.Dispose();
        if (Emu is not null) await Emu.DisposeAsync();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

/// <summary>What <see cref="DashboardFixture.OpenDeviceAsync"/> opened; disposing closes the page and the device.</summary>
public sealed record DeviceView(string Id, IBrowserContext Context, PumpedDevice Device, IPage Page) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        Device.Dispose();
    }
}

[CollectionDefinition("dashboard")]
public sealed class DashboardCollection : ICollectionFixture<DashboardFixture>;

/// <summary>
/// A real device: the SDK's .NET build against the emulator, its <c>DoNext()</c> pump on a background thread.
/// Everything that touches the device runs on that thread (the SDK is single-threaded); <see cref="Paused"/> stops the
/// pump so the test can observe what happens before the device answers.
/// </summary>
public sealed class PumpedDevice : IDisposable
{
    readonly Device _device;
    readonly Thread _thread;
    readonly ConcurrentQueue<Action<Device>> _actions = new();
    volatile bool _stop;

    public volatile bool Paused;
    public ConcurrentQueue<string> Received { get; } = new();
    public ConcurrentQueue<string> Settings { get; } = new();
    public string DeviceId { get; }

    PumpedDevice(Device device, string deviceId)
    {
        _device = device;
        DeviceId = deviceId;
        _thread = new Thread(Pump) { IsBackground = true, Name = "device " + deviceId };
    }

    public static async Task<PumpedDevice> ConnectAsync(EmulatorHost emu, string deviceId, string? modelId = null)
    {
        var enrollment = await emu.Operator.EnrollSymmetricKeyAsync(deviceId);
        var device = new Device(emu.IdScope, enrollment.PrimaryKey, deviceId, IotConnectType.SymmetricKey);
        device.SetServiceHost(emu.DpsEndpoint);
        device.SetHubPort(emu.MqttPort);
        device.SetRootCertificate(emu.CaCertificatePem);
        device.SetTimeouts(30, 10000);
        if (modelId is not null) device.SetModelId(modelId);
        var d = new PumpedDevice(device, deviceId);
        device.On(IotcEvents.Command, info => info.SetResponse(200, "{\"rebooted\":true,\"echo\":" + (string.IsNullOrEmpty(info.Payload) ? "null" : info.Payload) + "}"));
        device.On(IotcEvents.SettingsUpdated, info => { d.Settings.Enqueue(info.Tag + "=" + info.Payload); info.SetResponse(200, "completed"); });
        device.On(IotcEvents.MessageReceived, info => d.Received.Enqueue(info.Payload));
        await Task.Run(device.Connect);
        d._thread.Start();
        return d;
    }

    /// <summary>Runs <paramref name="action"/> on the pump thread (e.g. a send).</summary>
    public void Do(Action<Device> action) => _actions.Enqueue(action);

    void Pump()
    {
        while (!_stop)
        {
            if (!Paused)
            {
                while (_actions.TryDequeue(out var a)) a(_device);
                _device.DoNext();
            }
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join(5000);
        _device.Dispose();
    }
}
