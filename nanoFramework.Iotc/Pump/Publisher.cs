// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The outbound path: the bounded outbox, message ids, the in-flight window and its time-out, publishing on the topic
    /// each message carries, and confirmations: a PUBACK (or the write, for QoS 0), or for a message with an
    /// <see cref="OutboundMessage.Owner"/> (a reported patch) whatever its owner decides; the owner is told when it leaves.
    /// Invariants: every accepted message gets a distinct id and leaves the outbox exactly once, reported through
    /// <c>MessageSent</c> (confirmed, refused by the hub, or refused by the transport); at most <see cref="Window"/>
    /// messages are in flight; a message that can never be published is refused at <c>Send*</c>, not queued.
    /// </summary>
    internal sealed class Publisher
    {
        /// <summary>
        /// Default in-flight window. M2Mqtt 5.1.220 keeps every unconfirmed QoS 1 publish (message and retry state) in its
        /// inflight queue on the board's heap and bounds nothing itself (<c>MqttSettings.DefaultInflightQueueSize</c> is
        /// <c>int.MaxValue</c>), so this window is the bound: 8 messages keep an ESP32's one TLS link busy at its speed
        /// while the payloads held twice (outbox and M2Mqtt) stay small; the desktop build can raise it (SetInFlightWindow).
        /// </summary>
        internal const int DefaultWindow = 8;

        /// <summary>Default time a QoS 1 publish may wait for its PUBACK before the link counts as stalled (as the Azure SDKs do).</summary>
        internal const int DefaultInFlightTimeoutMs = 30000;

        /// <summary>What an $iothub topic (reported patch, method response) is counted as in the outbox: its $rid is short.</summary>
        internal const int ShortTopicBytes = 64;

        /// <summary>
        /// A telemetry message that leaves this long after <c>Send*</c> (a backlog, a resend after a lost link) carries its
        /// creation time (<c>$.ctime</c>), so IoT Central charts it when it was measured. One that leaves sooner goes without:
        /// the hub's enqueued time is then within about a second of it, and the common path keeps one shared topic string
        /// instead of building one per message.
        /// </summary>
        internal const int LateAfterMs = 1000;

        /// <summary>MQTT 3.1.1 section 1.5.3: a topic name is at most 65,535 UTF-8 bytes.</summary>
        internal const int MaxTopicBytes = 65535;

        private readonly HandlerTable _handlers;
        private readonly CallbackQueue _callbacks;
        private readonly Logger _log;
        private readonly Outbox _outbox = new Outbox(32, 32 * 1024);
        private int _window = DefaultWindow;
        private int _inFlightTimeoutMs = DefaultInFlightTimeoutMs;
        private int _nextMessageId;
        private long _nextExpiryCheckMs;

        // Telemetry records that left the outbox, reused (at most the outbox's size): no record per message once warm.
        private readonly System.Collections.ArrayList _free = new System.Collections.ArrayList();
        private int _publishedLastFlush;

        internal Publisher(HandlerTable handlers, CallbackQueue callbacks, Logger log)
        {
            _handlers = handlers;
            _callbacks = callbacks;
            _log = log;
        }

        internal int Count
        {
            get { return _outbox.Count; }
        }

        internal int Window
        {
            get { return _window; }
        }

        /// <summary>Messages the last <see cref="Flush"/> handed to the transport.</summary>
        internal int PublishedLastFlush
        {
            get { return _publishedLastFlush; }
        }

        internal Outbox Outbox
        {
            get { return _outbox; }
        }

        internal void SetLimits(int maxMessages, int maxBytes)
        {
            _outbox.SetLimits(maxMessages, maxBytes);
        }

        internal void SetWindow(int messages, int inFlightTimeoutMs)
        {
            _window = messages;
            _inFlightTimeoutMs = inFlightTimeoutMs;
        }

        /// <summary>Takes the outbox limits and the in-flight window from the settings (at the first Connect, when they are final).</summary>
        internal void Start(DeviceOptions options)
        {
            SetLimits(options.OutboxMaxMessages, options.OutboxMaxBytes);
            SetWindow(options.InFlightWindow, options.InFlightTimeoutMilliseconds);
        }

        /// <summary>A telemetry record to fill: a reused one when available.</summary>
        internal OutboundMessage RentTelemetry()
        {
            int last = _free.Count - 1;
            if (last < 0)
            {
                return new OutboundMessage();
            }

            OutboundMessage m = (OutboundMessage)_free[last];
            _free.RemoveAt(last);
            return m;
        }

        /// <summary>True when a message of <paramref name="size"/> outbox bytes would be accepted now.</summary>
        internal bool HasRoom(int size)
        {
            return _outbox.HasRoom(size, false);
        }

        /// <summary>
        /// Checks what can be checked before a message is accepted: IoT Hub's 256 KB, the MQTT topic limit, and an outbox
        /// that could ever hold it. Sets <see cref="OutboundMessage.Size"/>. <paramref name="topicBytes"/>: the topic's
        /// UTF-8 length (the caller knows it for the shared telemetry topic, so it is not counted per message).
        /// </summary>
        internal void Validate(OutboundMessage m, int topicBytes)
        {
            if (topicBytes > MaxTopicBytes)
            {
                throw new ArgumentException("the property bag makes the topic " + topicBytes + " bytes; MQTT allows at most " + MaxTopicBytes, "properties");
            }

            if (m.CreatedAtMs > 0)
            {
                // Counted now, so a message that later leaves with its creation time still fits what was accepted.
                topicBytes += HubTopics.CreationTimeBytes;
            }

            m.Size = m.Payload.Length + topicBytes;
            if (m.Size > Validation.MaxPayloadBytes)
            {
                throw new ArgumentException("the message is " + m.Size + " bytes with its topic; IoT Hub accepts at most " + Validation.MaxPayloadBytes, "payload");
            }

            if (m.Size > _outbox.MaxBytes)
            {
                // It would never fit, however long the application waits: "outbox full" would be misleading.
                throw new ArgumentException("the message is " + m.Size + " bytes with its topic; the outbox holds at most " + _outbox.MaxBytes + " (SetOutboxLimits)", "payload");
            }
        }

        /// <summary>Accepts a validated message when there is room: gives it an id and returns it; 0 when the outbox is full.</summary>
        internal int TryAdd(OutboundMessage m, string api)
        {
            if (!_outbox.HasRoom(m.Size, false))
            {
                return 0;
            }

            _nextMessageId = _nextMessageId == int.MaxValue ? 1 : _nextMessageId + 1;
            m.MessageId = _nextMessageId;
            _outbox.Add(m);
            if (_log.Logs(IotLogLevel.ApiOnly))
            {
                _log.Log(IotLogLevel.ApiOnly, api + ": message " + m.MessageId + " queued (" + m.Payload.Length + " bytes)");
            }

            return m.MessageId;
        }

        /// <summary>Queues an automatic answer (command response, setting ack) in the outbox's small reserve; false when it does not fit now.</summary>
        internal bool TryAddAutomatic(OutboundMessage m)
        {
            m.Size = m.Payload.Length + ShortTopicBytes;
            if (!_outbox.HasRoom(m.Size, true) && (m.Size > Validation.MaxPayloadBytes || HasAutomatic()))
            {
                // A single answer larger than the reserve (e.g. the ack of a 100 KB setting) still goes, alone.
                return false;
            }

            _outbox.Add(m);
            return true;
        }

        private bool HasAutomatic()
        {
            for (int i = 0; i < _outbox.Count; i++)
            {
                // Automatic answers are the messages without an id.
                if (_outbox[i].MessageId == 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Publishes what the window allows. Returns null, or the reason the link must be treated as lost (the transport
        /// failed, or a publish waited longer than the in-flight time-out for its PUBACK).
        /// </summary>
        internal string Flush(IMqttTransport mqtt, long now)
        {
            _publishedLastFlush = 0;
            // Only when the earliest in-flight deadline has come: a spinning DoNext() does not scan the outbox.
            if (now >= _nextExpiryCheckMs)
            {
                string stalled = ExpireInFlight(now);
                if (stalled != null)
                {
                    return stalled;
                }
            }

            int inFlight = _outbox.InFlightCount();
            if (inFlight >= _window || _outbox.UnsentCount() == 0)
            {
                return null;
            }

            for (int i = 0; i < _outbox.Count && inFlight < _window; i++)
            {
                OutboundMessage m = _outbox[i];
                if (m.InFlight || m.NotBeforeMs > now)
                {
                    continue;
                }

                string topic = m.Topic;
                if (m.CreatedAtMs > 0 && now - m.CreatedAtMs >= LateAfterMs)
                {
                    topic = HubTopics.WithCreationTime(topic, m.CreatedAtMs);
                }

                // Initialised although the try assigns it: otherwise Stryker cannot mutate Flush at all (CS0165 in its
                // mutated copy puts the whole method in "safe mode"), and Flush holds the window and QoS 0 rules.
                int packetId = 0;
                try
                {
                    packetId = mqtt.Publish(topic, m.Payload, m.Qos);
                }
                catch (Exception ex)
                {
                    // A TransportException is the link's failure, unless the link is still up: then, like any other
                    // exception, the transport refused this message (the board wraps every publish exception, out of
                    // memory included, as a TransportException). Either way the message has a bounded number of tries.
                    m.PublishFailures++;
                    bool linkFailed = ex is TransportException && !mqtt.IsConnected;
                    if (ex is TransportException && RetryPolicy.MayTryAgain(m.PublishFailures, RetryPolicy.MaxPublishFailures))
                    {
                        if (linkFailed)
                        {
                            return "publish failed: " + ex.Message;
                        }

                        m.NotBeforeMs = now + RetryPolicy.RefusedRetryMs;
                        _log.Log(IotLogLevel.ApiOnly, "message " + m.MessageId + " refused by the transport (" + ex.Message + "); trying again in " + RetryPolicy.RefusedRetryMs + " ms");
                        continue;
                    }

                    // It leaves the outbox, reported, instead of blocking a slot or turning into a reconnect loop.
                    _outbox.RemoveAt(i);
                    i--;
                    _log.Log(IotLogLevel.ApiOnly, "message " + m.MessageId + " refused by the transport (" + ex.GetType().Name + ": " + ex.Message + ") after " + m.PublishFailures + " attempt(s); dropped");
                    Report(m, IotcStatus.PublishRefused);
                    Recycle(m);
                    if (linkFailed)
                    {
                        return "publish failed: " + ex.Message;
                    }

                    continue;
                }

                m.Attempts++;
                _publishedLastFlush++;
                if (_log.Logs(IotLogLevel.All))
                {
                    _log.Log(IotLogLevel.All, "published " + topic + " (" + m.Payload.Length + " bytes, QoS " + m.Qos + ")");
                }

                if (m.Qos == 0 && m.Owner == null && packetId == 0)
                {
                    // QoS 0 is confirmed by the write itself; a transport that reports its writes returns an id, and the
                    // message then stays in flight (and counts against the window) until the write is reported.
                    _outbox.RemoveAt(i);
                    i--;
                    Report(m, IotcStatus.Connected);
                    Recycle(m);
                    continue;
                }

                _outbox.SetInFlight(m, true);
                m.PacketId = packetId;
                m.SentAtMs = now;
                if (m.Owner == null)
                {
                    KeepEarliest(now + _inFlightTimeoutMs);
                }

                inFlight++;
            }

            return null;
        }

        /// <summary>A PUBACK (or a reported QoS 0 write): confirms a message without an owner (MessageSent for telemetry); an owned one waits for its owner. True when it matched a message in flight.</summary>
        internal bool OnPuback(int packetId)
        {
            int index = _outbox.IndexOfPacket(packetId);
            if (index < 0)
            {
                return false;
            }

            OutboundMessage m = _outbox[index];
            if (m.Owner == null)
            {
                _outbox.RemoveAt(index);
                Report(m, IotcStatus.Connected);
                Recycle(m);
            }

            return true;
        }

        /// <summary>Takes <paramref name="m"/> out of the outbox and reports it (its owner, and MessageSent for the application's own messages).</summary>
        internal void Complete(OutboundMessage m, int status)
        {
            for (int i = 0; i < _outbox.Count; i++)
            {
                if (_outbox[i] == m)
                {
                    _outbox.RemoveAt(i);
                    Report(m, status);
                    return;
                }
            }
        }

        /// <summary>Publishes <paramref name="m"/> again, not before <paramref name="notBeforeMs"/>.</summary>
        internal void Retry(OutboundMessage m, long notBeforeMs)
        {
            _outbox.SetInFlight(m, false);
            m.PacketId = 0;
            m.NotBeforeMs = notBeforeMs;
        }

        /// <summary>After a lost link: everything unconfirmed goes out again on the next connection (at least once).</summary>
        internal void MarkAllForResend()
        {
            _outbox.MarkAllForResend();
        }

        private string ExpireInFlight(long now)
        {
            // The next deadline is recomputed as the scan goes: the earliest of what stays in flight.
            _nextExpiryCheckMs = long.MaxValue;
            for (int i = 0; i < _outbox.Count; i++)
            {
                OutboundMessage m = _outbox[i];

                // An owned message waits for its owner's confirmation (a twin response), under its owner's time-out.
                if (!m.InFlight || m.Owner != null)
                {
                    continue;
                }

                if (now - m.SentAtMs >= _inFlightTimeoutMs)
                {
                    return "no PUBACK for message " + (m.MessageId != 0 ? m.MessageId.ToString() : "(automatic)") + " after " + (_inFlightTimeoutMs / 1000) + " s";
                }

                KeepEarliest(m.SentAtMs + _inFlightTimeoutMs);
            }

            return null;
        }

        private void KeepEarliest(long deadline)
        {
            if (deadline < _nextExpiryCheckMs)
            {
                _nextExpiryCheckMs = deadline;
            }
        }

        /// <summary>Keeps a telemetry record that left the outbox for the next message (nothing refers to it any more).</summary>
        private void Recycle(OutboundMessage m)
        {
            if (m.Kind != OutboundMessage.Telemetry || _free.Count >= _outbox.MaxMessages)
            {
                return;
            }

            m.Text = null;
            m.Topic = null;
            m.Payload = null;
            m.MessageId = 0;
            m.PacketId = 0;
            m.Attempts = 0;
            m.PublishFailures = 0;
            m.SentAtMs = 0;
            m.CreatedAtMs = 0;
            m.NotBeforeMs = 0;
            m.Size = 0;
            m.Qos = 0;
            m.InFlight = false;
            _free.Add(m);
        }

        private void Report(OutboundMessage m, int status)
        {
            if (m.Owner != null)
            {
                m.Owner.OnConfirmed(m, status);
            }

            if (m.MessageId == 0)
            {
                // An automatic answer: no MessageSent. Its owner, if any, was told; a command response has none.
                if (m.Owner == null && status != IotcStatus.Connected)
                {
                    _log.Log(IotLogLevel.ApiOnly, "a command response could not be sent (status " + status + ")");
                }

                return;
            }

            if (_log.Logs(IotLogLevel.All))
            {
                _log.Log(IotLogLevel.All, "message " + m.MessageId + " confirmed" + (status == 0 ? string.Empty : " with status " + status));
            }

            if (_handlers.Get(IotcEvents.MessageSent) == null)
            {
                // Nobody listens: no callback object per message (the common board loop sends and forgets).
                return;
            }

            IotcCallbackInfo c = new IotcCallbackInfo(IotcEvents.MessageSent);
            c.Kind = PendingCallback.MessageSent;
            c.Payload = m.Text;
            c.MessageId = m.MessageId;
            c.StatusCode = status;
            _callbacks.Add(c);
        }
    }
}
