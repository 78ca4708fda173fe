// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Net.Http;
using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using IotcEmulator;

namespace Iotc.Bench
{
    /// <summary>
    /// The emulator every side of the end-to-end benchmark talks to: its own process (<c>iotc-emulator.dll start</c> from
    /// the bench's output folder, the default, so the bench process holds only clients and its allocation counters see
    /// only them) or in this process (<see cref="EmulatorHost"/>). Either way the bench drives it through the operator REST
    /// API, trusting the emulator's CA; nothing turns TLS validation off.
    /// </summary>
    internal sealed class E2eEmulator : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly EmulatorHost _host;
        private readonly HttpClient _api;
        private readonly List<string> _output;
        private readonly string _dataDirectory;

        private E2eEmulator(Process process, EmulatorHost host, List<string> output, string dataDirectory, string idScope, string hubHost, int dpsPort, int mqttPort, string caPath)
        {
            _process = process;
            _host = host;
            _output = output;
            _dataDirectory = dataDirectory;
            IdScope = idScope;
            HubHost = hubHost;
            DpsPort = dpsPort;
            MqttPort = mqttPort;
            CaPath = caPath;
            CaPem = File.ReadAllText(caPath);
            Ca = X509Certificate2.CreateFromPem(CaPem);
            SocketsHttpHandler handler = new SocketsHttpHandler();
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => Trust.IsTrusted(Ca, certificate, errors);
            _api = new HttpClient(handler) { BaseAddress = new Uri("https://localhost:" + dpsPort + "/api/"), Timeout = TimeSpan.FromSeconds(60) };
            // An emulator that protects its operator API with an access token writes it to its data folder.
            string tokenFile = Path.Combine(dataDirectory, "access-token");
            if (File.Exists(tokenFile))
            {
                _api.DefaultRequestHeaders.Add("X-Iotc-Token", File.ReadAllText(tokenFile).Trim());
            }
        }

        /// <summary>"process" or "in-process".</summary>
        public string Mode => _process != null ? "own process" : "in process";

        public string IdScope { get; }

        public string HubHost { get; }

        public int DpsPort { get; }

        public int MqttPort { get; }

        public string DpsEndpoint => "localhost:" + DpsPort;

        public string CaPath { get; }

        public string CaPem { get; }

        public X509Certificate2 Ca { get; }

        /// <summary>Starts the emulator on free loopback ports with a temporary data folder; DPS answers Retry-After 1 s.</summary>
        public static async Task<E2eEmulator> StartAsync(bool inProcess)
        {
            string data = Path.Combine(Path.GetTempPath(), "iotc-e2e-bench-" + Guid.NewGuid().ToString("N").Substring(0, 8));
            if (inProcess)
            {
                EmulatorHost host = await EmulatorHost.StartAsync(new EmulatorOptions
                {
                    DataDirectory = data, DpsPort = 0, MqttPort = 0, CreateDemoEnrollment = false, DpsRetryAfterSeconds = 1, Log = _ => { },
                });
                return new E2eEmulator(null, host, new List<string>(), data, host.IdScope, host.HubHostName, host.DpsPort, host.MqttPort, host.CaCertificatePath);
            }

            string dll = Path.Combine(AppContext.BaseDirectory, "iotc-emulator.dll");
            ProcessStartInfo start = new ProcessStartInfo("dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string a in new[] { dll, "start", "--data", data, "--dps-port", "0", "--mqtt-port", "0", "--no-demo", "--dps-retry-after", "1" })
            {
                start.ArgumentList.Add(a);
            }

            start.Environment["DOTNET_NOLOGO"] = "1";
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            // Under `dotnet-trace collect -- …` the bench inherits a diagnostic port that suspends a runtime at start
            // until a tracer attaches; the emulator is not the process being traced.
            start.Environment.Remove("DOTNET_DiagnosticPorts");
            Process process = Process.Start(start);
            List<string> output = new List<string>();
            TaskCompletionSource<bool> ready = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            DataReceivedEventHandler onLine = (sender, e) =>
            {
                if (e.Data == null)
                {
                    return;
                }

                lock (output)
                {
                    // The emulator logs connects and refusals; keep the tail for error messages, drain the rest.
                    output.Add(e.Data);
                    if (output.Count > 400)
                    {
                        output.RemoveRange(0, 200);
                    }

                    if (e.Data.Contains("Data folder:"))
                    {
                        ready.TrySetResult(true);
                    }
                }
            };
            process.OutputDataReceived += onLine;
            process.ErrorDataReceived += onLine;
            process.EnableRaisingEvents = true;
            process.Exited += (sender, e) => ready.TrySetResult(false);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            // Should the bench end without disposing (killed, or torn down by a tracer), take the emulator with it.
            AppDomain.CurrentDomain.ProcessExit += (sender, e) =>
            {
                try
                {
                    if (!process.HasExited)
                    {
                        process.Kill();
                    }
                }
                catch (InvalidOperationException)
                {
                }
            };
            bool started;
            try
            {
                started = await ready.Task.WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                started = false; // killed below, with its output in the message
            }

            string text;
            lock (output)
            {
                text = string.Join("\n", output);
            }

            Match dps = Regex.Match(text, @"DPS endpoint:\s+https://localhost:(\d+)");
            Match hub = Regex.Match(text, @"Hub endpoint:\s+mqtts://([^:\s]+):(\d+)");
            Match scope = Regex.Match(text, @"ID scope:\s+(\S+)");
            Match ca = Regex.Match(text, @"CA certificate \(trust this\):\s+(\S+)");
            if (!started || !dps.Success || !hub.Success || !scope.Success || !ca.Success)
            {
                try
                {
                    process.Kill();
                }
                catch (InvalidOperationException)
                {
                }

                throw new InvalidOperationException("the emulator did not start:\n" + text);
            }

            return new E2eEmulator(process, null, output, data, scope.Groups[1].Value, hub.Groups[1].Value, int.Parse(dps.Groups[1].Value),
                int.Parse(hub.Groups[2].Value), ca.Groups[1].Value);
        }

        /// <summary>A hub device created directly (no DPS); returns its primary key.</summary>
        public async Task<string> CreateDeviceAsync(string deviceId)
        {
            JsonNode body = await PostAsync("devices", "{\"deviceId\":\"" + deviceId + "\"}");
            return (string)body["primaryKey"];
        }

        /// <summary>An individual symmetric-key enrollment (the device provisions through DPS); returns its primary key.</summary>
        public async Task<string> EnrollAsync(string registrationId)
        {
            JsonNode body = await PostAsync("enrollments", "{\"id\":\"" + registrationId + "\"}");
            return (string)body["primaryKey"];
        }

        /// <summary>What the emulator stored for the device, after committing what it has received.</summary>
        public async Task<long> CountAsync(string deviceId)
        {
            string text = await _api.GetStringAsync("telemetry/count?deviceId=" + Uri.EscapeDataString(deviceId));
            return (long)JsonNode.Parse(text)["count"];
        }

        /// <summary>When the device's latest stored message arrived at the emulator (its clock, milliseconds; the same machine's).</summary>
        public async Task<DateTimeOffset> LastArrivedAsync(string deviceId)
        {
            string text = await _api.GetStringAsync("telemetry?deviceId=" + Uri.EscapeDataString(deviceId) + "&tail=1");
            JsonArray rows = JsonNode.Parse(text).AsArray();
            return rows.Count == 0 ? DateTimeOffset.MinValue : rows[0]["arrivedUtc"].GetValue<DateTimeOffset>();
        }

        /// <summary>The property bag of the device's latest stored message, as the emulator decoded it (for the side-by-side check).</summary>
        public async Task<string> LastPropertiesAsync(string deviceId, long afterId)
        {
            string text = await _api.GetStringAsync("telemetry?deviceId=" + Uri.EscapeDataString(deviceId) + "&after=" + afterId + "&limit=1");
            JsonArray rows = JsonNode.Parse(text).AsArray();
            return rows.Count == 0 ? "(none)" : rows[0]["properties"].ToJsonString() + ", " + rows[0]["payload"].ToString().Length + " B payload";
        }

        /// <summary>Drops the device's MQTT connection (fault API).</summary>
        public async Task DropAsync(string deviceId)
        {
            JsonNode body = await PostAsync("faults/drop/" + Uri.EscapeDataString(deviceId), null);
            if (!(bool)body["dropped"])
            {
                throw new InvalidOperationException("the emulator says '" + deviceId + "' was not connected");
            }
        }

        /// <summary>The emulator's recent output (own-process mode), for error messages.</summary>
        public string Tail()
        {
            lock (_output)
            {
                return string.Join("\n", _output.GetRange(Math.Max(0, _output.Count - 30), Math.Min(30, _output.Count)));
            }
        }

        private async Task<JsonNode> PostAsync(string path, string json)
        {
            using (HttpResponseMessage r = await _api.PostAsync(path, json == null ? null : new StringContent(json, Encoding.UTF8, "application/json")))
            {
                string text = await r.Content.ReadAsStringAsync();
                if (!r.IsSuccessStatusCode)
                {
                    throw new InvalidOperationException("POST /api/" + path + " answered " + (int)r.StatusCode + ": " + text);
                }

                return JsonNode.Parse(text);
            }
        }

        [DllImport("libc", SetLastError = true)]
        private static extern int kill(int pid, int sig);

        public async ValueTask DisposeAsync()
        {
            _api.Dispose();
            if (_host != null)
            {
                await _host.DisposeAsync();
            }

            if (_process != null)
            {
                if (!_process.HasExited)
                {
                    // SIGTERM: the CLI stops its servers and flushes SQLite; SIGKILL only if it does not.
                    if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows) || kill(_process.Id, 15) != 0)
                    {
                        _process.Kill();
                    }

                    using (CancellationTokenSource wait = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
                    {
                        try
                        {
                            await _process.WaitForExitAsync(wait.Token);
                        }
                        catch (OperationCanceledException)
                        {
                            _process.Kill();
                        }
                    }
                }

                _process.Dispose();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try
            {
                Directory.Delete(_dataDirectory, true);
            }
            catch (IOException)
            {
            }
        }
    }
}
