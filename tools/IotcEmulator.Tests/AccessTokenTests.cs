using System.Net;
using Xunit;

namespace IotcEmulator.Tests;

/// <summary>The operator API's access token from the CLI's and an embedder's side (the browser side is in
/// IotcEmulator.Dashboard.Tests).</summary>
public sealed class AccessTokenTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    EmulatorHost Emu => fx.Emu;

    [Fact]
    public async Task Cli_takes_the_token_from_the_data_folder_or_token_and_a_wrong_one_is_refused()
    {
        var url = $"https://localhost:{Emu.DpsPort}";
        Assert.Equal(Emu.AccessToken, File.ReadAllText(Path.Combine(Emu.DataDirectory, "access-token")));
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Emu.DataDirectory, "access-token")));
        Assert.Equal(0, await Cli.RunAsync(["devices", "--url", url, "--data", Emu.DataDirectory], new StringWriter()));
        Assert.Equal(0, await Cli.RunAsync(["devices", "--url", url, "--ca", Emu.CaCertificatePath, "--token", Emu.AccessToken!], new StringWriter()));
        var output = new StringWriter();
        Assert.Equal(1, await Cli.RunAsync(["enrollments", "--url", url, "--ca", Emu.CaCertificatePath, "--token", "wrong"], output));
        Assert.Contains("access token", output.ToString());
    }

    [Fact]
    public async Task Enrollment_keys_are_listed_only_on_reveal()
    {
        var id = T.NewId("reveal");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        using var http = T.Http(Emu);
        Assert.DoesNotContain(key, await http.GetStringAsync("api/enrollments"));
        Assert.DoesNotContain(key, await http.GetStringAsync($"api/enrollments/{id}"));
        Assert.Contains(key, await http.GetStringAsync("api/enrollments?reveal=true"));
        Assert.Contains(key, await http.GetStringAsync($"api/enrollments/{id}?reveal=true"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"api/enrollments/{id}/derive?deviceId=d1")).StatusCode); // not a group
    }

    [Fact]
    public async Task Without_a_token_the_api_answers_loopback_same_origin_requests_only()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-noauth-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var open = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = 0, RequireAccessToken = false, Log = _ => { } });
            Assert.Null(open.AccessToken);
            Assert.False(File.Exists(Path.Combine(dir, "access-token")));
            Assert.Equal(open.DashboardUri, open.DashboardLoginUri);
            using var http = T.Http(open);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("api/devices")).StatusCode);
            var crossSite = new HttpRequestMessage(HttpMethod.Delete, "api/faults");
            crossSite.Headers.Add("Origin", "https://attacker.example");
            Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(crossSite)).StatusCode);
            Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/faults")).StatusCode);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
