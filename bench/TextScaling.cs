// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Text;

namespace Iotc.Bench
{
    /// <summary>
    /// text-scaling: JSON parse, UTF-8 byte count and URL encoding of 1, 4, 16 and 32 KB documents (ASCII with an emoji
    /// per entry), as time per KB at each size. Linear code keeps time per KB flat; code that indexes a nanoFramework
    /// string in a loop grows with the size (nanoCLR walks its UTF-8 strings from the start on each s[i]).
    /// mscorlib only (DateTime ticks, no Stopwatch or format strings) so the same file runs on nanoCLR (bench/nf).
    /// </summary>
    public static class TextScaling
    {
        /// <summary>Where result lines go (not Action&lt;string&gt;: generic instances crashed nanoCLR's resolver).</summary>
        public delegate void Printer(string line);

        /// <summary>One measured operation.</summary>
        public delegate void Work();

        private static readonly int[] SizesKb = { 1, 4, 16, 32 };
        private static int _sink;

        /// <summary>Runs every case, each size for at least <paramref name="budgetMs"/> ms (and at least once).</summary>
        public static void Run(int budgetMs, Printer print)
        {
            string[] ops = { "json-parse", "utf8-count", "url-encode" };
            for (int op = 0; op < ops.Length; op++)
            {
                NanosecondsPerOp(op, Document(SizesKb[0] * 1024), budgetMs); // warm-up (JIT on .NET)
                long firstPerKb = 0;
                long lastPerKb = 0;
                for (int s = 0; s < SizesKb.Length; s++)
                {
                    string text = Document(SizesKb[s] * 1024);
                    long perKb = NanosecondsPerOp(op, text, budgetMs) / SizesKb[s];
                    firstPerKb = s == 0 ? perKb : firstPerKb;
                    lastPerKb = perKb;
                    print("text-scaling " + ops[op] + " " + SizesKb[s] + " KB: " + Micro(perKb) + " us/KB");
                }

                // 1.0 means linear; 32 would mean time per KB grows with the size (quadratic).
                print("text-scaling " + ops[op] + ": 32 KB vs 1 KB time per KB " + Ratio(lastPerKb, firstPerKb) + "x");
            }

            if (_sink == 42)
            {
                print(string.Empty);
            }
        }

        /// <summary>A JSON object of about <paramref name="bytes"/> UTF-8 bytes: entries with a number and an emoji.</summary>
        public static string Document(int bytes)
        {
            string entry = "{\"sensor\":\"temperature-probe\",\"value\":21.5,\"unit\":\"C\",\"note\":\"ok \uD83D\uDE00\"}";
            int count = bytes / (Utf8.GetByteCount(entry) + 1);
            StringBuffer buffer = new StringBuffer(bytes + 64);
            buffer.Append("{\"items\":[");
            for (int i = 0; i < count; i++)
            {
                buffer.Append(i == 0 ? string.Empty : ",").Append(entry);
            }

            return buffer.Append("]}").ToString();
        }

        private static long NanosecondsPerOp(int op, string text, int budgetMs)
        {
            if (op == 0)
            {
                return NanosecondsPer(budgetMs, () => _sink += JsonValue.Parse(text, JsonValue.DefaultMaxDepth, JsonValue.DefaultMaxLength).Count);
            }

            if (op == 1)
            {
                return NanosecondsPer(budgetMs, () => _sink += Utf8.GetByteCount(text));
            }

            return NanosecondsPer(budgetMs, () => _sink += UrlEncoding.Encode(text).Length);
        }

        /// <summary>Runs <paramref name="work"/> for at least <paramref name="budgetMs"/> ms (and at least once); nanoseconds per run.</summary>
        public static long NanosecondsPer(int budgetMs, Work work)
        {
            long budget = budgetMs * TimeSpan.TicksPerMillisecond;
            int runs = 0;
            long start = DateTime.UtcNow.Ticks;
            long elapsed;
            do
            {
                work();
                runs++;
                elapsed = DateTime.UtcNow.Ticks - start;
            }
            while (elapsed < budget);

            return elapsed * 100 / runs;
        }

        /// <summary>Nanoseconds as microseconds with one decimal, without format strings (they differ on nanoFramework).</summary>
        public static string Micro(long nanoseconds)
        {
            long tenths = nanoseconds / 100;
            return (tenths / 10) + "." + (tenths % 10);
        }

        private static string Ratio(long a, long b)
        {
            long hundredths = b == 0 ? 0 : a * 100 / b;
            return (hundredths / 100) + "." + ((hundredths % 100) < 10 ? "0" : string.Empty) + (hundredths % 100);
        }
    }
}
