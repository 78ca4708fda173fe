using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace IotcEmulator.Tests;

public sealed class PersistenceTests
{
    [Fact]
    public async Task A_busy_port_is_reported_by_number_with_the_option_that_changes_it()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-busy-" + Guid.NewGuid().ToString("N")[..8]);
        using var squatter = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var busy = ((IPEndPoint)squatter.LocalEndpoint).Port;
        try
        {
            var mqtt = await Assert.ThrowsAsync<PortInUseException>(() => EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = busy, Log = _ => { } }));
            Assert.Equal(busy, mqtt.Port);
            Assert.Equal("--mqtt-port", mqtt.Option);
            Assert.Contains(busy.ToString(), mqtt.Message);
            var https = await Assert.ThrowsAsync<PortInUseException>(() => EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = dir, DpsPort = busy, MqttPort = 0, Log = _ => { } }));
            Assert.Equal("--dps-port", https.Option);
            // The CLI prints the message (no stack trace) and exits with 2.
            Assert.Equal(2, await Cli.RunAsync(["start", "--data", dir, "--dps-port", "0", "--mqtt-port", busy.ToString()], new StringWriter()));
        }
        finally
        {
            squatter.Stop();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_persistent_session_survives_a_restart_with_its_subscriptions_and_unacknowledged_C2D()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-session-" + Guid.NewGuid().ToString("N")[..8]);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var options = new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = 0, Log = log.Enqueue };
        var id = T.NewId("sess");
        var key = T.RandomKey();
        var clean = T.NewId("clean");
        try
        {
            await using (var emu = await EmulatorHost.StartAsync(options))
            {
                await emu.Operator.CreateDeviceAsync(id, key);
                await emu.Operator.CreateDeviceAsync(clean, key);
                var (d, _) = await T.ConnectSessionAsync(emu, id, key, cleanSession: false, withholdAcks: true);
                await using (d)
                {
                    await d.SubscribeAsync("$iothub/twin/res/#");
                    await d.SubscribeAsync("$iothub/twin/PATCH/properties/desired/#");
                    await d.SubscribeAsync("$iothub/methods/POST/#", MqttQualityOfServiceLevel.AtMostOnce);
                    await d.SubscribeAsync($"devices/{id}/messages/devicebound/#");
                    await emu.Operator.SendC2dAsync(id, "unacknowledged");
                    await d.NextAsync($"devices/{id}/messages/devicebound/");
                }
                var (c, _) = await T.ConnectSessionAsync(emu, clean, key, cleanSession: true);
                await using (c) await c.SubscribeAsync("$iothub/twin/res/#");
            }

            await using (var emu = await EmulatorHost.StartAsync(options))
            {
                var (d, present) = await T.ConnectSessionAsync(emu, id, key, cleanSession: false);
                await using (d)
                {
                    Assert.True(present, "CONNACK session-present after the restart");
                    // No SUBSCRIBE: the session's subscriptions came back.
                    var (_, redelivered) = await d.NextAsync($"devices/{id}/messages/devicebound/");
                    Assert.Equal("unacknowledged", redelivered);
                    await T.WaitUntilAsync(() => emu.Operator.ListC2dAsync(id).Result.Single().State == "completed", what: "completed by the PUBACK");
                    await emu.Operator.SetDesiredPropertiesAsync(id, "{\"after\":\"restart\"}");
                    Assert.Contains("restart", (await d.NextAsync("$iothub/twin/PATCH/properties/desired/")).Payload);
                    await d.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=r1", ""));
                    Assert.StartsWith("$iothub/twin/res/200/?$rid=r1", (await d.NextAsync("$iothub/twin/res/")).Topic);
                    var invoke = emu.Operator.InvokeCommandAsync(id, "ping", "{}", TimeSpan.FromSeconds(20));
                    var (methodTopic, _) = await d.NextAsync("$iothub/methods/POST/ping/");
                    var rid = methodTopic[(methodTopic.IndexOf("$rid=", StringComparison.Ordinal) + 5)..];
                    await d.Client.PublishAsync(T.Msg($"$iothub/methods/res/200/?$rid={rid}", "{}"));
                    Assert.Equal(200, (await invoke).Status);
                }
                // A clean-session device has nothing to resume.
                var (c, cleanPresent) = await T.ConnectSessionAsync(emu, clean, key, cleanSession: false);
                await using (c) Assert.False(cleanPresent);
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Short_lived_data_folders_can_share_one_certificate_folder_and_its_CA()
    {
        var root = Path.Combine(Path.GetTempPath(), "iotc-emu-certdir-" + Guid.NewGuid().ToString("N")[..8]);
        var certs = Path.Combine(root, "certs");
        try
        {
            string first;
            await using (var a = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = Path.Combine(root, "run1"), CertificateDirectory = certs, DpsPort = 0, MqttPort = 0, Log = _ => { } }))
            await using (var b = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = Path.Combine(root, "run2"), CertificateDirectory = certs, DpsPort = 0, MqttPort = 0, Log = _ => { } }))
            {
                first = a.CaCertificatePem;
                Assert.Equal(first, b.CaCertificatePem);
                Assert.Equal(Path.Combine(certs, "ca.pem"), a.CaCertificatePath);
                Assert.False(File.Exists(Path.Combine(root, "run1", "ca.key.pem")));
                // Both serve TLS with a server certificate from that CA.
                using var http = T.Http(b);
                Assert.True((await http.GetAsync("api/info")).IsSuccessStatusCode);
            }
            Directory.Delete(Path.Combine(root, "run1"), true);
            await using var c = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = Path.Combine(root, "run3"), CertificateDirectory = certs, DpsPort = 0, MqttPort = 0, Log = _ => { } });
            Assert.Equal(first, c.CaCertificatePem);
        }
        finally
        {
            try { Directory.Delete(root, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_data_folder_from_before_case_sensitive_ids_is_migrated_and_keeps_its_devices()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-migrate-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var key = T.RandomKey();
        try
        {
            // The devices/twins schema of main 5a6490d (device ids COLLATE NOCASE), with one device.
            using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(dir, "emulator.db")};Pooling=False"))
            {
                c.Open();
                using var cmd = c.CreateCommand();
                cmd.CommandText = """
                    CREATE TABLE IF NOT EXISTS devices(
                        device_id TEXT PRIMARY KEY COLLATE NOCASE, enrollment_id TEXT, attestation TEXT NOT NULL,
                        primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, model_id TEXT, payload TEXT,
                        assigned_hub TEXT NOT NULL, created INTEGER NOT NULL, last_updated INTEGER NOT NULL, etag TEXT NOT NULL,
                        last_connected INTEGER, last_disconnected INTEGER);
                    CREATE TABLE IF NOT EXISTS twins(
                        device_id TEXT PRIMARY KEY COLLATE NOCASE, desired TEXT NOT NULL, desired_version INTEGER NOT NULL,
                        reported TEXT NOT NULL, reported_version INTEGER NOT NULL);
                    INSERT INTO devices(device_id,attestation,primary_key,assigned_hub,created,last_updated,etag) VALUES('Old-Dev','SymmetricKey',$k,'localhost',0,0,'e');
                    INSERT INTO twins VALUES('Old-Dev','{"a":1}',3,'{}',1);
                    """;
                cmd.Parameters.AddWithValue("$k", key);
                cmd.ExecuteNonQuery();
            }
            await using var emu = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = 0, Log = _ => { } });
            Assert.NotNull(await emu.Operator.GetDeviceAsync("Old-Dev"));
            Assert.Null(await emu.Operator.GetDeviceAsync("old-dev"));
            Assert.Equal(3, (await emu.Operator.GetTwinAsync("Old-Dev"))!.DesiredVersion);
            await emu.Operator.CreateDeviceAsync("old-dev");
            Assert.Equal(2, (await emu.Operator.ListDevicesAsync()).Count(d => d.DeviceId.Equals("old-dev", StringComparison.OrdinalIgnoreCase)));
            await using var d = await T.ConnectAsync(emu, "Old-Dev", key);
            Assert.True(d.Client.IsConnected);
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task State_and_certificates_survive_a_restart()
    {
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emu-restart-" + Guid.NewGuid().ToString("N")[..8]);
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var options = new EmulatorOptions { DataDirectory = dir, DpsPort = 0, MqttPort = 0, Log = log.Enqueue };
        var id = T.NewId("persist");
        var key = T.RandomKey();
        string scope, caPem;
        try
        {
            await using (var emu = await EmulatorHost.StartAsync(options))
            {
                scope = emu.IdScope;
                caPem = emu.CaCertificatePem;
                Assert.True(File.Exists(emu.CaCertificatePath));
                await emu.Operator.EnrollSymmetricKeyAsync(id, key);
                Assert.Equal("assigned", (string?)(await T.ProvisionAsync(emu, id, key, "dtmi:p:m;1"))["status"]);
                await using var d = await T.ConnectAsync(emu, id, key);
                await d.SubscribeAsync("$iothub/twin/res/#");
                await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/a=1", "{\"n\":1}"));
                await d.Client.PublishAsync(T.Msg("$iothub/twin/PATCH/properties/reported/?$rid=1", "{\"fw\":\"2.0\"}"));
                await d.NextAsync("$iothub/twin/res/204/");
                await emu.Operator.SetDesiredPropertiesAsync(id, "{\"sp\":5}");
                await emu.Operator.SendC2dAsync(id, "later");
                await emu.Operator.InvokeCommandAsync(id, "nobody", null, TimeSpan.FromMilliseconds(100));
            }

            await using (var emu = await EmulatorHost.StartAsync(options))
            {
                Assert.Equal(scope, emu.IdScope);
                Assert.Equal(caPem, emu.CaCertificatePem);
                var dev = await emu.Operator.GetDeviceAsync(id);
                Assert.Equal("dtmi:p:m;1", dev!.ModelId);
                Assert.False(dev.Connected);
                var t = await emu.Operator.GetTelemetryAsync(id);
                Assert.Equal("{\"n\":1}", Assert.Single(t).PayloadText);
                Assert.Equal("1", t[0].Properties["a"]);
                var twin = await emu.Operator.GetTwinAsync(id);
                Assert.Equal(2, twin!.ReportedVersion);
                Assert.Equal(2, twin.DesiredVersion);
                Assert.Equal("2.0", (string?)JsonNode.Parse(twin.ReportedJson)!["fw"]);
                Assert.Single(await emu.Operator.ListCommandsAsync(id));
                Assert.Equal(emu.DemoEnrollment!.PrimaryKey, (await emu.Operator.ListEnrollmentsAsync()).Single(e => e.Id == "demo-device").PrimaryKey);
                // The queued C2D message is delivered after the restart; the device reconnects without provisioning again
                // (clean session 0: a clean session would remove what is queued).
                var (d, _) = await T.ConnectSessionAsync(emu, id, key, cleanSession: false);
                await using var _d = d;
                await d.SubscribeAsync($"devices/{id}/messages/devicebound/#");
                var (_, payload) = await d.NextAsync($"devices/{id}/messages/devicebound/");
                Assert.Equal("later", payload);
            }
            Assert.DoesNotContain(log, l => l.Contains(key, StringComparison.Ordinal));
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}

public sealed class OperatorApiTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    EmulatorHost Emu => fx.Emu;

    [Fact]
    public async Task Dashboard_overview_counts_todays_messages_per_device_across_looks()
    {
        using var http = T.Http(Emu);
        var id = T.NewId("overview");
        var key = T.RandomKey();
        await Emu.Operator.CreateDeviceAsync(id, key);
        async Task<long> MessagesTodayAsync()
        {
            var rows = JsonNode.Parse(await http.GetStringAsync("api/overview"))!.AsArray();
            return (long)rows.Single(r => (string?)r!["deviceId"] == id)!["messagesToday"]!;
        }
        var d = await T.ConnectAsync(Emu, id, key);
        await using (d)
        {
            var topic = $"devices/{id}/messages/events/";
            for (var i = 0; i < 3; i++) await d.Client.PublishAsync(T.Msg(topic, "{\"n\":" + i + "}"));
            Assert.Equal(3, await MessagesTodayAsync());
            // Counted from the rows added since the last look; QoS 0 ones too (the look flushes the writer first).
            for (var i = 0; i < 2; i++) await d.Client.PublishAsync(T.Msg(topic, "{}", MqttQualityOfServiceLevel.AtMostOnce));
            await d.Client.PublishAsync(T.Msg(topic, "{}"));
            Assert.Equal(6, await MessagesTodayAsync());
            Assert.Equal(6, await MessagesTodayAsync());
        }
    }

    [Fact]
    public async Task Rest_api_enrolls_lists_sets_desired_reads_twin_and_sends_c2d()
    {
        using var http = T.Http(Emu);
        var id = T.NewId("rest");
        var key = T.RandomKey();
        var created = await http.PostAsync("api/enrollments", new StringContent($"{{\"id\":\"{id}\",\"primaryKey\":\"{key}\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, key))["status"]);

        var devices = JsonNode.Parse(await http.GetStringAsync("api/devices"))!.AsArray();
        Assert.Contains(devices, d => (string?)d!["deviceId"] == id && (bool)d["connected"]! == false);

        var patch = await http.PatchAsync($"api/devices/{id}/twin/desired", new StringContent("{\"a\":1}", Encoding.UTF8, "application/json"));
        Assert.Equal(2, (int)JsonNode.Parse(await patch.Content.ReadAsStringAsync())!["version"]!);
        var bad = await http.PatchAsync($"api/devices/{id}/twin/desired", new StringContent("{nope", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var twin = JsonNode.Parse(await http.GetStringAsync($"api/devices/{id}/twin"))!;
        Assert.Equal(1, (int)twin["desired"]!["a"]!);
        Assert.Equal(2, (int)twin["desired"]!["$version"]!);

        var c2d = await http.PostAsync($"api/devices/{id}/c2d", new StringContent("{\"payload\":\"hi\",\"properties\":{\"p\":\"v\"}}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, c2d.StatusCode);
        var queue = JsonNode.Parse(await http.GetStringAsync($"api/devices/{id}/c2d"))!.AsArray();
        Assert.Equal("queued", (string?)queue.Single()!["state"]);

        var invoke = await http.PostAsync($"api/devices/{id}/commands/reboot?timeout=1", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(404, (int)JsonNode.Parse(await invoke.Content.ReadAsStringAsync())!["status"]!);
        var missing = await http.PostAsync("api/devices/no-such-device/commands/reboot", new StringContent("", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var fault = await http.PostAsync("api/faults/dps-assigning?polls=2", null);
        Assert.Equal(2, (int)JsonNode.Parse(await fault.Content.ReadAsStringAsync())!["dpsAssigningPolls"]!);
        Assert.Equal(HttpStatusCode.NoContent, (await http.DeleteAsync("api/faults")).StatusCode);
        Assert.Equal(0, (int)JsonNode.Parse(await http.GetStringAsync("api/faults"))!["dpsAssigningPolls"]!);
    }

    [Fact]
    public async Task Telemetry_count_counts_one_device_after_committing_what_was_received()
    {
        using var http = T.Http(Emu);
        var id = T.NewId("count");
        var key = T.RandomKey();
        await Emu.Operator.CreateDeviceAsync(id, key);
        await using var d = await T.ConnectAsync(Emu, id, key);
        for (var i = 0; i < 3; i++) await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "{\"n\":" + i + "}"));

        // Right after the PUBACKs: the count waits for the writer, so all three are in.
        var body = JsonNode.Parse(await http.GetStringAsync($"api/telemetry/count?deviceId={id}"))!;
        Assert.Equal(id, (string?)body["deviceId"]);
        Assert.Equal(3, (long)body["count"]!);
        Assert.Equal(3, await Emu.Operator.CountTelemetryAsync(id));
        Assert.Equal(0, await Emu.Operator.CountTelemetryAsync("no-such-device"));
        Assert.True((long)JsonNode.Parse(await http.GetStringAsync("api/telemetry/count"))!["count"]! >= 3);
    }

    [Fact]
    public async Task Cli_verbs_talk_to_the_running_emulator_trusting_its_ca()
    {
        var url = $"https://localhost:{Emu.DpsPort}";
        var id = T.NewId("cli");
        var key = T.RandomKey();
        var output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["enroll", id, "--key", key, "--url", url, "--ca", Emu.CaCertificatePath], output));
        Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, key))["status"]);
        await using var d = await T.ConnectAsync(Emu, id, key);
        await d.SubscribeAsync("$iothub/methods/POST/#", MqttQualityOfServiceLevel.AtMostOnce);
        d.Client.ApplicationMessageReceivedAsync += async e =>
        {
            var t = e.ApplicationMessage.Topic;
            if (!t.StartsWith("$iothub/methods/POST/", StringComparison.Ordinal)) return;
            await d.Client.PublishAsync(T.Msg($"$iothub/methods/res/200/?$rid={t[(t.IndexOf("$rid=", StringComparison.Ordinal) + 5)..]}", "{\"ok\":true}", MqttQualityOfServiceLevel.AtMostOnce));
        };
        await d.Client.PublishAsync(T.Msg($"devices/{id}/messages/events/", "{\"cli\":1}"));

        output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["devices", "--url", url, "--ca", Emu.CaCertificatePath], output));
        Assert.Matches($@"{id}\s+connected", output.ToString());

        output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["invoke", id, "ping", "--payload", "{}", "--timeout", "5", "--url", url, "--ca", Emu.CaCertificatePath], output));
        Assert.Contains("status 200", output.ToString());
        Assert.Contains("\"ok\": true", output.ToString());

        output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["telemetry", "--device", id, "--url", url, "--ca", Emu.CaCertificatePath], output));
        Assert.Contains("{\"cli\":1}", output.ToString());

        output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["set-desired", id, "{\"x\":3}", "--url", url, "--ca", Emu.CaCertificatePath], output));
        output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["twin", id, "--url", url, "--ca", Emu.CaCertificatePath], output));
        Assert.Equal(3, (int)JsonNode.Parse(output.ToString())!["desired"]!["x"]!);

        output = new StringWriter();
        Assert.Equal(0, await Cli.RunAsync(["fault", "drop", id, "--url", url, "--ca", Emu.CaCertificatePath], output));
        await d.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Cli_refuses_a_server_whose_certificate_is_not_from_the_given_ca()
    {
        // Another emulator's CA must not be trusted for this one: validation is real.
        var otherDir = Path.Combine(Path.GetTempPath(), "iotc-emu-otherca-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            await using var other = await EmulatorHost.StartAsync(new EmulatorOptions { DataDirectory = otherDir, DpsPort = 0, MqttPort = 0, Log = _ => { } });
            var rc = await Cli.RunAsync(["devices", "--url", $"https://localhost:{Emu.DpsPort}", "--ca", other.CaCertificatePath], new StringWriter());
            Assert.Equal(2, rc);
        }
        finally
        {
            try { Directory.Delete(otherDir, true); } catch (IOException) { }
        }
    }
}
