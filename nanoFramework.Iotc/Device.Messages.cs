// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    // Device: the data path. Inbound, the inbox is drained into callbacks and automatic answers; outbound, the outbox
    // is flushed to the transport and confirmed into MessageSent.
    public partial class Device
    {
        // ---- inbound -----------------------------------------------------------------------------------------------

        private void ProcessInbox()
        {
            int dropped;
            ArrayList events = _inbox.TakeAll(out dropped);
            if (dropped > 0)
            {
                Log(IotLogLevel.ApiOnly, dropped + " server message(s)/PUBACK(s) dropped because the inbox was full: call DoNext() more often (unconfirmed messages are re-sent after the next reconnect)");
            }

            for (int i = 0; i < events.Count; i++)
            {
                InboundEvent e = (InboundEvent)events[i];
                if (e.Generation != _generation || _state != StateConnected)
                {
                    continue;
                }

                try
                {
                    switch (e.Kind)
                    {
                        case InboundEvent.Published:
                            OnPublished(e.PacketId);
                            break;
                        case InboundEvent.Message:
                            OnMessage(e.Topic, e.Payload);
                            break;
                        case InboundEvent.Lost:
                            OnConnectionLost(e.Reason);
                            break;
                    }
                }
                catch (Exception ex)
                {
                    // Hostile or unexpected server input must never break the pump.
                    Log(IotLogLevel.ApiOnly, "ignored a server message that could not be handled: " + ex.Message);
                }
            }

            events.Clear();
            if (_state == StateConnected && _mqtt != null && !_mqtt.IsConnected)
            {
                OnConnectionLost("transport closed");
            }
        }

        private void OnPublished(int packetId)
        {
            int index = _outbox.IndexOfPacket(packetId);
            if (index < 0)
            {
                return;
            }

            OutboundMessage m = _outbox[index];
            if (m.Kind == OutboundMessage.Telemetry)
            {
                _outbox.RemoveAt(index);
                RaiseMessageSent(m, 0);
            }
            else if (m.Kind == OutboundMessage.CommandResponse)
            {
                _outbox.RemoveAt(index);
            }

            // Reported patches wait for their twin response, which says whether the hub accepted them.
        }

        private void OnMessage(string topic, byte[] payload)
        {
            HubTopicInfo message = HubTopicParser.Parse(topic);
            if (Logs(IotLogLevel.All))
            {
                Log(IotLogLevel.All, "received " + topic + " (" + payload.Length + " bytes)");
            }

            switch (message.Kind)
            {
                case HubTopicKind.MethodRequest:
                    OnCommand(message.MethodName, message.RequestId, Utf8.GetString(payload));
                    break;
                case HubTopicKind.TwinResponse:
                    OnTwinResponse(message.Status, message.RequestId, Utf8.GetString(payload));
                    break;
                case HubTopicKind.DesiredPatch:
                    OnDesired(TwinProtocol.ParseDesiredPatch(Utf8.GetString(payload)), message.Version);
                    break;
                case HubTopicKind.CloudToDevice:
                    if (message.DeviceId != _hubDeviceId)
                    {
                        Log(IotLogLevel.ApiOnly, "ignored a cloud-to-device message for another device");
                        break;
                    }

                    OnCloudToDevice(message.Properties, Utf8.GetString(payload));
                    break;
                default:
                    Log(IotLogLevel.ApiOnly, "ignored a message on an unexpected topic");
                    break;
            }
        }

        private void OnCommand(string name, string rid, string body)
        {
            if (!_outbox.HasRoom(0, true))
            {
                // Running a command that cannot be answered would do the work while the operator sees a failure;
                // not running it lets the hub time it out, which tells the truth.
                Log(IotLogLevel.ApiOnly, "command '" + name + "' ($rid " + rid + ") not run: the outbox is full, so it could not be answered; the hub will time it out");
                return;
            }

            IotcCallback handler = _handlers.Get(IotcEvents.Command);
            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.Command);
            info.Tag = name;
            info.Payload = body;
            int status;
            string response;
            if (handler == null)
            {
                status = MethodProtocol.NoHandlerStatus;
                response = MethodProtocol.NoHandlerBody(name);
                Log(IotLogLevel.ApiOnly, "command '" + name + "' has no handler: answering 501");
            }
            else
            {
                Invoke(handler, info);
                status = info.HasResponse ? info.ResponseCode : MethodProtocol.DefaultStatus;
                response = info.HasResponse ? CommandResponseBody(info.ResponseMessage) : MethodProtocol.EmptyBody;
                if (status < 0)
                {
                    // A negative status cannot go in the response topic; answer something the operator can read.
                    Log(IotLogLevel.ApiOnly, "command '" + name + "': the callback set response code " + status + "; answering 500");
                    status = 500;
                    response = MethodProtocol.MessageBody("the device set an invalid response code");
                }
            }

            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.CommandResponse;
            m.Status = status;
            m.RequestId = rid;
            m.Payload = Utf8.GetBytes(response);
            m.Qos = 1;
            EnqueueAutomatic(m, "the response to command '" + name + "' ($rid " + rid + ")");
        }

        private void OnTwinResponse(int status, string rid, string body)
        {
            if (rid == null)
            {
                return;
            }

            if (rid == _twinGetRequestId)
            {
                _twinGetRequestId = null;
                if (status == 200)
                {
                    OnDesired(TwinProtocol.ParseTwinGet(body), -1);
                }
                else if (IsTwinRetryable(status) && _twinGetAttempts < MaxTwinAttempts)
                {
                    // Throttled or a service fault: the settings changed while offline still have to arrive, so ask again.
                    int delay = _backoff.Delay(_twinGetAttempts - 1);
                    _twinGetRetryAtMs = _clock.NowMilliseconds + delay;
                    Log(IotLogLevel.ApiOnly, "twin GET answered " + status + "; asking again in " + delay + " ms");
                }
                else
                {
                    Log(IotLogLevel.ApiOnly, "twin GET answered " + status + "; desired properties arrive with the next change or reconnect");
                }

                return;
            }

            int index = _outbox.IndexOfTwinRequest(rid);
            if (index < 0)
            {
                Log(IotLogLevel.All, "twin response for an unknown $rid ignored");
                return;
            }

            OutboundMessage m = _outbox[index];
            bool accepted = status >= 200 && status < 300;
            if (IsTwinRetryable(status) && m.Attempts < MaxTwinAttempts)
            {
                // Throttled or a service fault: send the same patch again later (a few times, not forever).
                m.InFlight = false;
                m.TwinRequestId = null;
                return;
            }

            // Anything but 2xx is a refusal; a status that is not HTTP-like (e.g. 0) must not read as success.
            int reported = accepted ? 0 : (status >= 100 && status < 600 ? status : IotcStatus.ProtocolError);
            _outbox.RemoveAt(index);
            if (m.Kind == OutboundMessage.Property)
            {
                RaiseMessageSent(m, reported);
            }
            else if (!accepted)
            {
                Log(IotLogLevel.ApiOnly, "the hub refused a setting acknowledgement: twin status " + status);
            }
        }

        /// <summary>Throttled (429) or a service fault (5xx): asking again later may succeed.</summary>
        private static bool IsTwinRetryable(int status)
        {
            return status == 429 || (status >= 500 && status < 600);
        }

        private void OnDesired(DesiredProperties desired, long topicVersion)
        {
            if (desired == null || desired.IsMalformed)
            {
                Log(IotLogLevel.ApiOnly, "ignored a malformed desired-properties document");
                return;
            }

            // The hub always sends the body's $version; the topic's is the fallback.
            long version = desired.Version >= 0 ? desired.Version : topicVersion;

            // After a reconnect the twin GET repeats what was delivered already: raise only what is newer.
            if (version >= 0 && version <= _desiredVersion)
            {
                return;
            }

            if (version > _desiredVersion)
            {
                _desiredVersion = version;
            }
            else
            {
                // The values are still the operator's wish, so deliver them; but an ack must name the version it
                // answers (IoT Central matches "av"), and "av":-1 would be a false claim. So: no ack, and say so.
                Log(IotLogLevel.ApiOnly, "desired properties without a $version: delivered to SettingsUpdated (DesiredVersion -1) but not acknowledged");
            }

            // A callback may Disconnect() or Dispose(): then the rest of the document is not raised.
            for (int i = 0; i < desired.Count && _state == StateConnected; i++)
            {
                if (!desired.IsComponent(i))
                {
                    RaiseSetting(null, desired.GetName(i), desired.GetRawValue(i), version);
                    continue;
                }

                // A Plug and Play component: {"comp":{"__t":"c","prop":v}} raises "comp*prop", like component commands.
                JsonValue component = desired.GetValue(i);
                for (int j = 0; j < component.Count && _state == StateConnected; j++)
                {
                    string name = component.GetName(j);
                    if (!TwinProtocol.IsServiceName(name) && name != "__t")
                    {
                        RaiseSetting(desired.GetName(i), name, component.GetValue(j).RawText, version);
                    }
                }
            }
        }

        private void RaiseSetting(string component, string name, string rawValue, long version)
        {
            IotcCallback handler = _handlers.Get(IotcEvents.SettingsUpdated);
            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.SettingsUpdated);
            info.Tag = component == null ? name : component + MethodProtocol.ComponentSeparator + name;
            info.Payload = rawValue;
            info.DesiredVersion = version;
            if (handler != null)
            {
                Invoke(handler, info);
            }

            if (version < 0)
            {
                return;
            }

            int code = info.HasResponse ? info.ResponseCode : TwinProtocol.AckCompleted;
            string description = info.HasResponse ? info.ResponseMessage : TwinProtocol.AckCompletedDescription;
            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.SettingAck;
            m.Payload = Utf8.GetBytes(component == null
                ? TwinProtocol.BuildAck(name, rawValue, code, description, version, _legacyAcks)
                : TwinProtocol.BuildComponentAck(component, name, rawValue, code, description, version));
            m.Qos = 1;
            EnqueueAutomatic(m, "the acknowledgement of setting '" + info.Tag + "' (version " + version + ")");
        }

        /// <summary>A command's response body: JSON text goes as-is, anything else as a JSON string.</summary>
        private static string CommandResponseBody(string message)
        {
            if (message == null || message.Length == 0)
            {
                return MethodProtocol.EmptyBody;
            }

            JsonValue parsed;
            return JsonValue.TryParse(message, out parsed) ? message : JsonWriter.Quote(message);
        }

        private void OnCloudToDevice(PropertyBag properties, string body)
        {
            // IoT Central queues offline commands as C2D messages named by a "method-name" property.
            string methodName = properties == null ? null : properties.Get("method-name");
            string eventName = methodName != null ? IotcEvents.EnqueuedCommand : IotcEvents.MessageReceived;
            IotcCallback handler = _handlers.Get(eventName);
            if (handler == null)
            {
                Log(IotLogLevel.ApiOnly, "cloud-to-device message with no " + eventName + " handler");
                return;
            }

            IotcCallbackInfo info = new IotcCallbackInfo(this, eventName);
            info.Payload = body;
            info.Tag = methodName;
            info.Properties = properties;
            Invoke(handler, info);
        }

        // ---- outbound ----------------------------------------------------------------------------------------------

        private int EnqueueTelemetry(string api, string payload, PropertyBag properties)
        {
            CheckCanSend(api, payload);
            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.Telemetry;
            m.Text = payload;
            // Sending is allowed only once connected, so DPS has assigned the device id and the shared topic is set.
            m.Topic = properties == null ? _telemetryTopic : HubTopics.Telemetry(_hubDeviceId, properties);
            m.Payload = Utf8.GetBytes(payload);
            m.Qos = _qos;
            return Enqueue(m, api);
        }

        private int Enqueue(OutboundMessage m, string api)
        {
            if (m.Payload.Length > Validation.MaxPayloadBytes)
            {
                throw new ArgumentException("the payload is " + m.Payload.Length + " bytes; IoT Hub accepts at most " + Validation.MaxPayloadBytes, "payload");
            }

            if (m.Payload.Length > _outbox.MaxBytes)
            {
                // It would never fit, however long the application waits: "outbox full" would be misleading.
                throw new ArgumentException("the payload is " + m.Payload.Length + " bytes; the outbox holds at most " + _outbox.MaxBytes + " (SetOutboxLimits)", "payload");
            }

            if (!_outbox.HasRoom(m.Payload.Length, false))
            {
                throw new InvalidOperationException(api + ": the outbox is full (" + _outbox.Count + " messages, " + _outbox.Bytes + " bytes waiting); call DoNext() until MessageSent frees room, or raise SetOutboxLimits");
            }

            _nextMessageId = _nextMessageId == int.MaxValue ? 1 : _nextMessageId + 1;
            m.MessageId = _nextMessageId;
            _outbox.Add(m);
            if (Logs(IotLogLevel.ApiOnly))
            {
                Log(IotLogLevel.ApiOnly, api + ": message " + m.MessageId + " queued (" + m.Payload.Length + " bytes)");
            }

            return m.MessageId;
        }

        /// <summary>Queues an ack or command response in the outbox's small reserve; what does not fit is logged, by name.</summary>
        private void EnqueueAutomatic(OutboundMessage m, string what)
        {
            if (!_outbox.HasRoom(m.Payload.Length, true))
            {
                Log(IotLogLevel.ApiOnly, what + " was NOT sent: the outbox is full (" + _outbox.Count + " messages, " + _outbox.Bytes + " bytes waiting; this one is " + m.Payload.Length + " bytes)");
                return;
            }

            _outbox.Add(m);
        }

        private void FlushOutbox()
        {
            ExpireTwinRequests();
            int inFlight = _outbox.InFlightCount();
            for (int i = 0; i < _outbox.Count && _state == StateConnected; i++)
            {
                OutboundMessage m = _outbox[i];
                if (m.InFlight)
                {
                    continue;
                }

                if (inFlight >= MaxInFlight)
                {
                    return;
                }

                string topic = m.Topic;
                if (m.Kind == OutboundMessage.Property || m.Kind == OutboundMessage.SettingAck)
                {
                    m.TwinRequestId = NextRequestId();
                    topic = HubTopics.TwinPatchReported(m.TwinRequestId);
                }
                else if (m.Kind == OutboundMessage.CommandResponse)
                {
                    topic = HubTopics.MethodResponse(m.Status, m.RequestId);
                }

                int packetId;
                try
                {
                    packetId = _mqtt.Publish(topic, m.Payload, m.Qos);
                }
                catch (TransportException ex)
                {
                    m.TwinRequestId = null;
                    OnConnectionLost("publish failed: " + ex.Message);
                    return;
                }

                m.Attempts++;
                if (Logs(IotLogLevel.All))
                {
                    Log(IotLogLevel.All, "published " + topic + " (" + m.Payload.Length + " bytes, QoS " + m.Qos + ")");
                }

                if (m.Qos == 0 && m.Kind == OutboundMessage.Telemetry)
                {
                    // QoS 0 is confirmed by the write itself.
                    _outbox.RemoveAt(i);
                    i--;
                    RaiseMessageSent(m, 0);
                    continue;
                }

                m.InFlight = true;
                m.PacketId = packetId;
                m.SentAtMs = _clock.NowMilliseconds;
                inFlight++;
            }
        }

        /// <summary>
        /// A reported patch is confirmed only by its twin response. If that never comes (lost by the service), send the
        /// patch again under a new $rid, a few times; then report it as timed out (408) rather than hold its slot forever.
        /// </summary>
        private void ExpireTwinRequests()
        {
            long now = _clock.NowMilliseconds;
            for (int i = 0; i < _outbox.Count; i++)
            {
                OutboundMessage m = _outbox[i];
                if (!m.InFlight || m.TwinRequestId == null || now - m.SentAtMs < TwinResponseTimeoutMs)
                {
                    continue;
                }

                if (m.Attempts < MaxTwinAttempts)
                {
                    Log(IotLogLevel.ApiOnly, "no twin response for $rid " + m.TwinRequestId + " after " + (TwinResponseTimeoutMs / 1000) + " s: sending the patch again");
                    m.InFlight = false;
                    m.TwinRequestId = null;
                    continue;
                }

                _outbox.RemoveAt(i);
                i--;
                if (m.Kind == OutboundMessage.Property)
                {
                    RaiseMessageSent(m, 408);
                }
                else
                {
                    Log(IotLogLevel.ApiOnly, "a setting acknowledgement got no twin response after " + m.Attempts + " attempts; dropped");
                }
            }
        }

        /// <summary>Asks for the whole twin: after every (re)connect, so settings changed while offline are delivered.</summary>
        private void RequestTwin(IMqttTransport mqtt)
        {
            _twinGetRetryAtMs = 0;
            _twinGetAttempts++;
            _twinGetRequestId = NextRequestId();
            mqtt.Publish(HubTopics.TwinGet(_twinGetRequestId), new byte[0], 0);
        }

        private string NextRequestId()
        {
            _nextRequestId = _nextRequestId == int.MaxValue ? 1 : _nextRequestId + 1;
            return _nextRequestId.ToString();
        }

        // ---- callbacks ---------------------------------------------------------------------------------------------

        private void RaiseMessageSent(OutboundMessage m, int status)
        {
            IotcCallback handler = _handlers.Get(IotcEvents.MessageSent);
            if (Logs(IotLogLevel.All))
            {
                Log(IotLogLevel.All, "message " + m.MessageId + " confirmed" + (status == 0 ? string.Empty : " with status " + status));
            }

            if (handler == null)
            {
                return;
            }

            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.MessageSent);
            info.Payload = m.Text;
            info.MessageId = m.MessageId;
            info.StatusCode = status;
            Invoke(handler, info);
        }

        private void RaiseConnectionStatus(int status, string reason)
        {
            IotcCallback handler = _handlers.Get(IotcEvents.ConnectionStatus);
            if (handler == null)
            {
                return;
            }

            IotcCallbackInfo info = new IotcCallbackInfo(this, IotcEvents.ConnectionStatus);
            info.StatusCode = status;
            info.Payload = reason;

            // Status changes can happen inside Connect() or Disconnect(); queue them so they are delivered in order.
            _pendingCallbacks.Add(new object[] { handler, info });
        }

        private void DeliverPendingCallbacks()
        {
            while (_pendingCallbacks.Count > 0)
            {
                object[] pending = (object[])_pendingCallbacks[0];
                _pendingCallbacks.RemoveAt(0);
                Invoke((IotcCallback)pending[0], (IotcCallbackInfo)pending[1]);
            }
        }

        private void Invoke(IotcCallback handler, IotcCallbackInfo info)
        {
            bool wasInPump = _inPump;
            _inPump = true;
            try
            {
                handler(info);
            }
            catch (Exception ex)
            {
                // A throwing callback is the application's bug; it must not stop acks or the pump.
                Log(IotLogLevel.ApiOnly, info.EventName + " callback threw " + ex.GetType().Name + ": " + ex.Message);
            }
            finally
            {
                _inPump = wasInPump;
            }
        }
    }
}
