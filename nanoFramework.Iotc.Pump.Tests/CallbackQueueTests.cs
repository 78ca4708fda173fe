// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>The one callback queue: first in first out, across drains and refills, with an honest count.</summary>
    [TestClass]
    public class CallbackQueueTests
    {
        private static IotcCallbackInfo Callback(byte kind, int tag)
        {
            IotcCallbackInfo c = new IotcCallbackInfo(IotcEvents.MessageSent);
            c.Kind = kind;
            c.MessageId = tag;
            return c;
        }

        [TestMethod]
        public void Take_OnAnEmptyQueue_IsNull()
        {
            CallbackQueue queue = new CallbackQueue();
            Assert.AreEqual(0, queue.Count);
            Assert.IsNull(queue.Take());
        }

        [TestMethod]
        public void Take_ReturnsCallbacksInTheOrderTheyWereAdded()
        {
            CallbackQueue queue = new CallbackQueue();
            queue.Add(Callback(PendingCallback.Status, 1));
            queue.Add(Callback(PendingCallback.MessageSent, 2));
            queue.Add(Callback(PendingCallback.Status, 3));
            Assert.AreEqual(3, queue.Count);
            Assert.AreEqual(1, queue.Take().MessageId);
            Assert.AreEqual(2, queue.Count);

            // Added while others wait: still behind them.
            queue.Add(Callback(PendingCallback.Setting, 4));
            Assert.AreEqual(3, queue.Count);
            Assert.AreEqual(2, queue.Take().MessageId);
            Assert.AreEqual(3, queue.Take().MessageId);
            Assert.AreEqual(4, queue.Take().MessageId);
            Assert.AreEqual(0, queue.Count);
            Assert.IsNull(queue.Take());
        }

        [TestMethod]
        public void AfterADrain_TheQueueStartsAfresh_InOrder()
        {
            CallbackQueue queue = new CallbackQueue();
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < 5; i++)
                {
                    queue.Add(Callback(PendingCallback.CloudToDevice, round * 10 + i));
                }

                for (int i = 0; i < 5; i++)
                {
                    Assert.AreEqual(5 - i, queue.Count);
                    IotcCallbackInfo c = queue.Take();
                    Assert.IsNotNull(c);
                    Assert.AreEqual(round * 10 + i, c.MessageId);
                }

                Assert.AreEqual(0, queue.Count);
                Assert.IsNull(queue.Take());
            }
        }
    }
}
