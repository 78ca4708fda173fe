// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// End-to-end benchmarks: the SDK through TLS to the IoT Central emulator, next to a raw MQTTnet client and Microsoft's
// Node.js device SDK sending the same messages to the same emulator. What each measures and the commands are in
// BENCHMARKS.md; options: --messages N, --rounds R, --window W, --queue Q, --emulator process|in-process, --no-node,
// --exceptions, --yield, --sides sdk,raw,node and --qos 1,0 (subsets, e.g. for a profiler), --smoke.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using MQTTnet;
using MQTTnet.Protocol;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Protocol;

namespace Iotc.Bench
{
    /// <summary>The end-to-end benchmarks (e2e-telemetry, e2e-reconnect, e2e-dps) and their shared emulator.</summary>
    public static partial class Program
    {
        // 87 bytes of JSON, like the measurement.
        internal const string E2ePayload = "{\"temperature\":21.53,\"humidity\":48.20,\"pressure\":1013.25,\"battery\":3.71,\"seq\":12345678}";

        private static int _e2eMessages = 20000;
        private static int _e2eRounds = 5;
        private static int _e2eWindow = 16;
        private static int _e2eQueue = 64;
        private static int _e2eRepeats = 5;
        private static bool _e2eInProcess;
        private static bool _e2eNoNode;
        private static bool _e2eExceptions;
        private static bool _e2eYield;
        private static string _e2eSides = "sdk,raw,node";
        private static string _e2eQos = "1,0";
        private static bool _e2eFailed;
        private static E2eEmulator _emulator;

        /// <summary>Small counts, few rounds: every side still runs and every delivery is still checked (CI).</summary>
        private static void E2eSmoke()
        {
            _e2eMessages = 300;
            _freshMessages = 300;
            _freshRounds = 1;
            _e2eRounds = 2;
            _e2eRepeats = 2;
            _e2eExceptions = true;
            _e2eYield = true;
        }

        private static E2eEmulator Emulator()
        {
            if (_emulator == null)
            {
                _emulator = E2eEmulator.StartAsync(_e2eInProcess).GetAwaiter().GetResult();
                Console.WriteLine(Format("e2e: emulator in {0}, TLS on loopback (DPS :{1}, MQTT :{2}), DPS Retry-After 1 s; {3} cores",
                    _e2eInProcess ? "this process" : "its own process", _emulator.DpsPort, _emulator.MqttPort, Environment.ProcessorCount));
            }

            return _emulator;
        }

        private static void StopEmulator()
        {
            if (_emulator != null)
            {
                _emulator.DisposeAsync().AsTask().GetAwaiter().GetResult();
                _emulator = null;
            }
        }

        /// <summary>
        /// e2e-telemetry: one Device, a raw MQTTnet client and the Node.js SDK each send <c>--messages</c> QoS 1 messages
        /// per round to the same emulator, in alternating order (ABC, CBA, ...) after one unmeasured warm-up round; then
        /// the SDK and the raw client again at QoS 0. After every side's turn the emulator's stored count for that side's
        /// device must have grown by exactly the messages sent, or the run fails.
        /// </summary>
        private static void E2eTelemetry()
        {
            E2eEmulator emu = Emulator();
            string nodeSkipped = NodeUnavailable(out string nodeFolder);
            string run = Guid.NewGuid().ToString("N").Substring(0, 6);
            List<E2eSide> sides = new List<E2eSide>();
            try
            {
                // The SDK sides connect per QoS (the QoS is a connect-time setting); raw and node stay connected.
                RawSide raw = WantSide("raw") ? RawSide.ConnectAsync(emu, "raw", "bench-raw-" + run, _e2eWindow, E2ePayload).GetAwaiter().GetResult() : null;
                if (raw != null)
                {
                    sides.Add(raw);
                }

                if (!WantSide("node"))
                {
                    nodeSkipped = "not in --sides";
                }

                NodeSide node = nodeSkipped == null ? NodeSide.StartAsync(emu, nodeFolder, "node", "bench-node-" + run, _e2eWindow, E2ePayload).GetAwaiter().GetResult() : null;
                if (node != null)
                {
                    sides.Add(node);
                }

                Console.WriteLine(Format(
                    "e2e-telemetry: {0}-byte JSON payload, {1:N0} messages per side per round, {2} rounds + 1 warm-up, alternating order; "
                    + "sdk: app keeps {3} queued (PendingMessages); sdk, raw MQTTnet and node: {4} in flight",
                    E2ePayload.Length, _e2eMessages, _e2eRounds, _e2eQueue, _e2eWindow));
                Console.WriteLine("  node: " + (nodeSkipped == null ? "azure-iot-device 1.18.4 + azure-iot-device-mqtt 1.16.4 on Node " + NodeSide.Version : "skipped (" + nodeSkipped + ")"));

                foreach (int qos in new[] { 1, 0 })
                {
                    if (Array.IndexOf(_e2eQos.Split(','), qos.ToString(System.Globalization.CultureInfo.InvariantCulture)) < 0)
                    {
                        continue;
                    }

                    List<E2eSide> sdkSides = ConnectSdkSides(emu, run + "-q" + qos, qos);
                    sides.AddRange(sdkSides);
                    // Order: sdk, raw, node, sdk-exc, sdk-yield (rounds alternate it).
                    List<E2eSide> round = new List<E2eSide>();
                    round.AddRange(sdkSides.Where(x => x.Name == "sdk"));
                    if (raw != null)
                    {
                        round.Add(raw);
                    }

                    if (node != null && qos == 1)
                    {
                        round.Add(node);
                    }

                    round.AddRange(sdkSides.Where(x => x.Name != "sdk"));
                    TelemetryRounds(emu, round, qos);
                    foreach (E2eSide side in sdkSides)
                    {
                        side.Dispose();
                        sides.Remove(side);
                    }
                }
            }
            finally
            {
                foreach (E2eSide side in sides)
                {
                    side.Dispose();
                }
            }
        }

        private static List<E2eSide> ConnectSdkSides(E2eEmulator emu, string suffix, int qos)
        {
            List<E2eSide> sides = new List<E2eSide>();
            if (WantSide("sdk"))
            {
                sides.Add(SdkSide.ConnectAsync(emu, "sdk", "bench-sdk-" + suffix, qos, _e2eWindow, _e2eQueue, false, false, E2ePayload).GetAwaiter().GetResult());
            }

            if (_e2eExceptions)
            {
                sides.Add(SdkSide.ConnectAsync(emu, "sdk-exc", "bench-sdkexc-" + suffix, qos, _e2eWindow, _e2eQueue, true, false, E2ePayload).GetAwaiter().GetResult());
            }

            if (_e2eYield)
            {
                sides.Add(SdkSide.ConnectAsync(emu, "sdk-yield", "bench-sdkyield-" + suffix, qos, _e2eWindow, _e2eQueue, false, true, E2ePayload).GetAwaiter().GetResult());
            }

            return sides;
        }

        /// <summary>Why the Node.js side cannot run (null when it can; --no-node counts), and bench/node.</summary>
        private static string NodeUnavailable(out string folder)
        {
            folder = NodeSide.FindScriptFolder();
            return _e2eNoNode ? "--no-node" : NodeSide.Unavailable(folder);
        }

        private static bool WantSide(string name)
        {
            return Array.IndexOf(_e2eSides.Split(','), name) >= 0;
        }

        private static void TelemetryRounds(E2eEmulator emu, List<E2eSide> sides, int qos)
        {
            Dictionary<string, List<SideResult>> results = sides.ToDictionary(s => s.Name, s => new List<SideResult>());
            Dictionary<string, long> stored = new Dictionary<string, long>();
            foreach (E2eSide side in sides)
            {
                stored[side.DeviceId] = emu.CountAsync(side.DeviceId).GetAwaiter().GetResult();
            }

            for (int round = 0; round <= _e2eRounds; round++)
            {
                bool warmUp = round == 0;
                int count = warmUp ? Math.Max(100, _e2eMessages / 4) : _e2eMessages;
                List<string> cells = new List<string>();
                for (int j = 0; j < sides.Count; j++)
                {
                    E2eSide side = sides[round % 2 == 1 ? j : sides.Count - 1 - j];
                    GC.Collect();
                    GC.WaitForPendingFinalizers();
                    DateTimeOffset startUtc = DateTimeOffset.UtcNow;
                    TimeSpan cpuBefore = CpuTime.Process();
                    SideResult r = side.Run(count, qos);
                    Verify(emu, side.Name, side.DeviceId, stored, count, qos, round);
                    if (qos == 0)
                    {
                        // The writes go on after the sender is done: CPU until the emulator stored the last one (the
                        // count polls of Verify included, the same for every side).
                        if (!double.IsNaN(r.ProcessCpuMicrosPerMessage))
                        {
                            r.ProcessCpuMicrosPerMessage = (CpuTime.Process() - cpuBefore).TotalMilliseconds * 1000 / count;
                        }

                        // QoS 0 has no acknowledgement: what the sender calls sent may still be in its buffers (the
                        // SDK's MQTTnet transport does not wait for the write). The rate that counts is delivery: until
                        // the emulator has stored the last one (polled, so a few ms late at worst, on every side alike).
                        // Timed by the arrival of the last message as the emulator stamped it, not by when the polls
                        // saw it: a side whose sender is done early (the SDK hands QoS 0 messages to its transport)
                        // would otherwise be polled all along, and each poll (a commit and a count) slows the emulator.
                        r.SentPerSecond = r.MessagesPerSecond;
                        r.MessagesPerSecond = count / (emu.LastArrivedAsync(side.DeviceId).GetAwaiter().GetResult() - startUtc).TotalSeconds;
                    }

                    if (!warmUp)
                    {
                        results[side.Name].Add(r);
                    }

                    cells.Add(side.Name + " " + Describe(r));
                }

                if (warmUp)
                {
                    // The stored properties per side: same payload, same system properties, whoever sent them.
                    foreach (E2eSide side in sides)
                    {
                        Console.WriteLine(Format("  QoS {0} {1,-8} stored as {2}", qos, side.Name, emu.LastPropertiesAsync(side.DeviceId, 0).GetAwaiter().GetResult()));
                    }
                }

                Console.WriteLine(Format("  QoS {0} {1}: {2}", qos, warmUp ? "warm-up" : "round " + round, string.Join(" | ", cells)));
            }

            List<string> medians = new List<string>();
            foreach (E2eSide side in sides)
            {
                List<SideResult> r = results[side.Name];
                medians.Add(Format("{0} {1:N0} msgs/s{5} ({2:N0}..{3:N0}){4}", side.Name, Median(r, x => x.MessagesPerSecond),
                    r.Min(x => x.MessagesPerSecond), r.Max(x => x.MessagesPerSecond), Extras(r), qos == 0 ? " stored" : string.Empty));
            }

            Console.WriteLine(Format("  QoS {0} medians: {1}", qos, string.Join(" | ", medians)));
            if (!results.ContainsKey("sdk") || !results.ContainsKey("raw"))
            {
                return;
            }

            double sdk = Median(results["sdk"], x => x.MessagesPerSecond);
            string ratios = Format("sdk/raw {0:F2}x", sdk / Median(results["raw"], x => x.MessagesPerSecond));
            ratios += Format(" (per round: {0}); cpu/msg sdk/raw {1:F2}x (per round: {2})",
                string.Join(" ", results["sdk"].Zip(results["raw"], (a, b) => Format("{0:F2}", a.MessagesPerSecond / b.MessagesPerSecond))),
                Median(results["sdk"], x => x.ProcessCpuMicrosPerMessage) / Median(results["raw"], x => x.ProcessCpuMicrosPerMessage),
                string.Join(" ", results["sdk"].Zip(results["raw"], (a, b) => Format("{0:F2}", a.ProcessCpuMicrosPerMessage / b.ProcessCpuMicrosPerMessage))));
            if (results.ContainsKey("node"))
            {
                ratios += Format(", sdk/node {0:F2}x, raw/node {1:F2}x", sdk / Median(results["node"], x => x.MessagesPerSecond),
                    Median(results["raw"], x => x.MessagesPerSecond) / Median(results["node"], x => x.MessagesPerSecond));
            }

            foreach (string variant in new[] { "sdk-exc", "sdk-yield" })
            {
                if (results.ContainsKey(variant))
                {
                    ratios += Format(", {0}/sdk {1:F2}x, {0}/raw {2:F2}x", variant, Median(results[variant], x => x.MessagesPerSecond) / sdk,
                        Median(results[variant], x => x.MessagesPerSecond) / Median(results["raw"], x => x.MessagesPerSecond));
                }
            }

            Console.WriteLine(Format("  QoS {0} ratios of medians: {1}", qos, ratios));
        }

        /// <summary>The emulator must hold exactly what the side sent this round (QoS 0: waits up to 10 s for stragglers).</summary>
        private static void Verify(E2eEmulator emu, string side, string deviceId, Dictionary<string, long> stored, int count, int qos, int round)
        {
            long expected = stored[deviceId] + count;
            long now = emu.CountAsync(deviceId).GetAwaiter().GetResult();
            Stopwatch wait = Stopwatch.StartNew();
            while (now < expected && qos == 0 && wait.Elapsed.TotalSeconds < 10)
            {
                // Each count commits what the emulator received and counts its table: polled often, it would slow the
                // delivery it waits for (the rate is timed by the last arrival, so the poll's period does not count).
                Thread.Sleep(50);
                now = emu.CountAsync(deviceId).GetAwaiter().GetResult();
            }

            if (now != expected)
            {
                _e2eFailed = true;
                throw new InvalidOperationException(Format(
                    "DELIVERY CHECK FAILED: QoS {0} round {1}, side {2}: sent {3:N0}, the emulator stored {4:N0} ({5:+#;-#;0})",
                    qos, round, side, count, now - stored[deviceId], now - expected));
            }

            stored[deviceId] = now;
        }

        private static string Describe(SideResult r)
        {
            string s = Format("{0,7:N0} msgs/s", r.MessagesPerSecond)
                + (double.IsNaN(r.SentPerSecond) ? string.Empty : Format(" stored (sender done at {0:N0}/s)", r.SentPerSecond))
                + (double.IsNaN(r.ProcessCpuMicrosPerMessage) ? string.Empty : Format(" cpu {0:F1} µs/msg", r.ProcessCpuMicrosPerMessage))
                + (double.IsNaN(r.AppThreadCpuMicrosPerMessage) ? string.Empty : Format(" (app thread {0:F1})", r.AppThreadCpuMicrosPerMessage));
            if (!double.IsNaN(r.DoNextPerMessage))
            {
                s += Format(" ({0:F2} DoNext, {1:N0} B app thread, {2:N0} B total /msg{3})", r.DoNextPerMessage, r.AppThreadBytesPerMessage, r.TotalBytesPerMessage,
                    double.IsNaN(r.OutboxFullPerMessage) ? string.Empty : Format(", {0:F2} outbox-full", r.OutboxFullPerMessage));
            }
            else if (!double.IsNaN(r.TotalBytesPerMessage))
            {
                s += Format(" ({0:N0} B total /msg)", r.TotalBytesPerMessage);
            }

            return s;
        }

        private static string Extras(List<SideResult> r)
        {
            string cpu = double.IsNaN(r[0].ProcessCpuMicrosPerMessage) ? string.Empty : Format(", cpu {0:F1} µs/msg ({1:F1}..{2:F1})", Median(r, x => x.ProcessCpuMicrosPerMessage),
                r.Min(x => x.ProcessCpuMicrosPerMessage), r.Max(x => x.ProcessCpuMicrosPerMessage))
                + (double.IsNaN(r[0].AppThreadCpuMicrosPerMessage) ? string.Empty : Format(", app thread {0:F1} µs/msg", Median(r, x => x.AppThreadCpuMicrosPerMessage)));
            return cpu + ExtrasWithoutCpu(r);
        }

        private static string ExtrasWithoutCpu(List<SideResult> r)
        {
            if (!double.IsNaN(r[0].DoNextPerMessage))
            {
                return Format(", {0:F2} DoNext/msg, {1:N0} B/msg app thread, {2:N0} B/msg total{3}", Median(r, x => x.DoNextPerMessage),
                    Median(r, x => x.AppThreadBytesPerMessage), Median(r, x => x.TotalBytesPerMessage),
                    double.IsNaN(r[0].OutboxFullPerMessage) ? string.Empty : Format(", {0:F2} outbox-full exceptions/msg", Median(r, x => x.OutboxFullPerMessage)));
            }

            return double.IsNaN(r[0].TotalBytesPerMessage) ? string.Empty : Format(", {0:N0} B/msg total", Median(r, x => x.TotalBytesPerMessage));
        }

        private static double Median(List<SideResult> results, Func<SideResult, double> value)
        {
            return Median(results.Select(value).ToList());
        }

        private static double Median(List<double> values)
        {
            double[] s = values.OrderBy(v => v).ToArray();
            return s.Length == 0 ? double.NaN : s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }

        /// <summary>
        /// e2e-reconnect: the emulator drops a connected Device (fault API); the app thread spins DoNext. Measured: drop
        /// request to ConnectionStatus -2 (detection), and -2 to ConnectionStatus 0 (the reconnect: fresh transport, TLS
        /// CONNECT with a fresh SAS, SUBSCRIBE of the four filters, twin GET; back-off set to 1 ms). Against it: a raw
        /// MQTTnet client's bare TLS CONNECT + SUBSCRIBE of the same filters on a new client.
        /// </summary>
        private static void E2eReconnect()
        {
            E2eEmulator emu = Emulator();
            string run = Guid.NewGuid().ToString("N").Substring(0, 6);
            string sdkId = "bench-reconnect-" + run;
            string key = emu.EnrollAsync(sdkId).GetAwaiter().GetResult();
            List<double> detect = new List<double>();
            List<double> reconnect = new List<double>();
            List<double> raw = new List<double>();
            using (Device device = SdkSide.NewDevice(emu, sdkId, key))
            {
                device.SetReconnectBackoff(1, 1);
                Stopwatch clock = Stopwatch.StartNew();
                double lost = -1;
                double connected = -1;
                device.On(IotcEvents.ConnectionStatus, info =>
                {
                    if (info.StatusCode == IotcStatus.ConnectionLost)
                    {
                        lost = clock.Elapsed.TotalMilliseconds;
                    }
                    else if (info.StatusCode == IotcStatus.Connected)
                    {
                        connected = clock.Elapsed.TotalMilliseconds;
                    }
                });
                device.Connect();
                string rawId = "bench-reconnect-raw-" + run;
                string rawKey = emu.CreateDeviceAsync(rawId).GetAwaiter().GetResult();
                for (int i = 0; i <= _e2eRepeats; i++)
                {
                    // Settle: the twin GET answer of the last connect, then drop.
                    for (int k = 0; k < 20; k++)
                    {
                        device.DoNext();
                        Thread.Sleep(5);
                    }

                    lost = -1;
                    connected = -1;
                    double start = clock.Elapsed.TotalMilliseconds;
                    Task drop = emu.DropAsync(sdkId);
                    while (connected < 0 && clock.Elapsed.TotalMilliseconds - start < 30000)
                    {
                        device.DoNext();
                    }

                    drop.GetAwaiter().GetResult();
                    if (connected < 0 || lost < 0)
                    {
                        _e2eFailed = true;
                        throw new InvalidOperationException("e2e-reconnect: the device did not reconnect within 30 s");
                    }

                    Stopwatch rawWatch = Stopwatch.StartNew();
                    IMqttClient client = RawSide.ConnectClientAsync(emu, rawId, rawKey).GetAwaiter().GetResult();
                    MqttClientSubscribeOptionsBuilder subscribe = new MqttClientSubscribeOptionsBuilder();
                    foreach (string topic in HubTopics.Subscriptions(rawId))
                    {
                        subscribe.WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce);
                    }

                    client.SubscribeAsync(subscribe.Build()).GetAwaiter().GetResult();
                    rawWatch.Stop();
                    client.DisconnectAsync().GetAwaiter().GetResult();
                    client.Dispose();
                    if (i == 0)
                    {
                        continue; // warm-up
                    }

                    detect.Add(lost - start);
                    reconnect.Add(connected - lost);
                    raw.Add(rawWatch.Elapsed.TotalMilliseconds);
                }
            }

            Console.WriteLine(Format(
                "e2e-reconnect ({0} drops, medians): drop request -> ConnectionStatus -2 {1:F1} ms; -2 -> ConnectionStatus 0 {2:F1} ms "
                + "(rounds {3}); raw MQTTnet new client TLS CONNECT + SUBSCRIBE {4:F1} ms (rounds {5}); sdk/raw {6:F2}x",
                detect.Count, Median(detect), Median(reconnect), string.Join(" ", reconnect.Select(x => x.ToString("F0", System.Globalization.CultureInfo.InvariantCulture))),
                Median(raw), string.Join(" ", raw.Select(x => x.ToString("F0", System.Globalization.CultureInfo.InvariantCulture))), Median(reconnect) / Median(raw)));
        }

        /// <summary>
        /// e2e-dps: Device.Connect() of a newly enrolled device, split by the SDK's own log at "MQTT: connecting": the DPS
        /// part (register PUT, status polls) minus the Retry-After waits (the SDK sleeps through its IClock, which the
        /// bench wraps to add them up), and the MQTT part to ConnectionStatus 0.
        /// </summary>
        private static void E2eDps()
        {
            E2eEmulator emu = Emulator();
            string run = Guid.NewGuid().ToString("N").Substring(0, 6);
            List<double> dps = new List<double>();
            List<double> waits = new List<double>();
            List<double> mqtt = new List<double>();
            int repeats = Math.Max(1, _e2eRepeats / 2);
            for (int i = 0; i <= repeats; i++)
            {
                string id = "bench-dps-" + run + "-" + i;
                string key = emu.EnrollAsync(id).GetAwaiter().GetResult();
                SleepCountingClock clock = new SleepCountingClock();
                using (Device device = SdkSide.NewDevice(emu, id, key))
                {
                    Stopwatch watch = new Stopwatch();
                    double mqttStart = -1;
                    double connected = -1;
                    device.SetClock(clock);
                    device.SetLogLevel(IotLogLevel.ApiOnly);
                    device.SetLogSink(line =>
                    {
                        if (mqttStart < 0 && line.Contains("MQTT: connecting"))
                        {
                            mqttStart = watch.Elapsed.TotalMilliseconds;
                        }
                    });
                    device.On(IotcEvents.ConnectionStatus, info =>
                    {
                        if (info.StatusCode == IotcStatus.Connected)
                        {
                            connected = watch.Elapsed.TotalMilliseconds;
                        }
                    });
                    watch.Start();
                    device.Connect();
                    if (i == 0)
                    {
                        continue; // warm-up: JIT, first TLS handshakes
                    }

                    dps.Add(mqttStart - clock.SleptMilliseconds);
                    waits.Add(clock.SleptMilliseconds);
                    mqtt.Add(connected - mqttStart);
                }
            }

            Console.WriteLine(Format(
                "e2e-dps ({0} registrations, medians): DPS register + polls {1:F1} ms excluding {2:F0} ms of Retry-After waits; "
                + "then MQTT connect + subscribe + twin GET to ConnectionStatus 0 {3:F1} ms",
                dps.Count, Median(dps), Median(waits), Median(mqtt)));
        }

        /// <summary>The system clock, adding up what the SDK sleeps (its DPS Retry-After waits).</summary>
        private sealed class SleepCountingClock : IClock
        {
            private readonly SystemClock _inner = new SystemClock();

            public double SleptMilliseconds { get; private set; }

            public long NowMilliseconds => _inner.NowMilliseconds;

            public void Sleep(int milliseconds)
            {
                Stopwatch w = Stopwatch.StartNew();
                _inner.Sleep(milliseconds);
                SleptMilliseconds += w.Elapsed.TotalMilliseconds;
            }
        }
    }
}
