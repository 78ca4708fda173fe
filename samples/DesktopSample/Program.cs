// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// The Python iotc sample loop, in C#. With no arguments it starts the local IoT Central emulator in-process, enrolls a
// device, and plays the operator (a setting, a command) while the device runs:
//   dotnet run --project samples/DesktopSample
// With --dashboard it keeps running (until Ctrl+C) and prints the emulator's dashboard URL, so you can watch the device:
//   dotnet run --project samples/DesktopSample -- --dashboard
// Against a real IoT Central application:
//   dotnet run --project samples/DesktopSample -- --scope <ID scope> --device <device id> --key <device or group key> [--group]

using System;
using System.Threading;
using System.Threading.Tasks;
using IotcEmulator;
using nanoFramework.Iotc;

internal static class Program
{
    private static bool _canSend;

    private static async Task<int> Main(string[] args)
    {
        string scope = Arg(args, "--scope");
        bool dashboard = Array.IndexOf(args, "--dashboard") >= 0;
        int seconds = int.Parse(Arg(args, "--seconds") ?? "15");
        EmulatorHost emulator = null;
        Device device;
        if (scope == null)
        {
            // The emulator's state (database, access token) lives in a temporary folder removed at exit; its development CA
            // lives in this user's folder and is reused by every run, so a browser or board that trusts it once keeps working.
            RemoveStaleSampleFolders();
            string data = System.IO.Path.Combine(System.IO.Path.GetTempPath(), SampleFolderPrefix + Environment.ProcessId);
            emulator = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                DataDirectory = data, CertificateDirectory = EmulatorOptions.UserCertificateDirectory,
                DpsPort = 0, MqttPort = 0, DpsRetryAfterSeconds = 1, Log = line => Console.WriteLine("  [emulator] " + line),
            });
            EnrollmentInfo enrollment = await emulator.Operator.EnrollSymmetricKeyAsync("sample-device");
            Console.WriteLine("emulator: DPS " + emulator.DpsEndpoint + ", hub " + emulator.HubHostName + ":" + emulator.MqttPort + ", CA " + emulator.CaCertificatePath + " (the same file on every run)");
            if (dashboard)
            {
                Console.WriteLine();
                Console.WriteLine("Dashboard: " + emulator.DashboardLoginUri);
                Console.WriteLine("  (open it in a browser on this machine; it uses the emulator's development CA " + emulator.CaCertificatePath + ",");
                Console.WriteLine("   so trust that file or accept the browser's warning once. Ctrl+C stops the sample.)");
                Console.WriteLine();
            }
            device = new Device(emulator.IdScope, enrollment.PrimaryKey, "sample-device", IotConnectType.SymmetricKey);
            device.SetServiceHost(emulator.DpsEndpoint);
            device.SetHubPort(emulator.MqttPort);
            device.SetRootCertificate(emulator.CaCertificatePem);
        }
        else
        {
            bool group = Array.IndexOf(args, "--group") >= 0;
            device = new Device(scope, Arg(args, "--key"), Arg(args, "--device"), group ? IotConnectType.SymmetricGroupKey : IotConnectType.SymmetricKey);
        }

        device.SetLogLevel(IotLogLevel.ApiOnly);
        device.On("ConnectionStatus", info =>
        {
            Console.WriteLine("- [onconnect] => status:" + info.StatusCode + " " + info.Payload);
            _canSend = info.StatusCode == 0 && device.IsConnected;
        });
        device.On("MessageSent", info => Console.WriteLine("\t- [onmessagesent] => " + info.MessageId + " " + info.Payload));
        device.On("Command", info =>
        {
            Console.WriteLine("- [oncommand] => command name(" + info.Tag + ") => " + info.Payload);
            info.SetResponse(200, "{\"rebooting\":true}");
        });
        device.On("SettingsUpdated", info => Console.WriteLine("- [onsettingsupdated] => settings name(" + info.Tag + ") => " + info.Payload));

        device.Connect();

        using CancellationTokenSource stop = new CancellationTokenSource();
        Console.CancelKeyPress += (s, e) =>
        {
            e.Cancel = true; // finish the loop, dispose the device and the emulator
            stop.Cancel();
        };

        Task operatorPlay = emulator == null ? Task.CompletedTask : PlayOperator(emulator, seconds);
        Random random = new Random();
        int counter = 0;
        DateTime end = dashboard ? DateTime.MaxValue : DateTime.UtcNow.AddSeconds(seconds);
        while (DateTime.UtcNow < end && !stop.IsCancellationRequested)
        {
            device.DoNext();
            if (_canSend && counter % 20 == 0 && device.TrySendTelemetry("{\"temp\": " + random.Next(20, 45) + "}", null, out int id))
            {
                Console.WriteLine("Sending telemetry " + id);
            }

            counter++;
            Thread.Sleep(50);
        }

        await operatorPlay;
        device.Dispose();
        if (emulator != null)
        {
            var telemetry = await emulator.Operator.GetTelemetryAsync("sample-device");
            var twin = await emulator.Operator.GetTwinAsync("sample-device");
            Console.WriteLine("emulator received " + telemetry.Count + " telemetry messages; reported properties: " + twin?.ReportedJson);
            await emulator.DisposeAsync();
            DeleteFolder(emulator.DataDirectory);
            return telemetry.Count > 0 ? 0 : 1;
        }

        return 0;
    }

    private static async Task PlayOperator(EmulatorHost emulator, int seconds)
    {
        await Task.Delay(TimeSpan.FromSeconds(Math.Min(3, seconds / 3.0)));
        Console.WriteLine("operator: setting fanSpeed = 1200");
        await emulator.Operator.SetDesiredPropertiesAsync("sample-device", "{\"fanSpeed\":1200}");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Console.WriteLine("operator: invoking command 'reboot'");
        CommandResult result = await emulator.Operator.InvokeCommandAsync("sample-device", "reboot", "{\"delay\":1}", TimeSpan.FromSeconds(10));
        Console.WriteLine("operator: the device answered " + result.Status + " " + result.PayloadJson);
    }

    private const string SampleFolderPrefix = "iotc-sample-";

    /// <summary>Removes the temporary emulator folders of earlier runs whose process is gone (killed before cleaning up).</summary>
    private static void RemoveStaleSampleFolders()
    {
        foreach (string dir in System.IO.Directory.GetDirectories(System.IO.Path.GetTempPath(), SampleFolderPrefix + "*"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(dir).Substring(SampleFolderPrefix.Length), out int pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            bool running;
            try
            {
                using System.Diagnostics.Process p = System.Diagnostics.Process.GetProcessById(pid);
                running = !p.HasExited;
            }
            catch (ArgumentException)
            {
                running = false;
            }

            if (!running)
            {
                DeleteFolder(dir);
            }
        }
    }

    private static void DeleteFolder(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, true);
        }
        catch (System.IO.IOException e)
        {
            Console.WriteLine("could not remove " + dir + ": " + e.Message);
        }
        catch (UnauthorizedAccessException e)
        {
            Console.WriteLine("could not remove " + dir + ": " + e.Message);
        }
    }

    private static string Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
