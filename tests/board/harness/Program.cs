// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Board suite host: emulator in process, device program on the networked nanoCLR, assertions on what the emulator
// received. Usage (tests/board/run.sh passes these):
//   BoardHarness --nanoclr <exe> --mdp <MetadataProcessor.dll> --managed <dir> --corelib <dir> --repo <root> [--messages N]
// Prints one line per case ("board: <case> passed|failed: why"), the device's facts, and "N passed, M failed".
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using IotcEmulator;

var opt = new Dictionary<string, string>();
for (int i = 0; i + 1 < args.Length; i += 2) opt[args[i].TrimStart('-')] = args[i + 1];
string nanoclr = opt["nanoclr"], mdp = opt["mdp"], managed = opt["managed"], corelib = opt["corelib"], repo = opt["repo"];
int messages = opt.TryGetValue("messages", out var m) ? int.Parse(m) : 1000;
// For debugging: the SDK's own log lines in the log file (--sdk-log 1), one device case only (--only NAME).
bool sdkLog = opt.GetValueOrDefault("sdk-log") == "1";
string only = opt.GetValueOrDefault("only") ?? "";
int timeoutSeconds = opt.TryGetValue("timeout", out var t) ? int.Parse(t) : 900;
var work = Directory.CreateTempSubdirectory("iotc-board-").FullName;
var logPath = opt.TryGetValue("log", out var lp) ? lp : Path.Combine(work, "board.log");
var log = new ConcurrentQueue<(DateTimeOffset At, string Line)>();
var logFile = new StreamWriter(logPath) { AutoFlush = true };
bool logClosed = false;
void Log(string line)
{
    log.Enqueue((DateTimeOffset.UtcNow, line));
    // The emulator logs its own stop, also after the log file was closed and deleted on success.
    lock (logFile) if (!logClosed) logFile.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}");
}

const int RetryAfter = 1, AssigningPolls = 2;
await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions
{
    DataDirectory = Path.Combine(work, "emulator"),
    DpsPort = 0,
    MqttPort = 0,
    CreateDemoEnrollment = false,
    DpsRetryAfterSeconds = RetryAfter,
    Log = Log,
});
var op = emu.Operator;

// The suite's devices. Keys and private keys go only into the generated config (in the temp folder), never to output.
string sasId = "board-sas", renewId = "board-renew", renewC2dId = "board-renewc2d", stallId = "board-stall", wrongId = "board-wrongkey", certId = "board-certrefused", x509Id = "board-x509";
var sas = await op.EnrollSymmetricKeyAsync(sasId);
var renew = await op.EnrollSymmetricKeyAsync(renewId);
var renewC2d = await op.EnrollSymmetricKeyAsync(renewC2dId);
var stall = await op.EnrollSymmetricKeyAsync(stallId);
await op.EnrollSymmetricKeyAsync(wrongId);
await op.EnrollSymmetricKeyAsync(certId);
using var deviceKey = RSA.Create(2048);
var deviceReq = new CertificateRequest("CN=" + x509Id, deviceKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
using var deviceCert = deviceReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
await op.EnrollX509Async(x509Id, deviceCert.Thumbprint);
// A device whose certificate is enrolled but whose private key is another one's (well-formed, mismatched).
string mismatchId = "board-x509-mismatch";
using var mismatchKey = RSA.Create(2048);
using var mismatchCert = new CertificateRequest("CN=" + mismatchId, mismatchKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
    .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
await op.EnrollX509Async(mismatchId, mismatchCert.Thumbprint);
using var otherCaKey = RSA.Create(2048);
var otherReq = new CertificateRequest("CN=Not the emulator CA", otherCaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
otherReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
using var otherCa = otherReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
op.KeepDpsAssigning(AssigningPolls);

// A silent DPS: a TLS server for "localhost" (its own CA) that reads the request and never answers.
using var silentCaKey = RSA.Create(2048);
var silentCaReq = new CertificateRequest("CN=Silent test CA", silentCaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
silentCaReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
silentCaReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
using var silentCa = silentCaReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
using var silentKey = RSA.Create(2048);
var silentReq = new CertificateRequest("CN=localhost", silentKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
var san = new SubjectAlternativeNameBuilder();
san.AddDnsName("localhost");
san.AddIpAddress(System.Net.IPAddress.Loopback);
silentReq.CertificateExtensions.Add(san.Build());
silentReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
using var silentIssued = silentReq.Create(silentCa, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), RandomNumberGenerator.GetBytes(8));
using var silentCert = X509CertificateLoader.LoadPkcs12(silentIssued.CopyWithPrivateKey(silentKey).Export(X509ContentType.Pfx), null);
var silentListener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
silentListener.Start();
int silentPort = ((System.Net.IPEndPoint)silentListener.LocalEndpoint).Port;
var silentRequests = new ConcurrentQueue<string>();
var silentHeld = new ConcurrentBag<IDisposable>();
_ = Task.Run(async () =>
{
    while (true)
    {
        System.Net.Sockets.TcpClient client;
        try { client = await silentListener.AcceptTcpClientAsync(); } catch (Exception) { return; }
        silentHeld.Add(client);
        _ = Task.Run(async () =>
        {
            try
            {
                var tls = new System.Net.Security.SslStream(client.GetStream());
                silentHeld.Add(tls);
                await tls.AuthenticateAsServerAsync(silentCert);
                var buffer = new byte[4096];
                int n = await tls.ReadAsync(buffer);
                var text = Encoding.UTF8.GetString(buffer, 0, n);
                silentRequests.Enqueue(text.Split("\r\n")[0]);
                Log("silent-dps: got '" + text.Split("\r\n")[0] + "', not answering");
                while (await tls.ReadAsync(buffer) > 0) { }
            }
            catch (Exception ex) { Log("silent-dps: " + ex.GetType().Name + ": " + ex.Message); }
        });
    }
});

// The device's "go" channel: a plain socket it waits on (without pumping) until the harness writes one byte.
var signalListener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
signalListener.Start();
int signalPort = ((System.Net.IPEndPoint)signalListener.LocalEndpoint).Port;
// C2D during a token renewal: 48 messages of 4,000 bytes (the inbox holds 64 KB, so 16 wait there, one in M2Mqtt's
// dispatch thread, the rest in M2Mqtt's queue; IoT Hub keeps at most 50 pending per device). 15 s token: renewal at 12 s.
const int RenewC2dMessages = 48, RenewC2dBytes = 4000, RenewC2dTokenSeconds = 15;

// Certificate chains mbedTLS is given by a server (board case tls-chains): a root the device trusts, an intermediate CA,
// and TLS servers on loopback, each presenting one leaf for "localhost" (its own port), with or without the intermediate.
using var chainRootKey = RSA.Create(2048);
var chainRootReq = new CertificateRequest("CN=Chain test root", chainRootKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
chainRootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
chainRootReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
using var chainRoot = chainRootReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(60));
using var chainIntKey = RSA.Create(2048);
var chainIntReq = new CertificateRequest("CN=Chain test intermediate", chainIntKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
chainIntReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
chainIntReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
using var chainIntPublic = chainIntReq.Create(chainRoot, DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(59), RandomNumberGenerator.GetBytes(8));
using var chainInt = chainIntPublic.CopyWithPrivateKey(chainIntKey);
X509Certificate2 ChainLeaf(X509Certificate2 issuer, string? eku)
{
    using var key = RSA.Create(2048);
    var req = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    var names = new SubjectAlternativeNameBuilder();
    names.AddDnsName("localhost");
    req.CertificateExtensions.Add(names.Build());
    if (eku != null) req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(eku)], false));
    using var issued = req.Create(issuer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
    return X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(key).Export(X509ContentType.Pfx), null);
}
const string ServerAuth = "1.3.6.1.5.5.7.3.1", ClientAuth = "1.3.6.1.5.5.7.3.2";
// name -> (leaf, send the intermediate along)
var chainServers = new (string Name, X509Certificate2 Leaf, bool SendIntermediate)[]
{
    ("leaf-intermediate", ChainLeaf(chainInt, ServerAuth), true),
    ("leaf-only", ChainLeaf(chainInt, ServerAuth), false),
    ("client-auth-eku", ChainLeaf(chainRoot, ClientAuth), false),
    ("no-eku", ChainLeaf(chainRoot, null), false),
};
var chainResults = new ConcurrentDictionary<string, string>();
var chainPorts = new Dictionary<string, int>();
var chainListeners = new List<System.Net.Sockets.TcpListener>();
foreach (var (name, leaf, sendIntermediate) in chainServers)
{
    var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    chainListeners.Add(listener);
    chainPorts[name] = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    // offline: no AIA fetching; the extra certificates are what the server sends after its leaf.
    var context = System.Net.Security.SslStreamCertificateContext.Create(leaf,
        sendIntermediate ? new X509Certificate2Collection(chainIntPublic) : new X509Certificate2Collection(), offline: true);
    _ = Task.Run(async () =>
    {
        while (true)
        {
            System.Net.Sockets.TcpClient client;
            try { client = await listener.AcceptTcpClientAsync(); } catch (Exception) { return; }
            using (client)
            {
                try
                {
                    using var tls = new System.Net.Security.SslStream(client.GetStream());
                    await tls.AuthenticateAsServerAsync(new System.Net.Security.SslServerAuthenticationOptions { ServerCertificateContext = context });
                    var buffer = new byte[16];
                    int n = await tls.ReadAsync(buffer);
                    chainResults[name] = "handshake done, read " + n + " byte(s)";
                    await tls.WriteAsync(new byte[] { (byte)'k' });
                }
                catch (Exception ex) { chainResults.TryAdd(name, "server: " + ex.GetType().Name); }
            }
        }
    });
}

static string Lit(string s) => "@\"" + s.Replace("\"", "\"\"") + "\"";
var wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
var config = $$"""
    namespace Iotc.BoardSuite
    {
        internal static class BoardConfig
        {
            internal const string IdScope = {{Lit(emu.IdScope)}};
            internal const string DpsHost = {{Lit(emu.DpsEndpoint)}};
            internal const int HubPort = {{emu.MqttPort}};
            internal const string CaPem = {{Lit(emu.CaCertificatePem)}};
            internal const string OtherCaPem = {{Lit(otherCa.ExportCertificatePem())}};
            internal const string SasDeviceId = {{Lit(sasId)}};
            internal const string SasKey = {{Lit(sas.PrimaryKey!)}};
            internal const string CertRefusedDeviceId = {{Lit(certId)}};
            internal const string WrongKeyDeviceId = {{Lit(wrongId)}};
            internal const string WrongKey = {{Lit(wrongKey)}};
            internal const string RenewDeviceId = {{Lit(renewId)}};
            internal const string RenewKey = {{Lit(renew.PrimaryKey!)}};
            internal const string StallDeviceId = {{Lit(stallId)}};
            internal const string RenewC2dDeviceId = {{Lit(renewC2dId)}};
            internal const string RenewC2dKey = {{Lit(renewC2d.PrimaryKey!)}};
            internal const int RenewC2dMessages = {{RenewC2dMessages}};
            internal const int RenewC2dTokenSeconds = {{RenewC2dTokenSeconds}};
            internal const int SignalPort = {{signalPort}};
            internal const string ChainRootPem = {{Lit(chainRoot.ExportCertificatePem())}};
            internal static readonly string[] ChainCases = new string[] { {{string.Join(", ", chainServers.Select(c => Lit(c.Name)))}} };
            internal static readonly int[] ChainPorts = new int[] { {{string.Join(", ", chainServers.Select(c => chainPorts[c.Name]))}} };
            internal const string SilentDeviceId = "board-silent";
            internal const int SilentPort = {{silentPort}};
            internal const string SilentCaPem = {{Lit(silentCa.ExportCertificatePem())}};
            internal const string StallKey = {{Lit(stall.PrimaryKey!)}};
            internal const string X509DeviceId = {{Lit(x509Id)}};
            internal const string X509CertPem = {{Lit(deviceCert.ExportCertificatePem())}};
            internal const string X509KeyPem = {{Lit(deviceKey.ExportRSAPrivateKeyPem())}};
            internal const string MismatchDeviceId = {{Lit(mismatchId)}};
            internal const string MismatchCertPem = {{Lit(mismatchCert.ExportCertificatePem())}};
            internal const int Messages = {{messages}};
            internal const bool SdkLog = {{(sdkLog ? "true" : "false")}};
            internal const string Only = {{Lit(only)}};
        }
    }
    """;
var configPath = Path.Combine(work, "BoardConfig.cs");
File.WriteAllText(configPath, config);

// Build the device program for this emulator and convert everything to .pe.
var bin = Path.Combine(work, "bin");
Run("dotnet", ["build", Path.Combine(repo, "tests/board/device/BoardSuite.csproj"), "-c", "Release", "-nologo", "-v:q",
    "-p:NfManaged=" + managed, "-p:BoardConfig=" + configPath, "-p:BaseIntermediateOutputPath=" + Path.Combine(work, "obj") + "/",
    "-o", bin], "device build");
string[] managedOrder = ["nanoFramework.Runtime.Events", "nanoFramework.System.Collections", "nanoFramework.System.Text",
    "System.Threading", "nanoFramework.Runtime.Native", "System.IO.Streams", "System.Net", "nanoFramework.M2Mqtt.Core", "nanoFramework.M2Mqtt"];
var hints = new List<string> { "-loadHints", "mscorlib", Path.Combine(corelib, "mscorlib.dll") };
foreach (var a in managedOrder) hints.AddRange(["-loadHints", a, Path.Combine(managed, a + ".dll")]);
hints.AddRange(["-loadHints", "nanoFramework.Iotc", Path.Combine(bin, "nanoFramework.Iotc.dll")]);
foreach (var a in new[] { "nanoFramework.Iotc", "BoardSuite" })
{
    var pe = Path.Combine(bin, a + ".pe");
    Run("dotnet", [mdp, .. hints, "-parse", Path.Combine(bin, a + ".dll"), "-compile", pe, "false"], "MetadataProcessor " + a);
    if (!File.Exists(pe)) Fail("MetadataProcessor wrote no " + pe);
}
Console.WriteLine($"board: nanoFramework.Iotc.pe (with Board/) {new FileInfo(Path.Combine(bin, "nanoFramework.Iotc.pe")).Length:N0} B");

// Run the device program; act on its "@ready" lines.
var psi = new ProcessStartInfo(nanoclr) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
psi.ArgumentList.Add(Path.Combine(corelib, "mscorlib.pe"));
foreach (var a in managedOrder) psi.ArgumentList.Add(Path.Combine(managed, a + ".pe"));
psi.ArgumentList.Add(Path.Combine(bin, "nanoFramework.Iotc.pe"));
psi.ArgumentList.Add(Path.Combine(bin, "BoardSuite.pe"));
psi.Environment["TZ"] = "UTC";
var device = new List<string>();
var facts = new Dictionary<string, string>();
long desiredVersion = -1;
Task<CommandResult>? command = null;
long c2dId = -1;
int inFlightAtDrop = 0;
long bigC2dId = -1;
int renewC2dCompletedAtGo = -1;
// 6,000 bytes of text with 2- and 3-byte UTF-8 characters (10 bytes a piece), so a byte/char mix-up shows.
string BigC2d = string.Concat(Enumerable.Repeat("abcd\u00e9\u20ac-", 600));
static bool IsDrop(TelemetryMessage x) => x.Properties.TryGetValue("case", out var c) && c == "drop";
// Polls the emulator until a condition holds (at most 30 s, a safety net; the suite waits for conditions, not time).
static async Task<int> WaitForAsync(Func<Task<int>> read, Func<int, bool> done)
{
    int value = await read();
    for (int i = 0; i < 600 && !done(value); i++) { await Task.Delay(50); value = await read(); }
    return value;
}
var started = Stopwatch.StartNew();
using var proc = Process.Start(psi)!;
proc.ErrorDataReceived += (_, e) => { if (e.Data != null) Log("nanoclr stderr: " + e.Data); };
proc.BeginErrorReadLine();
using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
try
{
    while (await proc.StandardOutput.ReadLineAsync(cts.Token) is { } raw)
    {
        var line = raw.TrimEnd('\r');
        Log("device: " + line);
        if (!line.StartsWith('@')) continue;
        device.Add(line);
        var parts = line.Split(' ', 3);
        switch (parts[0])
        {
            case "@fact": facts[parts[1]] = parts.Length > 2 ? parts[2] : ""; break;
            case "@ready" when parts[1] == "setting":
                desiredVersion = await op.SetDesiredPropertiesAsync(sasId, "{\"fanSpeed\":3}");
                break;
            case "@ready" when parts[1] == "command":
                command = op.InvokeCommandAsync(sasId, "echo", "{\"n\":7}", TimeSpan.FromSeconds(60));
                break;
            case "@ready" when parts[1] == "c2d":
                c2dId = await op.SendC2dAsync(sasId, "hello-c2d", new Dictionary<string, string?> { ["kind"] = "greeting" });
                break;
            case "@ready" when parts[1] == "withhold":
                op.WithholdPubAcks(sasId, true);
                await op.SendC2dAsync(sasId, "go", new Dictionary<string, string?> { ["kind"] = "go" });
                break;
            case "@ready" when parts[1] == "stall":
                op.WithholdPubAcks(stallId, true);
                await op.SendC2dAsync(stallId, "go", new Dictionary<string, string?> { ["kind"] = "go" });
                break;
            case "@ready" when parts[1] == "unstall":
                op.WithholdPubAcks(stallId, false);
                break;
            case "@ready" when parts[1] == "refuse":
                op.RefuseConnects(TimeSpan.FromSeconds(2));
                if (!await op.DropConnectionAsync(stallId)) Log("harness: drop found no connection");
                break;
            case "@ready" when parts[1] == "c2d-renewal":
            {
                var accept = signalListener.AcceptTcpClientAsync();
                for (int i = 0; i < RenewC2dMessages; i++)
                    await op.SendC2dAsync(renewC2dId, ("renew-" + i + "-").PadRight(RenewC2dBytes, 'x'),
                        new Dictionary<string, string?> { ["kind"] = "renew", ["seq"] = i.ToString() });
                // Every one acknowledged by M2Mqtt (completed on the hub) while the device pumps nothing.
                renewC2dCompletedAtGo = await WaitForAsync(async () => (await op.ListC2dAsync(renewC2dId)).Count(x => x.State == "completed"), n => n >= RenewC2dMessages);
                using var go = await accept;
                go.GetStream().WriteByte(1);
                break;
            }
            case "@ready" when parts[1] == "c2d-renewal-end":
                await op.SendC2dAsync(renewC2dId, "end", new Dictionary<string, string?> { ["kind"] = "renew-end" });
                break;
            case "@ready" when parts[1] == "bigc2d":
                bigC2dId = await op.SendC2dAsync(stallId, BigC2d, new Dictionary<string, string?> { ["kind"] = "big" });
                break;
            case "@ready" when parts[1] == "drop":
                // The in-flight window (8) has reached the hub unacknowledged; then the link goes, PUBACKs come back.
                inFlightAtDrop = await WaitForAsync(async () => (await op.GetTelemetryAsync(sasId, 0, 100000)).Count(IsDrop), n => n >= 8);
                op.WithholdPubAcks(sasId, false);
                if (!await op.DropConnectionAsync(sasId)) Log("harness: drop found no connection");
                break;
        }
        if (line == "@end") break;
    }
}
catch (OperationCanceledException)
{
    Log($"harness: the device program did not finish within {timeoutSeconds} s");
}
if (!proc.WaitForExit(30000)) { proc.Kill(true); Log("harness: nanoCLR killed"); }
Console.WriteLine($"board: device program ran {started.Elapsed.TotalSeconds:0.0} s (nanoCLR exit {(proc.HasExited ? proc.ExitCode : -1)})");
foreach (var e in logLines0().Where(l => l.Line.StartsWith("nanoclr stderr: ", StringComparison.Ordinal)).Take(5)) Console.WriteLine("board: " + e.Line);
(DateTimeOffset At, string Line)[] logLines0() => log.ToArray();

// ---- assertions: what the emulator received ----
int passed = 0, failed = 0;
void Case(string name, bool ok, string why)
{
    if (ok) passed++; else failed++;
    Console.WriteLine($"board: {name} {(ok ? "passed" : "failed")}: {why}");
}
string? Done(string what) => device.FirstOrDefault(l => l.StartsWith("@done " + what + " ", StringComparison.Ordinal) || l == "@done " + what);
string[] DoneArgs(string what) => (Done(what) ?? "").Split(' ').Skip(2).ToArray();
foreach (var f in device.Where(l => l.StartsWith("@fail ", StringComparison.Ordinal))) Console.WriteLine("board: device reported " + f);
var logLines = log.ToArray();
bool LogHas(string text) => logLines.Any(l => l.Line.Contains(text, StringComparison.Ordinal));

// The program ran to its end and nanoCLR exited cleanly (a crash after the last case still counts).
int exitCode = proc.HasExited ? proc.ExitCode : -1;
Case("program-finished", device.Contains("@end") && exitCode == 0 && !device.Any(l => l.StartsWith("@fail ", StringComparison.Ordinal)),
    $"@end {(device.Contains("@end") ? "printed" : "missing")}, nanoCLR exit {exitCode}, {device.Count(l => l.StartsWith("@fail ", StringComparison.Ordinal))} @fail line(s)");

// The server certificate refused: the device failed with a network (TLS) error, and DPS never saw a request from it.
var cert = DoneArgs("server-cert-refused");
var dpsSawCert = logLines.Any(l => l.Line.StartsWith("dps: ", StringComparison.Ordinal) && l.Line.Contains("'" + certId + "'", StringComparison.Ordinal));
Case("server-cert-refused", cert.Length > 0 && cert[0] == "-1" && !dpsSawCert,
    cert.Length == 0 ? "no result from the device" : $"device status {cert[0]} (network/TLS error); DPS saw {(dpsSawCert ? "a request" : "no request")} from it");

// A wrong key: DPS refuses with 401 (logged with its reason), the device reports 401 and gives up.
var wrong = DoneArgs("wrong-key");
Case("wrong-key-refused", wrong.Length > 0 && wrong[0] == "401" && LogHas("dps: unauthorized '" + wrongId + "'") && !LogHas("registration of '" + wrongId),
    wrong.Length == 0 ? "no result from the device" : $"device status {wrong[0]} (last ConnectionStatus {wrong.ElementAtOrDefault(1)}); DPS logged {(LogHas("dps: unauthorized") ? "a 401 refusal" : "no refusal")}");

// A DPS that never answers: the device gives up with a network error once its 2 s time-out has passed.
var silent = DoneArgs("silent-dps");
var silentRequest = silentRequests.FirstOrDefault() ?? "";
Case("silent-dps-timeout", silent.Length > 1 && silent[0] == "-1" && int.Parse(silent[1]) >= 2000
        && silentRequest.StartsWith("PUT /" + emu.IdScope + "/registrations/board-silent/register", StringComparison.Ordinal),
    silent.Length == 0 ? "no result from the device (it hung?)" : $"the silent server got '{silentRequest}'; device status {silent[0]} after {silent.ElementAtOrDefault(1)} ms (time-out 2,000 ms)");
silentListener.Stop();
signalListener.Stop();
foreach (var h in silentHeld) h.Dispose();

// DPS register + poll: accepted, "assigning" for AssigningPolls polls, then assigned; the polls honour Retry-After.
var accepted = logLines.FirstOrDefault(l => l.Line.Contains("registration of '" + sasId, StringComparison.Ordinal) || l.Line.Contains("registration of " + sasId, StringComparison.Ordinal));
var assigning = logLines.Where(l => l.Line.Contains("still assigning", StringComparison.Ordinal) && l.Line.Contains(sasId, StringComparison.Ordinal)).ToArray();
var assigned = logLines.FirstOrDefault(l => l.Line.Contains("'" + sasId + "' from ", StringComparison.Ordinal) && l.Line.Contains(" assigned to hub", StringComparison.Ordinal));
var pollTimes = new[] { accepted.At }.Concat(assigning.Select(a => a.At)).Append(assigned.At).ToArray();
var minGap = pollTimes.Zip(pollTimes.Skip(1), (a, b) => (b - a).TotalSeconds).DefaultIfEmpty(0).Min();
Case("dps-register-poll", accepted.Line != null && assigning.Length == AssigningPolls && assigned.Line != null && minGap >= RetryAfter - 0.05,
    $"register accepted: {accepted.Line != null}, assigning answers: {assigning.Length}, assigned: {assigned.Line != null}, shortest gap between requests {minGap:0.00} s (Retry-After {RetryAfter} s)");

// MQTT connect with SAS.
var connect = DoneArgs("connect");
Case("mqtt-connect-sas", connect.ElementAtOrDefault(0) == "0" && LogHas("hub: '" + sasId + "' connected"),
    $"device status {connect.ElementAtOrDefault(0) ?? "none"}, hub {connect.ElementAtOrDefault(1)}; emulator logged the connect: {LogHas("hub: '" + sasId + "' connected")}");

var telemetry = await op.GetTelemetryAsync(sasId, 0, 100000);
string Text(TelemetryMessage x) => Encoding.UTF8.GetString(x.Payload);
var first = telemetry.FirstOrDefault(x => Text(x).Contains("\"temperature\":21.5", StringComparison.Ordinal));
var tel = DoneArgs("telemetry");
Case("telemetry-property-bag", first != null && first.Properties.TryGetValue("kind", out var kind) && kind == "board"
        && first.Properties.TryGetValue("seq", out var seq0) && seq0 == "0" && tel.ElementAtOrDefault(1) == "0",
    first == null ? "the emulator stored no such message" : $"payload {Text(first)}, bag {string.Join("&", first.Properties.Select(p => p.Key + "=" + p.Value))}; MessageSent {(tel.Length > 0 ? "status " + tel.ElementAtOrDefault(1) : "not raised")}");

var twin = await op.GetTwinAsync(sasId);
string ack = "";
bool ackOk = false;
if (twin != null)
{
    using var reported = JsonDocument.Parse(twin.ReportedJson);
    if (reported.RootElement.TryGetProperty("fanSpeed", out var fan))
    {
        ack = fan.GetRawText();
        ackOk = fan.TryGetProperty("ac", out var ac) && ac.GetInt32() == 200 && fan.TryGetProperty("av", out var av) && av.GetInt64() == desiredVersion
            && fan.TryGetProperty("value", out var v) && v.GetInt32() == 3;
    }
}
Case("setting-acknowledged", ackOk && Done("setting") != null, $"desired v{desiredVersion}; reported fanSpeed {(ack.Length == 0 ? "missing" : ack)}; device saw {Done("setting") ?? "nothing"}");

CommandResult? cmd = command == null ? null : await command;
Case("command-answered", cmd is { Status: 200, TimedOut: false } && (cmd.PayloadJson ?? "").Replace(" ", "") == "{\"echo\":{\"n\":7}}",
    cmd == null ? "never invoked" : $"status {cmd.Status}, timed out {cmd.TimedOut}, payload {cmd.PayloadJson}");

var c2d = (await op.ListC2dAsync(sasId)).FirstOrDefault(x => x.Id == c2dId);
var c2dDone = DoneArgs("c2d");
Case("c2d-completed", c2d != null && c2d.State == "completed" && c2dDone.ElementAtOrDefault(0) == "greeting" && c2dDone.ElementAtOrDefault(1) == "hello-c2d",
    $"emulator state {c2d?.State ?? "not sent"} (deliveries {c2d?.DeliveryCount}); device got {(c2dDone.Length == 0 ? "nothing" : string.Join(" ", c2dDone))}");

var dropSeqs = telemetry.Where(IsDrop)
    .Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("seq").GetInt32()).ToArray();
var missing = Enumerable.Range(1, 20).Except(dropSeqs).ToArray();
var drop = DoneArgs("drop");
// At-least-once: the 8 unacknowledged at the drop are published again (duplicates on the hub are expected).
Case("drop-reconnect-resend", missing.Length == 0 && inFlightAtDrop >= 8 && drop.Length > 0 && int.Parse(drop[0]) >= 1
        && dropSeqs.Length - dropSeqs.Distinct().Count() >= 1 && LogHas("'" + sasId + "' disconnected"),
    $"{inFlightAtDrop} unacknowledged at the drop; sequence 1..20: {(missing.Length == 0 ? "all arrived" : "missing " + string.Join(",", missing))} ({dropSeqs.Length} stored, {dropSeqs.Length - dropSeqs.Distinct().Count()} published again); reconnects {drop.ElementAtOrDefault(0) ?? "none"}");

// The burst's messages carry only the system properties ($.ct, $.ce), no application property.
var burstStored = telemetry.Count(x => !x.Properties.Keys.Any(k => !k.StartsWith("$.", StringComparison.Ordinal)) && Text(x).StartsWith("{\"seq\":", StringComparison.Ordinal));
Case("burst-delivered", burstStored >= messages && Done("burst") != null && facts.GetValueOrDefault("burst_messages") == messages.ToString(),
    $"{burstStored} of {messages} stored; MessageSent raised {facts.GetValueOrDefault("burst_messages") ?? "?"} times");

var renewConnects = logLines.Count(l => l.Line.Contains("hub: '" + renewId + "' connected", StringComparison.Ordinal));
var afterRenewal = (await op.GetTelemetryAsync(renewId)).Any(x => Text(x).Contains("afterRenewal", StringComparison.Ordinal));
var renewed = DoneArgs("token-renewal");
Case("token-renewal", renewed.Length > 0 && int.Parse(renewed[0]) >= 1 && renewConnects >= 2 && afterRenewal && !LogHas("closing '" + renewId + "': its token"),
    $"renewals {renewed.ElementAtOrDefault(0) ?? "none"}; the hub saw {renewConnects} connects; telemetry after the renewal stored: {afterRenewal}");

// C2D messages acknowledged before the pump closed the link for a token renewal: every one raised, none sent twice.
var renewC2dDone = DoneArgs("c2d-renewal");
var renewC2dQueue = (await op.ListC2dAsync(renewC2dId)).Where(x => x.State == "completed").ToArray();
Case("c2d-during-renewal", renewC2dDone.Length > 2 && renewC2dDone[0] == RenewC2dMessages.ToString() && renewC2dCompletedAtGo >= RenewC2dMessages
        && int.Parse(renewC2dDone[2]) >= 1 && !LogHas("closing '" + renewC2dId + "': its token"),
    $"{renewC2dCompletedAtGo} of {RenewC2dMessages} completed on the hub before the device pumped; the app got {renewC2dDone.ElementAtOrDefault(0) ?? "none"} distinct ({renewC2dDone.ElementAtOrDefault(1) ?? "?"} raised); renewals {renewC2dDone.ElementAtOrDefault(2) ?? "none"}; hub closed for token expiry: {LogHas("closing '" + renewC2dId + "': its token")}; {renewC2dQueue.Length} completed in all, deliveries {string.Join(",", renewC2dQueue.Select(x => x.DeliveryCount).Distinct())}");

var stallSeqs = (await op.GetTelemetryAsync(stallId, 0, 1000)).Where(x => x.Properties.TryGetValue("case", out var c) && c == "stall")
    .Select(x => JsonDocument.Parse(x.Payload).RootElement.GetProperty("seq").GetInt32()).ToArray();
var stalled = DoneArgs("stall");
Case("stalled-link-resend", Enumerable.Range(1, 5).All(stallSeqs.Contains) && stalled.Length > 0 && int.Parse(stalled[0]) >= 1,
    $"sequence 1..5: {(Enumerable.Range(1, 5).All(stallSeqs.Contains) ? "all arrived" : "missing some")} ({stallSeqs.Length} stored); reconnects after the stall {stalled.ElementAtOrDefault(0) ?? "none"}");
var refusedLines = logLines.Count(l => l.Line.Contains("refused '" + stallId, StringComparison.Ordinal) || (l.Line.Contains("hub: refused", StringComparison.Ordinal) && l.Line.Contains(stallId, StringComparison.Ordinal)));
var refused = DoneArgs("refuse");
var afterRefusal = (await op.GetTelemetryAsync(stallId, 0, 1000)).Any(x => x.Properties.TryGetValue("case", out var c) && c == "refuse");
// The hub refuses with CONNACK 3 while the fault lasts: the device must report 3 (server unavailable), not a network
// error (M2Mqtt throws when the server closes right after a refusing CONNACK; M2MqttTransport reports the CONNACK).
Case("refused-reconnect", refused.Length > 0 && int.Parse(refused[0]) >= 1 && refusedLines >= 1 && afterRefusal,
    $"CONNACK 3 refusals the device saw {refused.ElementAtOrDefault(0) ?? "none"} (emulator logged {refusedLines}); telemetry after getting back stored: {afterRefusal}");
var big = (await op.ListC2dAsync(stallId)).FirstOrDefault(x => x.Id == bigC2dId);
var bigDone = DoneArgs("bigc2d");
Case("c2d-6000-bytes", big?.State == "completed" && bigDone.ElementAtOrDefault(0) == Encoding.UTF8.GetByteCount(BigC2d).ToString() && bigDone.ElementAtOrDefault(1) == "big",
    $"emulator state {big?.State ?? "not sent"}; device got {bigDone.ElementAtOrDefault(0) ?? "nothing"} of {Encoding.UTF8.GetByteCount(BigC2d)} bytes");

var x509Connected = logLines.FirstOrDefault(l => l.Line.Contains("hub: '" + x509Id + "' connected", StringComparison.Ordinal)).Line;
var x509Tel = (await op.GetTelemetryAsync(x509Id)).Any(x => Text(x).Contains("\"x509\":1", StringComparison.Ordinal));
Case("x509-individual", Done("x509") != null && x509Connected != null && x509Connected.Contains("x509", StringComparison.OrdinalIgnoreCase) && x509Tel
        && LogHas("registration of '" + x509Id),
    $"DPS registration: {LogHas("registration of '" + x509Id)}; hub: {x509Connected ?? "no connect"}; telemetry stored: {x509Tel}");

// A private key that cannot work ends in InvalidCredential (-9): a corrupt one at the constructor, one of another
// certificate when the server refuses the handshake (DPS never sees a request); refusing the server's certificate
// with a good pair stays a network error (-1).
var corruptKey = DoneArgs("x509-corrupt-key");
Case("x509-corrupt-key", corruptKey.ElementAtOrDefault(0) == "-9",
    $"Device constructor: {(corruptKey.Length == 0 ? "no result" : corruptKey[0] == "accepted" ? "accepted the key" : "IotcException " + corruptKey[0])}; System.Net's X509Certificate2(cert, key, null): {facts.GetValueOrDefault("x509_corrupt_key_runtime") ?? "?"}");
var mismatched = DoneArgs("x509-mismatched-key");
var dpsSawMismatch = LogHas("registration of '" + mismatchId);
Case("x509-mismatched-key", mismatched.ElementAtOrDefault(0) == "connect" && mismatched.ElementAtOrDefault(1) == "-9" && !dpsSawMismatch,
    $"X509Certificate2 {facts.GetValueOrDefault("x509_mismatched_key_runtime") ?? "?"} the pair; Connect(): {string.Join(" ", mismatched)}; failure {facts.GetValueOrDefault("x509_mismatched_key_failure") ?? "?"}; DPS registered it: {dpsSawMismatch}");
var mismatchedHub = DoneArgs("x509-mismatched-key-hub");
var hubSawMismatch = LogHas("hub: '" + mismatchId + "' connected");
Case("x509-mismatched-key-hub", mismatchedHub.ElementAtOrDefault(0) == "-9" && !hubSawMismatch
        && (facts.GetValueOrDefault("x509_mismatched_key_hub_failure") ?? "").Contains("MqttConnectionException", StringComparison.Ordinal),
    $"stored assignment, straight to the hub: Connect() {mismatchedHub.ElementAtOrDefault(0) ?? "no result"}; failure {facts.GetValueOrDefault("x509_mismatched_key_hub_failure") ?? "?"}; hub logged a connect: {hubSawMismatch}");
var otherRoot = DoneArgs("x509-other-root");
Case("x509-other-root-network-error", otherRoot.ElementAtOrDefault(0) == "-1",
    $"status {otherRoot.ElementAtOrDefault(0) ?? "none"}; failure {facts.GetValueOrDefault("x509_other_root_failure") ?? "?"}");

// What mbedTLS (nanoCLR's TLS, nf-interpreter's configuration) accepts from a server when only the root is configured.
foreach (var (name, _, _) in chainServers)
{
    var got = DoneArgs("tls-chain " + name);
    Console.WriteLine($"board: tls-chain {name}: device {(got.Length == 0 ? "no result" : string.Join(" ", got))}; server {chainResults.GetValueOrDefault(name) ?? "saw no handshake"}");
}
string ChainOutcome(string name) => (Done("tls-chain " + name) ?? "").Split(' ').ElementAtOrDefault(3) ?? "none";
Case("tls-chain-intermediate-sent", ChainOutcome("leaf-intermediate") == "accepted" && ChainOutcome("leaf-only") != "accepted",
    $"leaf + intermediate sent, only the root configured: {ChainOutcome("leaf-intermediate")}; the same without the intermediate: {ChainOutcome("leaf-only")}");
Case("tls-server-eku", ChainOutcome("no-eku") == "accepted" && ChainOutcome("client-auth-eku") == "refused",
    $"server certificate without EKU: {ChainOutcome("no-eku")}; with only the clientAuth EKU: {ChainOutcome("client-auth-eku")}");
foreach (var l in chainListeners) l.Stop();

foreach (var f in facts) Console.WriteLine($"board: fact {f.Key} = {f.Value}");
if (failed > 0) Console.WriteLine("board: full log (emulator + device) in " + logPath);
else
{
    // Success: the temporary folder (emulator data, generated config with keys, binaries) goes; a --log file stays.
    await emu.StopAsync();
    lock (logFile) { logClosed = true; logFile.Dispose(); }
    Directory.Delete(work, true);
}
Console.WriteLine($"{passed} passed, {failed} failed, 0 skipped");
return failed == 0 ? 0 : 1;

void Run(string file, IEnumerable<string> arguments, string what)
{
    var p = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
    foreach (var a in arguments) p.ArgumentList.Add(a);
    using var proc = Process.Start(p)!;
    var output = proc.StandardOutput.ReadToEndAsync();
    var error = proc.StandardError.ReadToEndAsync();
    proc.WaitForExit();
    if (proc.ExitCode != 0) Fail(what + " failed:\n" + string.Join("\n", (output.Result + error.Result).Split('\n').Where(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)).Take(10)));
}

static void Fail(string message)
{
    Console.WriteLine("board: " + message);
    Console.WriteLine("0 passed, 1 failed, 0 skipped");
    Environment.Exit(1);
}
