// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// The back-off escalates for what needs it (a hub closing a connection that did nothing, refusals) and not for a
    /// network that drops after useful work; a key the hub keeps refusing, even after DPS assigned it again, gives up
    /// within seconds. Times are the fake clock's, with the default back-off (1 s to 60 s).
    /// </summary>
    [TestClass]
    public class BackoffPolicyTests
    {
        [TestMethod]
        public void ALinkThatDropsEveryFewSecondsAfterUsefulWork_ReconnectsAtTheFirstStepEachTime()
        {
            RecoveryHarness h = new RecoveryHarness(1000, 60000);
            for (int drop = 0; drop < 6; drop++)
            {
                // Each connection confirms a message, lives 3 s, and is lost.
                h.Device.SendTelemetry("{\"n\":" + drop + "}");
                h.Device.DoNext();
                FakeMqtt link = h.Transport.Current;
                link.Ack(link.Topics.Count - 1);
                h.Device.DoNext();
                h.Clock.Now += 3000;
                link.Drop();
                h.Device.DoNext();
                long start = h.Clock.Now;
                h.RunUntilConnected(10, 120000);
                Assert.IsTrue(h.Clock.Now - start <= 1210, "reconnect " + (drop + 1) + " waited " + (h.Clock.Now - start) + " ms");
            }

            Assert.AreEqual(6, h.Sent.Count);
        }

        [TestMethod]
        public void ConnectionsTheHubClosesBeforeAnyUsefulWork_StillEscalate_EvenIfTheTwinGetWasAnswered()
        {
            RecoveryHarness h = new RecoveryHarness(1000, 60000);
            long last = 0;
            for (int drop = 0; drop < 4; drop++)
            {
                FakeMqtt link = h.Transport.Current;
                string get = link.Topic(0);
                link.Deliver("$iothub/twin/res/200/?$rid=" + get.Substring(get.IndexOf("$rid=") + 5), "{\"desired\":{\"$version\":1},\"reported\":{}}");
                h.Device.DoNext();
                link.Drop();
                h.Device.DoNext();
                long start = h.Clock.Now;
                h.RunUntilConnected(10, 120000);
                last = h.Clock.Now - start;
            }

            Assert.IsTrue(last >= 6400, "the fourth takeover waits ~8 s: " + last);
        }

        [TestMethod]
        public void AKeyTheHubKeepsRefusing_AfterAFreshDpsAssignment_GivesUpWithinSeconds()
        {
            RecoveryHarness h = new RecoveryHarness(1000, 60000);
            h.Clock.Now += 60000;
            for (int i = 0; i < 4; i++)
            {
                h.Transport.AddAssignment(RecoveryHarness.Hub, "dev-1");
            }

            // The device is disabled at the hub: it closes the link and refuses the key from then on; DPS still assigns.
            h.Transport.ConnackCode = 5;
            h.Transport.Current.Drop();
            long start = h.Clock.Now;
            for (int i = 0; i < 20000 && (int)h.Statuses[h.Statuses.Count - 1] != IotcStatus.GaveUp; i++)
            {
                h.Clock.Now += 10;
                h.Device.DoNext();
            }

            Assert.AreEqual(IotcStatus.GaveUp, (int)h.Statuses[h.Statuses.Count - 1]);
            Assert.IsTrue(h.Clock.Now - start <= 15000, "gave up after " + (h.Clock.Now - start) + " ms");
            Assert.IsTrue(h.Transport.HttpRequests.Count > 2, "provisioned again before giving up");
        }
    }
}
