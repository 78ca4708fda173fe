namespace IotcEmulator;

/// <summary>Settings for <see cref="EmulatorHost.StartAsync(EmulatorOptions, CancellationToken)"/>. All have working defaults.</summary>
public sealed class EmulatorOptions
{
    /// <summary>Folder for the SQLite database and the CA/server certificates. Default <c>./.iotc-emulator</c>.</summary>
    public string DataDirectory { get; set; } = Path.Combine(Environment.CurrentDirectory, ".iotc-emulator");

    /// <summary>Folder for the development CA and the server certificate. Default null: <see cref="DataDirectory"/>.
    /// Point several short-lived data folders at one certificate folder (e.g. <see cref="UserCertificateDirectory"/>) so
    /// that a CA trusted once stays valid across runs.</summary>
    public string? CertificateDirectory { get; set; }

    /// <summary>This user's certificate folder, the same on every run: <c>iotc-emulator</c> under the local application
    /// data folder (<c>~/.local/share/iotc-emulator</c> on Linux, <c>%LOCALAPPDATA%\iotc-emulator</c> on Windows).</summary>
    public static string UserCertificateDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "iotc-emulator");

    /// <summary>HTTPS port for DPS and the operator REST API. Default 8443; 0 picks a free port.</summary>
    public int DpsPort { get; set; } = 8443;

    /// <summary>MQTT-over-TLS port for the hub. Default 8883; 0 picks a free port.</summary>
    public int MqttPort { get; set; } = 8883;

    /// <summary>Host name DPS hands out as <c>assignedHub</c> and that devices put in user names and tokens. Default <c>localhost</c>.</summary>
    public string HubHostName { get; set; } = "localhost";

    /// <summary>DPS ID scope. Default: one generated on first start and kept in the data folder.</summary>
    public string? IdScope { get; set; }

    /// <summary>Address DPS and the hub listen on. Default null: loopback only (127.0.0.1, and ::1 with
    /// <see cref="ListenIPv6"/>). <c>0.0.0.0</c> (every IPv4 interface) or one interface's address makes them reachable
    /// from the network, for a board on the desk (LAN mode); then set <see cref="HubHostName"/> to the name or address
    /// the board uses. Devices still authenticate as always; the dashboard and <c>/api</c> keep answering on localhost only.</summary>
    public string? BindAddress { get; set; }

    /// <summary>More host names or IP addresses the TLS server certificate must cover (besides localhost, 127.0.0.1,
    /// ::1, <see cref="HubHostName"/> and a specific <see cref="BindAddress"/>): the names devices will connect to.</summary>
    public IList<string> CertificateNames { get; } = new List<string>();

    /// <summary>Also listen on <c>::1</c> (when the OS has IPv6). Default true; not used in LAN mode.</summary>
    public bool ListenIPv6 { get; set; } = true;

    /// <summary>Create (once) and keep an individual symmetric-key enrollment named <see cref="DemoRegistrationId"/>. Default true.</summary>
    public bool CreateDemoEnrollment { get; set; } = true;

    /// <summary>Registration id of the demo enrollment. Default <c>demo-device</c>.</summary>
    public string DemoRegistrationId { get; set; } = "demo-device";

    /// <summary>Seconds sent in DPS <c>Retry-After</c> while assigning. Default 3, as Azure sends.</summary>
    public int DpsRetryAfterSeconds { get; set; } = 3;

    /// <summary>Require the access token for the dashboard and the operator API (<c>/api</c>). Default true; false is
    /// the CLI's <c>--no-auth</c>, for local demos. DPS and the hub never use it (devices authenticate themselves).</summary>
    public bool RequireAccessToken { get; set; } = true;

    /// <summary>The access token to require. Default null: a new random one on every start
    /// (<see cref="EmulatorHost.AccessToken"/>, also written to <c>access-token</c> in the data folder for the CLI).</summary>
    public string? AccessToken { get; set; }

    /// <summary>Where log lines go. Default: standard output with a timestamp. Lines never contain keys or signatures.</summary>
    public Action<string>? Log { get; set; }
}
