using System.Collections.Concurrent;
using System.Text;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>Direct methods: a request published to <c>$iothub/methods/POST/{name}/?$rid=…</c>, the device's answer on
/// <c>$iothub/methods/res/{status}/?$rid=…</c> matched by request id, and a time-out when none comes.</summary>
internal sealed class HubMethods(HubService hub, Store store, Action<string> log)
{
    internal const string ResponsePrefix = "$iothub/methods/res/";

    readonly ConcurrentDictionary<string, TaskCompletionSource<(int Status, string? Payload)>> _pendingMethods = new(StringComparer.Ordinal);
    long _rid;

    public Task OnResponseAsync(InterceptingPublishEventArgs e)
    {
        var sender = e.ClientId;
        var msg = e.ApplicationMessage;
        var (path, q) = HubService.SplitQuery(msg.Topic);
        var statusText = path[ResponsePrefix.Length..].TrimEnd('/');
        q.TryGetValue("$rid", out var rid);
        if (int.TryParse(statusText, out var status) && rid is not null && _pendingMethods.TryRemove(sender + "\n" + rid, out var tcs))
        {
            tcs.TrySetResult((status, Encoding.UTF8.GetString(msg.Payload)));
        }
        else
        {
            log($"hub: '{sender}' answered an unknown or expired method request (rid {rid})");
        }
        return Task.CompletedTask;
    }

    public async Task<CommandResult> InvokeAsync(string deviceId, string name, string? payloadJson, TimeSpan timeout, CancellationToken ct)
    {
        var id = await Task.Run(() => store.Commands.Add(deviceId, name, payloadJson), ct).ConfigureAwait(false);
        if (await hub.Connections.ConnAsync(deviceId).ConfigureAwait(false) is not { Session.Methods: true } c)
        {
            log($"hub: command '{name}' for '{deviceId}' not sent: device offline or not subscribed to methods");
            var body = HubService.Error(404, "Device is not online or not subscribed to methods").Replace("404001", "404103");
            store.Commands.Complete(id, 404, body, "offline");
            return new CommandResult(id, 404, body, false);
        }
        var rid = Interlocked.Increment(ref _rid).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var tcs = new TaskCompletionSource<(int, string?)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var key = c.ClientId + "\n" + rid;
        _pendingMethods[key] = tcs;
        log($"hub: invoking '{name}' on '{deviceId}' (rid {rid}, timeout {timeout.TotalSeconds:0.#} s)");
        await hub.DeliverAsync(c.ClientId, $"$iothub/methods/POST/{name}/?$rid={rid}", Encoding.UTF8.GetBytes(payloadJson ?? "null")).ConfigureAwait(false);
        try
        {
            var (status, payload) = await tcs.Task.WaitAsync(timeout, ct).ConfigureAwait(false);
            store.Commands.Complete(id, status, payload, "completed");
            log($"hub: '{deviceId}' answered '{name}' with {status}");
            return new CommandResult(id, status, payload, false);
        }
        catch (TimeoutException)
        {
            _pendingMethods.TryRemove(key, out _);
            var body = HubService.Error(504, "Timed out waiting for the response from the device").Replace("504001", "504101");
            store.Commands.Complete(id, 504, body, "timeout");
            log($"hub: '{deviceId}' did not answer '{name}' in time");
            return new CommandResult(id, 504, body, true);
        }
        catch (OperationCanceledException)
        {
            _pendingMethods.TryRemove(key, out _);
            store.Commands.Complete(id, null, null, "cancelled");
            throw;
        }
    }
}
