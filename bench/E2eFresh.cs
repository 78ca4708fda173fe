// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using System.Threading.Tasks;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Desktop;

namespace Iotc.Bench
{
    /// <summary>
    /// e2e-fresh: a new process per client per round against the one emulator process of the run. The SDK's process is
    /// this bench in its child mode (<c>Iotc.Bench.dll --fresh-child …</c>, <see cref="FreshSdkChild"/>: a new Device
    /// with a FileProvisioningStore that one DPS registration before the rounds filled, so it connects straight to the
    /// hub; the e2e-telemetry "sdk" loop); the Node.js SDK's is bench/node/send.js with a count (a connection string,
    /// straight to the hub). Each connects, sends the messages at QoS 1 with 16 in flight, closes and exits. Measured
    /// from here: process start to exit, the child's CPU (getrusage of the waited-for children), and from the child's
    /// own report (timestamps on the shared clock, its CPU at each point, peak RSS) when it got to its first line, was
    /// connected, had the first and the last message confirmed. The emulator must hold exactly the messages sent after
    /// every child.
    /// </summary>
    public static partial class Program
    {
        private const string FreshChildOption = "--fresh-child";

        // The device key travels to the children in the environment (only the same user can read it), not in argv.
        private const string FreshKeyVariable = "IOTC_BENCH_KEY";

        // The columns of one child's row.
        private enum Fresh
        {
            Wall, Cpu, Rss, ToMain, Connect, First, FirstFromMain, Sending, Closing,
            CpuToMain, CpuConnect, CpuSending, CpuClosing, Load, LoadCpu, JitMs, JitMethods, Columns,
        }

        private static int _freshMessages = 2000;

        // Rounds after the warm-up (0: --repeats); the smoke run keeps it to one.
        private static int _freshRounds;

        private static void E2eFresh()
        {
            string nodeMissing = NodeUnavailable(out string folder);
            E2eEmulator emu = Emulator();
            string run = Guid.NewGuid().ToString("N").Substring(0, 6);
            string sdkId = "bench-fresh-sdk-" + run;
            string sdkKey = emu.EnrollAsync(sdkId).GetAwaiter().GetResult();
            string storeFile = Path.Combine(Path.GetTempPath(), "iotc-bench-fresh-" + run + ".json");
            try
            {
                // The one DPS registration: from here on the store sends every SDK process straight to the hub.
                using (Device device = SdkSide.NewDevice(emu, sdkId, sdkKey))
                {
                    device.SetProvisioningStore(new FileProvisioningStore(storeFile));
                    device.Connect();
                    device.Disconnect();
                }

                var sides = new List<(string Name, string DeviceId, Func<ProcessStartInfo> Start)> { ("sdk", sdkId, () => FreshSdkStart(emu, sdkId, sdkKey, storeFile)) };
                string nodeId = "bench-fresh-node-" + run;
                if (nodeMissing == null)
                {
                    string nodeKey = emu.CreateDeviceAsync(nodeId).GetAwaiter().GetResult();
                    sides.Add(("node", nodeId, () => FreshNodeStart(emu, folder, nodeId, nodeKey)));
                }

                int rounds = _freshRounds > 0 ? _freshRounds : _e2eRepeats;
                Console.WriteLine(Format(
                    "e2e-fresh: a new process per client per round, straight to the hub (sdk: Iotc.Bench.dll {0} with a FileProvisioningStore filled by one DPS "
                    + "registration before the rounds; node: bench/node/send.js with a connection string); {1:N0} QoS 1 messages of {2} B per process, "
                    + "{3} in flight (sdk app queue {4}), then close and exit; {5} rounds + 1 warm-up, alternating order; node: {6}",
                    FreshChildOption, _freshMessages, E2ePayload.Length, _e2eWindow, _e2eQueue, rounds, nodeMissing ?? "yes"));
                Dictionary<string, long> stored = sides.ToDictionary(s => s.DeviceId, s => emu.CountAsync(s.DeviceId).GetAwaiter().GetResult());
                Dictionary<string, List<double[]>> rows = sides.ToDictionary(s => s.Name, s => new List<double[]>());
                Dictionary<string, string> runtimes = new Dictionary<string, string>();
                for (int round = 0; round <= rounds; round++)
                {
                    List<string> cells = new List<string>();
                    for (int j = 0; j < sides.Count; j++)
                    {
                        var side = sides[round % 2 == 1 ? j : sides.Count - 1 - j];
                        double[] row = FreshChild(side.Start(), side.Name, out string runtime);
                        runtimes[side.Name] = runtime;
                        Verify(emu, side.Name, side.DeviceId, stored, _freshMessages, 1, round);
                        if (round > 0)
                        {
                            rows[side.Name].Add(row);
                        }

                        cells.Add(Format("{0} {1:F0} ms, cpu {2:F0} ms, {3:F1} MiB, first confirmed at {4:F0} ms", side.Name, row[(int)Fresh.Wall],
                            row[(int)Fresh.Cpu], row[(int)Fresh.Rss], row[(int)Fresh.First]));
                    }

                    Console.WriteLine(Format("  {0}: {1}", round == 0 ? "warm-up" : "round " + round, string.Join(" | ", cells)));
                }

                Console.WriteLine("  runtimes: " + string.Join(", ", runtimes.Select(x => x.Key + " " + x.Value)));
                Console.WriteLine("  medians [min-max], ms from the process start unless said:");
                Console.WriteLine("  side  start..exit          cpu ms               peak RSS MiB      start..main       main..connected      first confirmed      sending              closing..exit");
                foreach (var row in rows)
                {
                    Console.WriteLine(Format("  {0,-5} {1,-20} {2,-20} {3,-17} {4,-17} {5,-20} {6,-20} {7,-20} {8}", row.Key, Range(row.Value, Fresh.Wall), Range(row.Value, Fresh.Cpu),
                        Range(row.Value, Fresh.Rss), Range(row.Value, Fresh.ToMain), Range(row.Value, Fresh.Connect), Range(row.Value, Fresh.First), Range(row.Value, Fresh.Sending), Range(row.Value, Fresh.Closing)));
                }

                Console.WriteLine("  cpu ms by phase (the child's own: .NET getrusage, Node.js process.cpuUsage(); closing..exit = the total above minus the child's last reading):");
                Console.WriteLine("  side  to main              main..connected      sending              closing..exit        first confirmed from main   sdk JIT ms / methods, node require() ms / its cpu ms");
                foreach (var row in rows)
                {
                    string own = row.Key == "sdk" ? Range(row.Value, Fresh.JitMs) + " / " + Range(row.Value, Fresh.JitMethods) : Range(row.Value, Fresh.Load) + " / " + Range(row.Value, Fresh.LoadCpu);
                    Console.WriteLine(Format("  {0,-5} {1,-20} {2,-20} {3,-20} {4,-20} {5,-27} {6}", row.Key, Range(row.Value, Fresh.CpuToMain), Range(row.Value, Fresh.CpuConnect),
                        Range(row.Value, Fresh.CpuSending), Range(row.Value, Fresh.CpuClosing), Range(row.Value, Fresh.FirstFromMain), own));
                }

                if (rows.ContainsKey("node"))
                {
                    List<double[]> sdk = rows["sdk"];
                    List<double[]> node = rows["node"];
                    Func<Fresh, string> ratio = c => Format("{0:F2}x (per round: {1})", Median(sdk.Select(x => x[(int)c]).ToList()) / Median(node.Select(x => x[(int)c]).ToList()),
                        string.Join(" ", sdk.Zip(node, (a, b) => Format("{0:F2}", a[(int)c] / b[(int)c]))));
                    Console.WriteLine("  ratios of medians sdk/node (below 1: the SDK is ahead): start..exit " + ratio(Fresh.Wall) + ", cpu " + ratio(Fresh.Cpu) + ", peak RSS " + ratio(Fresh.Rss)
                        + ", first confirmed " + ratio(Fresh.First) + ", sending " + ratio(Fresh.Sending));
                }
            }
            finally
            {
                File.Delete(storeFile);
            }
        }

        private static string Range(List<double[]> rows, Fresh column) => Range(rows, (int)column);

        private static ProcessStartInfo FreshSdkStart(E2eEmulator emu, string deviceId, string key, string storeFile)
        {
            ProcessStartInfo start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (object a in new object[] { Path.Combine(AppContext.BaseDirectory, "Iotc.Bench.dll"), FreshChildOption, emu.IdScope, emu.DpsEndpoint, emu.MqttPort, emu.CaPath, deviceId, storeFile, _freshMessages, _e2eWindow, _e2eQueue })
            {
                start.ArgumentList.Add(Convert.ToString(a, CultureInfo.InvariantCulture));
            }

            start.Environment[FreshKeyVariable] = key;
            // As for the emulator: a tracer's diagnostic port would suspend the child at start.
            start.Environment.Remove("DOTNET_DiagnosticPorts");
            return start;
        }

        private static ProcessStartInfo FreshNodeStart(E2eEmulator emu, string folder, string deviceId, string key)
        {
            JsonObject config = new JsonObject
            {
                ["gatewayHost"] = "localhost", ["port"] = emu.MqttPort, ["hubHost"] = emu.HubHost, ["deviceId"] = deviceId, ["caPath"] = emu.CaPath,
                ["count"] = _freshMessages, ["window"] = _e2eWindow, ["payload"] = E2ePayload,
            };
            ProcessStartInfo start = new ProcessStartInfo("node") { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("send.js");
            start.ArgumentList.Add(config.ToJsonString());
            start.Environment[FreshKeyVariable] = key;
            return start;
        }

        /// <summary>Runs one child to its exit and returns its row (the columns above); fails on a non-zero exit or failed messages.</summary>
        private static double[] FreshChild(ProcessStartInfo start, string name, out string runtime)
        {
            GC.Collect();
            double cpuBefore = CpuTime.ChildrenMilliseconds();
            double startAt = SdkSide.UnixMilliseconds();
            Stopwatch wall = Stopwatch.StartNew();
            string output;
            string error;
            int exitCode;
            using (Process p = Process.Start(start))
            {
                Task<string> errorText = p.StandardError.ReadToEndAsync();
                output = p.StandardOutput.ReadToEnd();
                p.WaitForExit();
                wall.Stop();
                error = errorText.GetAwaiter().GetResult();
                exitCode = p.ExitCode;
            }

            // The process has been waited for (reaped): the kernel's total for ended children now holds all of it.
            double cpu = CpuTime.ChildrenMilliseconds() - cpuBefore;
            double exitAt = startAt + wall.Elapsed.TotalMilliseconds;
            string last = output.Split('\n').Select(x => x.Trim()).LastOrDefault(x => x.StartsWith("{", StringComparison.Ordinal));
            JsonNode report = last == null ? null : JsonNode.Parse(last)["fresh"];
            if (exitCode != 0 || report == null || (int)report["failed"] != 0)
            {
                _e2eFailed = true;
                throw new InvalidOperationException(name + " child process failed (exit code " + exitCode + "): " + (last ?? output) + " " + error);
            }

            double[] row = new double[(int)Fresh.Columns];
            Action<Fresh, double> set = (column, value) => row[(int)column] = value;
            Func<string, double> at = field => report[field] == null ? double.NaN : (double)report[field];
            set(Fresh.Wall, wall.Elapsed.TotalMilliseconds);
            set(Fresh.Cpu, double.IsNaN(cpu) ? at("cpuClosed") : cpu);
            set(Fresh.Rss, at("maxRssKiB") / 1024);
            set(Fresh.ToMain, at("mainAt") - startAt);
            set(Fresh.Connect, at("connectedAt") - at("mainAt"));
            set(Fresh.First, at("firstAt") - startAt);
            set(Fresh.FirstFromMain, at("firstAt") - at("mainAt"));
            set(Fresh.Sending, at("doneAt") - at("connectedAt"));
            set(Fresh.Closing, exitAt - at("doneAt"));
            set(Fresh.CpuToMain, at("cpuMain"));
            set(Fresh.CpuConnect, at("cpuConnected") - at("cpuMain"));
            set(Fresh.CpuSending, at("cpuDone") - at("cpuConnected"));
            set(Fresh.CpuClosing, row[(int)Fresh.Cpu] - at("cpuDone"));
            // Only the Node.js side reports when its require() calls were done; only the SDK reports its JIT.
            set(Fresh.Load, at("loadedAt") - at("mainAt"));
            set(Fresh.LoadCpu, at("cpuLoaded") - at("cpuMain"));
            set(Fresh.JitMs, at("jitMs"));
            set(Fresh.JitMethods, at("jitMethods"));
            runtime = (string)report["runtime"];
            return row;
        }

        /// <summary>
        /// The SDK's process of one e2e-fresh round: <c>--fresh-child scope dpsEndpoint mqttPort caPath deviceId storeFile
        /// count window queue</c>, the key in IOTC_BENCH_KEY. Connects from the provisioning store (fails if it asked DPS),
        /// runs the e2e-telemetry "sdk" loop, disconnects and prints its report as one JSON line.
        /// </summary>
        private static int FreshSdkChild(string[] args)
        {
            double mainAt = SdkSide.UnixMilliseconds();
            double cpuMain = CpuTime.Self()[0];
            try
            {
                int count = int.Parse(args[7], CultureInfo.InvariantCulture);
                CountingFactory counting = new CountingFactory(new DesktopTransportFactory());
                Device device = SdkSide.NewDevice(args[1], args[2], int.Parse(args[3], CultureInfo.InvariantCulture), File.ReadAllText(args[4]), args[5],
                    Environment.GetEnvironmentVariable(FreshKeyVariable));
                device.SetTransportFactory(counting);
                device.SetProvisioningStore(new FileProvisioningStore(args[6]));
                SdkSide side = SdkSide.Prepare(device, "sdk", 1, int.Parse(args[8], CultureInfo.InvariantCulture), int.Parse(args[9], CultureInfo.InvariantCulture), false, false, E2ePayload);
                device.Connect();
                double connectedAt = SdkSide.UnixMilliseconds();
                double cpuConnected = CpuTime.Self()[0];
                if (counting.HttpRequests != 0)
                {
                    throw new InvalidOperationException("the device asked DPS (" + counting.HttpRequests + " requests) instead of connecting from its store");
                }

                side.Run(count, 1);
                double doneAt = SdkSide.UnixMilliseconds();
                double cpuDone = CpuTime.Self()[0];
                device.Disconnect();
                side.Dispose();
                double closedAt = SdkSide.UnixMilliseconds();
                double[] self = CpuTime.Self();
                Console.WriteLine(Format(
                    "{{\"fresh\":{{\"runtime\":\".NET {0}\",\"mainAt\":{1:F3},\"connectedAt\":{2:F3},\"firstAt\":{3:F3},\"doneAt\":{4:F3},\"closedAt\":{5:F3},"
                    + "\"cpuMain\":{6:F3},\"cpuConnected\":{7:F3},\"cpuDone\":{8:F3},\"cpuClosed\":{9:F3},\"maxRssKiB\":{10:F0},\"failed\":0,"
                    + "\"jitMs\":{11:F3},\"jitMethods\":{12},\"mqttConnects\":{13}}}}}",
                    Environment.Version, mainAt, connectedAt, side.FirstConfirmedUnixMs, doneAt, closedAt, cpuMain, cpuConnected, cpuDone, self[0], self[1],
                    System.Runtime.JitInfo.GetCompilationTime(false).TotalMilliseconds, System.Runtime.JitInfo.GetCompiledMethodCount(false), counting.MqttConnects));
                return 0;
            }
            catch (Exception ex)
            {
                // The SDK's and the bench's messages carry no key.
                Console.WriteLine("{\"error\":" + JsonValue.Create(ex.GetType().Name + ": " + ex.Message).ToJsonString() + "}");
                return 1;
            }
        }
    }
}
