using Microsoft.Playwright;
using Xunit;
using static Microsoft.Playwright.Assertions;

namespace IotcEmulator.Dashboard.Tests;

/// <summary>
/// Regenerates docs/dashboard-*.png. Not part of test.sh (filtered out); run it on request:
/// <c>IOTC_SCREENSHOTS=docs dotnet test tools/IotcEmulator.Dashboard.Tests --filter Category=Screenshots</c>
/// (a relative folder is taken from the repository root).
/// </summary>
[Collection("dashboard")]
public sealed class Screenshots(DashboardFixture fx)
{
    [Fact]
    [Trait("Category", "Screenshots")]
    public async Task Main_pages()
    {
        var root = FindRepositoryRoot();
        var dir = Environment.GetEnvironmentVariable("IOTC_SCREENSHOTS") is { Length: > 0 } d ? Path.Combine(root, d) : Path.Combine(root, "docs");
        Directory.CreateDirectory(dir);

        // A small scene: two devices sending for a while, a setting acknowledged and one pending, a command, C2D.
        using var thermostat = await PumpedDevice.ConnectAsync(fx.Emu, "thermostat-01", "dtmi:contoso:thermostat;1");
        using var sensor = await PumpedDevice.ConnectAsync(fx.Emu, "air-sensor-07", "dtmi:contoso:airQuality;2");
        await fx.Emu.Operator.EnrollGroupAsync("factory-fleet");
        var offline = await fx.Emu.Operator.EnrollSymmetricKeyAsync("spare-device");
        await fx.Emu.Operator.CreateDeviceAsync("spare-device", offline.PrimaryKey);
        for (var i = 0; i < 60; i++)
        {
            var t = i / 6.0;
            var temp = (21 + 2 * Math.Sin(t)).ToString("0.00", System.Globalization.CultureInfo.InvariantCulture);
            var hum = (45 + 6 * Math.Cos(t / 2)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
            thermostat.Do(dev => dev.SendTelemetry("{\"temperature\":" + temp + ",\"humidity\":" + hum + "}", new nanoFramework.Iotc.Protocol.PropertyBag().Add("unit", "celsius")));
            sensor.Do(dev => dev.SendTelemetry("{\"pm25\":" + (12 + i % 7) + "}"));
            if (i == 30) thermostat.Do(dev => dev.SendState("{\"mode\":\"heating\"}"));
            await Task.Delay(150);
        }
        thermostat.Do(dev => dev.SendProperty("{\"firmware\":\"1.4.2\",\"serialNumber\":\"TH-0001\"}"));
        await fx.Emu.Operator.SetDesiredPropertiesAsync("thermostat-01", "{\"targetTemperature\":22.5}");
        await fx.Emu.Operator.InvokeCommandAsync("thermostat-01", "reboot", "{\"delay\":2}", TimeSpan.FromSeconds(10));
        await fx.Emu.Operator.SendC2dAsync("thermostat-01", "{\"schedule\":\"eco\"}", new Dictionary<string, string?> { ["kind"] = "schedule" });
        await Task.Delay(500);
        thermostat.Paused = true; // so the next setting stays visibly pending

        await using var context = await fx.NewContextAsync();
        var page = await fx.OpenDashboardAsync(context);
        await Expect(page.Locator("#devices tr[data-device='thermostat-01'] [data-state]")).ToHaveTextAsync("online");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "dashboard-devices.png") });

        await page.GotoAsync(fx.Emu.DashboardUri + "#/device/thermostat-01");
        await page.SelectOptionAsync("#window", "1");
        await DashboardFixture.SubmitAsync(page, "desired-form", ("name", "fanSpeed"), ("value", "1200"));
        await Expect(page.Locator("#settings tr[data-setting='fanSpeed'] td.status")).ToHaveTextAsync("pending");
        await Expect(page.Locator("#settings tr[data-setting='targetTemperature'] td.status")).ToHaveTextAsync("acked");
        thermostat.Paused = false;
        await DashboardFixture.SubmitAsync(page, "command-form", ("name", "getMaxMinReport"), ("payload", "{\"since\":\"2024-01-01T00:00:00Z\"}"));
        await Expect(page.Locator("#command-status")).ToHaveTextAsync("200");
        thermostat.Paused = true;
        await DashboardFixture.SubmitAsync(page, "desired-form", ("name", "fanSpeed"), ("value", "1400"));
        await Expect(page.Locator("#settings tr[data-setting='fanSpeed'] td.status")).ToHaveTextAsync("pending");
        await Expect(page.Locator("#c2d tbody tr").First.Locator("td.state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex("delivered|completed"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "dashboard-device.png"), FullPage = true });

        await page.GotoAsync(fx.Emu.DashboardUri + "#/enrollments");
        await DashboardFixture.SubmitAsync(page, "enroll-form", ("id", "lab-devices"), ("kind", "group"));
        await page.FillAsync("#derive-device", "lab-device-01");
        await page.ClickAsync("#created button:text('Derive device key')");
        await Expect(page.Locator("#derived-key")).Not.ToHaveTextAsync("—");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(dir, "dashboard-enrollments.png"), FullPage = true });
        thermostat.Paused = false;
    }

    static string FindRepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "test.sh"))) return d.FullName;
        throw new InvalidOperationException("repository root (with test.sh) not found");
    }
}
