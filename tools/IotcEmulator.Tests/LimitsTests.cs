using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace IotcEmulator.Tests;

/// <summary>Refusals and limits answered as IoT Hub and DPS answer them; the emulator keeps running and stores nothing refused.</summary>
public sealed class LimitsTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    EmulatorHost Emu => fx.Emu;

    static StringContent Json(string text) => new(text, Encoding.UTF8, "application/json");

    /// <summary>A SAS with a raw <c>se</c> (beyond what DateTimeOffset can hold), signed with <paramref name="key"/>.</summary>
    static string SasWithSe(string resource, string key, string se, string? skn = null)
    {
        var sr = T.Enc(resource);
        var sig = Convert.ToBase64String(HMACSHA256.HashData(Convert.FromBase64String(key), Encoding.UTF8.GetBytes(sr + "\n" + se)));
        return $"SharedAccessSignature sr={sr}&sig={T.Enc(sig)}&se={se}" + (skn is null ? "" : "&skn=" + skn);
    }

    async Task<(string Id, string Key)> ProvisionedAsync()
    {
        var id = T.NewId("lim");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, key))["status"]);
        return (id, key);
    }

    [Fact]
    public async Task A_token_expiring_after_year_9999_is_checked_like_any_other()
    {
        var (id, key) = await ProvisionedAsync();
        using var http = T.Http(Emu);
        const string far = "253402300800"; // 10000-01-01: one second beyond DateTimeOffset.MaxValue
        var forged = SasWithSe($"{Emu.IdScope}/registrations/{id}", T.RandomKey(), far, "registration");
        using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", forged, "{}"));
        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        var genuine = SasWithSe($"{Emu.IdScope}/registrations/{id}", key, far, "registration");
        using var ok = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", genuine, "{}"));
        Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);

        // The hub answers CONNACK "not authorized" instead of closing without one.
        await using var d = new Device();
        var refused = await d.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), SasWithSe($"{Emu.HubHostName}/devices/{id}", T.RandomKey(), far)).Build());
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, refused.ResultCode);
        await using var d2 = new Device();
        var accepted = await d2.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), SasWithSe($"{Emu.HubHostName}/devices/{id}", key, far)).Build());
        Assert.Equal(MqttClientConnectResultCode.Success, accepted.ResultCode);
    }

    [Fact]
    public async Task Keys_that_are_not_base64_are_refused_with_400()
    {
        using var http = T.Http(Emu);
        var group = T.NewId("grp");
        using var r = await http.PostAsync("api/enrollments", Json($$"""{"id":"{{group}}","group":true,"primaryKey":"not base64!"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.DoesNotContain(await Emu.Operator.ListEnrollmentsAsync(), e => e.Id == group);
        using var d = await http.PostAsync("api/devices", Json($$"""{"deviceId":"{{T.NewId("dev")}}","primaryKey":"%%%"}"""));
        Assert.Equal(HttpStatusCode.BadRequest, d.StatusCode);
        await Assert.ThrowsAsync<ArgumentException>(() => Emu.Operator.EnrollSymmetricKeyAsync(T.NewId("ind"), "not base64!"));
    }

    [Fact]
    public async Task An_existing_device_id_is_409_and_device_ids_are_case_sensitive()
    {
        using var http = T.Http(Emu);
        var id = "Case-" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();
        var key = T.RandomKey();
        using (var first = await http.PostAsync("api/devices", Json($$"""{"deviceId":"{{id}}","primaryKey":"{{key}}"}""")))
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        using (var again = await http.PostAsync("api/devices", Json($$"""{"deviceId":"{{id}}"}""")))
        {
            Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
            Assert.Equal(409001, (int?)JsonNode.Parse(await again.Content.ReadAsStringAsync())!["errorCode"]);
        }
        // The first device kept its key: it still connects with it.
        await using (var d = await T.ConnectAsync(Emu, id, key)) Assert.True(d.Client.IsConnected);

        // Another case is another device id: no such device until created, then a separate one.
        var lower = id.ToLowerInvariant();
        await using (var wrongCase = new Device())
        {
            var r = await wrongCase.Client.ConnectAsync(T.MqttOptions(Emu, lower, T.UserName(Emu, lower), T.HubSas(Emu, lower, key)).Build());
            Assert.Equal(MqttClientConnectResultCode.NotAuthorized, r.ResultCode);
        }
        var otherKey = T.RandomKey();
        using (var second = await http.PostAsync("api/devices", Json($$"""{"deviceId":"{{lower}}","primaryKey":"{{otherKey}}"}""")))
            Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        await Emu.Operator.SetDesiredPropertiesAsync(lower, "{\"only\":\"lower\"}");
        Assert.Null((string?)JsonNode.Parse((await Emu.Operator.GetTwinAsync(id))!.DesiredJson)!["only"]);
        Assert.Equal("lower", (string?)JsonNode.Parse((await Emu.Operator.GetTwinAsync(lower))!.DesiredJson)!["only"]);
        Assert.Null(await Emu.Operator.GetDeviceAsync(id.ToUpperInvariant()));
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("a/b/c")]
    [InlineData("nul\u0000inside")]
    [InlineData("has <angle> and spaces")]
    [InlineData("")]
    public async Task Device_ids_outside_IoT_Hubs_rules_are_400(string id)
    {
        using var http = T.Http(Emu);
        using var r = await http.PostAsync("api/devices", JsonContent.Create(new { deviceId = id }));
        Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode);
        Assert.DoesNotContain(await Emu.Operator.ListDevicesAsync(), d => d.DeviceId == id);
    }

    [Fact]
    public async Task Ids_longer_than_128_characters_are_400_for_devices_and_enrollments()
    {
        using var http = T.Http(Emu);
        var longId = new string('a', 5000);
        using var d = await http.PostAsync("api/devices", JsonContent.Create(new { deviceId = longId }));
        Assert.Equal(HttpStatusCode.BadRequest, d.StatusCode);
        using var e = await http.PostAsync("api/enrollments", JsonContent.Create(new { id = longId }));
        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        using var e2 = await http.PostAsync("api/enrollments", JsonContent.Create(new { id = "a/b" }));
        Assert.Equal(HttpStatusCode.BadRequest, e2.StatusCode);
        Assert.True(Limits.IsValidDeviceId(new string('a', 128)));
        Assert.False(Limits.IsValidDeviceId(new string('a', 129)));
    }

    [Fact]
    public async Task The_operator_API_answers_400_to_input_it_cannot_use()
    {
        var (id, _) = await ProvisionedAsync();
        using var http = T.Http(Emu);
        async Task Expect400(HttpRequestMessage req)
        {
            using var r = await http.SendAsync(req);
            Assert.True(r.StatusCode == HttpStatusCode.BadRequest, $"{req.Method} {req.RequestUri} answered {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
        }
        await Expect400(new HttpRequestMessage(HttpMethod.Post, $"api/devices/{id}/commands/{Uri.EscapeDataString("a#b")}") { Content = Json("{}") });
        await Expect400(new HttpRequestMessage(HttpMethod.Post, $"api/devices/{id}/commands/{Uri.EscapeDataString("a+b")}") { Content = Json("{}") });
        await Expect400(new HttpRequestMessage(HttpMethod.Post, $"api/devices/{id}/c2d") { Content = Json("""{"payload":"x","ttlSeconds":1e300}""") });
        await Expect400(new HttpRequestMessage(HttpMethod.Post, $"api/devices/{id}/c2d") { Content = Json("""{"payload":"x","ttlSeconds":-5}""") });
        await Expect400(new HttpRequestMessage(HttpMethod.Post, "api/faults/refuse-connects?seconds=1e300"));
        await Expect400(new HttpRequestMessage(HttpMethod.Post, "api/faults/refuse-connects?seconds=NaN"));
        await Expect400(new HttpRequestMessage(HttpMethod.Post, "api/faults/token-lifetime?seconds=1e300"));
        await Expect400(new HttpRequestMessage(HttpMethod.Post, "api/faults/token-lifetime?seconds=NaN"));
        await Expect400(new HttpRequestMessage(HttpMethod.Patch, $"api/devices/{id}/twin/desired") { Content = Json("""{"bad":"\ud800"}""") });
        Assert.Empty(await Emu.Operator.ListC2dAsync(id));
        Assert.False(Emu.Operator.GetFaults().ToString()!.Contains("Infinity", StringComparison.Ordinal));
        // Still serving.
        Assert.Equal(2, await Emu.Operator.SetDesiredPropertiesAsync(id, "{\"ok\":true}"));
    }

    [Fact]
    public async Task Operator_payloads_above_IoT_Hubs_limits_are_413_and_at_the_limit_are_accepted()
    {
        var (id, _) = await ProvisionedAsync();
        using var http = T.Http(Emu);
        using (var big = await http.PostAsync($"api/devices/{id}/c2d", JsonContent.Create(new { payload = new string('x', 64 * 1024 + 1) })))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        using (var max = await http.PostAsync($"api/devices/{id}/c2d", JsonContent.Create(new { payload = new string('x', 64 * 1024) })))
            Assert.Equal(HttpStatusCode.Created, max.StatusCode);
        using (var desired = await http.PatchAsync($"api/devices/{id}/twin/desired", Json($$"""{"big":"{{new string('d', 33 * 1024)}}"}""")))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, desired.StatusCode);
        Assert.Null((string?)JsonNode.Parse((await Emu.Operator.GetTwinAsync(id))!.DesiredJson)!["big"]);
        using (var cmd = await http.PostAsync($"api/devices/{id}/commands/big?timeout=1", Json($"\"{new string('c', 129 * 1024)}\"")))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, cmd.StatusCode);
        using (var huge = await http.PostAsync($"api/devices/{id}/c2d", JsonContent.Create(new { payload = new string('x', 2 * 1024 * 1024) })))
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);
    }

    [Fact]
    public async Task Device_messages_above_IoT_Hubs_limits_are_refused_and_not_stored()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        await d.SubscribeAsync("$iothub/twin/res/#");
        await d.Client.PublishAsync(T.Msg("$iothub/twin/PATCH/properties/reported/?$rid=big", $$"""{"blob":"{{new string('r', 40 * 1024)}}"}"""));
        var (topic, _) = await d.NextAsync("$iothub/twin/res/");
        Assert.StartsWith("$iothub/twin/res/413/?$rid=big", topic);
        Assert.Equal(1, (await Emu.Operator.GetTwinAsync(id))!.ReportedVersion);

        // Telemetry above 256 KB closes the connection (IoT Hub has no MQTT refusal for a publish); nothing is stored.
        var tooBig = new MqttApplicationMessageBuilder().WithTopic($"devices/{id}/messages/events/").WithPayload(new byte[256 * 1024 + 1]).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        try { await d.Client.PublishAsync(tooBig); } catch (MQTTnet.Exceptions.MqttCommunicationException) { } catch (OperationCanceledException) { }
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, await Emu.Operator.CountTelemetryAsync(id));

        // DPS bodies above the emulator's 64 KB bound: 413.
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", sas,
            new JsonObject { ["registrationId"] = id, ["payload"] = new JsonObject { ["x"] = new string('p', 70 * 1024) } }.ToJsonString()));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, put.StatusCode);
    }
}
