// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// A device's back-off: its bounds reach RetryPolicy.Delay (the waits' table is in RetryPolicyTests), and its jitter
    /// actually varies, reaches both ends and differs per seed.
    /// </summary>
    [TestClass]
    public class BackoffTests
    {
        [TestMethod]
        public void Delay_AfterTheFirstFailure_IsAroundMin_NotDoubled()
        {
            Backoff backoff = new Backoff(100, 100000, 3);
            for (int i = 0; i < 20; i++)
            {
                int d = backoff.Delay(1);
                Assert.IsTrue(d >= 80 && d <= 120, "first wait " + d);
                int second = backoff.Delay(2);
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
                int d = backoff.Delay(1);
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
                differ |= a.Delay(1) != b.Delay(1);
            }

            Assert.IsTrue(differ, "two devices do not wait in lock-step");
        }

        [TestMethod]
        public void Delay_WithNoRoomForJitter_IsExact()
        {
            Backoff backoff = new Backoff(4, 4, 1);
            Assert.AreEqual(4, backoff.Delay(1), "a fifth of 4 ms is 0: no jitter");
            Assert.AreEqual(4, backoff.Delay(3));
            Backoff five = new Backoff(5, 5, 1);
            bool four = false;
            bool six = false;
            for (int i = 0; i < 60; i++)
            {
                int d = five.Delay(1);
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

    }
}
