// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// A message the MQTT client acknowledged reaches the application even when the pump closes the link itself (token
    /// renewal, PUBACK time-out) while it arrives: the hub will not send it again. Acks and losses of a closed connection
    /// still mean nothing, and a command of a closed connection is not run (its answer could not reach the hub).
    /// </summary>
    [TestClass]
    public class ClosedLinkMessageTests
    {
        [TestMethod]
        public void AMessageArrivingWhileThePumpRenewsTheToken_IsRaised()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            FakeMqtt first = h.Transport.Current;

            // The client's thread delivers a message after DoNext took the inbox and before the link is closed.
            h.OnLog = line =>
            {
                if (line.IndexOf("SAS token at 80%") == 0)
                {
                    first.Deliver(RecoveryHarness.CloudToDevice + "%24.mid=m1", "during the renewal");
                }
            };
            h.Clock.Now += 3600 * 800;
            h.Device.DoNext();
            h.OnLog = null;

            // And one more in the moment after the pump closed it (the client acknowledged it while closing).
            first.Deliver(RecoveryHarness.CloudToDevice + "%24.mid=m2", "while closing");
            h.RunUntilConnected(10, 5000);
            Assert.IsTrue(first.Closed);
            Assert.IsTrue(h.Device.IsConnected);
            Assert.AreEqual(2, h.Received.Count, "both acknowledged messages reach the application");
            Assert.AreEqual("during the renewal", (string)h.Received[0]);
            Assert.AreEqual("while closing", (string)h.Received[1]);
        }

        [TestMethod]
        public void AMessageArrivingAsAStalledLinkIsClosed_IsRaised_ButItsCommandIsNotRun()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            int commands = 0;
            h.Device.On(IotcEvents.Command, info => commands++);
            FakeMqtt first = h.Transport.Current;
            h.Device.SendTelemetry("{\"t\":1}");
            h.Device.DoNext();
            h.OnLog = line =>
            {
                if (line.IndexOf("connection lost: no PUBACK") == 0)
                {
                    first.Deliver(RecoveryHarness.CloudToDevice + "%24.mid=m1", "as it stalled");
                    first.Deliver("$iothub/methods/POST/reboot/?$rid=7", "{}");
                }
            };
            h.Clock.Now += 30000;
            h.Device.DoNext();
            h.OnLog = null;
            h.RunUntilConnected(10, 5000);
            Assert.AreEqual(1, h.Received.Count);
            Assert.AreEqual("as it stalled", (string)h.Received[0]);
            Assert.AreEqual(0, commands);
            Assert.IsTrue(h.Logged("command 'reboot' ($rid 7) arrived as its connection closed: not run"));

            // A late PUBACK of the closed connection still confirms nothing: the message is sent again and confirmed there.
            first.Ack(1);
            h.Device.DoNext();
            Assert.AreEqual(0, h.Sent.Count);
        }

        [TestMethod]
        public void AMessageOfAClosedConnection_IsKeptWithoutWaiting_EvenWhenTheInboxIsFull()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            ConnectionEvents old = new ConnectionEvents(inbox, 1);
            for (int i = 0; i < Inbox.MaxMessages; i++)
            {
                old.OnMessage("t", new byte[1]);
            }

            // Not the pump's thread and the inbox is full: a message of the open connection would wait here.
            inbox.Open(2);
            old.OnMessage("t", new byte[1]);
            old.OnPublished(3);
            old.OnConnectionLost("gone");
            Assert.AreEqual(Inbox.MaxMessages + 1, inbox.TakeAll().Count, "the message is kept; its connection's ack and loss are not");
        }

        [TestMethod]
        public void MessagesTheClientAcknowledged_BeforeDisconnect_AreRaisedByDisconnect()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            h.Transport.Current.Deliver(RecoveryHarness.CloudToDevice + "%24.mid=m1", "last words");
            h.Device.Disconnect();
            Assert.AreEqual(1, h.Received.Count);
            Assert.AreEqual("last words", (string)h.Received[0]);
        }
    }
}
