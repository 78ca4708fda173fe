// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Diagnostics;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Authentication;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading;
using System.Threading.Tasks;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Security;

namespace Iotc.Bench
{
    /// <summary>One side's result in one round.</summary>
    internal sealed class SideResult
    {
        /// <summary>QoS 1: confirmed (PUBACK) per second. QoS 0: stored by the emulator per second.</summary>
        public double MessagesPerSecond;

        /// <summary>QoS 0 only: the rate at which the sender considered its messages sent.</summary>
        public double SentPerSecond = double.NaN;

        /// <summary>Bytes allocated per message on the thread that ran the app loop (NaN when the side has no such thread).</summary>
        public double AppThreadBytesPerMessage = double.NaN;

        /// <summary>Bytes allocated per message by the whole bench process during the round (NaN for the Node.js side).</summary>
        public double TotalBytesPerMessage = double.NaN;

        /// <summary>DoNext() calls per message (SDK sides only).</summary>
        public double DoNextPerMessage = double.NaN;

        /// <summary>Send* calls refused with "outbox full" per message (the exception flow-control side only).</summary>
        public double OutboxFullPerMessage = double.NaN;

        /// <summary>CPU time (user + system, all threads) the bench process used per message during the round, in µs (NaN for the Node.js side).</summary>
        public double ProcessCpuMicrosPerMessage = double.NaN;

        /// <summary>CPU time of the thread that ran the app loop per message, in µs (SDK sides on Linux only).</summary>
        public double AppThreadCpuMicrosPerMessage = double.NaN;
    }

    /// <summary>
    /// CPU time of the whole process and of the calling thread (the latter on Linux only: clock_gettime), and on Linux
    /// what getrusage says of this process or of its ended child processes.
    /// </summary>
    internal static class CpuTime
    {
        private const int ClockThreadCpuTime = 3;
        private const int RusageSelf = 0;
        private const int RusageChildren = -1;

        [StructLayout(LayoutKind.Sequential)]
        private struct TimeSpec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", EntryPoint = "clock_gettime")]
        private static extern int ClockGetTime(int clock, out TimeSpec time);

        // struct rusage on 64-bit Linux: ru_utime and ru_stime (timeval: seconds, µs), ru_maxrss (KiB), 13 more longs.
        [DllImport("libc", EntryPoint = "getrusage")]
        private static extern int GetRusage(int who, [Out] long[] usage);

        /// <summary>
        /// User + system ms of this process so far and its peak RSS in KiB (NaN off Linux). The SDK child of e2e-fresh
        /// reads it: unlike Process.TotalProcessorTime it loads nothing and is not rounded to 10 ms.
        /// </summary>
        public static double[] Self() => Rusage(RusageSelf);

        /// <summary>User + system ms of the ended child processes this process has waited for (the kernel's running total; NaN off Linux).</summary>
        public static double ChildrenMilliseconds() => Rusage(RusageChildren)[0];

        private static double[] Rusage(int who)
        {
            long[] u = new long[18];
            if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess || GetRusage(who, u) != 0)
            {
                return new[] { double.NaN, double.NaN };
            }

            return new[] { (u[0] + u[2]) * 1e3 + (u[1] + u[3]) / 1e3, (double)u[4] };
        }

        /// <summary>User + system time of all the process's threads so far (getrusage on Linux).</summary>
        public static TimeSpan Process()
        {
            double ms = Self()[0];
            if (!double.IsNaN(ms))
            {
                return TimeSpan.FromMilliseconds(ms);
            }

            using (System.Diagnostics.Process p = System.Diagnostics.Process.GetCurrentProcess())
            {
                return p.TotalProcessorTime;
            }
        }

        /// <summary>The calling thread's CPU time in µs, or NaN where it cannot be read.</summary>
        public static double ThreadMicros()
        {
            if (!OperatingSystem.IsLinux())
            {
                return double.NaN;
            }

            return ClockGetTime(ClockThreadCpuTime, out TimeSpec t) == 0 ? t.Seconds * 1e6 + t.Nanoseconds / 1e3 : double.NaN;
        }
    }

    /// <summary>A sender in the end-to-end benchmark.</summary>
    internal abstract class E2eSide : IDisposable
    {
        protected E2eSide(string name, string deviceId, string payload)
        {
            Name = name;
            DeviceId = deviceId;
            Payload = payload;
        }

        public string Name { get; }

        /// <summary>The emulator device this side sends as (each side has its own, so deliveries are counted per side).</summary>
        public string DeviceId { get; }

        /// <summary>The message text every side sends.</summary>
        protected string Payload { get; }

        /// <summary>Sends <paramref name="count"/> messages and returns when every one is confirmed (QoS 1: PUBACK; QoS 0: written).</summary>
        public abstract SideResult Run(int count, int qos);

        public abstract void Dispose();

        /// <summary>Ends a measured round: stops the watch, fails loudly on failures, and fills the rate and the process's bytes per message.</summary>
        protected SideResult Finish(Stopwatch watch, long totalBytesBefore, TimeSpan cpuBefore, int count, int failed, string failure)
        {
            watch.Stop();
            TimeSpan cpu = CpuTime.Process() - cpuBefore;
            long totalBytes = GC.GetTotalAllocatedBytes(true) - totalBytesBefore;
            if (failed != 0)
            {
                throw new InvalidOperationException(Name + ": " + failed + " " + failure);
            }

            return new SideResult
            {
                MessagesPerSecond = count / watch.Elapsed.TotalSeconds, TotalBytesPerMessage = totalBytes / (double)count, ProcessCpuMicrosPerMessage = cpu.TotalMilliseconds * 1000 / count,
            };
        }
    }

    /// <summary>
    /// nanoFramework.Iotc's <see cref="Device"/> (desktop build, MQTTnet transport), driven the way an application that
    /// sends as fast as it can would: keep up to <c>queue</c> messages in the outbox, checking <see cref="Device.PendingMessages"/>
    /// before each <c>SendTelemetry</c>, and call <c>DoNext()</c> in a tight loop until MessageSent has fired for all.
    /// With <c>exceptions</c> it instead sends until <c>SendTelemetry</c> throws "outbox full", then calls DoNext (the
    /// flow control an application without PendingMessages would use). With <c>yield</c> the loop gives up its time
    /// slice after a DoNext that confirmed nothing (DoNext has no way to wait for work, so a fast loop either spins or
    /// sleeps).
    /// </summary>
    internal sealed class SdkSide : E2eSide
    {
        private readonly Device _device;
        private readonly int _queue;
        private readonly bool _exceptions;
        private readonly bool _yield;
        private long _confirmed;
        private int _failed;

        private SdkSide(string name, Device device, int queue, bool exceptions, bool yield, string payload)
            : base(name, device.DeviceId, payload)
        {
            _device = device;
            _queue = queue;
            _exceptions = exceptions;
            _yield = yield;
        }

        /// <summary>When the first MessageSent fired, in ms since the Unix epoch (NaN before).</summary>
        public double FirstConfirmedUnixMs { get; private set; } = double.NaN;

        /// <summary>Enrolls the device, provisions it through DPS and connects at <paramref name="qos"/> (Retry-After waits included; not measured).</summary>
        /// <param name="yield">After a DoNext that confirmed nothing, Thread.Yield() instead of spinning straight on.</param>
        /// <param name="window">QoS 1 publishes in flight (SetInFlightWindow), the same as the raw client's.</param>
        public static async Task<SdkSide> ConnectAsync(E2eEmulator emu, string name, string deviceId, int qos, int window, int queue, bool exceptions, bool yield, string payload)
        {
            string key = await emu.EnrollAsync(deviceId);
            SdkSide side = Prepare(NewDevice(emu, deviceId, key), name, qos, window, queue, exceptions, yield, payload);
            side._device.Connect();
            return side;
        }

        /// <summary>Sets a device up for the rounds (QoS, in-flight window, room for the app's queue) and counts its MessageSent; Connect is the caller's.</summary>
        public static SdkSide Prepare(Device device, string name, int qos, int window, int queue, bool exceptions, bool yield, string payload)
        {
            device.SetQosLevel(qos);
            device.SetInFlightWindow(window, 30000);
            // Room for the app's queue: the default outbox (32 messages) is smaller than what the bench keeps queued.
            device.SetOutboxLimits(queue, queue * 1024);
            SdkSide side = new SdkSide(name, device, queue, exceptions, yield, payload);
            device.On(IotcEvents.MessageSent, info =>
            {
                if (side._confirmed++ == 0)
                {
                    side.FirstConfirmedUnixMs = UnixMilliseconds();
                }

                if (info.StatusCode != 0)
                {
                    side._failed++;
                }
            });
            return side;
        }

        /// <summary>Now, in ms since the Unix epoch: a clock the bench and its child processes (.NET and Node.js) share.</summary>
        public static double UnixMilliseconds() => (DateTime.UtcNow - DateTime.UnixEpoch).TotalMilliseconds;

        /// <summary>A device set up for the emulator: its DPS endpoint and MQTT port, its CA as the only trusted root.</summary>
        public static Device NewDevice(E2eEmulator emu, string deviceId, string key) => NewDevice(emu.IdScope, emu.DpsEndpoint, emu.MqttPort, emu.CaPem, deviceId, key);

        /// <summary>The same from the emulator's coordinates (a child process of the bench has no <see cref="E2eEmulator"/>).</summary>
        public static Device NewDevice(string idScope, string dpsEndpoint, int mqttPort, string caPem, string deviceId, string key)
        {
            Device device = new Device(idScope, key, deviceId, IotConnectType.SymmetricKey);
            device.SetServiceHost(dpsEndpoint);
            device.SetHubPort(mqttPort);
            device.SetRootCertificate(caPem);
            return device;
        }

        public override SideResult Run(int count, int qos)
        {
            long target = _confirmed + count;
            int queued = 0;
            long doNexts = 0;
            long full = 0;
            long threadBefore = GC.GetAllocatedBytesForCurrentThread();
            long totalBefore = GC.GetTotalAllocatedBytes(true);
            TimeSpan cpuBefore = CpuTime.Process();
            double threadCpuBefore = CpuTime.ThreadMicros();
            Stopwatch watch = Stopwatch.StartNew();
            if (_exceptions)
            {
                while (_confirmed < target)
                {
                    if (queued < count)
                    {
                        try
                        {
                            _device.SendTelemetry(Payload);
                            queued++;
                            continue;
                        }
                        catch (InvalidOperationException)
                        {
                            full++;
                        }
                    }

                    _device.DoNext();
                    doNexts++;
                }
            }
            else
            {
                while (_confirmed < target)
                {
                    while (queued < count && _device.PendingMessages < _queue)
                    {
                        _device.SendTelemetry(Payload);
                        queued++;
                    }

                    long before = _confirmed;
                    _device.DoNext();
                    doNexts++;
                    if (_yield && _confirmed == before)
                    {
                        // Nothing came back: let the transport's threads (and the emulator) have the core.
                        Thread.Yield();
                    }
                }
            }

            long threadBytes = GC.GetAllocatedBytesForCurrentThread() - threadBefore;
            double threadCpu = CpuTime.ThreadMicros() - threadCpuBefore;
            SideResult result = Finish(watch, totalBefore, cpuBefore, count, _failed, "messages confirmed with a failure status");
            result.AppThreadCpuMicrosPerMessage = threadCpu / count;
            result.AppThreadBytesPerMessage = threadBytes / (double)count;
            result.DoNextPerMessage = doNexts / (double)count;
            result.OutboxFullPerMessage = _exceptions ? full / (double)count : double.NaN;
            return result;
        }

        public override void Dispose()
        {
            _device.Dispose();
        }
    }

    /// <summary>
    /// A bare MQTTnet 5 client: the same TLS (1.2/1.3, the emulator's CA as the only root), the same user name, SAS,
    /// topic, payload and properties as the SDK, and <c>window</c> publishes in flight (the SDK's SetInFlightWindow gets the same). Each
    /// message is encoded and built like the SDK's transport does (UTF-8 bytes, MqttApplicationMessageBuilder).
    /// </summary>
    internal sealed class RawSide : E2eSide
    {
        private readonly IMqttClient _client;
        private readonly string _topic;
        private readonly int _window;

        private RawSide(string name, string deviceId, IMqttClient client, int window, string payload)
            : base(name, deviceId, payload)
        {
            _client = client;
            _window = window;
            _topic = HubTopics.Telemetry(deviceId);
        }

        public static async Task<RawSide> ConnectAsync(E2eEmulator emu, string name, string deviceId, int window, string payload)
        {
            string key = await emu.CreateDeviceAsync(deviceId);
            IMqttClient client = await ConnectClientAsync(emu, deviceId, key);
            return new RawSide(name, deviceId, client, window, payload);
        }

        /// <summary>TLS CONNECT (clean session, as the SDK's transport) with a one-hour SAS.</summary>
        public static async Task<IMqttClient> ConnectClientAsync(E2eEmulator emu, string deviceId, string key)
        {
            IMqttClient client = new MqttClientFactory().CreateMqttClient();
            long expiry = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 3600;
            MqttClientOptions options = new MqttClientOptionsBuilder()
                .WithTcpServer("localhost", emu.MqttPort)
                .WithProtocolVersion(MqttProtocolVersion.V311)
                .WithClientId(deviceId)
                .WithCredentials(HubTopics.Username(emu.HubHost, deviceId, null, null), SasToken.ForHub(emu.HubHost, deviceId, key, expiry))
                .WithCleanSession(true)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(60))
                .WithTimeout(TimeSpan.FromSeconds(30))
                .WithTlsOptions(o => o.UseTls(true)
                    .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                    .WithTargetHost("localhost")
                    .WithCertificateValidationHandler(e => IotcEmulator.Trust.IsTrusted(emu.Ca, e.Certificate, e.SslPolicyErrors)))
                .Build();
            MqttClientConnectResult result = await client.ConnectAsync(options);
            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                throw new InvalidOperationException("raw client " + deviceId + " refused: " + result.ResultCode);
            }

            return client;
        }

        public override SideResult Run(int count, int qos)
        {
            int next = 0;
            int failed = 0;
            MqttQualityOfServiceLevel level = qos == 0 ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce;
            long totalBefore = GC.GetTotalAllocatedBytes(true);
            TimeSpan cpuBefore = CpuTime.Process();
            Stopwatch watch = Stopwatch.StartNew();
            Task[] workers = new Task[Math.Min(_window, count)];
            for (int w = 0; w < workers.Length; w++)
            {
                workers[w] = Task.Run(async () =>
                {
                    while (Interlocked.Increment(ref next) <= count)
                    {
                        MqttApplicationMessage message = new MqttApplicationMessageBuilder()
                            .WithTopic(_topic)
                            .WithPayload(Encoding.UTF8.GetBytes(Payload))
                            .WithQualityOfServiceLevel(level)
                            .Build();
                        MqttClientPublishResult r = await _client.PublishAsync(message).ConfigureAwait(false);
                        if (!r.IsSuccess)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    }
                });
            }

            Task.WaitAll(workers);
            return Finish(watch, totalBefore, cpuBefore, count, failed, "publishes failed");
        }

        public override void Dispose()
        {
            try
            {
                _client.DisconnectAsync().GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // Already gone.
            }

            _client.Dispose();
        }
    }

    /// <summary>
    /// Microsoft's official Node.js device SDK (bench/node/send.js, <c>azure-iot-device</c> 1.18.4 +
    /// <c>azure-iot-device-mqtt</c> 1.16.4 pinned by its package-lock.json) in its own process, <c>window</c>
    /// <c>sendEvent</c> calls in flight. Its connection stays open across rounds; the bench starts each round on stdin.
    /// The SDK always publishes events at QoS 1.
    /// </summary>
    internal sealed class NodeSide : E2eSide
    {
        private readonly Process _process;
        private readonly int _window;

        private NodeSide(string name, string deviceId, Process process, int window, string payload)
            : base(name, deviceId, payload)
        {
            _process = process;
            _window = window;
        }

        /// <summary>The folder with send.js, found by walking up from the bench's output folder (null when absent).</summary>
        public static string FindScriptFolder()
        {
            for (DirectoryInfo d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "bench", "node");
                if (File.Exists(Path.Combine(candidate, "send.js")))
                {
                    return candidate;
                }
            }

            return null;
        }

        /// <summary>Why the Node.js side cannot run here (null when it can): no node, no npm, or npm ci failed.</summary>
        public static string Unavailable(string folder)
        {
            if (folder == null)
            {
                return "bench/node/send.js not found";
            }

            if (Run("node", "--version", folder) != 0)
            {
                return "node is not installed";
            }

            if (!Directory.Exists(Path.Combine(folder, "node_modules")) && Run("npm", "ci --no-audit --no-fund", folder) != 0)
            {
                return "npm ci in bench/node failed (npm missing or no registry access)";
            }

            return null;
        }

        private static int Run(string file, string arguments, string folder)
        {
            try
            {
                ProcessStartInfo start = new ProcessStartInfo(file, arguments) { WorkingDirectory = folder, UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                using (Process p = Process.Start(start))
                {
                    p.StandardError.ReadToEndAsync();
                    p.StandardOutput.ReadToEnd();
                    p.WaitForExit();
                    return p.ExitCode;
                }
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return -1;
            }
        }

        public static async Task<NodeSide> StartAsync(E2eEmulator emu, string folder, string name, string deviceId, int window, string payload)
        {
            string key = await emu.CreateDeviceAsync(deviceId);
            JsonObject config = new JsonObject
            {
                ["gatewayHost"] = "localhost", ["port"] = emu.MqttPort, ["hubHost"] = emu.HubHost, ["deviceId"] = deviceId, ["key"] = key, ["caPath"] = emu.CaPath,
            };
            ProcessStartInfo start = new ProcessStartInfo("node")
            {
                WorkingDirectory = folder, UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.ArgumentList.Add("send.js");
            start.ArgumentList.Add(config.ToJsonString());
            Process process = Process.Start(start);
            process.ErrorDataReceived += (sender, e) =>
            {
                if (e.Data != null)
                {
                    Console.Error.WriteLine("  [node] " + e.Data);
                }
            };
            process.BeginErrorReadLine();
            NodeSide side = new NodeSide(name, deviceId, process, window, payload);
            JsonNode ready = await side.ReadReplyAsync(TimeSpan.FromSeconds(60));
            if (ready["ready"] == null)
            {
                throw new InvalidOperationException("node side did not start: " + ready.ToJsonString());
            }

            Version = (string)ready["node"];
            return side;
        }

        /// <summary>The Node.js version the side runs on.</summary>
        public static string Version { get; private set; }

        public override SideResult Run(int count, int qos)
        {
            if (qos != 1)
            {
                throw new InvalidOperationException("the Node.js SDK sends events at QoS 1 only");
            }

            _process.StandardInput.WriteLine("run " + count + " " + _window + " " + Payload);
            _process.StandardInput.Flush();
            JsonNode reply = ReadReplyAsync(TimeSpan.FromMinutes(3)).GetAwaiter().GetResult();
            JsonNode round = reply["round"];
            if (round == null)
            {
                throw new InvalidOperationException("node side failed: " + reply.ToJsonString());
            }

            if ((int)round["failed"] != 0)
            {
                throw new InvalidOperationException("node side: " + (int)round["failed"] + " sendEvent calls failed: " + (string)round["error"]);
            }

            return new SideResult { MessagesPerSecond = count / ((double)round["ms"] / 1000) };
        }

        private async Task<JsonNode> ReadReplyAsync(TimeSpan timeout)
        {
            while (true)
            {
                string line = await _process.StandardOutput.ReadLineAsync().WaitAsync(timeout);
                if (line == null)
                {
                    throw new InvalidOperationException("node side exited (code " + (_process.HasExited ? _process.ExitCode.ToString() : "?") + ")");
                }

                if (line.StartsWith("{", StringComparison.Ordinal))
                {
                    return JsonNode.Parse(line);
                }
            }
        }

        public override void Dispose()
        {
            try
            {
                _process.StandardInput.WriteLine("quit");
                _process.StandardInput.Flush();
                if (!_process.WaitForExit(10000))
                {
                    _process.Kill();
                }
            }
            catch (Exception)
            {
                // Already gone.
            }

            _process.Dispose();
        }
    }
}
