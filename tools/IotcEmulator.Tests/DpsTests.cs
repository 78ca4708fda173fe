using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using System.Text.Json.Nodes;
using Xunit;

namespace IotcEmulator.Tests;

public sealed class DpsTests(EmulatorFixture fx) : IClassFixture<EmulatorFixture>
{
    EmulatorHost Emu => fx.Emu;

    [Fact]
    public async Task Individual_symmetric_key_registration_follows_azure_shapes()
    {
        var id = T.NewId("ind");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        var body = new JsonObject { ["registrationId"] = id, ["payload"] = new JsonObject { ["modelId"] = "dtmi:test:thermostat;1" } }.ToJsonString();

        using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", sas, body));
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(1), put.Headers.RetryAfter?.Delta);
        var putJson = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        Assert.Equal("assigning", (string?)putJson["status"]);
        var opId = (string)putJson["operationId"]!;
        Assert.False(string.IsNullOrEmpty(opId));

        using var get = await http.SendAsync(T.DpsRequest(HttpMethod.Get, $"{Emu.IdScope}/registrations/{id}/operations/{opId}?api-version=2021-06-01", sas));
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        var json = JsonNode.Parse(await get.Content.ReadAsStringAsync())!;
        Assert.Equal(opId, (string?)json["operationId"]);
        Assert.Equal("assigned", (string?)json["status"]);
        var rs = json["registrationState"]!;
        Assert.Equal(id, (string?)rs["registrationId"]);
        Assert.Equal(id, (string?)rs["deviceId"]);
        Assert.Equal(Emu.HubHostName, (string?)rs["assignedHub"]);
        Assert.Equal("assigned", (string?)rs["status"]);
        Assert.Equal("initialAssignment", (string?)rs["substatus"]);
        Assert.True(DateTimeOffset.TryParse((string?)rs["createdDateTimeUtc"], out _));
        Assert.True(DateTimeOffset.TryParse((string?)rs["lastUpdatedDateTimeUtc"], out _));
        Assert.False(string.IsNullOrEmpty((string?)rs["etag"]));

        var device = await Emu.Operator.GetDeviceAsync(id);
        Assert.NotNull(device);
        Assert.Equal("dtmi:test:thermostat;1", device!.ModelId);
        Assert.Equal(id, device.EnrollmentId);
    }

    [Fact]
    public async Task Group_enrollment_accepts_derived_key_and_rejects_group_key_itself()
    {
        var group = T.NewId("grp");
        var groupKey = T.RandomKey();
        await Emu.Operator.EnrollGroupAsync(group, groupKey);
        var id = T.NewId("member");

        var denied = await T.ProvisionAsync(Emu, id, groupKey);
        Assert.Equal(401002, (int?)denied["errorCode"]);

        var json = await T.ProvisionAsync(Emu, id, T.Derive(groupKey, id));
        Assert.Equal("assigned", (string?)json["status"]);
        var device = await Emu.Operator.GetDeviceAsync(id);
        Assert.Equal(group, device!.EnrollmentId);

        // The derived key then opens the hub.
        await using var d = await T.ConnectAsync(Emu, id, T.Derive(groupKey, id));
        Assert.True(d.Client.IsConnected);
    }

    [Fact]
    public async Task Wrong_signature_gives_401_with_azure_error_body()
    {
        var id = T.NewId("badsig");
        await Emu.Operator.EnrollSymmetricKeyAsync(id, T.RandomKey());
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", T.RandomKey(), DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", sas, $"{{\"registrationId\":\"{id}\"}}"));
        Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
        var json = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
        Assert.Equal(401002, (int?)json["errorCode"]);
        Assert.False(string.IsNullOrEmpty((string?)json["trackingId"]));
        Assert.False(string.IsNullOrEmpty((string?)json["message"]));
        Assert.True(DateTimeOffset.TryParse((string?)json["timestampUtc"], out _));
        Assert.Null(await Emu.Operator.GetDeviceAsync(id));
        Assert.DoesNotContain(fx.Log, l => l.Contains(sas.Split("sig=")[1].Split('&')[0], StringComparison.Ordinal));
    }

    [Fact]
    public async Task Expired_token_wrong_skn_wrong_resource_and_missing_auth_are_401()
    {
        var id = T.NewId("exp");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        using var http = T.Http(Emu);
        var path = $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01";
        var body = $"{{\"registrationId\":\"{id}\"}}";
        foreach (var sas in new string?[]
                 {
                     T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(-1), "registration"),
                     T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "device"),
                     T.Sas($"{Emu.IdScope}/registrations/other", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration"),
                     null,
                 })
        {
            using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, path, sas, body));
            Assert.Equal(HttpStatusCode.Unauthorized, put.StatusCode);
            Assert.Equal(401002, (int?)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["errorCode"]);
        }
    }

    [Fact]
    public async Task Unknown_operation_and_scope_are_404_and_bad_api_version_is_400()
    {
        var id = T.NewId("nf");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        using var op = await http.SendAsync(T.DpsRequest(HttpMethod.Get, $"{Emu.IdScope}/registrations/{id}/operations/4.nothing?api-version=2021-06-01", sas));
        Assert.Equal(HttpStatusCode.NotFound, op.StatusCode);
        Assert.Equal(404, (int)JsonNode.Parse(await op.Content.ReadAsStringAsync())!["errorCode"]! / 1000);

        using var scope = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"0neFFFFFFFF/registrations/{id}/register?api-version=2021-06-01", sas, "{}"));
        Assert.Equal(HttpStatusCode.NotFound, scope.StatusCode);

        using var api = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2017-01-01", sas, "{}"));
        Assert.Equal(HttpStatusCode.BadRequest, api.StatusCode);
    }

    [Fact]
    public async Task Old_api_version_with_data_body_is_accepted()
    {
        var id = T.NewId("old");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        var body = new JsonObject { ["registrationId"] = id, ["data"] = new JsonObject { ["iotcModelId"] = "urn:legacy:model:1" } }.ToJsonString();
        using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2018-11-01", sas, body));
        Assert.Equal(HttpStatusCode.Accepted, put.StatusCode);
        var opId = (string)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["operationId"]!;
        using var get = await http.SendAsync(T.DpsRequest(HttpMethod.Get, $"{Emu.IdScope}/registrations/{id}/operations/{opId}?api-version=2018-11-01", sas));
        Assert.Equal("assigned", (string?)JsonNode.Parse(await get.Content.ReadAsStringAsync())!["status"]);
        Assert.Equal("urn:legacy:model:1", (await Emu.Operator.GetDeviceAsync(id))!.ModelId);
    }

    [Fact]
    public async Task X509_individual_enrollment_by_thumbprint_over_dps_and_hub()
    {
        var id = T.NewId("x509");
        using var cert = T.SelfSigned(id);
        using var other = T.SelfSigned(id);
        await Emu.Operator.EnrollX509Async(id, cert.Thumbprint);

        using (var bad = T.Http(Emu, other))
        {
            var denied = await T.ProvisionAsync(Emu, id, "", http: bad);
            Assert.Equal(401002, (int?)denied["errorCode"]);
        }
        using var http = T.Http(Emu, cert);
        var json = await T.ProvisionAsync(Emu, id, "", http: http);
        Assert.Equal("assigned", (string?)json["status"]);
        Assert.Equal(AttestationKind.X509, (await Emu.Operator.GetDeviceAsync(id))!.Attestation);

        await using var d = new Device();
        await d.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), null, cert).Build());
        Assert.True(d.Client.IsConnected);

        await using var wrong = new Device();
        var refused = await wrong.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), null, other).Build());
        Assert.Equal(MQTTnet.MqttClientConnectResultCode.NotAuthorized, refused.ResultCode);
    }

    [Fact]
    public async Task X509_group_enrollment_by_ca()
    {
        using var ca = T.TestCa("Test Fleet CA " + Guid.NewGuid().ToString("N")[..6]);
        await Emu.Operator.EnrollX509CaAsync(T.NewId("x509grp"), ca.ExportCertificatePem());
        var id = T.NewId("fleet");
        using var leaf = T.IssuedBy(ca, id);
        using var http = T.Http(Emu, leaf);
        var json = await T.ProvisionAsync(Emu, id, "", http: http);
        Assert.Equal("assigned", (string?)json["status"]);

        await using var d = new Device();
        await d.Client.ConnectAsync(T.MqttOptions(Emu, id, T.UserName(Emu, id), null, leaf).Build());
        Assert.True(d.Client.IsConnected);

        using var stranger = T.SelfSigned(T.NewId("stranger"));
        using var http2 = T.Http(Emu, stranger);
        var denied = await T.ProvisionAsync(Emu, stranger.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false), "", http: http2);
        Assert.Equal(401002, (int?)denied["errorCode"]);
    }

    /// <summary>An MQTTnet client speaking DPS over MQTT as the Azure SDK for C and the Node SDK do.</summary>
    async Task<(Device Client, MqttClientConnectResultCode Code)> DpsMqttAsync(string registrationId, string? sas, X509Certificate2? cert = null)
    {
        var d = new Device();
        var user = $"{Emu.IdScope}/registrations/{registrationId}/api-version=2019-03-31&ClientVersion=tests%2F1.0";
        var r = await d.Client.ConnectAsync(T.MqttOptions(Emu, registrationId, user, sas, cert).Build());
        return (d, r.ResultCode);
    }

    static async Task<(string Topic, JsonObject Body)> DpsRequestAsync(Device d, string topic, string payload, string rid)
    {
        await d.Client.PublishAsync(T.Msg(topic, payload));
        var (t, p) = await d.NextAsync($"$dps/registrations/res/", TimeSpan.FromSeconds(10));
        while (!t.Contains("$rid=" + rid, StringComparison.Ordinal)) { (t, p) = await d.NextAsync("$dps/registrations/res/"); }
        d.Received.Clear();
        return (t, JsonNode.Parse(p)!.AsObject());
    }

    async Task<JsonObject> ProvisionOverMqttAsync(Device d, string registrationId)
    {
        Assert.Equal(MqttClientSubscribeResultCode.GrantedQoS1, await d.SubscribeAsync("$dps/registrations/res/#"));
        var (topic, body) = await DpsRequestAsync(d, "$dps/registrations/PUT/iotdps-register/?$rid=1", new JsonObject { ["registrationId"] = registrationId, ["payload"] = new JsonObject { ["modelId"] = "dtmi:m:q;1" } }.ToJsonString(), "1");
        Assert.Equal("$dps/registrations/res/202/?$rid=1&retry-after=1", topic);
        Assert.Equal("assigning", (string?)body["status"]);
        var (t2, status) = await DpsRequestAsync(d, $"$dps/registrations/GET/iotdps-get-operationstatus/?$rid=2&operationId={(string)body["operationId"]!}", " ", "2");
        Assert.Equal("$dps/registrations/res/200/?$rid=2", t2);
        return status;
    }

    [Fact]
    public async Task Dps_over_mqtt_individual_and_group_enrollments()
    {
        var id = T.NewId("mqttdps");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        var (d, code) = await DpsMqttAsync(id, T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration"));
        await using (d)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, code);
            var status = await ProvisionOverMqttAsync(d, id);
            Assert.Equal("assigned", (string?)status["status"]);
            Assert.Equal(id, (string?)status["registrationState"]!["deviceId"]);
            Assert.Equal(Emu.HubHostName, (string?)status["registrationState"]!["assignedHub"]);
            // Hub topics are not a DPS connection's (SUBACK 0x80, which MQTTnet's 3.1.1 client reports as UnspecifiedError).
            Assert.Equal(MqttClientSubscribeResultCode.UnspecifiedError, await d.SubscribeAsync("$iothub/twin/res/#"));
        }
        var dev = await Emu.Operator.GetDeviceAsync(id);
        Assert.Equal("dtmi:m:q;1", dev!.ModelId);
        Assert.False(dev.Connected);

        var group = T.NewId("mqttgrp");
        var groupKey = T.RandomKey();
        await Emu.Operator.EnrollGroupAsync(group, groupKey);
        var member = T.NewId("member");
        var (g, gcode) = await DpsMqttAsync(member, T.Sas($"{Emu.IdScope}/registrations/{member}", T.Derive(groupKey, member), DateTimeOffset.UtcNow.AddMinutes(5), "registration"));
        await using (g)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, gcode);
            Assert.Equal("assigned", (string?)(await ProvisionOverMqttAsync(g, member))["status"]);
        }
        Assert.Equal(group, (await Emu.Operator.GetDeviceAsync(member))!.EnrollmentId);

        var (w, wcode) = await DpsMqttAsync(T.NewId("nobody"), T.Sas($"{Emu.IdScope}/registrations/x", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration"));
        await using (w) Assert.Equal(MqttClientConnectResultCode.NotAuthorized, wcode);
    }

    [Fact]
    public async Task Dps_over_mqtt_leaves_the_devices_hub_session_alone()
    {
        var id = T.NewId("both");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, key))["status"]);
        await using var hub = await T.ConnectAsync(Emu, id, key);
        await hub.SubscribeAsync("$iothub/twin/res/#");
        var (d, code) = await DpsMqttAsync(id, T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration"));
        await using (d)
        {
            Assert.Equal(MqttClientConnectResultCode.Success, code);
            Assert.Equal("assigned", (string?)(await ProvisionOverMqttAsync(d, id))["status"]);
        }
        // Same client id, yet the hub connection was not taken over.
        Assert.True(hub.Client.IsConnected);
        await hub.Client.PublishAsync(T.Msg("$iothub/twin/GET/?$rid=9", ""));
        Assert.StartsWith("$iothub/twin/res/200/?$rid=9", (await hub.NextAsync("$iothub/twin/res/")).Topic);
    }

    [Fact]
    public async Task Operations_are_bounded_per_registration()
    {
        var id = T.NewId("ops");
        var key = T.RandomKey();
        await Emu.Operator.EnrollSymmetricKeyAsync(id, key);
        using var http = T.Http(Emu);
        var sas = T.Sas($"{Emu.IdScope}/registrations/{id}", key, DateTimeOffset.UtcNow.AddMinutes(5), "registration");
        var ids = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            using var put = await http.SendAsync(T.DpsRequest(HttpMethod.Put, $"{Emu.IdScope}/registrations/{id}/register?api-version=2021-06-01", sas, "{}"));
            ids.Add((string)JsonNode.Parse(await put.Content.ReadAsStringAsync())!["operationId"]!);
        }
        async Task<HttpStatusCode> Status(string op)
        {
            using var get = await http.SendAsync(T.DpsRequest(HttpMethod.Get, $"{Emu.IdScope}/registrations/{id}/operations/{op}?api-version=2021-06-01", sas));
            return get.StatusCode;
        }
        Assert.Equal(HttpStatusCode.NotFound, await Status(ids[0]));
        Assert.Equal(HttpStatusCode.NotFound, await Status(ids[1]));
        foreach (var op in ids.Skip(6 - IotcEmulator.DpsOperationsTable.PerRegistration)) Assert.Equal(HttpStatusCode.OK, await Status(op));
    }

    [Fact]
    public async Task X509_chain_with_an_intermediate_sent_by_the_device()
    {
        using var root = T.TestCa("Chain Root " + Guid.NewGuid().ToString("N")[..6]);
        using var intermediate = T.IntermediateCa(root, "Chain Intermediate " + Guid.NewGuid().ToString("N")[..6]);
        await Emu.Operator.EnrollX509CaAsync(T.NewId("rootgrp"), root.ExportCertificatePem());

        // Root enrolled, device presents leaf + intermediate: DPS over HTTPS and the hub (CONNECT by hand) both accept.
        var id = T.NewId("chained");
        using var leaf = T.IssuedBy(intermediate, id);
        using (var http = T.HttpWithChain(Emu, leaf, intermediate))
            Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, id, "", http: http))["status"]);
        Assert.Equal(0, await T.RawConnectAsync(Emu, id, T.UserName(Emu, id), leaf, intermediate));

        // Without the intermediate the chain cannot be built: refused.
        var alone = T.NewId("alone");
        using var leaf2 = T.IssuedBy(intermediate, alone);
        using (var http = T.HttpWithChain(Emu, leaf2))
            Assert.Equal(401002, (int?)(await T.ProvisionAsync(Emu, alone, "", http: http))["errorCode"]);

        // The intermediate itself enrolled as the group CA: the leaf alone is enough.
        using var inter2 = T.IntermediateCa(root, "Enrolled Intermediate " + Guid.NewGuid().ToString("N")[..6]);
        await Emu.Operator.EnrollX509CaAsync(T.NewId("intergrp"), inter2.ExportCertificatePem());
        var viaInter = T.NewId("viainter");
        using var leaf3 = T.IssuedBy(inter2, viaInter);
        using (var http = T.HttpWithChain(Emu, leaf3))
            Assert.Equal("assigned", (string?)(await T.ProvisionAsync(Emu, viaInter, "", http: http))["status"]);
        Assert.Equal(0, await T.RawConnectAsync(Emu, viaInter, T.UserName(Emu, viaInter), leaf3));

        // A leaf of another CA that merely names the enrolled intermediate's subject is refused.
        using var impostorRoot = T.TestCa("Impostor " + Guid.NewGuid().ToString("N")[..6]);
        var fake = T.NewId("fake");
        using var fakeLeaf = T.IssuedBy(impostorRoot, fake);
        using (var http = T.HttpWithChain(Emu, fakeLeaf, impostorRoot))
            Assert.Equal(401002, (int?)(await T.ProvisionAsync(Emu, fake, "", http: http))["errorCode"]);
    }
}
