using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace IotcEmulator.Tests;

public sealed class HubTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    EmulatorHost Emu => fx.Emu;

    async Task<(string Id, string Key)> ProvisionedAsync(string prefix = "dev")
    {
        var id = T.NewId(prefix);
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        var r = await T.ProvisionAsync(Emu, id, key);
        Assert.Equal("assigned", (string?)r["status"]);
        return (id, key);
    }

    static async Task<MqttClientConnectResultCode> RefusalAsync(EmulatorHost emu, string clientId, string user, string password)
    {
        await using var d = new Device();
        var r = await d.Client.ConnectAsync(T.MqttOptions(emu, clientId, user, password).Build());
        return r.ResultCode;
    }

    [Fact]
    public async Task Telemetry_with_property_bag_is_stored_with_arrival_time()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/$.ct=application%2Fjson&$.ce=utf-8&temp%20unit=%C2%B0C&flag", "{\"temp\":21.5}"));
        await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "{\"q\":0}", MqttQualityOfServiceLevel.AtMostOnce));
        var all = await T.WaitAsync(() => { var l = Emu.Operator.GetTelemetryAsync(id).Result; return l.Count >= 2 ? l : null; });
        var m = all[0];
        Assert.Equal("{\"temp\":21.5}", m.PayloadText);
        Assert.Equal("application/json", m.Properties["$.ct"]);
        Assert.Equal("utf-8", m.Properties["$.ce"]);
        Assert.Equal("°C", m.Properties["temp unit"]);
        Assert.True(m.Properties.ContainsKey("flag") && m.Properties["flag"] is null);
        Assert.InRange(m.ArrivedUtc, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("{\"q\":0}", all[1].PayloadText);
        Assert.Empty(all[1].Properties);
    }

    [Fact]
    public async Task Wrong_signature_expired_token_and_unknown_device_are_refused()
    {
        var (id, key) = await ProvisionedAsync();
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await RefusalAsync(Emu, id, T.UserName(Emu, id), T.HubSas(Emu, id, T.RandomKey())));
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await RefusalAsync(Emu, id, T.UserName(Emu, id), T.HubSas(Emu, id, key, TimeSpan.FromMinutes(-1))));
        var ghost = T.NewId("ghost");
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await RefusalAsync(Emu, ghost, T.UserName(Emu, ghost), T.HubSas(Emu, ghost, key)));
        Assert.Equal(MqttClientConnectResultCode.BadUserNameOrPassword, await RefusalAsync(Emu, id, $"otherhub/{id}/?api-version=2021-04-12", T.HubSas(Emu, id, key)));
        // An enrolled device that never provisioned does not exist on the hub yet.
        var unprovisioned = T.NewId("unprov");
        await Emu.Operator.EnrollSymmetricKeyAsync(unprovisioned, key);
        Assert.Equal(MqttClientConnectResultCode.NotAuthorized, await RefusalAsync(Emu, unprovisioned, T.UserName(Emu, unprovisioned), T.HubSas(Emu, unprovisioned, key)));
        Assert.Contains(fx.Log, l => l.Contains("expired", StringComparison.Ordinal));
        Assert.DoesNotContain(fx.Log, l => l.Contains(key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Older_user_name_forms_and_model_id_parameter_are_accepted()
    {
        var (id, key) = await ProvisionedAsync();
        await using (var old = new Device())
        {
            var r = await old.Client.ConnectAsync(T.MqttOptions(Emu, id, $"{Emu.HubHostName}/{id}/api-version=2016-11-14", T.HubSas(Emu, id, key)).Build());
            Assert.Equal(MqttClientConnectResultCode.Success, r.ResultCode);
        }
        await using var d = await T.ConnectAsync(Emu, id, key, "&model-id=dtmi%3Acom%3Aexample%3AThermostat%3B1&DeviceClientType=tests%2F1.0");
        Assert.True(d.Client.IsConnected);
        await T.WaitUntilAsync(() => Emu.Operator.GetDeviceAsync(id).Result?.ModelId == "dtmi:com:example:Thermostat;1");
        Assert.True((await Emu.Operator.GetDeviceAsync(id))!.Connected);
    }

    [Fact]
    public async Task Publishing_to_another_devices_topic_disconnects_and_stores_nothing()
    {
        var (id, key) = await ProvisionedAsync();
        var (other, _) = await ProvisionedAsync("victim");
        await using var d = await T.ConnectAsync(Emu, id, key);
        try { await d.Client.PublishAsync(T.Msg($"devices/{other}/messages/events/", "{\"spoof\":1}")); } catch (Exception) { /* closed under us */ }
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(await Emu.Operator.GetTelemetryAsync(other));
        Assert.Empty(await Emu.Operator.GetTelemetryAsync(id));
    }

    [Fact]
    public async Task Publishing_to_an_unknown_topic_disconnects()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        try { await d.Client.PublishAsync(T.Msg("some/random/topic", "x")); } catch (Exception) { }
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(d.Client.IsConnected);
    }

    [Fact]
    public async Task Foreign_subscriptions_fail_and_harmless_old_ones_are_acknowledged()
    {
        var (id, key) = await ProvisionedAsync();
        var (other, _) = await ProvisionedAsync("other");
        await using var d = await T.ConnectAsync(Emu, id, key);
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, await d.SubscribeAsync($"devices/{other}/messages/devicebound/#"));
        Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, await d.SubscribeAsync("#"));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await d.SubscribeAsync($"devices/{id}/messages/events/#"));
        // QoS 2 subscriptions are granted as QoS 1, as IoT Hub does.
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await d.SubscribeAsync("$iothub/twin/res/#", MqttQualityOfServiceLevel.ExactlyOnce));
        // The harmless subscription grants nothing: the device's own telemetry is not echoed back.
        await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "{}"));
        await Emu.Operator.GetTelemetryAsync(id);
        await Task.Delay(200);
        Assert.DoesNotContain(d.Received, m => m.Topic.Contains("messages/events", StringComparison.Ordinal));
        Assert.True(d.Client.IsConnected);
    }

    [Fact]
    public async Task Twin_get_reported_patch_and_desired_push()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await d.SubscribeAsync("$iothub/twin/res/#", MqttQualityOfServiceLevel.AtMostOnce));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await d.SubscribeAsync("$iothub/twin/PATCH/properties/desired/#", MqttQualityOfServiceLevel.AtMostOnce));

        await d.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=g1", ""));
        var (topic, payload) = await d.NextAsync("$iothub/twin/res/");
        Assert.Equal("$iothub/twin/res/200/?$rid=g1", topic);
        var twin = JsonNode.Parse(payload)!;
        Assert.Equal(1, (int)twin["desired"]!["$version"]!);
        Assert.Equal(1, (int)twin["reported"]!["$version"]!);

        await d.Client.PublishAsync(T.Msg("$iothub/twin/PATCH/properties/reported/?$rid=p1", "{\"fw\":\"1.0\",\"nested\":{\"a\":1}}"));
        (topic, _) = await d.NextAsync("$iothub/twin/res/204/");
        Assert.Equal("$iothub/twin/res/204/?$rid=p1&$version=2", topic);

        var v = await Emu.Operator.SetDesiredPropertiesAsync(id, "{\"setpoint\":{\"value\":22}}");
        Assert.Equal(2, v);
        (topic, payload) = await d.NextAsync("$iothub/twin/PATCH/properties/desired/");
        Assert.Equal("$iothub/twin/PATCH/properties/desired/?$version=2", topic);
        var push = JsonNode.Parse(payload)!;
        Assert.Equal(22, (int)push["setpoint"]!["value"]!);
        Assert.Equal(2, (int)push["$version"]!);

        d.Received.Clear();
        await d.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=g2", ""));
        (topic, payload) = await d.NextAsync("$iothub/twin/res/200/");
        twin = JsonNode.Parse(payload)!;
        Assert.Equal("1.0", (string?)twin["reported"]!["fw"]);
        Assert.Equal(2, (int)twin["reported"]!["$version"]!);
        Assert.Equal(22, (int)twin["desired"]!["setpoint"]!["value"]!);

        var t = await Emu.Operator.GetTwinAsync(id);
        Assert.Equal(2, t!.ReportedVersion);
        Assert.Equal(2, t.DesiredVersion);
        Assert.Equal(1, (int)JsonNode.Parse(t.ReportedJson)!["nested"]!["a"]!);
    }

    [Fact]
    public async Task Malformed_reported_patch_gets_400_stores_nothing_and_server_keeps_running()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        await d.SubscribeAsync("$iothub/twin/res/#");
        var before = await Emu.Operator.GetTwinAsync(id);
        await d.Client.PublishAsync(T.Msg("$iothub/twin/PATCH/properties/reported/?$rid=bad", "{\"fw\": 1.0,"));
        var (topic, _) = await d.NextAsync("$iothub/twin/res/");
        Assert.Equal("$iothub/twin/res/400/?$rid=bad", topic);
        await d.Client.PublishAsync(T.Msg("$iothub/twin/PATCH/properties/reported/?$rid=arr", "[1,2]"));
        (topic, _) = await d.NextAsync("$iothub/twin/res/400/?$rid=arr");
        var after = await Emu.Operator.GetTwinAsync(id);
        Assert.Equal(before!.ReportedVersion, after!.ReportedVersion);
        Assert.Equal(before.ReportedJson, after.ReportedJson);
        Assert.True(d.Client.IsConnected);
        d.Received.Clear();
        await d.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=ok", ""));
        (topic, _) = await d.NextAsync("$iothub/twin/res/");
        Assert.Equal("$iothub/twin/res/200/?$rid=ok", topic);
    }

    [Fact]
    public async Task Direct_method_round_trip_timeout_and_offline()
    {
        var (id, key) = await ProvisionedAsync();
        var offline = await Emu.Operator.InvokeCommandAsync(id, "reboot", "{}", TimeSpan.FromSeconds(2));
        Assert.Equal(404, offline.Status);

        await using var d = await T.ConnectAsync(Emu, id, key);
        await d.SubscribeAsync("$iothub/methods/POST/#", MqttQualityOfServiceLevel.AtMostOnce);
        d.Client.ApplicationMessageReceivedAsync += async e =>
        {
            var t = e.ApplicationMessage.Topic;
            if (!t.StartsWith("$iothub/methods/POST/echo/", StringComparison.Ordinal)) return;
            var rid = t[(t.IndexOf("$rid=", StringComparison.Ordinal) + 5)..];
            var req = JsonNode.Parse(e.ApplicationMessage.ConvertPayloadToString())!;
            await d.Client.PublishAsync(T.Msg($"$iothub/methods/res/201/?$rid={rid}", new JsonObject { ["echo"] = req["x"]!.DeepClone() }.ToJsonString(), MqttQualityOfServiceLevel.AtMostOnce));
        };
        var r = await Emu.Operator.InvokeCommandAsync(id, "echo", "{\"x\":42}", TimeSpan.FromSeconds(10));
        Assert.Equal(201, r.Status);
        Assert.False(r.TimedOut);
        Assert.Equal(42, (int)JsonNode.Parse(r.PayloadJson!)!["echo"]!);

        var slow = await Emu.Operator.InvokeCommandAsync(id, "ignored", "{}", TimeSpan.FromMilliseconds(500));
        Assert.True(slow.TimedOut);
        Assert.Equal(504, slow.Status);
        var history = await Emu.Operator.ListCommandsAsync(id);
        Assert.Contains(history, c => c.Name == "echo" && c.Status == 201 && c.Outcome == "completed");
        Assert.Contains(history, c => c.Name == "ignored" && c.Outcome == "timeout");
    }

    [Fact]
    public async Task C2d_is_delivered_live_and_queued_while_offline()
    {
        var (id, key) = await ProvisionedAsync();
        var queuedId = await Emu.Operator.SendC2dAsync(id, "while-offline", new Dictionary<string, string?> { ["k"] = "a/b c" });
        // Clean session 0: a clean session 1 would remove what was queued (SessionAndC2dTests).
        var (d, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using var _d = d;
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await d.SubscribeAsync($"devices/{id}/messages/devicebound/#"));
        var (topic, payload) = await d.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("while-offline", payload);
        Assert.Contains("k=a%2Fb%20c", topic);
        Assert.Contains($"%24.mid={queuedId}", topic);
        d.Received.Clear();
        await Emu.Operator.SendC2dAsync(id, "live");
        (_, payload) = await d.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("live", payload);
        // The client PUBACKs both: each is completed after exactly one delivery.
        await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.All(m => m.State == "completed"), what: "both messages completed");
        var q = await Emu.Operator.ListC2dAsync(id);
        Assert.All(q, m => Assert.Equal(1, m.DeliveryCount));
        Assert.Equal(2, q.Count);
    }

    [Fact]
    public async Task Second_connection_with_same_id_takes_over()
    {
        var (id, key) = await ProvisionedAsync();
        await using var first = await T.ConnectAsync(Emu, id, key);
        await using var second = await T.ConnectAsync(Emu, id, key);
        await first.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(second.Client.IsConnected);
        await second.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "from-second"));
        var l = await Emu.Operator.GetTelemetryAsync(id);
        Assert.Equal("from-second", Assert.Single(l).PayloadText);
        Assert.True(Emu.Operator.IsConnected(id));
    }

    [Fact]
    public async Task Qos2_publish_closes_the_connection()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        try { await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "q2", MqttQualityOfServiceLevel.ExactlyOnce)); } catch (Exception) { }
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Empty(await Emu.Operator.GetTelemetryAsync(id));
    }

    [Fact]
    public async Task Connection_is_closed_when_the_sas_expires()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = new Device();
        await d.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), T.HubSas(Emu, id, key, TimeSpan.FromSeconds(2))).Build());
        Assert.True(d.Client.IsConnected);
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(8));
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));
    }

    [Fact]
    public async Task Retained_flag_is_ignored()
    {
        var (id, key) = await ProvisionedAsync();
        await using var d = await T.ConnectAsync(Emu, id, key);
        var msg = new MqttApplicationMessageBuilder().WithTopic($"devices/{id}/messages/events/").WithPayload("r").WithRetainFlag().WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
        var r = await d.Client.PublishAsync(msg);
        Assert.True(r.IsSuccess);
        Assert.Single(await Emu.Operator.GetTelemetryAsync(id));
        await using var d2 = await T.ConnectAsync(Emu, id, key); // takes over; nothing retained is replayed
        await d2.SubscribeAsync($"devices/{id}/messages/devicebound/#");
        await Task.Delay(200);
        Assert.Empty(d2.Received);
    }

    [Fact]
    public async Task Desired_values_reach_the_device_as_characters_not_escapes()
    {
        var (id, key) = await ProvisionedAsync("esc");
        await using var d = await T.ConnectAsync(Emu, id, key);
        await d.SubscribeAsync("$iothub/twin/PATCH/properties/desired/#");
        await d.SubscribeAsync("$iothub/twin/res/#");
        await Emu.Operator.SetDesiredPropertiesAsync(id, "{\"html\":\"<img src='x'> & caf\u00e9\"}");
        var (_, pushed) = await d.NextAsync("$iothub/twin/PATCH/properties/desired/");
        Assert.Contains("\"html\":\"<img src='x'> & café\"", pushed);
        Assert.DoesNotContain("\\u", pushed);
        await d.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=7", ""));
        var (_, twin) = await d.NextAsync("$iothub/twin/res/200/");
        Assert.Contains("<img src='x'> & café", twin);
    }

    [Fact]
    public async Task A_QoS_1_PUBACK_means_the_message_is_committed_to_SQLite()
    {
        var (id, key) = await ProvisionedAsync("durable");
        await using var d = await T.ConnectAsync(Emu, id, key);
        var db = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder { DataSource = Path.Combine(Emu.DataDirectory, "emulator.db"), Mode = Microsoft.Data.Sqlite.SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        for (var i = 1; i <= 50; i++)
        {
            var ack = await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/n={i}", "{}"));
            Assert.True(ack.IsSuccess);
            // Read straight from the file, bypassing the operator API (which would wait for the writer first).
            using var c = new Microsoft.Data.Sqlite.SqliteConnection(db);
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM telemetry WHERE device_id=$d";
            cmd.Parameters.AddWithValue("$d", id);
            Assert.Equal((long)i, (long)cmd.ExecuteScalar()!);
        }
    }
}
