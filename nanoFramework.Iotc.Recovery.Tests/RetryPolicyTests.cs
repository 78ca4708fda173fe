// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// Every retry decision as a table: which statuses are retried, final or a key refusal, when to provision again,
    /// when a lost link starts the back-off over, the waits (doubling from the first failed try, capped, ±20 %), DPS's
    /// Retry-After clamp and the try limits.
    /// </summary>
    [TestClass]
    public class RetryPolicyTests
    {
        [TestMethod]
        [DataRow(429, true)]
        [DataRow(500, true)]
        [DataRow(503, true)]
        [DataRow(599, true)]
        [DataRow(0, false)]
        [DataRow(200, false)]
        [DataRow(400, false)]
        [DataRow(401, false)]
        [DataRow(404, false)]
        [DataRow(428, false)]
        [DataRow(430, false)]
        [DataRow(499, false)]
        [DataRow(600, false)]
        [DataRow(-1, false)]
        public void IsRetriable_Only429AndServerFaults(int status, bool retriable)
        {
            Assert.AreEqual(retriable, RetryPolicy.IsRetriable(status));
        }

        [TestMethod]
        [DataRow(1, 0, true)]
        [DataRow(2, 0, true)]
        [DataRow(400, 0, true)]
        [DataRow(401, 0, true)]
        [DataRow(403, 0, true)]
        [DataRow(404, 0, true)]
        [DataRow(-9, 0, true)]
        [DataRow(3, 9, false)]
        [DataRow(4, 2, false)]
        [DataRow(4, 3, true)]
        [DataRow(5, 2, false)]
        [DataRow(5, 3, true)]
        [DataRow(6, 9, false)]
        [DataRow(-1, 9, false)]
        [DataRow(-5, 0, false)]
        [DataRow(-8, 9, false)]
        [DataRow(402, 0, false)]
        [DataRow(408, 0, false)]
        [DataRow(409, 0, false)]
        [DataRow(429, 9, false)]
        [DataRow(503, 0, false)]
        [DataRow(0, 9, false)]
        public void IsFinal_RefusalsRetryingCannotFix_AndTheThirdKeyRefusal(int status, int keyRefusals, bool final)
        {
            Assert.AreEqual(final, RetryPolicy.IsFinal(status, keyRefusals));
            Assert.AreEqual(final && !RetryPolicy.IsKeyRefusal(status), RetryPolicy.IsFinal(status), "without the count");
            Assert.AreEqual(RetryPolicy.IsFinal(status), new IotcException("x", status, 0, null, null).IsFinal, "the exception says the same");
        }

        [TestMethod]
        [DataRow(3, false)]
        [DataRow(4, true)]
        [DataRow(5, true)]
        [DataRow(6, false)]
        [DataRow(401, false)]
        public void IsKeyRefusal_Connack4And5(int status, bool refusal)
        {
            Assert.AreEqual(refusal, RetryPolicy.IsKeyRefusal(status));
        }

        [TestMethod]
        [DataRow(0, 0, false)]
        [DataRow(1, 4, false)]
        [DataRow(2, 0, true)]
        [DataRow(0, 5, true)]
        [DataRow(3, 9, true)]
        public void ShouldReprovision_AfterTwoKeyRefusalsOrFiveNetworkFailures(int keyRefusals, int networkFailures, bool reprovision)
        {
            Assert.AreEqual(reprovision, RetryPolicy.ShouldReprovision(keyRefusals, networkFailures));
        }

        [TestMethod]
        [DataRow(-1, true)]
        [DataRow(1, true)]
        [DataRow(3, true)]
        [DataRow(5, true)]
        [DataRow(0, false)]
        [DataRow(6, false)]
        [DataRow(-8, false)]
        [DataRow(401, false)]
        public void ForgetsStoredHub_WhenItRefusesOrCannotBeReached(int status, bool forget)
        {
            Assert.AreEqual(forget, RetryPolicy.ForgetsStoredHub(status));
        }

        [TestMethod]
        [DataRow(0, 5, true)]
        [DataRow(4, 5, true)]
        [DataRow(5, 5, false)]
        [DataRow(6, 5, false)]
        public void MayTryAgain_CountsTheTriesMade(int triesMade, int maxTries, bool again)
        {
            Assert.AreEqual(again, RetryPolicy.MayTryAgain(triesMade, maxTries));
        }

        [TestMethod]
        [DataRow(0L, false, false)]
        [DataRow(29999L, false, false)]
        [DataRow(30000L, false, true)]
        [DataRow(0L, true, true)]
        public void LossStartsOver_AfterUsefulWorkOrTheStableTime(long connectedMs, bool usefulWork, bool startOver)
        {
            Assert.AreEqual(startOver, RetryPolicy.LossStartsOver(connectedMs, 30000, usefulWork));
        }

        [TestMethod]
        [DataRow(-5, 1000)]
        [DataRow(0, 1000)]
        [DataRow(1, 1000)]
        [DataRow(2, 2000)]
        [DataRow(5, 16000)]
        [DataRow(6, 30000)]
        [DataRow(7, 30000)]
        [DataRow(64, 30000)]
        [DataRow(int.MaxValue, 30000)]
        public void Delay_DoublesFromTheFirstFailure_IsCappedAtMax_AndStaysWithin20Percent(int failures, int nominal)
        {
            Random jitter = new Random(failures);
            for (int draw = 0; draw < 20; draw++)
            {
                int d = RetryPolicy.Delay(failures, 1000, 30000, jitter);
                Assert.IsTrue(d >= nominal - nominal / 5 && d <= nominal + nominal / 5, "waited " + d);
            }
        }

        [TestMethod]
        [DataRow(4, 4)]
        [DataRow(1, 1)]
        public void Delay_WithNoRoomForJitter_IsExact(int min, int max)
        {
            Assert.AreEqual(min, RetryPolicy.Delay(1, min, max, new Random(1)));
            Assert.AreEqual(max, RetryPolicy.Delay(3, min, max, new Random(1)));
        }

        [TestMethod]
        [DataRow(-1, 3)]
        [DataRow(0, 1)]
        [DataRow(1, 1)]
        [DataRow(2, 2)]
        [DataRow(60, 60)]
        [DataRow(61, 60)]
        [DataRow(int.MaxValue, 60)]
        public void RetryAfterSeconds_DefaultsAndClamps(int given, int wait)
        {
            Assert.AreEqual(wait, RetryPolicy.RetryAfterSeconds(given));
        }
    }
}
