// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Desktop;
using nanoFramework.Iotc.Transport;

namespace Iotc.Bench
{
    /// <summary>
    /// e2e-wake: a battery device's cold start. Each round, alternating: the SDK provisioning through DPS (a new Device,
    /// no store), the SDK with its provisioning store (FileProvisioningStore, filled by a first run), and Microsoft's
    /// Node.js SDK doing its DPS registration, connect and sends (bench/node/wake.js). Measured per round: time to first
    /// telemetry (new Device to the first MessageSent; DPS Retry-After waits taken out and reported apart, the Node.js
    /// client's measured by wake.js),
    /// connect to N confirmed to disconnect, and TLS handshakes/requests counted through a wrapping transport factory.
    /// The SDK's Flush-based cycle (drain what the hub queued, send N, Flush, Disconnect) is reported apart: Flush waits
    /// for 500 ms of quiet by design (Device.FlushQuietMilliseconds).
    /// </summary>
    public static partial class Program
    {
        private const int WakeMessages = 5;

        private static void E2eWake()
        {
            E2eEmulator emu = Emulator();
            string run = Guid.NewGuid().ToString("N").Substring(0, 6);
            string nodeMissing = NodeUnavailable(out string folder);
            string cachedId = "bench-wake-cached-" + run;
            string cachedKey = emu.EnrollAsync(cachedId).GetAwaiter().GetResult();
            string storeFile = Path.Combine(Path.GetTempPath(), "iotc-bench-wake-" + run + ".json");
            FileProvisioningStore store = new FileProvisioningStore(storeFile);
            try
            {
                WakeSdk(emu, cachedId, cachedKey, store); // fills the store; also JIT and the first handshakes
                var rows = new Dictionary<string, List<double[]>> { { "sdk dps", new List<double[]>() }, { "sdk stored", new List<double[]>() }, { "node dps", new List<double[]>() } };
                int rounds = Math.Max(3, _e2eRepeats);
                for (int r = 0; r < rounds; r++)
                {
                    string fresh = "bench-wake-" + run + "-" + r;
                    rows["sdk dps"].Add(WakeSdk(emu, fresh, emu.EnrollAsync(fresh).GetAwaiter().GetResult(), null));
                    rows["sdk stored"].Add(WakeSdk(emu, cachedId, cachedKey, store));
                    if (nodeMissing == null)
                    {
                        string nodeId = "bench-wake-node-" + run + "-" + r;
                        rows["node dps"].Add(WakeNode(emu, folder, nodeId, emu.EnrollAsync(nodeId).GetAwaiter().GetResult()));
                    }
                }

                Console.WriteLine(Format("e2e-wake ({0} rounds, medians [min-max]; {1} messages per wake; Node.js: {2}):", rounds, WakeMessages, nodeMissing ?? "yes"));
                Console.WriteLine("  side        first telemetry ms   DPS waits ms         start..N confirmed..closed ms         Flush cycle ms   DPS requests   MQTT connects");
                foreach (var row in rows.Where(x => x.Value.Count > 0))
                {
                    Console.WriteLine(Format("  {0,-11} {1,-20} {2,-20} {3,-37} {4,-16} {5,-14} {6}",
                        row.Key, Range(row.Value, 0), Range(row.Value, 1), Range(row.Value, 2), Range(row.Value, 3), Range(row.Value, 4), Range(row.Value, 5)));
                }

                double dps = Median(rows["sdk dps"].Select(x => x[0]).ToList());
                double stored = Median(rows["sdk stored"].Select(x => x[0]).ToList());
                Console.WriteLine(Format("  first telemetry, sdk dps / sdk stored: {0:F1}x", dps / stored));
                if (rows["node dps"].Count > 0)
                {
                    double node = Median(rows["node dps"].Select(x => x[0]).ToList());
                    Console.WriteLine(Format("  first telemetry, node dps / sdk stored: {0:F1}x; node dps / sdk dps: {1:F2}x (DPS waits taken out on both sides)", node / stored, node / dps));
                }
            }
            finally
            {
                File.Delete(storeFile);
            }
        }

        private static string Range(List<double[]> rows, int column)
        {
            List<double> v = rows.Select(x => x[column]).Where(x => !double.IsNaN(x)).ToList();
            return v.Count == 0 ? "-" : Format("{0:F1} [{1:F0}-{2:F0}]", Median(v), v.Min(), v.Max());
        }

        /// <summary>One SDK wake: first telemetry (ms, Retry-After sleeps excluded), the sleeps, connect..N..disconnect, the Flush cycle, DPS requests, MQTT connects.</summary>
        private static double[] WakeSdk(E2eEmulator emu, string id, string key, IProvisioningStore store)
        {
            CountingFactory counting = new CountingFactory(new DesktopTransportFactory());
            SleepCountingClock clock = new SleepCountingClock();
            int confirmed = 0;
            double first = double.NaN;
            Stopwatch watch = Stopwatch.StartNew();
            using (Device device = SdkSide.NewDevice(emu, id, key))
            {
                device.SetClock(clock);
                device.SetTransportFactory(counting);
                device.SetProvisioningStore(store);
                device.On(IotcEvents.MessageSent, info =>
                {
                    if (confirmed++ == 0)
                    {
                        first = watch.Elapsed.TotalMilliseconds - clock.SleptMilliseconds;
                    }
                });
                device.Connect();
                for (int i = 0; i < WakeMessages; i++)
                {
                    device.SendTelemetry(E2ePayload);
                }

                while (confirmed < WakeMessages)
                {
                    device.DoNext();
                    Thread.Yield();
                }

                device.Disconnect();
                double dpsWaits = clock.SleptMilliseconds;
                double sent = watch.Elapsed.TotalMilliseconds - dpsWaits;

                // The Flush cycle of a sleeping device: connect, drain, send N, Flush, disconnect (a second connect, to
                // the hub this Device already knows). Flush's own waits are part of it.
                Stopwatch cycle = Stopwatch.StartNew();
                device.Connect();
                for (int i = 0; i < WakeMessages; i++)
                {
                    device.SendTelemetry(E2ePayload);
                }

                bool flushed = device.Flush(10000);
                device.Disconnect();
                double flushCycle = flushed ? cycle.Elapsed.TotalMilliseconds : double.NaN;
                return new double[] { first, dpsWaits, sent, flushCycle, counting.HttpRequests, counting.MqttConnects - 1 };
            }
        }

        /// <summary>One Node.js wake (bench/node/wake.js): first telemetry ms and start..N..close ms without its DPS poll waits, those waits, DPS requests (not counted: NaN), 1 connect.</summary>
        private static double[] WakeNode(E2eEmulator emu, string folder, string id, string key)
        {
            JsonObject config = new JsonObject
            {
                ["dpsPort"] = emu.DpsPort, ["idScope"] = emu.IdScope, ["registrationId"] = id, ["key"] = key, ["caPath"] = emu.CaPath,
                ["mqttPort"] = emu.MqttPort, ["count"] = WakeMessages, ["payload"] = E2ePayload,
            };
            ProcessStartInfo start = new ProcessStartInfo("node") { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("wake.js");
            start.ArgumentList.Add(config.ToJsonString());
            using (Process p = Process.Start(start))
            {
                string error = p.StandardError.ReadToEndAsync().GetAwaiter().GetResult();
                string output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                JsonNode result = JsonNode.Parse(output.Trim().Split('\n').Last());
                if (result["error"] != null)
                {
                    throw new InvalidOperationException("node wake: " + result["error"] + " " + error);
                }

                return new double[] { (double)result["firstMs"], (double)result["waitedMs"], (double)result["sentMs"], double.NaN, double.NaN, 1 };
            }
        }

        /// <summary>Counts the network exchanges the SDK starts: DPS requests (one TLS connection each) and MQTT connects.</summary>
        private sealed class CountingFactory : ITransportFactory, IHttpTransport
        {
            private readonly ITransportFactory _inner;

            public CountingFactory(ITransportFactory inner)
            {
                _inner = inner;
            }

            public int HttpRequests { get; private set; }

            public int MqttConnects { get; private set; }

            public IHttpTransport CreateHttpTransport() => this;

            public IMqttTransport CreateMqttTransport()
            {
                MqttConnects++;
                return _inner.CreateMqttTransport();
            }

            public HttpResponse Send(HttpRequest request)
            {
                HttpRequests++;
                return _inner.CreateHttpTransport().Send(request);
            }
        }
    }
}
