// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using System.Threading;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The pump behind <see cref="Device"/>: builds every part once, routes what the hub sends to the part that owns
    /// it, and keeps the order of a <see cref="DoNext"/>: take what arrived, one session step (at most one network
    /// exchange), raise the callbacks (so the responses and acks they produce go out in the same call), twin requests
    /// and acks, publish what the window allows, raise what publishing confirmed. Device checks the arguments and the
    /// state the application may call in; everything after that is here.
    /// </summary>
    internal sealed class DevicePump
    {
        /// <summary>
        /// Longest a DoNext() with nothing to do but wait for PUBACKs sleeps for one (.NET only; it returns as soon as
        /// the transport posts anything). Short, so an application that does its own work in the same loop is not held up.
        /// </summary>
        private const int WaitForNetworkMs = 1;

        private readonly DeviceOptions _options;
        private readonly Logger _log;
        private readonly HandlerTable _handlers = new HandlerTable();
        private readonly CallbackQueue _callbacks;
        private readonly Inbox _inbox = new Inbox();
        private readonly Backoff _backoff = new Backoff();
        private readonly Publisher _publisher;
        private readonly TwinSync _twin;
        private readonly Commands _commands;
        private readonly Session _session;
        private bool _inPump;
        private long _lastInboundAtMs;

        /// <param name="options">The device's settings; read by the parts once <see cref="Connect"/> froze them.</param>
        /// <param name="sender">What every callback names as its <c>Client</c> (the device).</param>
        internal DevicePump(DeviceOptions options, object sender)
        {
            _options = options;
            _log = new Logger(options);
            _callbacks = new CallbackQueue(sender);
            _publisher = new Publisher(_handlers, _callbacks, _log);
            _twin = new TwinSync(options, _callbacks, _log, _publisher, _backoff);
            _commands = new Commands(_callbacks, _publisher, _log);
            _session = new Session(options, _inbox, _callbacks, _log, _publisher, _twin, _backoff);
        }

        /// <summary>A callback is running (the application must not re-enter Connect, DoNext or Flush from it).</summary>
        internal bool InPump
        {
            get { return _inPump; }
        }

        internal bool IsConnected
        {
            get { return _session.IsConnected; }
        }

        /// <summary>Connect() ran and neither Disconnect() nor a final refusal stopped it.</summary>
        internal bool IsStarted
        {
            get { return _session.IsStarted; }
        }

        internal bool CanSend
        {
            get { return _session.IsStarted && _publisher.HasRoom(1); }
        }

        internal string HubHost
        {
            get { return _session.HubHost; }
        }

        internal int PendingMessages
        {
            get { return _publisher.Count; }
        }

        internal void On(string eventName, IotcCallback callback)
        {
            _handlers.Set(eventName, callback);
        }

        /// <summary>The blocking connect, after Device's checks: freezes the settings at the first call, then connects.</summary>
        internal void Connect()
        {
            if (!_options.Frozen)
            {
                // The settings are final from here on; the parts that depend on them take them once.
                _options.Frozen = true;
                _backoff.Start(_options.BackoffMinMilliseconds, _options.BackoffMaxMilliseconds, Backoff.Seed(_options.DeviceId, _options.Clock.NowMilliseconds));
                _publisher.Start(_options);
            }

            _log.Log(IotLogLevel.ApiOnly, "connect: device '" + _options.DeviceId + "', scope '" + _options.ScopeId + "', DPS " + _options.ServiceHost + ":" + _options.ServicePort);
            // Not a finally block: callbacks may throw and catch inside, and nanoCLR crashed (measured) on an exception
            // thrown in code running from a finally block.
            try
            {
                _session.ConnectBlocking();
            }
            catch (IotcException)
            {
                DeliverCallbacks();
                throw;
            }

            DeliverCallbacks();
        }

        /// <summary>One pass of the pump (see the class summary); the caller checked it is not re-entered.</summary>
        internal void DoNext()
        {
            _inPump = true;
            try
            {
                _inbox.SetPumpThread(Thread.CurrentThread);

                // One clock read for the whole step: taking the inbox, the session step and publishing.
                long now = _options.Clock.NowMilliseconds;

                // While an attempt connects on its worker, the new connection's first messages wait for it to be taken up.
                int work = _session.AttemptRunning ? 0 : ProcessInbox(now);
                if (_options.Frozen)
                {
                    _session.Step(now);

                    // Callbacks first, so command responses and setting acks they produce go out in this same call.
                    work += DeliverCallbacks();
                    if (_session.State == Session.Connected)
                    {
                        Publish(now);
                        work += _publisher.PublishedLastFlush;
                    }
                }

                work += DeliverCallbacks();
                if (work == 0 && _publisher.Outbox.InFlightCount() > 0)
                {
                    // Nothing to do but wait for the network: give the processor to the transport's threads. A loop
                    // calling DoNext() flat out otherwise starves them (measured: about 1,800 empty DoNext() calls per
                    // message and a third of the raw client's rate on two cores).
                    WaitForNetwork();
                }
            }
            finally
            {
                _inPump = false;
            }
        }

        /// <summary>Device.Flush after its checks: DoNext until everything is confirmed and delivered and the hub is quiet, or the deadline.</summary>
        internal bool Flush(int timeoutMilliseconds, int quietMilliseconds)
        {
            IClock clock = _options.Clock;
            long deadline = clock.NowMilliseconds + timeoutMilliseconds;
            while (true)
            {
                DoNext();
                long now = clock.NowMilliseconds;
                bool connected = _session.IsConnected;
                long quietSince = _lastInboundAtMs > _session.ConnectedAtMs ? _lastInboundAtMs : _session.ConnectedAtMs;
                bool quiet = connected && now - quietSince >= quietMilliseconds;
                int pendingAcks = _twin.PendingAcks;
                if (quiet && _publisher.Count == 0 && pendingAcks == 0 && !_twin.IsFetching && _callbacks.Count == 0)
                {
                    _log.Log(IotLogLevel.ApiOnly, "flush: everything confirmed and delivered");
                    return true;
                }

                if (now >= deadline || !_session.IsStarted)
                {
                    _log.Log(IotLogLevel.ApiOnly, "flush: stopped " + (now >= deadline ? "at the deadline (" + timeoutMilliseconds + " ms)" : "because the session stopped") + " with " + _publisher.Count + " message(s) unconfirmed, "
                        + pendingAcks + " setting ack(s) pending, " + (_twin.IsFetching ? "the twin not yet fetched, " : string.Empty)
                        + (connected ? "connected" : "not connected"));
                    return false;
                }

                clock.Sleep(10);
            }
        }

        /// <summary>Closes a started session; outside a callback, what arrived before the close is still raised.</summary>
        internal void Disconnect()
        {
            _log.Log(IotLogLevel.ApiOnly, "disconnect");
            _session.Stop("disconnected by the application", IotcStatus.Disconnected);
            if (!_inPump)
            {
                // Messages the client acknowledged before the link closed are still raised.
                ProcessInbox(_options.Clock.NowMilliseconds);
                DeliverCallbacks();
            }
        }

        // ---- outbound ------------------------------------------------------------------------------------------------

        /// <summary>Throws unless a Send* may queue now: after Connect(), before Disconnect() or a final refusal.</summary>
        internal void CheckStarted(string api)
        {
            if (_session.State == Session.Idle)
            {
                throw new InvalidOperationException(api + " before Connect(): connect first");
            }

            if (_session.State == Session.Stopped)
            {
                throw new InvalidOperationException(api + " after Disconnect() or a fatal connection failure: connect again first");
            }
        }

        /// <summary>Queues telemetry (checked by the caller); returns the id, or 0 (or throws when <paramref name="throwWhenFull"/>) when the outbox is full.</summary>
        internal int SendTelemetry(string api, string payload, PropertyBag properties, bool throwWhenFull)
        {
            OutboundMessage m = _publisher.RentTelemetry();
            m.Kind = OutboundMessage.Telemetry;
            m.Text = payload;
            m.Topic = properties == null ? _session.TelemetryTopic : HubTopics.Telemetry(_session.HubDeviceId, properties);
            m.Payload = Utf8.GetBytes(payload);
            m.Qos = _options.Qos;

            // The creation time goes with the message if it leaves late (Publisher.LateAfterMs); the application's own
            // $.ctime wins, and a clock that is not set gives none.
            long now = _options.Clock.NowMilliseconds;
            m.CreatedAtMs = Session.IsClockSet(now) && (properties == null || !properties.Contains(HubTopics.CreationTimeProperty)) ? now : 0;
            return Accept(m, api, throwWhenFull);
        }

        /// <summary>Queues a reported-properties patch (a JSON object the caller checked).</summary>
        internal int SendProperty(string payload)
        {
            OutboundMessage m = OutboundMessage.ReportedPatch(payload);
            int id = Accept(m, "SendProperty", true);
            _twin.Own(m);
            return id;
        }

        private int Accept(OutboundMessage m, string api, bool throwWhenFull)
        {
            // Reported patches go to a short $iothub topic; the shared telemetry topic's length is known.
            int topicBytes = m.Topic == null ? Publisher.ShortTopicBytes : (object)m.Topic == (object)_session.TelemetryTopic ? _session.TelemetryTopicBytes : Utf8.GetByteCount(m.Topic);
            _publisher.Validate(m, topicBytes);
            int id = _publisher.TryAdd(m, api);
            if (id == 0 && throwWhenFull)
            {
                throw new IotcOutboxFullException(api + ": the outbox is full (" + _publisher.Count + " messages, " + _publisher.Outbox.Bytes + " bytes waiting); call DoNext() until MessageSent frees room, or raise SetOutboxLimits");
            }

            return id;
        }

        // ---- inbound -------------------------------------------------------------------------------------------------

        /// <summary>Handles what the transport received; returns how many events there were.</summary>
        private int ProcessInbox(long now)
        {
            ArrayList events = _inbox.TakeAll();
            int count = events.Count;
            if (count > 0)
            {
                _lastInboundAtMs = now;
            }

            for (int i = 0; i < events.Count; i++)
            {
                InboundEvent e = (InboundEvent)events[i];
                bool current = e.Generation == _session.Generation && _session.State == Session.Connected;
                if (!current && e.Kind != InboundEvent.Message)
                {
                    // A late ack or loss of a closed connection: its unconfirmed messages are sent again anyway.
                    continue;
                }

                try
                {
                    switch (e.Kind)
                    {
                        case InboundEvent.Published:
                            if (_publisher.OnPuback(e.PacketId))
                            {
                                _session.OnUsefulWork();
                            }

                            break;
                        case InboundEvent.Message:
                            // Also from a connection already closed (the pump closed it while this arrived): the client
                            // acknowledged it, so the hub will not send it again.
                            if (OnMessage(e.Topic, e.Payload, current) && current)
                            {
                                _session.OnUsefulWork();
                            }

                            break;
                        case InboundEvent.Lost:
                            _session.OnLinkLost(e.Reason, now);
                            break;
                    }
                }
                catch (Exception ex)
                {
                    // Hostile or unexpected server input must never break the pump.
                    _log.Log(IotLogLevel.ApiOnly, "ignored a server message that could not be handled: " + ex.Message);
                }
            }

            _inbox.Recycle(events);
            if (_session.State == Session.Connected && !_session.IsConnected)
            {
                _session.OnLinkLost("transport closed", now);
            }

            return count;
        }

        /// <summary>
        /// One message from the hub, routed to its part; <paramref name="current"/> false when its connection is already
        /// closed. True when it is the hub's work for the application (a command, setting or C2D message; not a twin
        /// answer, which every connection gets): the back-off policy counts that connection as useful.
        /// </summary>
        private bool OnMessage(string topic, byte[] payload, bool current)
        {
            HubTopicInfo message = HubTopicParser.Parse(topic);
            if (_log.Logs(IotLogLevel.All))
            {
                _log.Log(IotLogLevel.All, "received " + topic + " (" + payload.Length + " bytes)");
            }

            switch (message.Kind)
            {
                case HubTopicKind.MethodRequest:
                    return _commands.OnMethodRequest(message, payload, current);
                case HubTopicKind.TwinResponse:
                    _twin.OnTwinResponse(message.Status, message.RequestId, Utf8.GetString(payload), _options.Clock.NowMilliseconds);
                    return false;
                case HubTopicKind.DesiredPatch:
                    _twin.OnDesiredPatch(Utf8.GetString(payload), message.Version);
                    return true;
                case HubTopicKind.CloudToDevice:
                    return _commands.OnCloudToDevice(message, payload, _session.HubDeviceId);
                default:
                    _log.Log(IotLogLevel.ApiOnly, "ignored a message on an unexpected topic");
                    return false;
            }
        }

        private void Publish(long now)
        {
            IMqttTransport mqtt = _session.Mqtt;
            try
            {
                _twin.Step(mqtt, now);
            }
            catch (TransportException ex)
            {
                _session.OnLinkLost("twin GET failed: " + ex.Message, now);
                return;
            }

            string lost = _publisher.Flush(mqtt, now);
            if (lost != null)
            {
                _session.OnLinkLost(lost, now);
            }
        }

        /// <summary>Raises the queued callbacks in order, each owner asked before and told after; returns how many were taken.</summary>
        private int DeliverCallbacks()
        {
            int count = 0;
            IotcCallbackInfo c;
            while ((c = _callbacks.Take()) != null)
            {
                count++;
                ICallbackOwner owner = c.Owner;
                if (owner != null && !owner.MayRaise(c, _session.State == Session.Stopped))
                {
                    continue;
                }

                IotcCallback handler = _handlers.Get(c.EventName);
                Invoke(handler, c);
                if (owner != null)
                {
                    owner.OnRaised(c, handler != null);
                }
            }

            return count;
        }

        private void Invoke(IotcCallback handler, IotcCallbackInfo info)
        {
            if (handler == null)
            {
                return;
            }

            bool wasInPump = _inPump;
            _inPump = true;
            try
            {
                handler(info);
            }
            catch (Exception ex)
            {
                // A throwing callback is the application's bug; it must not stop acks or the pump.
                _log.Log(IotLogLevel.ApiOnly, info.EventName + " callback threw " + ex.GetType().Name + ": " + ex.Message);
            }
            finally
            {
                _inPump = wasInPump;
            }
        }

        private void WaitForNetwork()
        {
#if NANOFRAMEWORK_1_0
            Thread.Sleep(0);
#else
            // Until the transport posts something (a PUBACK, usually well under a millisecond on a LAN), at most
            // WaitForNetworkMs: a yield alone still spins a core when nothing else is ready to run (measured on two
            // cores: 65-180 DoNext() calls and 90-190 µs of the app thread's CPU per QoS 1 message).
            // A full window wakes once per half of it: the app refills while the other half is still on the wire.
            _inbox.WaitForEvents(WaitForNetworkMs, _publisher.Outbox.InFlightCount() / 2);
#endif
        }
    }
}
