// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// A message whose publish keeps throwing gets a bounded number of tries, then leaves the outbox reported as
    /// MessageSent <see cref="IotcStatus.PublishRefused"/>, and the messages after it go. A TransportException while the
    /// link stays up is a refusal of the message (the board wraps every publish exception so), not a lost link.
    /// </summary>
    [TestClass]
    public class RefusedMessageTests
    {
        [TestMethod]
        public void AMessageRefusedWhileTheLinkStaysUp_IsTriedAFewTimes_ThenReported_WithoutReconnecting()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            h.Transport.FailTopicsContaining = "bad=1";
            PropertyBag bad = new PropertyBag();
            bad.Add("bad", "1");
            int refused = h.Device.SendTelemetry("{\"n\":1}", bad);
            int next = h.Device.SendTelemetry("{\"n\":2}");
            for (int i = 0; i < 10; i++)
            {
                h.Clock.Now += RetryPolicy.RefusedRetryMs;
                h.Device.DoNext();
            }

            Assert.AreEqual(1, h.Transport.Connections.Count, "the link was fine: no reconnect");
            Assert.AreEqual(refused + ":" + IotcStatus.PublishRefused, (string)h.Sent[0]);
            Assert.IsTrue(h.Logged("message " + refused + " refused by the transport (TransportException: publish failed (fake)) after " + RetryPolicy.MaxPublishFailures + " attempt(s); dropped"));
            int at = h.Transport.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/$.ct");
            Assert.IsTrue(at > 0, "the next message went");
            h.Transport.Current.Ack(at);
            h.Device.DoNext();
            Assert.AreEqual(next + ":0", (string)h.Sent[1]);
        }

        [TestMethod]
        public void AMessageWhosePublishKillsTheLinkEachTime_IsReportedAfterAFewReconnects()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            h.Transport.FailTopicsContaining = "bad=1";
            h.Transport.FailureClosesLink = true;
            PropertyBag bad = new PropertyBag();
            bad.Add("bad", "1");
            int refused = h.Device.SendTelemetry("{\"n\":1}", bad);
            int next = h.Device.SendTelemetry("{\"n\":2}");
            for (int i = 0; i < 200 && h.Sent.Count == 0; i++)
            {
                h.Clock.Now += 50;
                h.Device.DoNext();
            }

            Assert.AreEqual(refused + ":" + IotcStatus.PublishRefused, (string)h.Sent[0]);
            Assert.AreEqual(RetryPolicy.MaxPublishFailures, h.Transport.Connections.Count, "one connection per try");
            h.RunUntilConnected(50, 5000);
            h.Device.DoNext();
            int at = h.Transport.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/$.ct");
            Assert.IsTrue(at > 0, "the next message went");
            h.Transport.Current.Ack(at);
            h.Device.DoNext();
            Assert.AreEqual(next + ":0", (string)h.Sent[1]);
        }
    }
}
