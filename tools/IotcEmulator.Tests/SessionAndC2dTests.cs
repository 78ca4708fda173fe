using System.Net;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Protocol;
using Xunit;

namespace IotcEmulator.Tests;

/// <summary>
/// IoT Hub's session rules (MQTT 3.1.1 §3.1.2.4, §3.2.2.2), the subscription filters real SDKs send, and the C2D life
/// cycle (enqueued → delivered → completed on PUBACK, redelivery, expiry, queue depth), checked from both sides: what
/// the raw MQTTnet client receives and what the emulator's operator API recorded.
/// </summary>
public sealed class SessionAndC2dTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    EmulatorHost Emu => fx.Emu;

    async Task<(string Id, string Key)> DeviceAsync(string prefix = "sess")
    {
        var id = T.NewId(prefix);
        var (_, key) = await Emu.Operator.CreateDeviceAsync(id);
        return (id, key);
    }

    static string Mid(string topic) => (string?)PropertyBag.Parse(topic[(topic.IndexOf("devicebound/", StringComparison.Ordinal) + "devicebound/".Length)..])["$.mid"] ?? "";

    /// <summary>Answers every method call with 200 and the method name, as a device would.</summary>
    static void AnswerMethods(Device d) => d.Client.ApplicationMessageReceivedAsync += async e =>
    {
        var t = e.ApplicationMessage.Topic;
        if (!t.StartsWith("$iothub/methods/POST/", StringComparison.Ordinal)) return;
        var name = t["$iothub/methods/POST/".Length..t.IndexOf('/', "$iothub/methods/POST/".Length)];
        var rid = t[(t.IndexOf("$rid=", StringComparison.Ordinal) + 5)..];
        await d.Client.PublishAsync(T.Msg($"$iothub/methods/res/200/?$rid={rid}", new JsonObject { ["method"] = name }.ToJsonString(), MqttQualityOfServiceLevel.AtMostOnce));
    };

    [Fact]
    public async Task Clean_session_0_keeps_subscriptions_across_reconnects_and_connack_says_session_present()
    {
        var (id, key) = await DeviceAsync();
        var (first, present) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        Assert.False(present); // nothing stored yet
        await using (first)
        {
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await first.SubscribeAsync("$iothub/methods/POST/#", MqttQualityOfServiceLevel.AtMostOnce));
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await first.SubscribeAsync("$iothub/twin/res/#", MqttQualityOfServiceLevel.AtMostOnce));
            Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await first.SubscribeAsync("$iothub/twin/PATCH/properties/desired/#", MqttQualityOfServiceLevel.AtMostOnce));
        }
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));

        // Reconnect like Microsoft's Node SDK does after a drop or a token renewal: clean session 0, no SUBSCRIBE.
        var (second, resumed) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using var _ = second;
        Assert.True(resumed);
        AnswerMethods(second);
        var r = await Emu.Operator.InvokeCommandAsync(id, "reboot", "{}", TimeSpan.FromSeconds(10));
        Assert.Equal(200, r.Status);
        Assert.Equal("reboot", (string?)JsonNode.Parse(r.PayloadJson!)!["method"]);

        await second.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=after", "", MqttQualityOfServiceLevel.AtMostOnce));
        var (topic, _) = await second.NextAsync("$iothub/twin/res/");
        Assert.Equal("$iothub/twin/res/200/?$rid=after", topic);

        var v = await Emu.Operator.SetDesiredPropertiesAsync(id, "{\"fan\":true}");
        (topic, var payload) = await second.NextAsync("$iothub/twin/PATCH/properties/desired/");
        Assert.Equal($"$iothub/twin/PATCH/properties/desired/?$version={v}", topic);
        Assert.True((bool)JsonNode.Parse(payload)!["fan"]!);
        Assert.Contains(fx.Log, l => l.Contains($"'{id}' connected", StringComparison.Ordinal) && l.Contains("session resumed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Session_survives_a_drop_by_the_server()
    {
        var (id, key) = await DeviceAsync();
        var (first, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using (first)
        {
            await first.SubscribeAsync("$iothub/methods/#", MqttQualityOfServiceLevel.AtMostOnce);
            Assert.True(await Emu.Operator.DropConnectionAsync(id));
            await first.Disconnected.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));
        Assert.Equal(404, (await Emu.Operator.InvokeCommandAsync(id, "offline", null, TimeSpan.FromSeconds(5))).Status);

        var (second, resumed) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using var _ = second;
        Assert.True(resumed);
        AnswerMethods(second);
        Assert.Equal(200, (await Emu.Operator.InvokeCommandAsync(id, "afterDrop", null, TimeSpan.FromSeconds(10))).Status);
    }

    [Fact]
    public async Task Clean_session_1_discards_the_stored_session()
    {
        var (id, key) = await DeviceAsync();
        var (first, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using (first) await first.SubscribeAsync("$iothub/methods/POST/#");
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));

        var (clean, present) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: true);
        await using (clean)
        {
            Assert.False(present);
            var r = await Emu.Operator.InvokeCommandAsync(id, "reboot", null, TimeSpan.FromSeconds(5));
            Assert.Equal(404, r.Status); // the subscription went with the discarded session
            Assert.Contains("404103", r.PayloadJson);
        }
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));

        // A clean session is not kept either: the next clean-session-0 connect starts afresh.
        var (again, presentAgain) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using var _ = again;
        Assert.False(presentAgain);
    }

    [Fact]
    public async Task C2d_queued_while_offline_reaches_a_clean_session_0_device_and_a_clean_session_1_connect_removes_it()
    {
        var (id, key) = await DeviceAsync("queue");
        var kept = await Emu.Operator.SendC2dAsync(id, "kept");
        var (persistent, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using (persistent)
        {
            await persistent.SubscribeAsync($"devices/{id}/messages/devicebound/#");
            Assert.Equal("kept", (await persistent.NextAsync($"devices/{id}/messages/devicebound/")).Payload);
            await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.Single(m => m.Id == kept).State == "completed", what: "kept completed");
        }
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));

        var removed = await Emu.Operator.SendC2dAsync(id, "removed");
        var (clean, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: true);
        await using (clean)
        {
            Assert.Equal("purged", (await Emu.Operator.ListC2dAsync(id)).Single(m => m.Id == removed).State);
            await clean.SubscribeAsync($"devices/{id}/messages/devicebound/#");
            await Emu.Operator.SendC2dAsync(id, "after");
            // Only what was sent after the subscription arrives (Microsoft.Azure.Devices.Client CleanSession docs).
            Assert.Equal("after", (await clean.NextAsync($"devices/{id}/messages/devicebound/")).Payload);
            Assert.DoesNotContain(clean.Received, r => r.Payload == "removed");
        }
    }

    [Fact]
    public async Task Filters_real_sdks_send_are_accepted_and_others_refused()
    {
        var (id, key) = await DeviceAsync("filters");
        var (other, _) = await DeviceAsync("other");
        await using var d = await T.ConnectAsync(Emu, id, key);
        // The Python iotc SDK's methods filter and Azure SDK for C's C2D filter.
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await d.SubscribeAsync("$iothub/methods/#", MqttQualityOfServiceLevel.AtMostOnce));
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await d.SubscribeAsync("devices/+/messages/devicebound/#"));
        foreach (var refused in new[] { "$iothub/#", "$iothub/twin/#", "devices/+/messages/events/#", $"devices/{other}/messages/devicebound/#", "devices/#", "+/+/messages/devicebound/#" })
        {
            Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, await d.SubscribeAsync(refused));
        }

        AnswerMethods(d);
        Assert.Equal(200, (await Emu.Operator.InvokeCommandAsync(id, "viaHash", null, TimeSpan.FromSeconds(10))).Status);
        var mine = await Emu.Operator.SendC2dAsync(id, "for-me");
        await Emu.Operator.SendC2dAsync(other, "not-for-me"); // the wildcard device segment does not reach other devices
        var (topic, payload) = await d.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("for-me", payload);
        Assert.Equal(mine.ToString(), Mid(topic));
        await Task.Delay(200);
        Assert.DoesNotContain(d.Received, m => m.Payload == "not-for-me");
        Assert.Equal("queued", Assert.Single(await Emu.Operator.ListC2dAsync(other)).State);

        // Unsubscribing takes the grant away again.
        await d.Client.UnsubscribeAsync("$iothub/methods/#");
        Assert.Equal(404, (await Emu.Operator.InvokeCommandAsync(id, "afterUnsubscribe", null, TimeSpan.FromSeconds(5))).Status);
    }

    [Fact]
    public async Task C2d_is_completed_on_puback_not_when_sent()
    {
        var (id, key) = await DeviceAsync("c2d");
        var (d, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: true, withholdAcks: true);
        await using var _ = d;
        await d.SubscribeAsync($"devices/{id}/messages/devicebound/#");
        var mid = await Emu.Operator.SendC2dAsync(id, "ack me", new Dictionary<string, string?> { ["k"] = "v" });
        var (topic, payload) = await d.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("ack me", payload);
        Assert.Equal(mid.ToString(), Mid(topic));
        await Task.Delay(200);
        var m = Assert.Single(await Emu.Operator.ListC2dAsync(id));
        Assert.Equal("delivered", m.State);
        Assert.Equal(1, m.DeliveryCount);
        Assert.Null(m.CompletedUtc);
        Assert.NotNull(m.ExpiresUtc);
        Assert.InRange(m.ExpiresUtc!.Value - m.EnqueuedUtc, TimeSpan.FromMinutes(59), TimeSpan.FromMinutes(61)); // default TTL 1 h

        await d.AcknowledgeAllAsync();
        await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.Single().State == "completed", what: "completed after PUBACK");
        m = Assert.Single(await Emu.Operator.ListC2dAsync(id));
        Assert.NotNull(m.CompletedUtc);
        Assert.Equal(1, m.DeliveryCount);
    }

    [Fact]
    public async Task C2d_subscribed_at_qos0_is_sent_at_qos0_and_completed_when_sent()
    {
        var (id, key) = await DeviceAsync("c2dq0");
        await using var d = await T.ConnectAsync(Emu, id, key);
        QosSeen qos = new();
        d.Client.ApplicationMessageReceivedAsync += e => { qos.Level = e.ApplicationMessage.QualityOfServiceLevel; return Task.CompletedTask; };
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS0, await d.SubscribeAsync($"devices/{id}/messages/devicebound/#", MqttQualityOfServiceLevel.AtMostOnce));
        await Emu.Operator.SendC2dAsync(id, "fire and forget");
        await d.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal(MqttQualityOfServiceLevel.AtMostOnce, qos.Level);
        Assert.Equal("completed", Assert.Single(await Emu.Operator.ListC2dAsync(id)).State);
    }

    sealed class QosSeen
    {
        public MqttQualityOfServiceLevel? Level;
    }

    [Theory]
    [InlineData(false)] // resumed session: MQTTnet sends the unacknowledged message again, no SUBSCRIBE needed
    [InlineData(true)]  // clean session: delivered and unacknowledged is not "enqueued", so it stays and is sent again once the device subscribes
    public async Task Unacknowledged_c2d_is_redelivered_after_reconnect_with_its_delivery_count(bool cleanSession)
    {
        var (id, key) = await DeviceAsync("redeliver");
        var mid = await Emu.Operator.SendC2dAsync(id, "again");
        // The first session is persistent: a clean one would remove the enqueued message before it is delivered.
        var (first, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false, withholdAcks: true);
        await using (first)
        {
            await first.SubscribeAsync($"devices/{id}/messages/devicebound/#");
            await first.NextAsync($"devices/{id}/messages/devicebound/");
            Assert.Equal("delivered", Assert.Single(await Emu.Operator.ListC2dAsync(id)).State);
        }
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));

        var (second, present) = await T.ConnectSessionAsync(Emu, id, key, cleanSession);
        await using var _ = second;
        Assert.Equal(!cleanSession, present);
        if (cleanSession) await second.SubscribeAsync($"devices/{id}/messages/devicebound/#");
        var (topic, payload) = await second.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("again", payload);
        Assert.Equal(mid.ToString(), Mid(topic));
        await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.Single() is { State: "completed", DeliveryCount: 2 }, what: "completed after the second delivery");
        await Task.Delay(200);
        Assert.Single(second.Received, m => m.Topic.Contains("devicebound", StringComparison.Ordinal)); // exactly once more, not twice
    }

    [Fact]
    public async Task C2d_sent_while_offline_reaches_a_resumed_session_without_a_new_subscribe()
    {
        var (id, key) = await DeviceAsync("offline");
        var (first, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using (first) await first.SubscribeAsync("devices/+/messages/devicebound/#");
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));
        var mid = await Emu.Operator.SendC2dAsync(id, "while away");
        Assert.Equal("queued", Assert.Single(await Emu.Operator.ListC2dAsync(id)).State);

        var (second, present) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using var _ = second;
        Assert.True(present);
        var (topic, payload) = await second.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("while away", payload);
        Assert.Equal(mid.ToString(), Mid(topic));
        await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.Single() is { State: "completed", DeliveryCount: 1 }, what: "completed");
    }

    [Fact]
    public async Task C2d_expires_after_its_time_to_live()
    {
        var (id, key) = await DeviceAsync("expiry");
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Emu.Operator.SendC2dAsync(id, "too long", timeToLive: TimeSpan.FromHours(49)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Emu.Operator.SendC2dAsync(id, "no time", timeToLive: TimeSpan.Zero));
        await Emu.Operator.SendC2dAsync(id, "stale", timeToLive: TimeSpan.FromMilliseconds(300));
        var fresh = await Emu.Operator.SendC2dAsync(id, "fresh", timeToLive: TimeSpan.FromHours(48));
        await Task.Delay(500);
        var q = await Emu.Operator.ListC2dAsync(id);
        Assert.Equal("expired", q.Single(m => m.Id != fresh).State);
        Assert.Equal("queued", q.Single(m => m.Id == fresh).State);

        var (d, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false); // clean session 1 would remove the queue
        await using var _d = d;
        await d.SubscribeAsync($"devices/{id}/messages/devicebound/#");
        var (_, payload) = await d.NextAsync($"devices/{id}/messages/devicebound/");
        Assert.Equal("fresh", payload);
        await Task.Delay(200);
        Assert.DoesNotContain(d.Received, m => m.Payload == "stale");
    }

    [Fact]
    public async Task Device_queue_holds_at_most_50_pending_messages()
    {
        var (id, key) = await DeviceAsync("depth");
        for (var i = 0; i < 50; i++) await Emu.Operator.SendC2dAsync(id, "m" + i);
        var full = await Assert.ThrowsAsync<DeviceQueueFullException>(() => Emu.Operator.SendC2dAsync(id, "one too many"));
        Assert.Equal(id, full.DeviceId);
        using (var http = T.Http(Emu))
        {
            using var r = await http.PostAsync($"api/devices/{id}/c2d", new StringContent("{\"payload\":\"rest\"}", System.Text.Encoding.UTF8, "application/json"));
            Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
            Assert.Equal(403004, (int)JsonNode.Parse(await r.Content.ReadAsStringAsync())!["errorCode"]!);
        }
        Assert.Equal(50, (await Emu.Operator.ListC2dAsync(id)).Count);

        // Completed messages leave the queue: room again (clean session 0: a clean session would remove the queue).
        var (d, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: false);
        await using var _d = d;
        await d.SubscribeAsync($"devices/{id}/messages/devicebound/#");
        await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.All(m => m.State == "completed"), TimeSpan.FromSeconds(20), "all 50 completed");
        Assert.Equal(50, d.Received.Count(m => m.Topic.Contains("devicebound", StringComparison.Ordinal)));
        await Emu.Operator.SendC2dAsync(id, "room again");
    }

    [Fact]
    public async Task C2d_is_dead_lettered_after_the_maximum_delivery_count()
    {
        var (id, key) = await DeviceAsync("dlq");
        await Emu.Operator.SendC2dAsync(id, "never acked");
        for (var i = 1; i <= 10; i++)
        {
            // Clean session 0 first (a clean session would remove the enqueued message), then clean sessions: the
            // delivered, unacknowledged message stays and is sent again after each SUBSCRIBE.
            var (d, _) = await T.ConnectSessionAsync(Emu, id, key, cleanSession: i > 1, withholdAcks: true);
            await using (d)
            {
                await d.SubscribeAsync($"devices/{id}/messages/devicebound/#");
                await d.NextAsync($"devices/{id}/messages/devicebound/");
            }
            await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id));
            Assert.Equal(i, Assert.Single(await Emu.Operator.ListC2dAsync(id)).DeliveryCount);
        }
        await using var last = await T.ConnectAsync(Emu, id, key);
        await last.SubscribeAsync($"devices/{id}/messages/devicebound/#");
        await Task.Delay(300);
        Assert.Empty(last.Received);
        var m = Assert.Single(await Emu.Operator.ListC2dAsync(id));
        Assert.Equal("deadlettered", m.State);
        Assert.Equal(10, m.DeliveryCount);
    }

    [Fact]
    public async Task A_resumed_sessions_unacknowledged_C2D_message_comes_again_with_the_same_packet_id_and_DUP_and_is_completed_by_its_PUBACK()
    {
        var id = T.NewId("dup");
        var key = T.RandomKey();
        await Emu.Operator.CreateDeviceAsync(id, key);
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(ushort PacketId, bool Dup, string Payload)>();
        async Task<IMqttClient> ConnectAsync(bool acknowledge)
        {
            var c = new MqttClientFactory().CreateMqttClient();
            c.ApplicationMessageReceivedAsync += e =>
            {
                if (!acknowledge) e.AutoAcknowledge = false;
                seen.Enqueue((e.PacketIdentifier, e.ApplicationMessage.Dup, e.ApplicationMessage.ConvertPayloadToString() ?? ""));
                return Task.CompletedTask;
            };
            var r = await c.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), T.HubSas(Emu, id, key)).WithCleanSession(false).Build());
            Assert.Equal(MqttClientConnectResultCode.Success, r.ResultCode);
            return c;
        }
        var first = await ConnectAsync(acknowledge: false);
        await first.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(f => f.WithTopic($"devices/{id}/messages/devicebound/#").WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)).Build());
        await Emu.Operator.SendC2dAsync(id, "again");
        await T.WaitUntilAsync(() => seen.Count == 1, what: "the first delivery");
        first.Dispose(); // gone without PUBACK or DISCONNECT
        await T.WaitUntilAsync(() => !Emu.Operator.IsConnected(id), what: "the emulator noticing");
        using var second = await ConnectAsync(acknowledge: true);
        await T.WaitUntilAsync(() => seen.Count == 2, what: "the redelivery");
        var (id1, dup1, _) = seen.ElementAt(0);
        var (id2, dup2, payload) = seen.ElementAt(1);
        Assert.Equal("again", payload);
        Assert.False(dup1);
        // MQTT 3.1.1 §4.4: the same packet id, with DUP=1 (MQTTnet 5.2 alone would send a new id with DUP=0).
        Assert.Equal(id1, id2);
        Assert.True(dup2);
        await T.WaitUntilAsync(() => Emu.Operator.ListC2dAsync(id).Result.Single().State == "completed", what: "completed after the PUBACK");
    }
}
