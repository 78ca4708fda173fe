using System.Net;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace IotcEmulator.Tests;

/// <summary>Faults are emulator-wide, so this class has its own emulator and clears faults after each test.</summary>
public sealed class FaultTests : IClassFixture<EmulatorFixture>, IAsyncLifetime
{
    readonly EmulatorFixture _fx;
    public FaultTests(EmulatorFixture fx) => _fx = fx;
    EmulatorHost Emu => _fx.Emu;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        Emu.Operator.ClearFaults();
        return Task.CompletedTask;
    }

    async Task<(string Id, string Key)> ProvisionedAsync()
    {
        var id = T.NewId("f");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, key))["status"]);
        return (id, key);
    }

    [Fact]
    public async Task Dps_throttle_answers_429_with_retry_after_then_recovers()
    {
        var id = T.NewId("thr");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        Emu.Operator.ThrottleDps(2, 7);
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        for (var i = 0; i < 2; i++)
        {
            using var r = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", sas, "{}"));
            Assert.Equal((HttpStatusCode)429, r.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(7), r.Headers.RetryAfter?.Delta);
            Assert.Equal(429001, (int?)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["errorCode"]);
        }
        Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, key, http: http))["status"]);
    }

    [Fact]
    public async Task Dps_keeps_assigning_for_n_polls()
    {
        var id = T.NewId("asg");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        Emu.Operator.KeepDpsAssigning(3);
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2019-03-31", sas, $"{{\"registrationId\":\"{id}\"}}"));
        var opId = (string)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["operationId"]!;
        var statuses = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            using var get = await http.SendAsync(T.DpsRequest(HttpMethod.Get, $"{Emu.IdScope}/registrations/{id}/operations/{opId}?api-version=2019-03-31", sas));
            statuses.Add((int)get.StatusCode + ":" + (string?)JsonNode.Parse(await get.Content.ReadAsStringAsync())!["status"]);
        }
        Assert.Equal(new[] { "202:assigning", "202:assigning", "202:assigning", "200:assigned" }, statuses);
    }

    [Fact]
    public async Task Refused_connects_get_server_unavailable_until_the_window_ends()
    {
        var (id, key) = await ProvisionedAsync();
        Emu.Operator.RefuseConnects(TimeSpan.FromSeconds(1.5));
        await using (var d = new Device())
        {
            var r = await d.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), T.HubSas(Emu, id, key)).Build());
            Assert.Equal(MqttClientConnectResultCode.ServerUnavailable, r.ResultCode);
        }
        await Task.Delay(1600);
        await using var ok = await T.ConnectAsync(Emu, id, key);
        Assert.True(ok.Client.IsConnected);
    }

    [Fact]
    public async Task Drop_connection_now()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        await T.WaitUntilAsync(() => Emu.Operator.IsConnected(id));
        Assert.True(await Emu.Operator.DropConnectionAsync(id));
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await T.WaitUntilAsync(() => !Emu.Operator.GetDeviceAsync(id).Result!.Connected);
        Assert.False(await Emu.Operator.DropConnectionAsync(id));
    }

    [Fact]
    public async Task Delayed_and_withheld_pubacks()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        Emu.Operator.DelayPubAcks(id, TimeSpan.FromMilliseconds(600));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "slow"));
        Assert.True(sw.ElapsedMilliseconds >= 550, $"PUBACK came after {sw.ElapsedMilliseconds} ms");
        Emu.Operator.DelayPubAcks(id, null);

        Emu.Operator.WithholdPubAcks(id);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "unacked"), cts.Token));
        Assert.True(ex is OperationCanceledException or MQTTnet.Exceptions.MqttCommunicationTimedOutException, ex.GetType().Name);
        var stored = await Emu.Operator.GetTelemetryAsync(id);
        Assert.Equal(new[] { "slow", "unacked" }, stored.Select(m => m.PayloadText));
        Emu.Operator.WithholdPubAcks(id, false);
        var r = await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "acked"));
        Assert.True(r.IsSuccess);
    }

    [Fact]
    public async Task Token_lifetime_cap_closes_the_connection_early()
    {
        var (id, key) = await ProvisionedAsync();
        Emu.Operator.CapTokenLifetime(TimeSpan.FromSeconds(1));
        await using var d = await T.ConnectAsync(Emu, id, key); // token valid for an hour
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(6));
        Assert.Contains(_fx.Log, l => l.Contains(id, StringComparison.Ordinal) && l.Contains("lifetime ended", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_desired_patch_is_pushed_and_nothing_is_stored()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        await d.SubscribeAsync("$iothub/twin/PATCH/properties/desired/#", MqttQualityOfServiceLevel.AtMostOnce);
        var before = await Emu.Operator.GetTwinAsync(id);
        Assert.True(await Emu.Operator.PushMalformedDesiredPatchAsync(id));
        var (_, payload) = await d.NextAsync("$iothub/twin/PATCH/properties/desired/");
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => JsonNode.Parse(payload));
        Assert.Equal(before!.DesiredJson, (await Emu.Operator.GetTwinAsync(id))!.DesiredJson);
    }
}
