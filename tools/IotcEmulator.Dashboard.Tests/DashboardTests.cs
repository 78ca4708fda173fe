using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace IotcEmulator.Dashboard.Tests;

/// <summary>The dashboard in headless Chromium against an in-process emulator and real SDK devices.</summary>
[Collection("dashboard")]
public sealed class DashboardTests(DashboardFixture fx)
{
    static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task The_devices_page_shows_what_a_device_needs_ID_scope_DPS_endpoint_hub_port_and_CA()
    {
        await using var context = await fx.NewContextAsync();
        var page = await fx.OpenDashboardAsync(context);
        await Expect(page.Locator("#info-scope")).ToHaveTextAsync(fx.Emu.IdScope);
        await Expect(page.Locator("#info-dps")).ToHaveTextAsync($"localhost:{fx.Emu.DpsPort}");
        await Expect(page.Locator("#info-hub")).ToHaveTextAsync($"{fx.Emu.HubHostName}:{fx.Emu.MqttPort}");
        await Expect(page.Locator("#info-ca")).ToHaveTextAsync(fx.Emu.CaCertificatePath);
    }

    [Fact]
    public async Task A_device_that_connects_shows_online_and_its_telemetry_reaches_the_chart()
    {
        await using var context = await fx.NewContextAsync();
        var page = await fx.OpenDashboardAsync(context);
        var id = NewId("chart");
        using var device = await PumpedDevice.ConnectAsync(fx.Emu, id, "dtmi:test:thermostat;1");

        var row = page.Locator($"#devices tr[data-device='{id}']");
        await Expect(row.Locator("[data-state]")).ToHaveTextAsync("online");
        await Expect(row).ToContainTextAsync("dtmi:test:thermostat;1");
        await Expect(row).ToContainTextAsync("individual, symmetric key");

        await row.Locator("a").ClickAsync();
        await Expect(page.Locator("#device-id")).ToHaveTextAsync(id);
        device.Do(d => d.SendTelemetry("{\"temp\":21.5,\"humidity\":40}"));
        await Expect(page.Locator("#chart polyline[data-field='temp']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#chart circle[data-field='temp']")).ToHaveCountAsync(1);
        await Expect(page.Locator("#legend li[data-field='humidity']")).ToContainTextAsync("40");
        await Expect(page.Locator("#messages tbody tr").First).ToContainTextAsync("\"temp\":21.5");

        // Paused, the chart keeps what it shows; resumed, it catches up.
        await page.Locator("#pause").ClickAsync();
        device.Do(d => d.SendTelemetry("{\"temp\":22.5}"));
        await Expect(page.Locator("#messages tbody tr").First).ToContainTextAsync("22.5");
        await Expect(page.Locator("#chart circle[data-field='temp']")).ToHaveCountAsync(1);
        await page.Locator("#pause").ClickAsync();
        await Expect(page.Locator("#chart circle[data-field='temp']")).ToHaveCountAsync(2);

        // A message that left late carries its creation time ($.ctime): shown beside the time it was received.
        await Expect(page.Locator("#messages tbody tr").First.Locator("td.created")).ToHaveTextAsync("—");
        device.Do(d => d.SendTelemetry("{\"temp\":23}", new nanoFramework.Iotc.Protocol.PropertyBag().Add("$.ctime", "2026-01-02T03:04:05.0000000Z")));
        await Expect(page.Locator("#messages tbody tr").First).ToContainTextAsync("23");
        await Expect(page.Locator("#messages tbody tr").First.Locator("td.created")).Not.ToHaveTextAsync("—");

        // State and events are telemetry on the wire: their latest non-numeric values get their own table.
        device.Do(d => d.SendState("{\"status\":\"WARNING\"}"));
        await Expect(page.Locator("#state-events")).ToContainTextAsync("WARNING");

        // The device list counts today's messages.
        await page.Locator("#nav-devices").ClickAsync();
        await Expect(page.Locator($"#devices tr[data-device='{id}'] td.num")).ToHaveTextAsync("4");
    }

    [Fact]
    public async Task A_setting_is_pending_until_the_device_acknowledges_it()
    {
        await using var view = await fx.OpenDeviceAsync("setting");
        var (page, device) = (view.Page, view.Device);

        device.Paused = true; // the device reads the push only when it pumps again
        await DashboardFixture.SubmitAsync(page, "desired-form", ("name", "fanSpeed"), ("value", "1200"));
        var status = page.Locator("#settings tr[data-setting='fanSpeed'] td.status");
        await Expect(status).ToHaveTextAsync("pending");
        await Task.Delay(1500); // a couple of refresh ticks: still pending while the device is silent
        await Expect(status).ToHaveTextAsync("pending");

        device.Paused = false;
        await Expect(status).ToHaveTextAsync("acked");
        await Expect(page.Locator("#settings tr[data-setting='fanSpeed']")).ToContainTextAsync("ac/av/ad: 200 / 2 / completed");
        Assert.Contains("fanSpeed=1200", device.Settings);

        // A value that is not JSON is refused in the page, nothing is sent.
        await DashboardFixture.SubmitAsync(page, "desired-form", ("value", "not json"));
        await Expect(page.Locator("#desired-form .error")).ToContainTextAsync("must be JSON");
    }

    [Fact]
    public async Task A_command_runs_and_shows_status_response_and_round_trip_time()
    {
        await using var view = await fx.OpenDeviceAsync("command");
        var page = view.Page;

        await DashboardFixture.SubmitAsync(page, "command-form", ("name", "reboot"), ("payload", "{\"delay\":1}"));
        await Expect(page.Locator("#command-status")).ToHaveTextAsync("200");
        await Expect(page.Locator("#command-response")).ToContainTextAsync("\"rebooted\": true");
        await Expect(page.Locator("#command-response")).ToContainTextAsync("\"delay\": 1");
        await Expect(page.Locator("#command-rtt")).ToHaveTextAsync(new Regex("^\\d+ ms$"));
        await Expect(page.Locator("#commands tbody tr").First).ToContainTextAsync("completed");
    }

    [Fact]
    public async Task A_c2d_message_with_properties_is_queued_then_delivered()
    {
        await using var view = await fx.OpenDeviceAsync("c2d");
        var (page, device) = (view.Page, view.Device);

        await DashboardFixture.SubmitAsync(page, "c2d-form", ("payload", "hello device"), ("properties", "kind=greeting\nurgent"));
        var row = page.Locator("#c2d tbody tr").First;
        await Expect(row).ToContainTextAsync("kind=greeting");
        await Expect(row.Locator("td.state")).ToHaveTextAsync(new Regex("^(delivered|completed)$"));
        await WaitUntilAsync(() => device.Received.Contains("hello device"), "the device to receive the C2D message");

        // Offline, the message waits in the queue.
        var offline = NewId("c2d-offline");
        await fx.Emu.Operator.CreateDeviceAsync(offline);
        await page.GotoAsync(fx.Emu.DashboardUri + "#/device/" + offline);
        await DashboardFixture.SubmitAsync(page, "c2d-form", ("payload", "later"));
        await Expect(page.Locator("#c2d tbody tr").First.Locator("td.state")).ToHaveTextAsync("queued");
    }

    [Fact]
    public async Task Hostile_device_ids_property_names_and_payloads_render_as_text()
    {
        await using var context = await fx.NewContextAsync();
        var page = await fx.OpenDashboardAsync(context);
        var dialogs = new List<string>();
        page.Dialog += (_, d) => { dialogs.Add(d.Message); _ = d.DismissAsync(); };

        const string evil = "<img src=x onerror=\"window.__pwned=1;alert(1)\">";
        // Device ids follow IoT Hub's rules now (no < > " or spaces); the most hostile id they allow still has quotes,
        // parentheses, '=' and '#'. Enrollment ids allow none of these, so a hostile one is refused outright.
        var hostileId = "x'onerror=alert(1)'#" + Guid.NewGuid().ToString("N")[..6];
        await fx.Emu.Operator.CreateDeviceAsync(hostileId);
        await Assert.ThrowsAsync<ArgumentException>(() => fx.Emu.Operator.EnrollSymmetricKeyAsync("e" + evil));
        await fx.Emu.Operator.SetDesiredPropertiesAsync(hostileId, "{\"<script>window.__pwned=1</script>\":\"" + evil.Replace("\"", "\\\"") + "\"}");
        await fx.Emu.Operator.SendC2dAsync(hostileId, "<script>window.__pwned=1</script>", new Dictionary<string, string?> { ["<b>p</b>"] = evil });

        var id = NewId("hostile");
        using var device = await PumpedDevice.ConnectAsync(fx.Emu, id);
        device.Do(d => d.SendTelemetry("{\"note\":\"<script>window.__pwned=1</script>\",\"<img src=x onerror=alert(1)>\":5}"));

        await Expect(page.Locator("#devices tbody")).ToContainTextAsync(hostileId);
        await page.GotoAsync(fx.Emu.DashboardUri + "#/device/" + Uri.EscapeDataString(hostileId));
        await Expect(page.Locator("#device-id")).ToHaveTextAsync(hostileId);
        await Expect(page.Locator("#settings")).ToContainTextAsync("<script>window.__pwned=1</script>");
        await Expect(page.Locator("#settings")).ToContainTextAsync("\"" + evil.Replace("\"", "\\\"") + "\""); // the value, as JSON text
        await Expect(page.Locator("#c2d")).ToContainTextAsync("<b>p</b>=" + evil);

        await page.GotoAsync(fx.Emu.DashboardUri + "#/device/" + id);
        await Expect(page.Locator("#messages")).ToContainTextAsync("<script>window.__pwned=1</script>");
        await Expect(page.Locator("#legend")).ToContainTextAsync("<img src=x onerror=alert(1)>");
        await Expect(page.Locator("#state-events")).ToContainTextAsync("<script>window.__pwned=1</script>");

        Assert.Equal(0, await page.Locator("main img, main script, main b").CountAsync());
        Assert.True(await page.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        Assert.Empty(dialogs);
    }

    [Fact]
    public async Task Requests_without_the_token_are_refused()
    {
        // A browser that never saw the token URL gets no page and no data.
        await using var context = await fx.NewContextAsync();
        var page = await context.NewPageAsync();
        var response = await page.GotoAsync(fx.Emu.DashboardUri.ToString());
        Assert.Equal(401, response!.Status);
        Assert.DoesNotContain("Devices", await page.ContentAsync());
        response = await page.GotoAsync(fx.Emu.DashboardUri + "?token=wrong");
        Assert.Equal(401, response!.Status);

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, cert, _, errors) => Trust.IsTrusted(fx.Emu.CaCertificate, cert, errors) };
        using var http = new HttpClient(handler) { BaseAddress = fx.Emu.DpsBaseUri };
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/devices")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("api/events")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.DeleteAsync("api/faults")).StatusCode);

        // The cookie alone reads but does not act: a state change needs the token in a header, from this origin.
        var cookie = new HttpRequestMessage(HttpMethod.Delete, "api/faults");
        cookie.Headers.Add("Cookie", "iotc_emulator_token=" + fx.Emu.AccessToken);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.SendAsync(cookie)).StatusCode);
        var crossSite = new HttpRequestMessage(HttpMethod.Delete, "api/faults");
        crossSite.Headers.Add("X-Iotc-Token", fx.Emu.AccessToken);
        crossSite.Headers.Add("Origin", "https://attacker.example");
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(crossSite)).StatusCode);
        // DNS rebinding: a page on attacker.example whose name now resolves to 127.0.0.1 (the certificate name cannot
        // match then, so this one client looks past the name; the chain must still lead to the emulator's CA).
        using var rebindHandler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, errors) => Trust.IsTrusted(fx.Emu.CaCertificate, cert, errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateNameMismatch),
        };
        using var rebindHttp = new HttpClient(rebindHandler) { BaseAddress = fx.Emu.DpsBaseUri };
        var rebound = new HttpRequestMessage(HttpMethod.Get, "api/devices");
        rebound.Headers.Add("X-Iotc-Token", fx.Emu.AccessToken);
        rebound.Headers.Host = "attacker.example";
        Assert.Equal(HttpStatusCode.Forbidden, (await rebindHttp.SendAsync(rebound)).StatusCode);

        var ok = new HttpRequestMessage(HttpMethod.Get, "api/devices");
        ok.Headers.Add("X-Iotc-Token", fx.Emu.AccessToken);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(ok)).StatusCode);
        // DPS stays open to devices (they bring their own SAS).
        var dps = await (await http.GetAsync($"{fx.Emu.IdScope}/registrations/x/operations/y?api-version=2021-06-01")).Content.ReadAsStringAsync();
        Assert.Contains("errorCode", dps);
        Assert.DoesNotContain("access token", dps);
    }

    [Fact]
    public async Task Enrollment_keys_are_shown_once_then_only_on_reveal_and_revoking_removes_it()
    {
        await using var context = await fx.NewContextAsync();
        var page = await fx.OpenDashboardAsync(context, "#/enrollments");
        var group = NewId("fleet");
        await DashboardFixture.SubmitAsync(page, "enroll-form", ("id", group), ("kind", "group"));
        var created = page.Locator($"#created .secret[data-enrollment='{group}']");
        await Expect(created).ToContainTextAsync(fx.Emu.IdScope);
        var key = (await fx.Emu.Operator.ListEnrollmentsAsync()).Single(e => e.Id == group).PrimaryKey!;
        await Expect(created.Locator("#primary-key")).ToHaveTextAsync(key);
        await page.FillAsync("#derive-device", "dev-7");
        await created.Locator("button", new() { HasText = "Derive device key" }).ClickAsync();
        await Expect(created.Locator("#derived-key")).ToHaveTextAsync(SasHelper.DeriveDeviceKey(key, "dev-7"));

        // After a reload the key is nowhere on the page (the list API does not even send it) until "Reveal keys".
        await page.ReloadAsync();
        var row = page.Locator($"#enrollments tr[data-enrollment='{group}']");
        await Expect(row).ToContainTextAsync("hidden");
        Assert.DoesNotContain(key, await page.ContentAsync());
        await row.Locator("button", new() { HasText = "Reveal keys" }).ClickAsync();
        await Expect(page.Locator("#created #primary-key")).ToHaveTextAsync(key);

        await row.Locator("button", new() { HasText = "Revoke" }).ClickAsync();
        await row.Locator("button", new() { HasText = "Confirm revoke" }).ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        Assert.DoesNotContain(await fx.Emu.Operator.ListEnrollmentsAsync(), e => e.Id == group);
        Assert.DoesNotContain(fx.Log, l => l.Contains(key, StringComparison.Ordinal) || l.Contains(fx.Emu.AccessToken!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Fault_buttons_reach_the_emulator()
    {
        await using var view = await fx.OpenDeviceAsync("faults");
        var (page, id) = (view.Page, view.Id);
        try
        {
            await page.ClickAsync("#fault-withhold");
            await Expect(page.Locator("#fault-state")).ToContainTextAsync($"PUBACKs to {id} withheld");
            await page.ClickAsync("#fault-short-tokens");
            await Expect(page.Locator("#fault-state")).ToContainTextAsync("hub sessions capped at 30 s");
            await page.ClickAsync("#fault-clear");
            await Expect(page.Locator("#fault-state")).ToHaveTextAsync("no faults active");
            await page.ClickAsync("#fault-drop");
            await Expect(page.Locator(".device-head [data-state]")).ToHaveTextAsync("offline");
            await Expect(page.Locator(".device-head [data-state]")).ToHaveTextAsync("online", new() { Timeout = 20_000 }); // the SDK reconnects
        }
        finally
        {
            fx.Emu.Operator.ClearFaults();
        }
    }

    static async Task WaitUntilAsync(Func<bool> probe, string what)
    {
        var until = DateTime.UtcNow.AddSeconds(15);
        while (!probe())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException("timed out waiting for " + what);
            await Task.Delay(50);
        }
    }
}
