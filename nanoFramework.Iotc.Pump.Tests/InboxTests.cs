// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using System.Threading;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// The inbox's back-pressure: a transport thread waits when 64 messages (or 64 KB of payload) wait, and goes on
    /// once the pump takes them; nothing is dropped. Acks never wait; the pump thread never waits for itself; events of
    /// a closed connection are discarded.
    /// </summary>
    [TestClass]
    public class InboxTests
    {
        private static InboundEvent Event(int kind, int generation, int size)
        {
            InboundEvent e = new InboundEvent();
            e.Kind = kind;
            e.Generation = generation;
            e.Topic = "t";
            e.Payload = size < 0 ? null : new byte[size];
            return e;
        }

        /// <summary>A transport's thread posting one event, or (with acksToWake) the pump's thread waiting for events.</summary>
        private sealed class Poster
        {
            private readonly Inbox _inbox;
            private readonly InboundEvent _event;
            private readonly int _acksToWake;
            internal bool Done;

            internal Poster(Inbox inbox, InboundEvent e)
            {
                _inbox = inbox;
                _event = e;
            }

            internal Poster(Inbox inbox, int acksToWake)
            {
                _inbox = inbox;
                _acksToWake = acksToWake;
            }

            internal Poster Start()
            {
                new Thread(Run).Start();
                return this;
            }

            private void Run()
            {
                if (_event != null)
                {
                    _inbox.Post(_event);
                }
                else
                {
                    _inbox.WaitForEvents(60000, _acksToWake);
                }

                Done = true;
            }
        }

        private static bool WaitFor(Poster poster, int milliseconds)
        {
            for (int waited = 0; waited < milliseconds && !poster.Done; waited += 5)
            {
                Thread.Sleep(5);
            }

            return poster.Done;
        }

        [TestMethod]
        public void Messages_AreHandedOverInOrder_AndTakeAllEmptiesTheInbox()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            for (int i = 0; i < 3; i++)
            {
                InboundEvent e = Event(InboundEvent.Message, 1, 10);
                e.PacketId = i;
                inbox.Post(e);
            }

            ArrayList taken = inbox.TakeAll();
            Assert.AreEqual(3, taken.Count);
            for (int i = 0; i < 3; i++)
            {
                Assert.AreEqual(i, ((InboundEvent)taken[i]).PacketId);
            }

            Assert.AreEqual(0, inbox.TakeAll().Count);
            Assert.AreEqual(0, inbox.TakeAll().Count, "a reused list comes back empty");
            inbox.Post(Event(InboundEvent.Message, 1, -1));
            ArrayList empty = inbox.TakeAll();
            Assert.AreEqual(1, empty.Count, "a message without payload");
            Assert.AreEqual(0, inbox.TakeAll().Count);
        }

        [TestMethod]
        public void AcksAndLossesOfAnotherConnection_AreDiscarded_ItsMessagesKept()
        {
            Inbox inbox = new Inbox();
            inbox.Open(2);
            inbox.Post(Event(InboundEvent.Message, 1, 10));
            inbox.Post(Event(InboundEvent.Lost, 1, -1));
            inbox.Post(Event(InboundEvent.Published, 3, -1));
            Assert.AreEqual(1, inbox.TakeAll().Count);
            inbox.Post(Event(InboundEvent.Published, 2, -1));
            Assert.AreEqual(1, inbox.TakeAll().Count);
        }

        [TestMethod]
        public void AtSixtyFourMessages_TheTransportThreadWaits_UntilThePumpTakesThem()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            for (int i = 0; i < Inbox.MaxMessages; i++)
            {
                inbox.Post(Event(InboundEvent.Message, 1, 1));
            }

            // Acks are never held back, even now.
            inbox.Post(Event(InboundEvent.Published, 1, -1));
            Poster poster = new Poster(inbox, Event(InboundEvent.Message, 1, 1));
            poster.Start();
            Assert.IsFalse(WaitFor(poster, 100), "the 65th message waits for room");
            ArrayList first = inbox.TakeAll();
            Assert.AreEqual(Inbox.MaxMessages + 1, first.Count, "64 messages and the ack");
            Assert.IsTrue(WaitFor(poster, 5000), "room again: the transport thread goes on");
            Assert.AreEqual(1, inbox.TakeAll().Count, "the waiting message is not lost");
        }

        [TestMethod]
        public void At64KB_TheTransportThreadWaits_ButOneLargeMessageAlwaysFits()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            inbox.Post(Event(InboundEvent.Message, 1, 40 * 1024));
            Poster poster = new Poster(inbox, Event(InboundEvent.Message, 1, 30 * 1024));
            poster.Start();
            Assert.IsFalse(WaitFor(poster, 100), "70 KB would be waiting: the second message waits");
            Assert.AreEqual(1, inbox.TakeAll().Count);
            Assert.IsTrue(WaitFor(poster, 5000));
            Assert.AreEqual(1, inbox.TakeAll().Count);

            // Exactly 64 KB fits; one byte more does not.
            inbox.Post(Event(InboundEvent.Message, 1, 32 * 1024));
            Poster exact = new Poster(inbox, Event(InboundEvent.Message, 1, 32 * 1024));
            exact.Start();
            Assert.IsTrue(WaitFor(exact, 5000), "64 KB in all fits");
            Poster over = new Poster(inbox, Event(InboundEvent.Message, 1, 0));
            over.Start();
            Assert.IsTrue(WaitFor(over, 5000), "an empty message adds no bytes");
            Poster oneMore = new Poster(inbox, Event(InboundEvent.Message, 1, 1));
            oneMore.Start();
            Assert.IsFalse(WaitFor(oneMore, 100), "one byte past 64 KB waits");
            Assert.AreEqual(3, inbox.TakeAll().Count);
            Assert.IsTrue(WaitFor(oneMore, 5000));
            Assert.AreEqual(1, inbox.TakeAll().Count);
        }

        [TestMethod]
        public void OneMessageLargerThan64KB_NeverWaits_WhenNothingElseDoes()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            Poster poster = new Poster(inbox, Event(InboundEvent.Message, 1, Inbox.MaxMessageBytes + 1024));
            poster.Start();
            Assert.IsTrue(WaitFor(poster, 5000), "taken at once");
            Assert.AreEqual(1, inbox.TakeAll().Count);
        }

        [TestMethod]
        public void ThePumpThread_NeverWaitsForItself()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            inbox.SetPumpThread(Thread.CurrentThread);
            for (int i = 0; i < Inbox.MaxMessages + 10; i++)
            {
                inbox.Post(Event(InboundEvent.Message, 1, 1));
            }

            inbox.Post(Event(InboundEvent.Message, 1, 40 * 1024));
            inbox.Post(Event(InboundEvent.Message, 1, 30 * 1024));
            Assert.AreEqual(Inbox.MaxMessages + 12, inbox.TakeAll().Count);
        }

        [TestMethod]
        public void AWaitingPost_OfAClosedConnection_StopsWaiting_AndIsKept()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            for (int i = 0; i < Inbox.MaxMessages; i++)
            {
                inbox.Post(Event(InboundEvent.Message, 1, 1));
            }

            Poster poster = new Poster(inbox, Event(InboundEvent.Message, 1, 1));
            poster.Start();
            Assert.IsFalse(WaitFor(poster, 50));
            inbox.Open(2);
            Assert.IsTrue(WaitFor(poster, 5000), "the old connection's thread is released");
            Assert.AreEqual(Inbox.MaxMessages + 1, inbox.TakeAll().Count, "its message is kept (the client acknowledged it)");
        }

        [TestMethod]
        [DataRow(InboundEvent.Published, 1, 4, false)]
        [DataRow(InboundEvent.Published, 4, 4, true)]
        [DataRow(InboundEvent.Published, 1, 1, true)]
        [DataRow(InboundEvent.Message, 1, 8, true)]
        [DataRow(InboundEvent.Lost, 1, 8, true)]
        public void EndsWait_AcksInBatches_AnythingElseAtOnce(int kind, int waiting, int acksToWake, bool ends)
        {
            Assert.AreEqual(ends, Inbox.EndsWait(kind, waiting, acksToWake));
        }

        [TestMethod]
        public void APumpWaitingForABatch_WakesOnTheLastAckOfIt_OrOnAMessage()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            Poster waiter = new Poster(inbox, 3).Start();
            inbox.PostPublished(1, 1);
            inbox.PostPublished(1, 2);
            Assert.IsFalse(WaitFor(waiter, 50), "two of three acks");
            inbox.PostPublished(1, 3);
            Assert.IsTrue(WaitFor(waiter, 10000), "the third ack ends the wait");
            Assert.AreEqual(3, inbox.TakeAll().Count);

            waiter = new Poster(inbox, 8).Start();
            inbox.PostPublished(1, 4);
            inbox.Post(Event(InboundEvent.Message, 1, 1));
            Assert.IsTrue(WaitFor(waiter, 10000), "a message ends it at once");
        }

        [TestMethod]
        public void WaitForEvents_ReturnsAtOnce_WhenTheBatchOrAMessageIsAlreadyThere()
        {
            Inbox inbox = new Inbox();
            inbox.Open(1);
            inbox.PostPublished(1, 1);
            inbox.PostPublished(1, 2);
            Assert.IsTrue(WaitFor(new Poster(inbox, 2).Start(), 10000));
            inbox.TakeAll();
            inbox.Post(Event(InboundEvent.Message, 1, 1));
            Assert.IsTrue(WaitFor(new Poster(inbox, 8).Start(), 10000));
        }
    }
}
