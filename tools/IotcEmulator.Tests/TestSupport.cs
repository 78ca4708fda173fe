using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using Xunit;

namespace IotcEmulator.Tests;

/// <summary>Independent client-side helpers: trust, SAS, DPS over HttpClient, raw MQTTnet clients.</summary>
internal static class T
{
    /// <summary>Server certificate validation that trusts only the emulator's CA (custom root trust), never "accept anything".</summary>
    public static bool TrustsOnly(X509Certificate2 ca, X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null) return false;
        // Name mismatch or a missing certificate are never acceptable; chain errors are re-checked against our CA.
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        return chain.Build(leaf);
    }

    public static string Enc(string s)
    {
        var sb = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '~') sb.Append(c); else sb.Append('%').Append(b.ToString("X2"));
        }
        return sb.ToString();
    }

    /// <summary>SAS computed here, independently of the emulator's code.</summary>
    public static string Sas(string resource, string key, DateTimeOffset expiry, string? skn = null)
    {
        var sr = Enc(resource);
        var se = expiry.ToUnixTimeSeconds().ToString();
        using var h = new HMACSHA256(Convert.FromBase64String(key));
        var sig = Convert.ToBase64String(h.ComputeHash(Encoding.UTF8.GetBytes(sr + "\n" + se)));
        return $"SharedAccessSignature sr={sr}&sig={Enc(sig)}&se={se}" + (skn is null ? "" : "&skn=" + skn);
    }

    public static string Derive(string groupKey, string registrationId)
    {
        using var h = new HMACSHA256(Convert.FromBase64String(groupKey));
        return Convert.ToBase64String(h.ComputeHash(Encoding.UTF8.GetBytes(registrationId)));
    }

    public static string RandomKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..10];

    public static HttpClient Http(EmulatorHost emu, X509Certificate2? clientCert = null)
    {
        var handler = new SocketsHttpHandler();
        var ca = X509CertificateLoader.LoadCertificate(emu.CaCertificate.RawData);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustsOnly(ca, cert, errors);
        if (clientCert is not null) handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCert };
        var http = new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{emu.DpsPort}/"), Timeout = TimeSpan.FromSeconds(30) };
        // The operator API needs the access token; DPS ignores the header (devices authenticate with SAS or certificates).
        if (emu.AccessToken is not null) http.DefaultRequestHeaders.Add("X-Iotc-Token", emu.AccessToken);
        return http;
    }

    public static HttpRequestMessage DpsRequest(HttpMethod method, string path, string? sas, string? body = null)
    {
        var req = new HttpRequestMessage(method, path);
        if (sas is not null) req.Headers.TryAddWithoutValidation("Authorization", sas);
        req.Headers.UserAgent.ParseAdd("iotc-emulator-tests/1.0");
        if (body is not null)
        {
            req.Content = new StringContent(body, Encoding.UTF8);
            req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            req.Content.Headers.ContentEncoding.Add("utf-8");
        }
        return req;
    }

    /// <summary>Full DPS flow over HTTPS; returns the final JSON (asserting nothing about it).</summary>
    public static async Task<JsonObject> ProvisionAsync(EmulatorHost emu, string registrationId, string deviceKey, string? modelId = null,
        string apiVersion = "2021-06-01", HttpClient? http = null, int maxPolls = 10)
    {
        var own = http is null;
        http ??= Http(emu);
        try
        {
            var sas = deviceKey.Length == 0 ? null : Sas($"{emu.IdScope}/registrations/{registrationId}", deviceKey, DateTimeOffset.UtcNow.AddHours(1), "registration");
            var body = new JsonObject { ["registrationId"] = registrationId };
            if (modelId is not null) body["payload"] = new JsonObject { ["modelId"] = modelId };
            using var put = await http.SendAsync(DpsRequest(HttpMethod.Put, $"{emu.IdScope}/registrations/{registrationId}/register?api-version={apiVersion}", sas, body.ToJsonString()));
            var putJson = JsonNode.Parse(await put.Content.ReadAsStringAsync())!.AsObject();
            if ((int)put.StatusCode != 202) return putJson;
            var opId = (string)putJson["operationId"]!;
            for (var i = 0; i < maxPolls; i++)
            {
                using var get = await http.SendAsync(DpsRequest(HttpMethod.Get, $"{emu.IdScope}/registrations/{registrationId}/operations/{opId}?api-version={apiVersion}", sas));
                var json = JsonNode.Parse(await get.Content.ReadAsStringAsync())!.AsObject();
                if ((string?)json["status"] != "assigning") return json;
            }
            throw new TimeoutException("still assigning");
        }
        finally
        {
            if (own) http.Dispose();
        }
    }

    public static MqttClientOptionsBuilder MqttOptions(EmulatorHost emu, string clientId, string? userName, string? password, X509Certificate2? clientCert = null)
    {
        var ca = X509CertificateLoader.LoadCertificate(emu.CaCertificate.RawData);
        var b = new MqttClientOptionsBuilder()
            .WithTcpServer("localhost", emu.MqttPort)
            .WithProtocolVersion(MqttProtocolVersion.V311)
            .WithClientId(clientId)
            .WithCleanSession()
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
            .WithTimeout(TimeSpan.FromSeconds(10))
            .WithTlsOptions(o =>
            {
                o.UseTls().WithTargetHost("localhost")
                    .WithCertificateValidationHandler(a => TrustsOnly(ca, a.Certificate, a.SslPolicyErrors));
                if (clientCert is not null) o.WithClientCertificates(new[] { clientCert });
            });
        if (userName is not null) b.WithCredentials(userName, password ?? "");
        return b;
    }

    public static string UserName(EmulatorHost emu, string deviceId, string extra = "") => $"{emu.HubHostName}/{deviceId}/?api-version=2021-04-12{extra}";

    public static string HubSas(EmulatorHost emu, string deviceId, string key, TimeSpan? life = null) =>
        Sas($"{emu.HubHostName}/devices/{deviceId}", key, DateTimeOffset.UtcNow + (life ?? TimeSpan.FromHours(1)));

    /// <summary>A connected raw MQTTnet client that records everything it receives.</summary>
    public static async Task<Device> ConnectAsync(EmulatorHost emu, string deviceId, string key, string extraUser = "")
    {
        var d = new Device();
        var r = await d.Client.ConnectAsync(MqttOptions(emu, deviceId, UserName(emu, deviceId, extraUser), HubSas(emu, deviceId, key)).Build());
        if (r.ResultCode != MqttClientConnectResultCode.Success) throw new InvalidOperationException("connect refused: " + r.ResultCode);
        return d;
    }

    /// <summary>Connects with the given clean-session flag; returns the device and CONNACK's session-present flag.</summary>
    public static async Task<(Device Device, bool SessionPresent)> ConnectSessionAsync(EmulatorHost emu, string deviceId, string key, bool cleanSession, bool withholdAcks = false)
    {
        var d = new Device { WithholdAcks = withholdAcks };
        var r = await d.Client.ConnectAsync(MqttOptions(emu, deviceId, UserName(emu, deviceId), HubSas(emu, deviceId, key)).WithCleanSession(cleanSession).Build());
        if (r.ResultCode != MqttClientConnectResultCode.Success) throw new InvalidOperationException("connect refused: " + r.ResultCode);
        return (d, r.IsSessionPresent);
    }

    public static async Task<T1> WaitAsync<T1>(Func<T1?> probe, TimeSpan? timeout = null, string what = "condition") where T1 : class
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < until)
        {
            if (probe() is { } v) return v;
            await Task.Delay(20);
        }
        throw new TimeoutException("timed out waiting for " + what);
    }

    public static async Task WaitUntilAsync(Func<bool> probe, TimeSpan? timeout = null, string what = "condition")
    {
        var until = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (DateTime.UtcNow < until)
        {
            if (probe()) return;
            await Task.Delay(20);
        }
        throw new TimeoutException("timed out waiting for " + what);
    }

    public static MqttApplicationMessage Msg(string topic, string payload, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(qos).Build();

    public static X509Certificate2 SelfSigned(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        using var c = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(c.Export(X509ContentType.Pkcs12), null);
    }

    public static X509Certificate2 TestCa(string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        using var c = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        return X509CertificateLoader.LoadPkcs12(c.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>An intermediate CA (path length 0) issued by <paramref name="root"/>.</summary>
    public static X509Certificate2 IntermediateCa(X509Certificate2 root, string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var c = req.Create(root, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(20), RandomNumberGenerator.GetBytes(8));
        using var withKey = c.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>An HttpClient for DPS that presents <paramref name="leaf"/> and sends <paramref name="intermediates"/> in the handshake.</summary>
    public static HttpClient HttpWithChain(EmulatorHost emu, X509Certificate2 leaf, params X509Certificate2[] intermediates)
    {
        var handler = new SocketsHttpHandler();
        var ca = X509CertificateLoader.LoadCertificate(emu.CaCertificate.RawData);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustsOnly(ca, cert, errors);
        handler.SslOptions.ClientCertificateContext = SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(intermediates), offline: true);
        return new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{emu.DpsPort}/"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>
    /// An MQTT 3.1.1 CONNECT written by hand over an SslStream that sends <paramref name="leaf"/> with
    /// <paramref name="intermediates"/> (MQTTnet's client cannot send intermediates); returns the CONNACK return code.
    /// </summary>
    public static async Task<int> RawConnectAsync(EmulatorHost emu, string clientId, string userName, X509Certificate2 leaf, params X509Certificate2[] intermediates)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync("localhost", emu.MqttPort);
        var ca = X509CertificateLoader.LoadCertificate(emu.CaCertificate.RawData);
        await using var tls = new SslStream(tcp.GetStream());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = (_, cert, _, errors) => TrustsOnly(ca, cert, errors),
            ClientCertificateContext = SslStreamCertificateContext.Create(leaf, new X509Certificate2Collection(intermediates), offline: true),
        });
        static byte[] Str(string v) { var b = Encoding.UTF8.GetBytes(v); return [(byte)(b.Length >> 8), (byte)b.Length, .. b]; }
        byte[] variable = [0, 4, (byte)'M', (byte)'Q', (byte)'T', (byte)'T', 4, 0x80 | 0x02, 0, 60]; // level 4, user name + clean session, keep-alive 60
        byte[] body = [.. variable, .. Str(clientId), .. Str(userName)];
        var packet = new List<byte> { 0x10 };
        var len = body.Length;
        do { var d = (byte)(len % 128); len /= 128; packet.Add(len > 0 ? (byte)(d | 0x80) : d); } while (len > 0);
        packet.AddRange(body);
        await tls.WriteAsync(packet.ToArray());
        var connack = new byte[4];
        await tls.ReadExactlyAsync(connack);
        Assert.Equal(0x20, connack[0]);
        return connack[3];
    }

    public static X509Certificate2 IssuedBy(X509Certificate2 ca, string cn)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + cn, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.2") }, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        using var c = req.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(10), RandomNumberGenerator.GetBytes(8));
        using var withKey = c.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}

/// <summary>A raw MQTTnet device connection that records received messages and disconnects.</summary>
internal sealed class Device : IAsyncDisposable
{
    public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();
    public System.Collections.Concurrent.ConcurrentQueue<(string Topic, string Payload)> Received { get; } = new();
    public TaskCompletionSource<MqttClientDisconnectedEventArgs> Disconnected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When set, QoS 1 messages are not acknowledged (no PUBACK) until <see cref="AcknowledgeAllAsync"/>.</summary>
    public bool WithholdAcks { get; set; }

    readonly System.Collections.Concurrent.ConcurrentQueue<MqttApplicationMessageReceivedEventArgs> _unacknowledged = new();

    /// <summary>Sends the PUBACKs withheld so far.</summary>
    public async Task AcknowledgeAllAsync()
    {
        while (_unacknowledged.TryDequeue(out var e)) await e.AcknowledgeAsync(CancellationToken.None);
    }

    public Device()
    {
        Client.ApplicationMessageReceivedAsync += e =>
        {
            if (WithholdAcks && e.ApplicationMessage.QualityOfServiceLevel != MqttQualityOfServiceLevel.AtMostOnce)
            {
                e.AutoAcknowledge = false;
                _unacknowledged.Enqueue(e);
            }
            Received.Enqueue((e.ApplicationMessage.Topic, e.ApplicationMessage.ConvertPayloadToString() ?? ""));
            return Task.CompletedTask;
        };
        Client.DisconnectedAsync += e =>
        {
            Disconnected.TrySetResult(e);
            return Task.CompletedTask;
        };
    }

    public async Task<MqttClientSubscribeResultCode> SubscribeAsync(string topic, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        var r = await Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic(topic).WithQualityOfServiceLevel(qos)).Build());
        return r.Items.Single().ResultCode;
    }

    public Task<(string Topic, string Payload)> NextAsync(string topicPrefix, TimeSpan? timeout = null) =>
        T.WaitAsync<Tuple<string, string>>(() =>
        {
            foreach (var m in Received)
                if (m.Topic.StartsWith(topicPrefix, StringComparison.Ordinal)) return Tuple.Create(m.Topic, m.Payload);
            return null;
        }, timeout, "a message on " + topicPrefix).ContinueWith(t => (t.Result.Item1, t.Result.Item2));

    public async ValueTask DisposeAsync()
    {
        try { if (Client.IsConnected) await Client.DisconnectAsync(); } catch { }
        Client.Dispose();
    }
}

/// <summary>One emulator for a test class, on free ports with a temp data folder.</summary>
public sealed class EmulatorFixture : IAsyncLifetime
{
    public EmulatorHost Emu { get; private set; } = null!;
    public string Dir { get; } = Path.Combine(Path.GetTempPath(), "iotc-emu-tests-" + Guid.NewGuid().ToString("N")[..8]);
    public System.Collections.Concurrent.ConcurrentQueue<string> Log { get; } = new();

    public async Task InitializeAsync()
    {
        Emu = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = Dir, DpsPort = 0, MqttPort = 0, Log = Log.Enqueue, DpsRetryAfterSeconds = 1 });
    }

    public async Task DisposeAsync()
    {
        await Emu.DisposeAsync();
        try { Directory.Delete(Dir, true); } catch (IOException) { }
    }
}
