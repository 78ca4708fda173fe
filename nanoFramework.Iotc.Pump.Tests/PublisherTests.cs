// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
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
            TestDevice.ConnectNow(t, device);
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
            TestDevice.ConnectNow(t, device);
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
            TestDevice.ConnectNow(t, device);

            // A property bag that makes the topic longer than MQTT's 65,535 bytes.
            PropertyBag huge = new PropertyBag().Add("p", new string('x', 70000));
            Assert.ThrowsException(typeof(ArgumentException), () => device.SendTelemetry("{}", huge));
            Assert.AreEqual(0, device.PendingMessages);

            // The outbox budget counts the topic too.
            Device small = DeviceTests.NewDevice(t, new FakeClock());
            small.SetOutboxLimits(32, 1024);
            TestDevice.ConnectNow(t, small);
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
            TestDevice.ConnectNow(t, device);
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
            TestDevice.ConnectNow(t, device);
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

        // ---- Publisher on its own: a fake connection, no pump -------------------------------------------------------

        private static ArrayList _log;

        /// <summary>A Publisher whose log (level All) goes to <see cref="_log"/>, without the prefix.</summary>
        private static Publisher NewPublisher(CallbackQueue callbacks)
        {
            DeviceOptions options = new DeviceOptions();
            options.LogLevel = IotLogLevel.All;
            _log = new ArrayList();
            options.LogSink = line => _log.Add(line.Substring(7));
            Logger logger = new Logger(options);
            HandlerTable handlers = new HandlerTable();
            handlers.Set(IotcEvents.MessageSent, info => { });
            return new Publisher(handlers, callbacks, logger);
        }

        private static FakeMqtt OpenLink()
        {
            FakeMqtt mqtt = new FakeMqtt(new FakeTransport());
            mqtt.Open = true;
            return mqtt;
        }

        /// <summary>A link that stays up and refuses every publish on a topic containing <paramref name="topicPart"/>.</summary>
        private static FakeMqtt RefusingLink(string topicPart)
        {
            FakeTransport transport = new FakeTransport();
            transport.FailTopicsContaining = topicPart;
            FakeMqtt mqtt = new FakeMqtt(transport);
            mqtt.Open = true;
            return mqtt;
        }

        private static OutboundMessage Message(int kind, int qos, int payloadBytes)
        {
            OutboundMessage m = new OutboundMessage();
            m.Kind = kind;
            m.Qos = qos;
            m.Topic = kind == OutboundMessage.Telemetry ? "devices/dev-1/messages/events/" : null;
            m.Payload = new byte[payloadBytes];
            m.Text = "t";
            return m;
        }

        /// <summary>Validate as Device does: the topic's UTF-8 length, 64 for a reported patch's short topic.</summary>
        private static void Validated(Publisher publisher, OutboundMessage m)
        {
            publisher.Validate(m, m.Topic == null ? Publisher.ShortTopicBytes : nanoFramework.Iotc.Text.Utf8.GetByteCount(m.Topic));
        }

        private static OutboundMessage Added(Publisher publisher, int kind, int qos, int payloadBytes)
        {
            OutboundMessage m = Message(kind, qos, payloadBytes);
            Validated(publisher, m);
            Assert.IsTrue(publisher.TryAdd(m, "test") > 0, "accepted");
            return m;
        }

        /// <summary>An application message confirmed by <paramref name="owner"/> (as a reported patch is by TwinSync), on its own topic.</summary>
        private static OutboundMessage Owned(Publisher publisher, RecordingOwner owner, int qos, string topic)
        {
            OutboundMessage m = Added(publisher, OutboundMessage.Property, qos, 2);
            m.Topic = topic;
            m.Owner = owner;
            return m;
        }

        /// <summary>Records what the Publisher reports to a message's owner: "status:message id" per message, in order.</summary>
        private sealed class RecordingOwner : IOutboxOwner
        {
            internal readonly ArrayList Confirmed = new ArrayList();

            public void OnConfirmed(OutboundMessage message, int status)
            {
                Confirmed.Add(status + ":" + message.MessageId);
            }
        }

        [TestMethod]
        public void Validate_CountsTheTopicInTheSize_AndRefusesWhatCanNeverFit()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            publisher.SetLimits(8, 1000);
            OutboundMessage m = Message(OutboundMessage.Telemetry, 1, 100);
            Validated(publisher, m);
            Assert.AreEqual(100 + m.Topic.Length, m.Size);

            OutboundMessage noTopic = Message(OutboundMessage.Property, 1, 100);
            Validated(publisher, noTopic);
            Assert.AreEqual(164, noTopic.Size, "a reported patch counts 64 bytes for its topic");

            OutboundMessage exact = Message(OutboundMessage.Property, 1, 1000 - 64);
            Validated(publisher, exact);
            Assert.AreEqual(1000, exact.Size, "exactly the outbox size is accepted");
            Exception tooBig = Throws.Exactly(typeof(ArgumentException), "payload", null, () => Validated(publisher, Message(OutboundMessage.Property, 1, 1000 - 63)));
            Assert.StartsWith("the message is 1001 bytes with its topic; the outbox holds at most 1000 (SetOutboxLimits)", tooBig.Message);

            publisher.SetLimits(8, 128 * 1024);
            OutboundMessage longTopic = Message(OutboundMessage.Telemetry, 1, 1);
            longTopic.Topic = new string('t', Publisher.MaxTopicBytes);
            Validated(publisher, longTopic);
            longTopic.Topic = new string('t', Publisher.MaxTopicBytes + 1);
            Exception tooLong = Throws.Exactly(typeof(ArgumentException), "properties", null, () => Validated(publisher, longTopic));
            Assert.StartsWith("the property bag makes the topic 65536 bytes; MQTT allows at most 65535", tooLong.Message);
        }

        [TestMethod]
        public void TryAdd_GivesDistinctIds_AndZeroWhenFull()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            publisher.SetLimits(2, 1000);
            int first = Added(publisher, OutboundMessage.Telemetry, 1, 10).MessageId;
            int second = Added(publisher, OutboundMessage.Telemetry, 1, 10).MessageId;
            Assert.AreEqual(first + 1, second);
            OutboundMessage third = Message(OutboundMessage.Telemetry, 1, 10);
            Validated(publisher, third);
            Assert.AreEqual(0, publisher.TryAdd(third, "test"));
            Assert.AreEqual(0, third.MessageId, "a refused message gets no id");
            Assert.AreEqual(2, _log.Count, "only what was queued is logged");
            Assert.AreEqual("test: message " + second + " queued (10 bytes)", (string)_log[1]);
            Assert.AreEqual(2, publisher.Count);
            Assert.IsFalse(publisher.HasRoom(1));
        }

        [TestMethod]
        public void Flush_HoldsTheWindow_AndQos0TelemetryIsConfirmedByTheWrite()
        {
            CallbackQueue callbacks = new CallbackQueue();
            Publisher publisher = NewPublisher(callbacks);
            publisher.SetWindow(2, 30000);
            Assert.AreEqual(2, publisher.Window);
            FakeMqtt mqtt = OpenLink();
            OutboundMessage q0 = Added(publisher, OutboundMessage.Telemetry, 0, 1);
            int q0Id = q0.MessageId; // a confirmed telemetry record is reused, so its fields are cleared
            Added(publisher, OutboundMessage.Telemetry, 1, 1);
            Added(publisher, OutboundMessage.Telemetry, 1, 1);
            Added(publisher, OutboundMessage.Telemetry, 1, 1);
            Assert.IsNull(publisher.Flush(mqtt, 1000));
            Assert.AreEqual(3, mqtt.Topics.Count, "QoS 0 does not hold a window slot; two QoS 1 in flight");
            Assert.AreEqual(3, publisher.Count, "the QoS 0 message left the outbox");
            Assert.AreEqual(2, publisher.Outbox.InFlightCount());
            IotcCallbackInfo sent = callbacks.Take();
            Assert.AreEqual(PendingCallback.MessageSent, sent.Kind);
            Assert.AreEqual(q0Id, sent.MessageId);
            Assert.AreEqual(0, sent.StatusCode);
            Assert.AreEqual("t", sent.Payload);
            Assert.IsTrue(_log.Contains("published devices/dev-1/messages/events/ (1 bytes, QoS 0)"), "the publish is logged at All");
            Assert.IsTrue(_log.Contains("message " + q0Id + " confirmed"));
            Assert.IsNull(callbacks.Take(), "QoS 1 waits for its PUBACK");

            Assert.IsNull(publisher.Flush(mqtt, 1001));
            Assert.AreEqual(3, mqtt.Topics.Count, "the window is full");
            publisher.OnPuback((int)mqtt.PacketIds[1]);
            Assert.AreEqual(2, publisher.Count);
            Assert.IsNull(publisher.Flush(mqtt, 1002));
            Assert.AreEqual(4, mqtt.Topics.Count, "one confirmed: one more goes");
        }

        [TestMethod]
        public void Qos0Telemetry_ThatTheTransportReports_HoldsAWindowSlotUntilWritten()
        {
            CallbackQueue callbacks = new CallbackQueue();
            Publisher publisher = NewPublisher(callbacks);
            publisher.SetWindow(2, 10000);
            FakeTransport transport = new FakeTransport();
            transport.ReportsQos0Writes = true;
            FakeMqtt mqtt = new FakeMqtt(transport);
            mqtt.Open = true;
            OutboundMessage first = Added(publisher, OutboundMessage.Telemetry, 0, 1);
            int firstId = first.MessageId;
            Added(publisher, OutboundMessage.Telemetry, 0, 1);
            Added(publisher, OutboundMessage.Telemetry, 0, 1);
            Assert.IsNull(publisher.Flush(mqtt, 1000));
            Assert.AreEqual(2, mqtt.Topics.Count);
            Assert.AreEqual(2, publisher.Outbox.InFlightCount());
            Assert.IsNull(callbacks.Take(), "not written yet");

            Assert.IsTrue(publisher.OnPuback((int)mqtt.PacketIds[0]));
            IotcCallbackInfo sent = callbacks.Take();
            Assert.AreEqual(firstId, sent.MessageId);
            Assert.AreEqual(0, sent.StatusCode);
            Assert.IsNull(publisher.Flush(mqtt, 1001));
            Assert.AreEqual(3, mqtt.Topics.Count);
            Assert.IsNotNull(publisher.Flush(mqtt, 11000), "a write never reported stalls the link");
        }

        [TestMethod]
        public void Flush_WaitsForNotBefore()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            FakeMqtt mqtt = OpenLink();
            OutboundMessage m = Added(publisher, OutboundMessage.Telemetry, 1, 1);
            m.NotBeforeMs = 5000;
            Assert.IsNull(publisher.Flush(mqtt, 4999));
            Assert.AreEqual(0, mqtt.Topics.Count, "not before its time");
            Assert.IsNull(publisher.Flush(mqtt, 5000));
            Assert.AreEqual(1, mqtt.Topics.Count, "at its time");
            Assert.AreEqual(1, m.Attempts);
            Assert.IsTrue(m.InFlight);
            Assert.AreEqual(5000, (int)m.SentAtMs);
        }

        [TestMethod]
        public void Flush_OnALostLink_KeepsTheMessage_AndSaysWhy()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            FakeMqtt mqtt = OpenLink();
            OutboundMessage m = Added(publisher, OutboundMessage.Telemetry, 1, 1);
            mqtt.Open = false;
            string lost = publisher.Flush(mqtt, 1000);
            Assert.IsNotNull(lost);
            Assert.StartsWith("publish failed", lost);
            Assert.AreEqual(1, publisher.Count);
            Assert.IsFalse(m.InFlight);
            Assert.AreEqual(0, m.Attempts);
        }

        [TestMethod]
        public void AnOwnedMessage_GoesOnItsOwnTopic_AndAPubackDoesNotConfirmIt()
        {
            CallbackQueue callbacks = new CallbackQueue();
            Publisher publisher = NewPublisher(callbacks);
            FakeMqtt mqtt = OpenLink();
            RecordingOwner owner = new RecordingOwner();
            OutboundMessage patch = Owned(publisher, owner, 1, "owned/topic");
            OutboundMessage telemetry = Added(publisher, OutboundMessage.Telemetry, 1, 2);
            Assert.IsNull(publisher.Flush(mqtt, 1000));
            Assert.AreEqual("owned/topic", mqtt.Topic(0));

            publisher.OnPuback((int)mqtt.PacketIds[0]);
            Assert.AreEqual(2, publisher.Count, "waits for its owner");
            Assert.IsNull(callbacks.Take());
            int telemetryId = telemetry.MessageId; // a confirmed telemetry record is reused, so its fields are cleared
            publisher.OnPuback((int)mqtt.PacketIds[1]);
            Assert.AreEqual(1, publisher.Count);
            Assert.AreEqual(telemetryId, callbacks.Take().MessageId);
            publisher.OnPuback(999);
            Assert.AreEqual(1, publisher.Count, "an unknown packet id confirms nothing");

            Assert.AreEqual(0, owner.Confirmed.Count, "not of telemetry");

            publisher.Complete(patch, 204);
            Assert.AreEqual(0, publisher.Count);
            Assert.AreEqual(1, owner.Confirmed.Count);
            Assert.AreEqual("204:" + patch.MessageId, (string)owner.Confirmed[0], "its owner is told");
            IotcCallbackInfo done = callbacks.Take();
            Assert.AreEqual(patch.MessageId, done.MessageId, "and MessageSent");
            Assert.AreEqual(204, done.StatusCode);
            Assert.AreEqual("message " + patch.MessageId + " confirmed with status 204", (string)_log[_log.Count - 1]);
            publisher.Complete(patch, 204);
            Assert.AreEqual(1, owner.Confirmed.Count, "reported once");
            Assert.IsNull(callbacks.Take());
        }

        [TestMethod]
        public void AnOwnedMessageTheTransportRefuses_IsReportedToItsOwner()
        {
            CallbackQueue callbacks = new CallbackQueue();
            Publisher publisher = NewPublisher(callbacks);
            FakeMqtt mqtt = RefusingLink("owned/");
            RecordingOwner owner = new RecordingOwner();
            OutboundMessage answer = Message(OutboundMessage.SettingAck, 0, 2);
            answer.Topic = "owned/answer";
            answer.Owner = owner;
            Assert.IsTrue(publisher.TryAddAutomatic(answer));
            long now = 1000;
            for (int attempt = 1; attempt < RetryPolicy.MaxPublishFailures; attempt++)
            {
                Assert.IsNull(publisher.Flush(mqtt, now), "tried again later");
                now += RetryPolicy.RefusedRetryMs;
            }

            Assert.AreEqual(0, owner.Confirmed.Count);
            Assert.IsNull(publisher.Flush(mqtt, now));
            Assert.AreEqual(0, publisher.Count, "dropped");
            Assert.AreEqual(1, owner.Confirmed.Count);
            Assert.AreEqual(IotcStatus.PublishRefused + ":0", (string)owner.Confirmed[0], "its owner is told");
            Assert.IsNull(callbacks.Take(), "no MessageSent for an automatic answer");
        }

        [TestMethod]
        public void InFlightTimeout_IsInclusive_AndOnlyForQos1()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            publisher.SetWindow(8, 10000);
            FakeMqtt mqtt = OpenLink();
            OutboundMessage m = Added(publisher, OutboundMessage.Telemetry, 1, 1);
            Assert.IsNull(publisher.Flush(mqtt, 1000));
            Assert.IsNull(publisher.Flush(mqtt, 10999));
            string stalled = publisher.Flush(mqtt, 11000);
            Assert.IsNotNull(stalled, "10 s without a PUBACK");
            Assert.AreEqual("no PUBACK for message " + m.MessageId + " after 10 s", stalled);
            Assert.AreEqual(1, publisher.Count, "kept for the resend");

            // An automatic answer has no id; a QoS 0 publish never waits for a PUBACK.
            Publisher other = NewPublisher(new CallbackQueue());
            other.SetWindow(8, 10000);
            OutboundMessage response = Message(OutboundMessage.CommandResponse, 1, 1);
            response.Topic = HubTopics.MethodResponse(200, "r1");
            Assert.IsTrue(other.TryAddAutomatic(response));
            Owned(other, new RecordingOwner(), 0, "owned/qos0");
            Assert.IsNull(other.Flush(mqtt, 1000));
            Assert.StartsWith("$iothub/methods/res/200/?$rid=r1", mqtt.Topic(mqtt.Topics.Count - 2));
            other.OnPuback((int)mqtt.PacketIds[mqtt.PacketIds.Count - 2]);
            Assert.AreEqual(1, other.Count, "the command response is confirmed by its PUBACK");
            Assert.IsNull(other.Flush(mqtt, 12000), "no PUBACK time-out");
            Assert.AreEqual(1, other.Outbox.InFlightCount(), "nor confirmed by its write");
            Publisher third = NewPublisher(new CallbackQueue());
            third.SetWindow(8, 10000);
            OutboundMessage answer = Message(OutboundMessage.CommandResponse, 1, 1);
            answer.Topic = HubTopics.MethodResponse(200, "r2");
            Assert.IsTrue(third.TryAddAutomatic(answer));
            Assert.IsNull(third.Flush(mqtt, 1000));
            Assert.AreEqual("no PUBACK for message (automatic) after 10 s", third.Flush(mqtt, 11000));
        }

        [TestMethod]
        public void ACommandResponse_IsConfirmedByItsPuback_AndARefusedOneIsLogged()
        {
            CallbackQueue callbacks = new CallbackQueue();
            Publisher publisher = NewPublisher(callbacks);
            FakeMqtt mqtt = RefusingLink("/?$rid=refused");
            OutboundMessage answered = Message(OutboundMessage.CommandResponse, 1, 1);
            answered.Topic = HubTopics.MethodResponse(200, "ok");
            OutboundMessage refused = Message(OutboundMessage.CommandResponse, 1, 1);
            refused.Topic = HubTopics.MethodResponse(200, "refused");
            Assert.IsTrue(publisher.TryAddAutomatic(answered));
            Assert.IsTrue(publisher.TryAddAutomatic(refused));
            long now = 1000;
            for (int attempt = 1; attempt <= RetryPolicy.MaxPublishFailures; attempt++)
            {
                Assert.IsNull(publisher.Flush(mqtt, now));
                now += RetryPolicy.RefusedRetryMs;
            }

            Assert.IsTrue(publisher.OnPuback((int)mqtt.PacketIds[0]));
            Assert.AreEqual(0, publisher.Count);
            Assert.IsNull(callbacks.Take(), "no MessageSent for an automatic answer");
            int complaints = 0;
            for (int i = 0; i < _log.Count; i++)
            {
                complaints += ((string)_log[i]).IndexOf("a command response could not be sent") == 0 ? 1 : 0;
            }

            Assert.AreEqual(1, complaints, "the refused one only");
            Assert.IsTrue(_log.Contains("a command response could not be sent (status " + IotcStatus.PublishRefused + ")"));
        }

        [TestMethod]
        public void AutomaticAnswers_UseTheReserve_AndALargeOneGoesAlone()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            publisher.SetLimits(1, 100);
            Added(publisher, OutboundMessage.Telemetry, 1, 10);
            Assert.IsFalse(publisher.HasRoom(1), "full for the application");
            OutboundMessage response = Message(OutboundMessage.CommandResponse, 1, 100);
            Assert.IsTrue(publisher.TryAddAutomatic(response), "a command response uses the reserve");
            Assert.AreEqual(164, response.Size);
            OutboundMessage large = Message(OutboundMessage.SettingAck, 1, 20000);
            Assert.IsFalse(publisher.TryAddAutomatic(large), "beyond the reserve while another answer waits");
            Assert.AreEqual(2, publisher.Count);

            Publisher other = NewPublisher(new CallbackQueue());
            other.SetLimits(1, 100);
            Assert.IsTrue(other.TryAddAutomatic(Message(OutboundMessage.SettingAck, 1, 20000)), "alone it goes");
            Assert.IsFalse(other.TryAddAutomatic(Message(OutboundMessage.SettingAck, 1, 20000)), "but only one at a time");
            Assert.IsFalse(other.TryAddAutomatic(Message(OutboundMessage.CommandResponse, 1, 20000)), "whatever its kind");
            Assert.AreEqual(1, other.Count);
        }

        [TestMethod]
        public void Retry_ClearsTheAttempt_AndMarkAllForResendClearsEveryone()
        {
            Publisher publisher = NewPublisher(new CallbackQueue());
            FakeMqtt mqtt = OpenLink();
            OutboundMessage a = Added(publisher, OutboundMessage.Property, 1, 1);
            OutboundMessage b = Added(publisher, OutboundMessage.Telemetry, 1, 1);
            Assert.IsNull(publisher.Flush(mqtt, 1000));
            publisher.Retry(a, 7000);
            Assert.IsFalse(a.InFlight);
            Assert.AreEqual(0, a.PacketId);
            Assert.AreEqual(7000, (int)a.NotBeforeMs);
            Assert.IsTrue(b.InFlight);
            publisher.MarkAllForResend();
            Assert.IsFalse(b.InFlight);
            Assert.AreEqual(0, b.PacketId);
            Assert.AreEqual(2, publisher.Count);
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
