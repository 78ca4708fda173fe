using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace IotcEmulator;

/// <summary>Command line: <c>start</c> (default) runs the emulator; the other verbs talk to a running one over HTTPS.</summary>
internal static class Cli
{
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null)
    {
        var @out = output ?? Console.Out;
        var root = new RootCommand("Local Azure IoT Central emulator: DPS over HTTPS (and MQTT) and IoT Hub MQTT over TLS, on loopback (--bind for a board on the LAN).");

        // ---- start ----
        var data = new Option<string>("--data") { Description = "Data folder (database, CA and server certificate).", DefaultValueFactory = _ => ".iotc-emulator" };
        var dpsPort = new Option<int>("--dps-port") { Description = "HTTPS port for DPS and /api (0 = free port).", DefaultValueFactory = _ => 8443 };
        var mqttPort = new Option<int>("--mqtt-port") { Description = "MQTT/TLS port for the hub (0 = free port).", DefaultValueFactory = _ => 8883 };
        var hubHost = new Option<string>("--hub-host") { Description = "Hub host name handed out by DPS.", DefaultValueFactory = _ => "localhost" };
        var idScope = new Option<string?>("--id-scope") { Description = "DPS ID scope (default: generated once per data folder)." };
        var noDemo = new Option<bool>("--no-demo") { Description = "Do not create the demo enrollment." };
        var dpsRetryAfter = new Option<int>("--dps-retry-after") { Description = "Retry-After seconds DPS answers while assigning.", DefaultValueFactory = _ => 3 };
        var noAuth = new Option<bool>("--no-auth") { Description = "Dashboard and operator API without the access token (local demos; still loopback and same-origin only)." };
        var bind = new Option<string?>("--bind") { Description = "LAN mode: listen on this IPv4 address (0.0.0.0 = every interface) so a board on the network can reach DPS and the hub; set --hub-host to the name or address the board uses. Default: loopback only." };
        var certName = new Option<string[]>("--cert-name") { Description = "Another host name or IP address the TLS certificate must cover (repeatable)." };
        var start = new Command("start", "Run the emulator until Ctrl+C.") { data, dpsPort, mqttPort, hubHost, idScope, noDemo, dpsRetryAfter, noAuth, bind, certName };
        Func<ParseResult, CancellationToken, Task<int>> startAction = async (pr, ct) =>
        {
            var options = new EmulatorOptions
            {
                DataDirectory = pr.GetValue(data)!,
                DpsPort = pr.GetValue(dpsPort),
                MqttPort = pr.GetValue(mqttPort),
                HubHostName = pr.GetValue(hubHost)!,
                IdScope = pr.GetValue(idScope),
                CreateDemoEnrollment = !pr.GetValue(noDemo),
                DpsRetryAfterSeconds = Math.Max(1, pr.GetValue(dpsRetryAfter)),
                RequireAccessToken = !pr.GetValue(noAuth),
                BindAddress = pr.GetValue(bind),
            };
            foreach (var n in pr.GetValue(certName) ?? []) options.CertificateNames.Add(n);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            void OnSignal(System.Runtime.InteropServices.PosixSignalContext c) { c.Cancel = true; stop.Cancel(); }
            using var sigint = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, OnSignal);
            using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, OnSignal);
            EmulatorHost host;
            try { host = await EmulatorHost.StartAsync(options, stop.Token); }
            catch (Exception ex) when (ex is PortInUseException or ArgumentException)
            {
                await Console.Error.WriteLineAsync($"error: {ex.Message}");
                return 2;
            }
            await using var _ = host;
            PrintBanner(@out, host);
            try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
            return 0;
        };
        start.SetAction(startAction);
        root.Subcommands.Add(start);
        foreach (var o in new Option[] { data, dpsPort, mqttPort, hubHost, idScope, noDemo, dpsRetryAfter, noAuth, bind, certName }) root.Options.Add(o);
        root.SetAction(startAction);

        // ---- client verbs ----
        var url = new Option<string>("--url") { Description = "Base URL of the running emulator.", DefaultValueFactory = _ => "https://localhost:8443" };
        var ca = new Option<string?>("--ca") { Description = "CA PEM to trust (default: <data>/ca.pem)." };
        var cdata = new Option<string>("--data") { Description = "Data folder of the running emulator (to find ca.pem and access-token).", DefaultValueFactory = _ => ".iotc-emulator" };
        var token = new Option<string?>("--token") { Description = $"Access token (default: ${TokenVariable}, else the access-token file beside the CA PEM, i.e. in the data folder)." };
        Command Client(string name, string description, Func<ParseResult, HttpClient, CancellationToken, Task<int>> action, params Symbol[] symbols)
        {
            var c = new Command(name, description);
            foreach (var s in symbols)
            {
                if (s is Option o) c.Options.Add(o);
                else if (s is Argument a) c.Arguments.Add(a);
            }
            c.Options.Add(url);
            c.Options.Add(ca);
            c.Options.Add(cdata);
            c.Options.Add(token);
            c.SetAction(async (pr, ct) =>
            {
                try
                {
                    // The emulator writes access-token beside ca.pem in its data folder.
                    var caPath = pr.GetValue(ca) ?? Path.Combine(pr.GetValue(cdata)!, "ca.pem");
                    using var http = CreateClient(pr.GetValue(url)!, caPath,
                        pr.GetValue(token) ?? Environment.GetEnvironmentVariable(TokenVariable) ?? ReadTokenFile(Path.GetDirectoryName(Path.GetFullPath(caPath))!));
                    return await action(pr, http, ct);
                }
                catch (HttpRequestException ex)
                {
                    await Console.Error.WriteLineAsync($"error: cannot reach the emulator: {ex.Message}");
                    return 2;
                }
                catch (FileNotFoundException ex)
                {
                    await Console.Error.WriteLineAsync($"error: {ex.Message} (use --ca or --data)");
                    return 2;
                }
            });
            return c;
        }

        async Task<int> Show(HttpResponseMessage r)
        {
            var text = await r.Content.ReadAsStringAsync();
            await @out.WriteLineAsync(Pretty(text));
            return r.IsSuccessStatusCode ? 0 : 1;
        }

        // enroll
        var enrollId = new Argument<string>("id") { Description = "Registration id (individual) or group id (--group)." };
        var group = new Option<bool>("--group") { Description = "Group enrollment (devices derive their key, or chain to --ca-pem)." };
        var key = new Option<string?>("--key") { Description = "Primary key, base64 (default: random)." };
        var key2 = new Option<string?>("--secondary-key") { Description = "Secondary key, base64 (default: random)." };
        var thumb = new Option<string?>("--thumbprint") { Description = "X.509 individual enrollment: certificate thumbprint." };
        var caPem = new Option<string?>("--ca-pem") { Description = "X.509 group enrollment: path of the CA certificate PEM." };
        root.Subcommands.Add(Client("enroll", "Create or replace an enrollment (symmetric key, group key, X.509 thumbprint or CA).", async (pr, http, ct) =>
        {
            var body = new JsonObject { ["id"] = pr.GetValue(enrollId), ["group"] = pr.GetValue(group) };
            if (pr.GetValue(key) is { } k) body["primaryKey"] = k;
            if (pr.GetValue(key2) is { } k2) body["secondaryKey"] = k2;
            if (pr.GetValue(thumb) is { } t) { body["attestation"] = "x509"; body["thumbprint"] = t; }
            if (pr.GetValue(caPem) is { } p) { body["attestation"] = "x509"; body["caPem"] = await File.ReadAllTextAsync(p, ct); }
            return await Show(await http.PostAsync("api/enrollments", Json(body), ct));
        }, enrollId, group, key, key2, thumb, caPem));

        var reveal = new Option<bool>("--reveal") { Description = "Show the keys too." };
        root.Subcommands.Add(Client("enrollments", "List enrollments (keys only with --reveal).", async (pr, http, ct) =>
            await Show(await http.GetAsync(pr.GetValue(reveal) ? "api/enrollments?reveal=true" : "api/enrollments", ct)), reveal));

        root.Subcommands.Add(Client("devices", "List devices and their connection state.", async (pr, http, ct) =>
        {
            var r = await http.GetAsync("api/devices", ct);
            if (!r.IsSuccessStatusCode) return await Show(r);
            var list = JsonNode.Parse(await r.Content.ReadAsStringAsync(ct))!.AsArray();
            await @out.WriteLineAsync($"{"DEVICE",-36} {"STATE",-12} {"AUTH",-13} {"ENROLLMENT",-24} MODEL");
            foreach (var d in list)
            {
                await @out.WriteLineAsync($"{(string?)d!["deviceId"],-36} {((bool)d["connected"]! ? "connected" : "offline"),-12} {(string?)d["attestation"],-13} {(string?)d["enrollmentId"] ?? "-",-24} {(string?)d["modelId"] ?? "-"}");
            }
            return 0;
        }));

        var devArg = new Argument<string>("device") { Description = "Device id." };
        var devOpt = new Option<string?>("--device") { Description = "Only this device." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new messages (Ctrl+C stops)." };
        var limit = new Option<int>("--limit") { Description = "How many (most recent first when not following).", DefaultValueFactory = _ => 50 };
        root.Subcommands.Add(Client("telemetry", "List or tail telemetry.", async (pr, http, ct) =>
        {
            long after = 0;
            var dev = pr.GetValue(devOpt);
            var first = true;
            while (!ct.IsCancellationRequested)
            {
                var q = $"api/telemetry?after={after}&limit=1000" + (dev is null ? "" : "&deviceId=" + Uri.EscapeDataString(dev));
                JsonArray list;
                try { list = JsonNode.Parse(await http.GetStringAsync(q, ct))!.AsArray(); }
                catch (OperationCanceledException) { break; }
                var items = list.ToList();
                if (first && !pr.GetValue(follow)) items = items.TakeLast(pr.GetValue(limit)).ToList();
                foreach (var m in items)
                {
                    after = Math.Max(after, (long)m!["id"]!);
                    var props = m["properties"] is JsonObject p && p.Count > 0 ? " " + p.ToJsonString() : "";
                    await @out.WriteLineAsync($"{(string?)m["arrivedUtc"]} {(string?)m["deviceId"]}: {(string?)m["payload"]}{props}");
                }
                if (list.Count == 1000) continue;
                if (!pr.GetValue(follow)) break;
                first = false;
                try { await Task.Delay(500, ct); } catch (OperationCanceledException) { break; }
            }
            return 0;
        }, devOpt, follow, limit));

        root.Subcommands.Add(Client("twin", "Show a device twin.", async (pr, http, ct) =>
            await Show(await http.GetAsync($"api/devices/{Uri.EscapeDataString(pr.GetValue(devArg)!)}/twin", ct)), devArg));

        var patchArg = new Argument<string>("patch") { Description = "Desired-properties patch, JSON object." };
        root.Subcommands.Add(Client("set-desired", "Patch desired properties (pushed to the device if it listens).", async (pr, http, ct) =>
            await Show(await http.PatchAsync($"api/devices/{Uri.EscapeDataString(pr.GetValue(devArg)!)}/twin/desired", new StringContent(pr.GetValue(patchArg)!, Encoding.UTF8, "application/json"), ct)), devArg, patchArg));

        var cmdArg = new Argument<string>("command") { Description = "Command (direct method) name; component commands are 'component*name'." };
        var payload = new Option<string?>("--payload") { Description = "Request payload, JSON." };
        var timeout = new Option<double>("--timeout") { Description = "Seconds to wait for the device (1–300).", DefaultValueFactory = _ => 30 };
        root.Subcommands.Add(Client("invoke", "Invoke a command and show the device's response.", async (pr, http, ct) =>
        {
            http.Timeout = TimeSpan.FromSeconds(pr.GetValue(timeout) + 30);
            var r = await http.PostAsync($"api/devices/{Uri.EscapeDataString(pr.GetValue(devArg)!)}/commands/{Uri.EscapeDataString(pr.GetValue(cmdArg)!)}?timeout={pr.GetValue(timeout)}",
                new StringContent(pr.GetValue(payload) ?? "", Encoding.UTF8, "application/json"), ct);
            if (!r.IsSuccessStatusCode) return await Show(r);
            var j = JsonNode.Parse(await r.Content.ReadAsStringAsync(ct))!;
            await @out.WriteLineAsync($"status {(int)j["status"]!}{((bool)j["timedOut"]! ? " (timed out)" : "")}");
            await @out.WriteLineAsync(Pretty((string?)j["payload"] ?? ""));
            return (int)j["status"]! is >= 200 and < 300 ? 0 : 1;
        }, devArg, cmdArg, payload, timeout));

        var c2dPayload = new Argument<string>("payload") { Description = "Message body (text)." };
        var prop = new Option<string[]>("--property", "-p") { Description = "Application property name=value (repeatable)." };
        var ttlOpt = new Option<double?>("--ttl") { Description = "Time to live in seconds (default 3600, at most 172800)." };
        root.Subcommands.Add(Client("c2d", "Send a cloud-to-device message (queued while the device is offline).", async (pr, http, ct) =>
        {
            var props = new JsonObject();
            foreach (var p in pr.GetValue(prop) ?? [])
            {
                var eq = p.IndexOf('=');
                props[eq < 0 ? p : p[..eq]] = eq < 0 ? null : p[(eq + 1)..];
            }
            var body = new JsonObject { ["payload"] = pr.GetValue(c2dPayload), ["properties"] = props };
            if (pr.GetValue(ttlOpt) is { } ttl) body["ttlSeconds"] = ttl;
            return await Show(await http.PostAsync($"api/devices/{Uri.EscapeDataString(pr.GetValue(devArg)!)}/c2d", Json(body), ct));
        }, devArg, c2dPayload, prop, ttlOpt));

        root.Subcommands.Add(Client("c2d-list", "List a device's C2D queue: state (queued, delivered, completed, expired, deadlettered) and delivery count.", async (pr, http, ct) =>
            await Show(await http.GetAsync($"api/devices/{Uri.EscapeDataString(pr.GetValue(devArg)!)}/c2d", ct)), devArg));

        root.Subcommands.Add(Client("commands", "List a device's command invocations and responses.", async (pr, http, ct) =>
            await Show(await http.GetAsync($"api/devices/{Uri.EscapeDataString(pr.GetValue(devArg)!)}/commands", ct)), devArg));

        // ---- faults ----
        var fault = new Command("fault", "Fault injection on a running emulator.");
        root.Subcommands.Add(fault);
        var seconds = new Argument<double>("seconds") { Description = "Seconds." };
        var count = new Argument<int>("count") { Description = "How many." };
        var ms = new Argument<int>("milliseconds") { Description = "Milliseconds." };
        var retryAfter = new Option<int>("--retry-after") { Description = "Retry-After seconds.", DefaultValueFactory = _ => 5 };
        var off = new Option<bool>("--off") { Description = "Turn the fault off again." };
        string E(ParseResult pr) => Uri.EscapeDataString(pr.GetValue(devArg)!);
        fault.Subcommands.Add(Client("drop", "Drop a device's connection now.", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/drop/{E(pr)}", null, ct)), devArg));
        fault.Subcommands.Add(Client("refuse-connects", "Refuse hub connects (CONNACK 3) for N seconds.", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/refuse-connects?seconds={pr.GetValue(seconds)}", null, ct)), seconds));
        fault.Subcommands.Add(Client("dps-throttle", "Answer the next N DPS requests with 429 + Retry-After.", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/dps-throttle?requests={pr.GetValue(count)}&retryAfter={pr.GetValue(retryAfter)}", null, ct)), count, retryAfter));
        fault.Subcommands.Add(Client("dps-assigning", "Keep new DPS registrations 'assigning' for N polls.", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/dps-assigning?polls={pr.GetValue(count)}", null, ct)), count));
        fault.Subcommands.Add(Client("puback-delay", "Delay PUBACKs to a device (0 clears).", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/puback-delay/{E(pr)}?ms={pr.GetValue(ms)}", null, ct)), devArg, ms));
        fault.Subcommands.Add(Client("puback-withhold", "Withhold PUBACKs to a device (--off to resume).", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/puback-withhold/{E(pr)}?on={(!pr.GetValue(off)).ToString().ToLowerInvariant()}", null, ct)), devArg, off));
        fault.Subcommands.Add(Client("token-lifetime", "Cap hub session lifetime to N seconds from CONNECT (0 clears).", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/token-lifetime?seconds={pr.GetValue(seconds)}", null, ct)), seconds));
        fault.Subcommands.Add(Client("malformed-desired", "Push a desired patch that is not valid JSON.", async (pr, http, ct) => await Show(await http.PostAsync($"api/faults/malformed-desired/{E(pr)}", null, ct)), devArg));
        fault.Subcommands.Add(Client("clear", "Clear all faults.", async (pr, http, ct) => { var r = await http.DeleteAsync("api/faults", ct); await @out.WriteLineAsync(r.IsSuccessStatusCode ? "faults cleared" : $"error {(int)r.StatusCode}"); return r.IsSuccessStatusCode ? 0 : 1; }));
        fault.Subcommands.Add(Client("show", "Show active faults.", async (pr, http, ct) => await Show(await http.GetAsync("api/faults", ct))));

        return await root.Parse(args).InvokeAsync();
    }

    static void PrintBanner(TextWriter o, EmulatorHost h)
    {
        o.WriteLine();
        o.WriteLine("IoT Central emulator running (Ctrl+C stops)");
        o.WriteLine($"  CA certificate (trust this): {h.CaCertificatePath}");
        o.WriteLine(h.BindAddress is null
            ? $"  DPS endpoint:  https://localhost:{h.DpsPort}   (global endpoint host 'localhost:{h.DpsPort}')"
            : $"  DPS endpoint:  https://{h.HubHostName}:{h.DpsPort}   (global endpoint host '{h.HubHostName}:{h.DpsPort}'; also over MQTT on the hub port)");
        o.WriteLine($"  ID scope:      {h.IdScope}");
        o.WriteLine($"  Hub endpoint:  mqtts://{h.HubHostName}:{h.MqttPort}");
        o.WriteLine($"  Dashboard:     {h.DashboardLoginUri}");
        o.WriteLine(h.AccessToken is null
            ? "                 (no access token: --no-auth)"
            : $"                 (open this URL once; the token is also in {Path.Combine(h.DataDirectory, "access-token")} for the CLI)");
        o.WriteLine($"  Operator API:  https://localhost:{h.DpsPort}/api  (see 'iotc-emulator --help')");
        o.WriteLine($"  Data folder:   {h.DataDirectory}");
        if (h.DemoEnrollment is { } d)
        {
            o.WriteLine("  Demo enrollment (individual, symmetric key):");
            o.WriteLine($"    ID scope:      {h.IdScope}");
            o.WriteLine($"    Device id:     {d.Id}");
            o.WriteLine($"    Symmetric key: {d.PrimaryKey}");
        }
        if (h.BindAddress is { } lan)
        {
            o.WriteLine();
            o.WriteLine($"  WARNING: LAN mode: DPS and the hub listen on {lan} and are reachable from the network. Devices still need");
            o.WriteLine("  their keys or certificates; the dashboard and /api answer on localhost only. Stop it when you are done.");
            o.WriteLine();
            o.WriteLine("  Your board (nanoFramework.Iotc), against this emulator:");
            o.WriteLine();
            o.Write(BoardSnippet(h, h.DemoEnrollment?.Id ?? "<device id>"));
        }
        o.WriteLine();
        o.Flush();
    }

    /// <summary>The C# a board needs to use this emulator: endpoint, hub port and the development CA for
    /// <c>Device.SetRootCertificate</c>, one string literal line per PEM line.</summary>
    internal static string BoardSnippet(EmulatorHost h, string deviceId)
    {
        var sb = new StringBuilder();
        sb.AppendLine($"    var device = new Device(\"{h.IdScope}\", \"<device key>\", \"{deviceId}\", IotConnectType.SymmetricKey);");
        sb.AppendLine($"    device.SetServiceHost(\"{h.HubHostName}:{h.DpsPort}\");");
        sb.AppendLine($"    device.SetHubPort({h.MqttPort});");
        sb.AppendLine("    device.SetRootCertificate(");
        var lines = h.CaCertificatePem.Replace("\r", "").Trim().Split('\n');
        for (var i = 0; i < lines.Length; i++)
            sb.AppendLine($"        \"{lines[i]}\\n\"{(i < lines.Length - 1 ? " +" : ");")}");
        return sb.ToString();
    }

    /// <summary>The environment variable the client verbs read the access token from.</summary>
    public const string TokenVariable = "IOTC_EMULATOR_TOKEN";

    static string? ReadTokenFile(string dataDir)
    {
        var path = Path.Combine(dataDir, "access-token");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    static HttpClient CreateClient(string baseUrl, string caPath, string? accessToken)
    {
        if (!File.Exists(caPath)) throw new FileNotFoundException($"CA certificate '{caPath}' not found");
        var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPath));
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => Trust.IsTrusted(ca, cert, errors);
        var http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromSeconds(60) };
        if (!string.IsNullOrEmpty(accessToken)) http.DefaultRequestHeaders.Add(AccessControl.HeaderName, accessToken);
        return http;
    }

    static StringContent Json(JsonNode n) => new(n.ToJsonString(), Encoding.UTF8, "application/json");

    static string Pretty(string text)
    {
        try { return JsonNode.Parse(text)?.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) ?? text; }
        catch (JsonException) { return text; }
    }
}
