// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// The outbound path's invariants, through the pump over the fake transport: distinct ids, the in-flight window,
    /// confirmations in any order, a stalled link is reconnected, a message that can never go is refused at Send*,
    /// a message the transport refuses leaves the outbox reported, and callbacks come in the order things happened.
    /// </summary>
    [TestClass]
    public class PublisherTests
    {
        [TestMethod]
        public void MessageIds_AreDistinct_AndTheWindowHolds()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.NewDevice(t, new FakeClock());
            device.SetInFlightWindow(4, 30000);
            DeviceTests.ConnectNow(t, device);
            ArrayList ids = new ArrayList();
            for (int i = 0; i < 10; i++)
            {
                int id = device.SendTelemetry("{\"i\":" + i + "}");
                Assert.IsFalse(ids.Contains(id), "id " + id + " given twice");
                ids.Add(id);
            }

            device.DoNext();
            Assert.AreEqual(4, Telemetry(t.Current), "four in flight");
            t.Current.Ack(1);
            device.DoNext();
            Assert.AreEqual(5, Telemetry(t.Current), "one confirmed: one more goes");
        }

        [TestMethod]
        public void OneWithheldPuback_DoesNotHoldBackTheOthers_AndTheStalledLinkIsReconnected()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.NewDevice(t, clock);
            device.SetInFlightWindow(16, 30000);
            device.SetReconnectBackoff(100, 400);
            DeviceTests.ConnectNow(t, device);
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
            for (int i = 0; i < 16; i++)
            {
                device.SendTelemetry("{\"i\":" + i + "}");
            }

            device.DoNext();
            FakeMqtt first = t.Current;

            // The hub acknowledges all but the first (index 0 is the twin GET).
            for (int i = 2; i <= 16; i++)
            {
                first.Ack(i);
            }

            device.DoNext();
            Assert.AreEqual(15, sent.Count, "the other 15 are confirmed at once, not after the missing one");
            Assert.IsFalse(sent.Contains(1));

            // 30 s without that PUBACK: the link counts as lost, the message goes out again on a new connection.
            clock.Now += 30000;
            device.DoNext();
            Assert.IsFalse(device.IsConnected);
            clock.Now += 1000;
            device.DoNext();
            Assert.IsTrue(device.IsConnected);
            Assert.AreNotSame(first, t.Current);
            int resent = t.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/");
            Assert.IsTrue(resent >= 0, "resent after the reconnect");
            t.Current.Ack(resent);
            device.DoNext();
            Assert.AreEqual(16, sent.Count);
            Assert.AreEqual(1, (int)sent[15]);
        }

        [TestMethod]
        public void AMessageThatCanNeverBePublished_IsRefusedAtSend_AndDoesNotTakeASlot()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.NewDevice(t, new FakeClock());
            device.SetOutboxLimits(32, 256 * 1024);
            DeviceTests.ConnectNow(t, device);

            // A property bag that makes the topic longer than MQTT's 65,535 bytes.
            PropertyBag huge = new PropertyBag().Add("p", new string('x', 70000));
            Assert.ThrowsException(typeof(ArgumentException), () => device.SendTelemetry("{}", huge));
            Assert.AreEqual(0, device.PendingMessages);

            // The outbox budget counts the topic too.
            Device small = DeviceTests.NewDevice(t, new FakeClock());
            small.SetOutboxLimits(32, 1024);
            DeviceTests.ConnectNow(t, small);
            PropertyBag wide = new PropertyBag().Add("p", new string('x', 2000));
            Assert.ThrowsException(typeof(ArgumentException), () => small.SendTelemetry("{}", wide));
            Assert.AreEqual(0, small.PendingMessages);
        }

        [TestMethod]
        public void AMessageTheTransportRefuses_LeavesTheOutbox_ReportedAsRefused()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.Connected(t, new FakeClock());
            ArrayList sent = new ArrayList();
            device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId + "=" + info.StatusCode));
            t.RefuseTopicsContaining = "bad=1";
            int refused = device.SendTelemetry("{}", new PropertyBag().Add("bad", "1"));
            int fine = device.SendTelemetry("{}");
            device.DoNext();
            Assert.AreEqual(refused + "=" + IotcStatus.PublishRefused, (string)sent[0]);
            Assert.IsTrue(device.IsConnected, "a refused message is not a lost link");
            t.Current.Ack(t.Current.IndexOfTopicStartingWith("devices/dev-1/messages/events/"));
            device.DoNext();
            Assert.AreEqual(fine + "=0", (string)sent[1]);
            Assert.AreEqual(0, device.PendingMessages);
        }

        [TestMethod]
        public void Callbacks_ComeInTheOrderThingsHappened_AcrossAReconnect()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = DeviceTests.NewDevice(t, clock);
            device.SetQosLevel(0);
            device.SetReconnectBackoff(100, 400);
            ArrayList order = new ArrayList();
            DeviceTests.ConnectNow(t, device);
            device.On(IotcEvents.ConnectionStatus, info => order.Add("status " + info.StatusCode));
            device.On(IotcEvents.MessageSent, info => order.Add("sent " + info.MessageId));
            int id = device.SendTelemetry("{}");
            t.Current.Drop();
            device.DoNext();
            clock.Now += 1000;
            device.DoNext();
            Assert.AreEqual(3, order.Count);
            Assert.AreEqual("status " + IotcStatus.ConnectionLost, (string)order[0]);
            Assert.AreEqual("status 0", (string)order[1]);
            Assert.AreEqual("sent " + id, (string)order[2], "sent on the new connection, after it was reported");
        }

        [TestMethod]
        public void CanSend_AndTrySendTelemetry_AreFlowControlWithoutExceptions()
        {
            FakeTransport t = new FakeTransport();
            Device device = DeviceTests.NewDevice(t, new FakeClock());
            Assert.IsFalse(device.CanSend, "not before Connect");
            device.SetOutboxLimits(2, 1000);
            DeviceTests.ConnectNow(t, device);
            int id;
            Assert.IsTrue(device.CanSend);
            Assert.IsTrue(device.TrySendTelemetry("1", null, out id));
            Assert.IsTrue(id > 0);
            Assert.IsTrue(device.TrySendTelemetry("2", null, out id));
            Assert.IsFalse(device.CanSend);
            Assert.IsFalse(device.TrySendTelemetry("3", null, out id));
            Assert.AreEqual(0, id);
            device.DoNext();
            t.Current.Ack(1);
            device.DoNext();
            Assert.IsTrue(device.CanSend, "a confirmation frees a slot");
        }

        [TestMethod]
        public void ConnectionSettings_AreRefusedAfterConnect_Consistently()
        {
            Device device = DeviceTests.Connected(new FakeTransport(), new FakeClock());
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetQosLevel(0));
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetOutboxLimits(4, 4096));
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetTimeouts(30, 5000));
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetInFlightWindow(4, 5000));
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetReconnectBackoff(10, 100));
            Assert.ThrowsException(typeof(InvalidOperationException), () => device.SetTokenExpiration(600));
        }

        private static int Telemetry(FakeMqtt mqtt)
        {
            int n = 0;
            for (int i = 0; i < mqtt.Topics.Count; i++)
            {
                if (mqtt.Topic(i).IndexOf("devices/dev-1/messages/events/") == 0)
                {
                    n++;
                }
            }

            return n;
        }
    }
}
