// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Benchmarks of the portable core on .NET 10, measured in one run (ratios compare sides timed in the same process, one
// after the other, so they hold up better on a busy machine than absolute numbers do).
//   dotnet run -c Release --project bench                        all benchmarks
//   dotnet run -c Release --project bench -- --only pump-telemetry   one benchmark (names: --list)
//   dotnet run -c Release --project bench -- --seconds 0.5       time budget per measured side (default 1.5 s)
// Every timed benchmark warms all its sides up, then times 7 short rounds per side alternating between the sides, and
// reports the medians (a burst of load from elsewhere hits one round of each side, not one side's whole measurement).
//
//   hmac-sas           managed HMAC-SHA256 of a 200-byte DPS SAS string-to-sign vs .NET HMACSHA256.HashData: us/op, ratio.
//   sha256-throughput  managed SHA-256 over 64 KiB vs SHA256.HashData: MB/s, ratio.
//   hmac-alloc         bytes allocated per managed HMAC (one-shot, reused Final(), reused Final(buffer)).
//   pump-telemetry     the Device pump on an in-process no-op transport (NoopTransport.cs: DPS answers "assigned" at
//                      once, every QoS 1 publish is PUBACKed immediately): SendTelemetry -> DoNext publishes ->
//                      PUBACK -> MessageSent, per message: msgs/s and bytes allocated (GC.GetAllocatedBytesForCurrentThread).
//                      Checks every message was published and confirmed. No .NET baseline: it is the SDK's own overhead.
//   pump-commands      a direct-method request handed to the Device -> DoNext -> Command callback (SetResponse) ->
//                      $iothub/methods/res/200 publish -> its PUBACK: commands/s and bytes allocated per command.
//   json-twin          JsonValue.Parse of a ~0.9 KB IoT Central twin document vs System.Text.Json JsonDocument.Parse
//                      (ratio managed/.NET time, allocations), and JsonNode.Parse for scale.
//   text-scaling       JSON parse, UTF-8 count and URL encode at 1, 4, 16, 32 KB: time per KB at each size and the
//                      32 KB / 1 KB ratio (1.0 = linear). Also runs on nanoCLR (bench/nf, docs/board.md).
//   device-figures     a hub SAS token, a 4 KB twin parse and one telemetry message through the pump, per operation;
//                      the same file runs on nanoCLR (bench/nf) for the figures in docs/board.md.
// These are host numbers (the board is far slower); the ratios and bytes/op are what carry over.
//
// End to end (E2eBenchmarks.cs; not part of the default run, BENCHMARKS.md has what they measure and the figures):
//   dotnet run -c Release --project bench -- --only e2e          e2e-telemetry, e2e-reconnect, e2e-dps, e2e-wake and e2e-fresh, one emulator
//   dotnet run -c Release --project bench -- --only e2e --smoke  a few seconds, every side, every delivery checked (CI)
//   e2e-telemetry      one Device vs a raw MQTTnet client vs Microsoft's Node.js SDK, QoS 1 (and 0), alternating rounds.
//   e2e-reconnect      a dropped Device back to ConnectionStatus 0 vs a raw client's TLS CONNECT + SUBSCRIBE.
//   e2e-dps            Device.Connect()'s DPS part minus the Retry-After waits, and its MQTT part.
//   e2e-wake           a battery device's cold start: SDK through DPS, SDK with its provisioning store, Node.js SDK.
//   e2e-fresh          a new process per client per round (the SDK: this bench with --fresh-child; Node.js: send.js),
//                      each sends --messages (2000 here) and exits: start..exit, CPU, peak RSS, first confirmed.
//   options: --messages N (20000), --rounds R (5), --window W (16), --queue Q (64), --repeats K (5),
//            --emulator process|in-process (process), --no-node, --exceptions (adds an SDK side using outbox-full
//            exceptions as flow control), --yield (adds an SDK side whose loop yields after an idle DoNext), --sides sdk,raw,node and --qos 1,0 (subsets, e.g. under a profiler).
//            Exit code 1 when a side's messages are missing at the emulator.
// To add a benchmark: write a static method (here or in another partial file) and register it in Benchmarks.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using nanoFramework.Iotc.Security;

namespace Iotc.Bench
{
    public static partial class Program
    {
        private static readonly List<KeyValuePair<string, Action>> Benchmarks = new List<KeyValuePair<string, Action>>
        {
            new KeyValuePair<string, Action>("hmac-sas", HmacSas),
            new KeyValuePair<string, Action>("sha256-throughput", Sha256Throughput),
            new KeyValuePair<string, Action>("hmac-alloc", HmacAllocations),
            new KeyValuePair<string, Action>("pump-telemetry", PumpTelemetry),
            new KeyValuePair<string, Action>("pump-commands", PumpCommands),
            new KeyValuePair<string, Action>("json-twin", JsonTwinParse),
            new KeyValuePair<string, Action>("text-scaling", () => TextScaling.Run((int)(_seconds * 1000 / 4), Console.WriteLine)),
            new KeyValuePair<string, Action>("device-figures", () => DeviceFigures.Run((int)(_seconds * 1000 / 2), Console.WriteLine)),
            new KeyValuePair<string, Action>("e2e-telemetry", E2eTelemetry),
            new KeyValuePair<string, Action>("e2e-reconnect", E2eReconnect),
            new KeyValuePair<string, Action>("e2e-dps", E2eDps),
            new KeyValuePair<string, Action>("e2e-wake", E2eWake),
            new KeyValuePair<string, Action>("e2e-fresh", E2eFresh),
        };

        private static double _seconds = 1.5;

        // Results are folded in here so the JIT cannot drop the measured work.
        private static int _sink;

        public static int Main(string[] args)
        {
            if (args.Length == 10 && args[0] == FreshChildOption)
            {
                return FreshSdkChild(args);
            }

            string only = null;
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--only" && i + 1 < args.Length)
                {
                    only = args[++i];
                }
                else if (args[i] == "--seconds" && i + 1 < args.Length)
                {
                    _seconds = double.Parse(args[++i], CultureInfo.InvariantCulture);
                }
                else if (args[i] == "--messages" && i + 1 < args.Length)
                {
                    _e2eMessages = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    _freshMessages = _e2eMessages;
                }
                else if (args[i] == "--rounds" && i + 1 < args.Length)
                {
                    _e2eRounds = int.Parse(args[++i], CultureInfo.InvariantCulture);
                }
                else if (args[i] == "--window" && i + 1 < args.Length)
                {
                    _e2eWindow = int.Parse(args[++i], CultureInfo.InvariantCulture);
                }
                else if (args[i] == "--queue" && i + 1 < args.Length)
                {
                    _e2eQueue = int.Parse(args[++i], CultureInfo.InvariantCulture);
                }
                else if (args[i] == "--repeats" && i + 1 < args.Length)
                {
                    _e2eRepeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
                }
                else if (args[i] == "--emulator" && i + 1 < args.Length && (args[i + 1] == "process" || args[i + 1] == "in-process"))
                {
                    _e2eInProcess = args[++i] == "in-process";
                }
                else if (args[i] == "--sides" && i + 1 < args.Length)
                {
                    _e2eSides = args[++i];
                }
                else if (args[i] == "--qos" && i + 1 < args.Length)
                {
                    _e2eQos = args[++i];
                }
                else if (args[i] == "--no-node")
                {
                    _e2eNoNode = true;
                }
                else if (args[i] == "--exceptions")
                {
                    _e2eExceptions = true;
                }
                else if (args[i] == "--yield")
                {
                    _e2eYield = true;
                }
                else if (args[i] == "--smoke")
                {
                    E2eSmoke();
                }
                else if (args[i] == "--list")
                {
                    foreach (KeyValuePair<string, Action> b in Benchmarks)
                    {
                        Console.WriteLine(b.Key);
                    }

                    return 0;
                }
                else
                {
                    Console.Error.WriteLine("usage: Iotc.Bench [--only NAME|e2e] [--seconds S] [--list] [e2e: --messages N --rounds R --window W --queue Q --repeats K --emulator process|in-process --no-node --exceptions --yield --sides LIST --qos LIST --smoke]");
                    return 2;
                }
            }

            bool ran = false;
            try
            {
                foreach (KeyValuePair<string, Action> b in Benchmarks)
                {
                    // The end-to-end benchmarks start an emulator (and Node.js): only when asked for.
                    bool e2e = b.Key.StartsWith("e2e-", StringComparison.Ordinal);
                    if ((only == null && !e2e) || only == b.Key || (only == "e2e" && e2e))
                    {
                        ran = true;
                        b.Value();
                    }
                }
            }
            catch (Exception ex) when (only != null && only.StartsWith("e2e", StringComparison.Ordinal))
            {
                Console.WriteLine("FAILED: " + ex.Message);
                if (_emulator != null)
                {
                    Console.WriteLine("emulator output (tail):\n" + _emulator.Tail());
                }

                _e2eFailed = true;
            }
            finally
            {
                StopEmulator();
            }

            if (!ran)
            {
                Console.Error.WriteLine("no benchmark named '" + only + "'; --list shows them");
                return 2;
            }

            GC.KeepAlive(_sink);
            return _e2eFailed ? 1 : 0;
        }

        // HMAC-SHA256 of a realistic DPS string-to-sign (200 bytes: url-encoded resource + "\n" + expiry) under a 64-byte
        // group-key-sized key, one-shot on both sides (what SasToken does once per token).
        private static void HmacSas()
        {
            byte[] key = new byte[64];
            new Random(1).NextBytes(key);
            byte[] message = StringToSign(200);

            if (Convert.ToHexString(HmacSha256.Compute(key, message)) != Convert.ToHexString(HMACSHA256.HashData(key, message)))
            {
                throw new InvalidOperationException("managed HMAC differs from .NET; not benchmarking a wrong result");
            }

            double[] ns = MedianNanosecondsPerOp(() => _sink += HmacSha256.Compute(key, message)[0], () => _sink += HMACSHA256.HashData(key, message)[0]);
            double managed = ns[0];
            double dotnet = ns[1];
            Console.WriteLine(Format(
                "hmac-sha256 sas({0}B): managed {1:F2} us/op, .NET {2:F2} us/op, ratio {3:F1}x",
                message.Length, managed / 1000, dotnet / 1000, managed / dotnet));
        }

        // Bulk SHA-256 over a 64 KiB buffer.
        private static void Sha256Throughput()
        {
            byte[] data = new byte[64 * 1024];
            new Random(2).NextBytes(data);
            Sha256 sha = new Sha256();
            byte[] digest = new byte[Sha256.HashSize];

            double[] ns = MedianNanosecondsPerOp(
                () =>
                {
                    sha.Update(data, 0, data.Length);
                    sha.Final(digest, 0);
                    _sink += digest[0];
                },
                () => _sink += SHA256.HashData(data)[0]);
            double managed = ns[0];
            double dotnet = ns[1];
            double managedMBs = data.Length / (managed / 1e9) / 1e6;
            double dotnetMBs = data.Length / (dotnet / 1e9) / 1e6;
            Console.WriteLine(Format(
                "sha256 throughput({0}KiB): managed {1:F1} MB/s, .NET {2:F1} MB/s, ratio {3:F1}x",
                data.Length / 1024, managedMBs, dotnetMBs, dotnetMBs / managedMBs));
        }

        // Bytes allocated per managed HMAC: one-shot Compute (creates its working instance), a reused instance's Final()
        // (the 32-byte result only) and Final(buffer, offset) (nothing).
        private static void HmacAllocations()
        {
            byte[] key = new byte[64];
            new Random(3).NextBytes(key);
            byte[] message = StringToSign(200);
            byte[] mac = new byte[HmacSha256.HashSize];
            HmacSha256 reused = new HmacSha256(key);

            double oneShot = BytesPerOp(() => _sink += HmacSha256.Compute(key, message)[0]);
            double final = BytesPerOp(() =>
            {
                reused.Update(message, 0, message.Length);
                _sink += reused.Final()[0];
            });
            double intoBuffer = BytesPerOp(() =>
            {
                reused.Update(message, 0, message.Length);
                reused.Final(mac, 0);
                _sink += mac[0];
            });
            Console.WriteLine(Format(
                "hmac-sha256 alloc: Compute {0:F0} B/op, reused Final() {1:F0} B/op, reused Final(buffer) {2:F0} B/op",
                oneShot, final, intoBuffer));
        }

        private static byte[] StringToSign(int length)
        {
            // "{idScope}%2Fregistrations%2F{registrationId}\n{expiry}", registration id padded to reach the length.
            string prefix = "0ne00ABC123%2Fregistrations%2F";
            string suffix = "\n1767225600";
            string id = "thermostat-".PadRight(length - prefix.Length - suffix.Length, 'x');
            byte[] bytes = Encoding.UTF8.GetBytes(prefix + id + suffix);
            if (bytes.Length != length)
            {
                throw new InvalidOperationException("string-to-sign is " + bytes.Length + " bytes");
            }

            return bytes;
        }

        // For a busy machine: warms every side up (two passes, so tiered JIT has promoted what is hot), then times short
        // rounds that alternate between the sides (A B C, C B A, ...) and returns each side's median ns/op. A burst of
        // load from elsewhere lands on one round of each side instead of on one side's whole measurement.
        private static double[] MedianNanosecondsPerOp(params Action[] ops)
        {
            const int Rounds = 7;
            long[] iterations = new long[ops.Length];
            Stopwatch watch = new Stopwatch();
            for (int pass = 0; pass < 2; pass++)
            {
                for (int k = 0; k < ops.Length; k++)
                {
                    long count = 0;
                    watch.Restart();
                    while (watch.Elapsed.TotalSeconds < _seconds / 6)
                    {
                        ops[k]();
                        count++;
                    }

                    // Sized so one round of this side takes about _seconds / Rounds.
                    iterations[k] = Math.Max(10, (long)(count * 6.0 / Rounds));
                }
            }

            double[][] samples = new double[ops.Length][];
            for (int k = 0; k < ops.Length; k++)
            {
                samples[k] = new double[Rounds];
            }

            for (int r = 0; r < Rounds; r++)
            {
                for (int j = 0; j < ops.Length; j++)
                {
                    int k = r % 2 == 0 ? j : ops.Length - 1 - j;
                    Action op = ops[k];
                    GC.Collect();
                    watch.Restart();
                    for (long i = 0; i < iterations[k]; i++)
                    {
                        op();
                    }

                    watch.Stop();
                    samples[k][r] = watch.Elapsed.TotalMilliseconds * 1e6 / iterations[k];
                }
            }

            double[] medians = new double[ops.Length];
            for (int k = 0; k < ops.Length; k++)
            {
                Array.Sort(samples[k]);
                medians[k] = samples[k][Rounds / 2];
            }

            return medians;
        }

        private static double BytesPerOp(Action op)
        {
            for (int i = 0; i < 1000; i++)
            {
                op();
            }

            const int Count = 10000;
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Count; i++)
            {
                op();
            }

            return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Count;
        }

        private static string Format(string format, params object[] args)
        {
            return string.Format(CultureInfo.InvariantCulture, format, args);
        }
    }
}
