using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>The device twin over MQTT: GET and reported patches from the device (answered on
/// <c>$iothub/twin/res/{status}</c>), desired patches pushed to a listening device.</summary>
internal sealed class HubTwin(HubService hub, Store store, Action<string> log)
{
    public async Task OnGetAsync(InterceptingPublishEventArgs e)
    {
        var sender = e.ClientId;
        var topic = e.ApplicationMessage.Topic;
        var (_, q) = HubService.SplitQuery(topic);
        q.TryGetValue("$rid", out var rid);
        var twin = await Task.Run(() => store.Twins.Get(sender)).ConfigureAwait(false);
        if (twin is null) await hub.DeliverAsync(sender, $"$iothub/twin/res/404/?$rid={rid}", Encoding.UTF8.GetBytes(HubService.Error(404, "twin not found"))).ConfigureAwait(false);
        else await hub.DeliverAsync(sender, $"$iothub/twin/res/200/?$rid={rid}", Encoding.UTF8.GetBytes(twin.ToDeviceJson())).ConfigureAwait(false);
    }

    public async Task OnReportedPatchAsync(InterceptingPublishEventArgs e)
    {
        var sender = e.ClientId;
        var msg = e.ApplicationMessage;
        var topic = msg.Topic;
        var (_, q) = HubService.SplitQuery(topic);
        q.TryGetValue("$rid", out var rid);
        var patch = TwinJson.TryParseObject(msg.Payload.IsSingleSegment ? msg.Payload.FirstSpan : msg.Payload.ToArray());
        if (patch is null)
        {
            log($"hub: '{sender}' sent a reported patch that is not a JSON object; answered 400, nothing stored");
            await hub.DeliverAsync(sender, $"$iothub/twin/res/400/?$rid={rid}", Encoding.UTF8.GetBytes(HubService.Error(400, "reported properties patch is not a valid JSON object"))).ConfigureAwait(false);
            return;
        }
        var result = await Task.Run(() => store.Twins.Patch(sender, false, patch)).ConfigureAwait(false);
        if (result.NoSuchDevice) await hub.DeliverAsync(sender, $"$iothub/twin/res/404/?$rid={rid}", Encoding.UTF8.GetBytes(HubService.Error(404, "twin not found"))).ConfigureAwait(false);
        else if (result.TooLarge)
        {
            // The twin page says IoT Hub "rejects with an error"; the status is not documented: 413 (request entity too large).
            log($"hub: '{sender}' sent a reported patch that would take reported properties above {Limits.TwinSectionBytes / 1024} KB; answered 413, nothing stored");
            await hub.DeliverAsync(sender, $"$iothub/twin/res/413/?$rid={rid}", Encoding.UTF8.GetBytes(HubService.Error(413, $"reported properties would exceed {Limits.TwinSectionBytes} bytes"))).ConfigureAwait(false);
        }
        else await hub.DeliverAsync(sender, $"$iothub/twin/res/204/?$rid={rid}&$version={result.Version}", []).ConfigureAwait(false);
    }

    public async Task<long> SetDesiredAsync(string deviceId, JsonObject patch)
    {
        var result = await Task.Run(() => store.Twins.Patch(deviceId, true, patch)).ConfigureAwait(false);
        if (result.NoSuchDevice) throw new KeyNotFoundException($"device '{deviceId}' not found");
        if (result.TooLarge) throw new PayloadTooLargeException($"desired properties would exceed {Limits.TwinSectionBytes} bytes (IoT Hub's twin section limit)");
        var version = result.Version!.Value;
        var push = (JsonObject)patch.DeepClone();
        push.Remove("$version");
        push["$version"] = version;
        if (await hub.Connections.ConnAsync(deviceId).ConfigureAwait(false) is { Session.Desired: true } c)
        {
            await hub.DeliverAsync(c.ClientId, $"$iothub/twin/PATCH/properties/desired/?$version={version}", Encoding.UTF8.GetBytes(push.ToJsonString(TwinJson.Relaxed))).ConfigureAwait(false);
            log($"hub: pushed desired patch v{version} to '{deviceId}'");
        }
        else
        {
            log($"hub: desired properties of '{deviceId}' now v{version} (device not listening; it will see them on its next twin GET)");
        }
        return version;
    }

    public async Task<bool> PushMalformedDesiredAsync(string deviceId)
    {
        if (await hub.Connections.ConnAsync(deviceId).ConfigureAwait(false) is not { Session.Desired: true } c) return false;
        var twin = store.Twins.Get(deviceId);
        var v = (twin?.DesiredVersion ?? 1) + 1;
        log($"hub: fault: pushing a malformed desired patch to '{deviceId}' (nothing stored)");
        await hub.DeliverAsync(c.ClientId, $"$iothub/twin/PATCH/properties/desired/?$version={v}", Encoding.UTF8.GetBytes("{\"malformed\": [1, 2,")).ConfigureAwait(false);
        return true;
    }
}
