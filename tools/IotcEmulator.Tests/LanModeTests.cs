using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using Xunit;

namespace IotcEmulator.Tests;

/// <summary>LAN mode (<c>--bind</c>), exercised on 127.0.0.2 so that tests never listen beyond loopback.</summary>
public sealed class LanModeTests
{
    [Fact]
    public async Task Bound_to_an_address_with_certificate_names_a_device_uses_that_address_with_TLS_validated()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-lan-" + Guid.NewGuid().ToString("N")[..8]);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var options = new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = 0, Log = log.Enqueue, BindAddress = "127.0.0.2", HubHostName = "127.0.0.2" };
        options.CertificateNames.Add("board-desk.example");
        options.CertificateNames.Add("10.9.8.7");
        try
        {
            await using var emu = await EmulatorHost.StartAsync(options);
            Assert.Equal("127.0.0.2", emu.BindAddress);
            Assert.Contains(log, l => l.StartsWith("WARNING: LAN mode", StringComparison.Ordinal));

            using var server = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, "server.pem")));
            var san = server.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            Assert.Contains("board-desk.example", san.EnumerateDnsNames());
            Assert.Contains(System.Net.IPAddress.Parse("10.9.8.7"), san.EnumerateIPAddresses());
            Assert.Contains(System.Net.IPAddress.Parse("127.0.0.2"), san.EnumerateIPAddresses());

            // A device provisions and connects by the address, validating the server certificate (name included).
            var id = T.NewId("lan");
            var key = T.RandomKey();
            await emu.Operator.EnrollSymmetricKeyAsync(id, key);
            var ca = X509CertificateLoader.LoadCertificate(emu.CaCertificate.RawData);
            var handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (_, c, _, e) => T.TrustsOnly(ca, c, e);
            using var http = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.2:{emu.DpsPort}/") };
            Assert.Equal("127.0.0.2", (string?)(await T.ProvisionAsync(emu, id, key, http: http))["registrationState"]!["assignedHub"]);
            using var mqtt = new MqttClientFactory().CreateMqttClient();
            var r = await mqtt.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.2", emu.MqttPort).WithProtocolVersion(MqttProtocolVersion.V311)
                .WithClientId(id).WithCredentials($"127.0.0.2/{id}/?api-version=2021-04-12", T.Sas($"127.0.0.2/devices/{id}", key, DateTimeOffset.UtcNow.AddHours(1)))
                .WithTlsOptions(o => o.UseTls().WithTargetHost("127.0.0.2").WithCertificateValidationHandler(a => T.TrustsOnly(ca, a.Certificate, a.SslPolicyErrors))).Build());
            Assert.Equal(MqttClientConnectResultCode.Success, r.ResultCode);

            // The operator API still answers on localhost (and refuses other host names).
            using var local = T.Http(emu);
            Assert.True((await local.GetAsync("api/info")).IsSuccessStatusCode);
            using var remoteApi = new HttpRequestMessage(HttpMethod.Get, "api/info");
            remoteApi.Headers.Add("X-Iotc-Token", emu.AccessToken);
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await http.SendAsync(remoteApi)).StatusCode);

            // The snippet a board needs: endpoint, hub port and the CA as C# string literals that spell the PEM.
            var snippet = Cli.BoardSnippet(emu, id);
            Assert.Contains($"device.SetServiceHost(\"127.0.0.2:{emu.DpsPort}\");", snippet);
            Assert.Contains($"device.SetHubPort({emu.MqttPort});", snippet);
            var literal = new StringBuilder();
            foreach (var line in snippet.Split('\n').Where(l => l.TrimStart().StartsWith("\"-----", StringComparison.Ordinal) || l.TrimStart().StartsWith('"')))
            {
                var t = line.Trim();
                literal.Append(t[1..t.LastIndexOf('"')].Replace("\\n", "\n"));
            }
            Assert.Equal(emu.CaCertificatePem.Replace("\r", "").Trim() + "\n", literal.ToString());
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_bind_address_that_is_not_IPv4_is_refused()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-lan-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await Assert.ThrowsAsync<ArgumentException>(() => EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = 0, BindAddress = "my-laptop", Log = _ => { } }));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
