// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Benchmarks of the portable core against .NET's own implementations, measured in one run.
//   dotnet run -c Release --project bench                      all benchmarks
//   dotnet run -c Release --project bench -- --only hmac-sas   one benchmark (see --list)
//   dotnet run -c Release --project bench -- --seconds 0.5     time budget per measured side (default 1.5 s)
// To add a benchmark: write a static method below and register it in Benchmarks.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using nanoFramework.Iotc.Security;

namespace Iotc.Bench
{
    public static class Program
    {
        private static readonly List<KeyValuePair<string, Action>> Benchmarks = new List<KeyValuePair<string, Action>>
        {
            new KeyValuePair<string, Action>("hmac-sas", HmacSas),
            new KeyValuePair<string, Action>("sha256-throughput", Sha256Throughput),
            new KeyValuePair<string, Action>("hmac-alloc", HmacAllocations),
        };

        private static double _seconds = 1.5;

        // Results are folded in here so the JIT cannot drop the measured work.
        private static int _sink;

        public static int Main(string[] args)
        {
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
                    Console.Error.WriteLine("usage: Iotc.Bench [--only NAME] [--seconds S] [--list]");
                    return 2;
                }
            }

            bool ran = false;
            foreach (KeyValuePair<string, Action> b in Benchmarks)
            {
                if (only == null || only == b.Key)
                {
                    b.Value();
                    ran = true;
                }
            }

            if (!ran)
            {
                Console.Error.WriteLine("no benchmark named '" + only + "'; --list shows them");
                return 2;
            }

            GC.KeepAlive(_sink);
            return 0;
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

            double managed = NanosecondsPerOp(() => _sink += HmacSha256.Compute(key, message)[0]);
            double dotnet = NanosecondsPerOp(() => _sink += HMACSHA256.HashData(key, message)[0]);
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

            double managed = NanosecondsPerOp(() =>
            {
                sha.Update(data, 0, data.Length);
                sha.Final(digest, 0);
                _sink += digest[0];
            });
            double dotnet = NanosecondsPerOp(() => _sink += SHA256.HashData(data)[0]);
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

        // Warms up (JIT tiering) for a fifth of the budget, sizes the run from that, then times one batch of ~_seconds.
        private static double NanosecondsPerOp(Action op)
        {
            Stopwatch watch = Stopwatch.StartNew();
            long warm = 0;
            while (watch.Elapsed.TotalSeconds < _seconds / 5)
            {
                op();
                warm++;
            }

            long iterations = Math.Max(10, warm * 5);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            watch.Restart();
            for (long i = 0; i < iterations; i++)
            {
                op();
            }

            watch.Stop();
            return watch.Elapsed.TotalMilliseconds * 1e6 / iterations;
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
