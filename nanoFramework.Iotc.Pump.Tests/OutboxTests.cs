// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// The outbox's invariants: the byte budget goes up on Add and back down on RemoveAt (a wrong sign jams it),
    /// the limits are inclusive, automatic messages have their reserve, PUBACKs match only in-flight QoS 1 messages
    /// by packet id, and a lost link makes every unconfirmed message go out again in order.
    /// </summary>
    [TestClass]
    public class OutboxTests
    {
        private static OutboundMessage Message(int size, int qos)
        {
            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.Telemetry;
            m.Size = size;
            m.Qos = qos;
            return m;
        }

        [TestMethod]
        public void Bytes_GoUpOnAdd_AndBackDownOnRemove()
        {
            Outbox outbox = new Outbox(4, 1000);
            outbox.Add(Message(300, 1));
            outbox.Add(Message(200, 1));
            Assert.AreEqual(2, outbox.Count);
            Assert.AreEqual(500, outbox.Bytes);
            outbox.RemoveAt(0);
            Assert.AreEqual(1, outbox.Count);
            Assert.AreEqual(200, outbox.Bytes);
            outbox.RemoveAt(0);
            Assert.AreEqual(0, outbox.Bytes);
        }

        [TestMethod]
        public void ByteBudget_RefusesWhatDoesNotFit_AndFreesRoomOnRemove()
        {
            Outbox outbox = new Outbox(10, 1000);
            outbox.Add(Message(600, 1));
            Assert.IsTrue(outbox.HasRoom(400, false), "exactly the remaining bytes fit");
            Assert.IsFalse(outbox.HasRoom(401, false), "one byte more does not fit");
            outbox.Add(Message(400, 1));
            Assert.IsFalse(outbox.HasRoom(1, false), "full to the byte");
            outbox.RemoveAt(0);
            Assert.IsTrue(outbox.HasRoom(600, false), "the removed bytes are free again");
            Assert.IsFalse(outbox.HasRoom(601, false));

            // Many rounds of add/remove never drift the budget.
            for (int i = 0; i < 50; i++)
            {
                outbox.Add(Message(500, 1));
                outbox.RemoveAt(outbox.Count - 1);
            }

            Assert.AreEqual(400, outbox.Bytes);
            Assert.IsTrue(outbox.HasRoom(600, false));
        }

        [TestMethod]
        public void CountLimit_IsInclusive()
        {
            Outbox outbox = new Outbox(2, 1000);
            Assert.IsTrue(outbox.HasRoom(1, false));
            outbox.Add(Message(1, 1));
            Assert.IsTrue(outbox.HasRoom(1, false), "one of two used");
            outbox.Add(Message(1, 1));
            Assert.IsFalse(outbox.HasRoom(1, false), "two of two used");
            Assert.IsFalse(outbox.HasRoom(0, false), "no count left even for nothing");
        }

        [TestMethod]
        public void AutomaticMessages_HaveAReserveOfEightMessagesAnd8KB()
        {
            Outbox outbox = new Outbox(1, 100);
            outbox.Add(Message(100, 1));
            Assert.IsFalse(outbox.HasRoom(1, false), "full for the application");
            Assert.IsTrue(outbox.HasRoom(8192, true), "the reserve takes 8 KB more");
            Assert.IsFalse(outbox.HasRoom(8193, true), "but not more than 8 KB");
            for (int i = 0; i < 7; i++)
            {
                outbox.Add(Message(1, 1));
            }

            Assert.IsTrue(outbox.HasRoom(1, true), "eight messages: one more reserved slot");
            outbox.Add(Message(1, 1));
            Assert.IsFalse(outbox.HasRoom(1, true), "nine messages: the reserve of eight is used up");
        }

        [TestMethod]
        public void Limits_MustBePositive_AndOneIsAllowed()
        {
            Outbox outbox = new Outbox(1, 1);
            Assert.AreEqual(1, outbox.MaxMessages);
            Assert.AreEqual(1, outbox.MaxBytes);
            Assert.IsTrue(outbox.HasRoom(1, false));
            Assert.IsFalse(outbox.HasRoom(2, false));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "maxMessages", null, () => outbox.SetLimits(0, 10));
            Throws.Exactly(typeof(ArgumentOutOfRangeException), "maxBytes", null, () => outbox.SetLimits(10, 0));
            outbox.SetLimits(3, 50);
            Assert.AreEqual(3, outbox.MaxMessages);
            Assert.AreEqual(50, outbox.MaxBytes);
        }

        [TestMethod]
        public void Puback_MatchesOnlyAnInFlightMessageWithThatPacketId()
        {
            // A QoS 0 message is in flight with an id only when its transport reports the write (IMqttTransport.Publish).
            Outbox outbox = new Outbox(10, 1000);
            OutboundMessage qos0 = Message(1, 0);
            qos0.InFlight = true;
            qos0.PacketId = 9;
            OutboundMessage waiting = Message(1, 1);
            waiting.PacketId = 7;
            OutboundMessage other = Message(1, 1);
            other.InFlight = true;
            other.PacketId = 8;
            OutboundMessage target = Message(1, 1);
            target.InFlight = true;
            target.PacketId = 7;
            outbox.Add(qos0);
            outbox.Add(waiting);
            outbox.Add(other);
            outbox.Add(target);
            Assert.AreEqual(3, outbox.IndexOfPacket(7), "not the one waiting to go");
            Assert.AreEqual(2, outbox.IndexOfPacket(8));
            Assert.AreEqual(0, outbox.IndexOfPacket(9));
            Assert.AreEqual(-1, outbox.IndexOfPacket(10));
        }

        [TestMethod]
        public void MarkAllForResend_ClearsEveryAttempt_AndKeepsTheOrder()
        {
            Outbox outbox = new Outbox(10, 1000);
            OutboundMessage[] all = new OutboundMessage[3];
            for (int i = 0; i < all.Length; i++)
            {
                all[i] = Message(10, 1);
                all[i].InFlight = true;
                all[i].PacketId = i + 1;
                outbox.Add(all[i]);
            }

            Assert.AreEqual(3, outbox.InFlightCount());
            outbox.MarkAllForResend();
            Assert.AreEqual(0, outbox.InFlightCount());
            Assert.AreEqual(3, outbox.Count, "nothing is dropped");
            Assert.AreEqual(30, outbox.Bytes);
            for (int i = 0; i < all.Length; i++)
            {
                Assert.AreSame(all[i], outbox[i]);
                Assert.IsFalse(all[i].InFlight);
                Assert.AreEqual(0, all[i].PacketId);
            }

            Assert.AreEqual(-1, outbox.IndexOfPacket(1), "an old packet id no longer matches");
        }

        [TestMethod]
        public void InFlightCount_CountsOnlyThoseInFlight()
        {
            Outbox outbox = new Outbox(10, 1000);
            OutboundMessage a = Message(1, 1);
            OutboundMessage b = Message(1, 1);
            b.InFlight = true;
            outbox.Add(a);
            outbox.Add(b);
            Assert.AreEqual(1, outbox.InFlightCount());
            outbox.SetInFlight(a, true);
            Assert.AreEqual(2, outbox.InFlightCount());
        }
    }
}
