// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// The retry policy's bounds: min·2^attempt capped at max with ±20 % jitter (never outside, never overflowing for
    /// a large attempt), jitter that actually varies and differs per seed, and which statuses are retried.
    /// </summary>
    [TestClass]
    public class BackoffTests
    {
        [TestMethod]
        public void Delay_DoublesFromMin_IsCappedAtMax_AndStaysWithin20Percent()
        {
            int[] seeds = new int[] { 0, 1, -7, 123456789 };
            for (int s = 0; s < seeds.Length; s++)
            {
                Backoff backoff = new Backoff(1000, 30000, seeds[s]);
                long expected = 1000;
                for (int attempt = 0; attempt < 12; attempt++)
                {
                    long nominal = expected > 30000 ? 30000 : expected;
                    for (int draw = 0; draw < 10; draw++)
                    {
                        int d = backoff.Delay(attempt);
                        Assert.IsTrue(d >= nominal - nominal / 5, "attempt " + attempt + " waited " + d + " below " + nominal + " -20%");
                        Assert.IsTrue(d <= nominal + nominal / 5, "attempt " + attempt + " waited " + d + " above " + nominal + " +20%");
                    }

                    expected *= 2;
                }
            }
        }

        [TestMethod]
        public void Delay_ForAHugeAttempt_StaysAtMax_WithoutOverflow()
        {
            Backoff backoff = new Backoff(1000, 60000, 42);
            int[] attempts = new int[] { 40, 64, 200, int.MaxValue };
            for (int i = 0; i < attempts.Length; i++)
            {
                int d = backoff.Delay(attempts[i]);
                Assert.IsTrue(d >= 48000 && d <= 72000, "attempt " + attempts[i] + " waited " + d);
            }
        }

        [TestMethod]
        public void Delay_AtTheFirstAttempt_IsAroundMin_NotDoubled()
        {
            Backoff backoff = new Backoff(100, 100000, 3);
            for (int i = 0; i < 20; i++)
            {
                int d = backoff.Delay(0);
                Assert.IsTrue(d >= 80 && d <= 120, "first wait " + d);
                int second = backoff.Delay(1);
                Assert.IsTrue(second >= 160 && second <= 240, "second wait " + second);
            }

            Assert.AreEqual(100, backoff.MinMilliseconds);
            Assert.AreEqual(100000, backoff.MaxMilliseconds);
        }

        [TestMethod]
        public void Jitter_Varies_AndCoversBothSidesOfTheNominalWait()
        {
            Backoff backoff = new Backoff(10000, 10000, 99);
            bool below = false;
            bool above = false;
            for (int i = 0; i < 200; i++)
            {
                int d = backoff.Delay(0);
                below |= d < 10000;
                above |= d > 10000;
            }

            Assert.IsTrue(below, "some waits are shorter than nominal");
            Assert.IsTrue(above, "some waits are longer than nominal");
        }

        [TestMethod]
        public void Jitter_DependsOnTheSeed()
        {
            Backoff a = new Backoff(10000, 10000, Backoff.Seed("device-a", 5000));
            Backoff b = new Backoff(10000, 10000, Backoff.Seed("device-b", 5000));
            bool differ = false;
            for (int i = 0; i < 20; i++)
            {
                differ |= a.Delay(0) != b.Delay(0);
            }

            Assert.IsTrue(differ, "two devices do not wait in lock-step");
        }

        [TestMethod]
        public void Delay_WithNoRoomForJitter_IsExact()
        {
            Backoff backoff = new Backoff(4, 4, 1);
            Assert.AreEqual(4, backoff.Delay(0), "a fifth of 4 ms is 0: no jitter");
            Assert.AreEqual(4, backoff.Delay(3));
            Backoff five = new Backoff(5, 5, 1);
            bool four = false;
            bool six = false;
            for (int i = 0; i < 60; i++)
            {
                int d = five.Delay(0);
                Assert.IsTrue(d >= 4 && d <= 6, "5 ms +-1: " + d);
                four |= d == 4;
                six |= d == 6;
            }

            Assert.IsTrue(four && six, "both ends of the jitter are drawn");
        }

        [TestMethod]
        public void Seed_ChangesWithTheIdAndWithEveryBitOfTheClock()
        {
            int baseSeed = Backoff.Seed("dev-1", 0);
            Assert.AreNotEqual(baseSeed, Backoff.Seed("dev-2", 0), "another id");
            Assert.AreEqual(baseSeed, Backoff.Seed("dev-1", 0), "deterministic");
            for (int bit = 0; bit < 63; bit++)
            {
                long now = 1L << bit;
                Assert.AreNotEqual(baseSeed, Backoff.Seed("dev-1", now), "clock bit " + bit);
            }

            // Low and high halves of the clock both count: they are folded in with XOR.
            Assert.AreEqual(baseSeed ^ 6, Backoff.Seed("dev-1", 6));
            Assert.AreEqual(baseSeed ^ 3, Backoff.Seed("dev-1", 3L << 32));
        }

        [TestMethod]
        public void IsRetryable_Only429AndServerFaults()
        {
            int[] retry = new int[] { 429, 500, 502, 503, 504, 599 };
            for (int i = 0; i < retry.Length; i++)
            {
                Assert.IsTrue(Backoff.IsRetryable(retry[i]), "retried: " + retry[i]);
            }

            int[] final = new int[] { 0, 200, 204, 400, 401, 403, 404, 412, 428, 430, 499, 600, 601 };
            for (int i = 0; i < final.Length; i++)
            {
                Assert.IsFalse(Backoff.IsRetryable(final[i]), "not retried: " + final[i]);
            }
        }
    }
}
