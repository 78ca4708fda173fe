// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// What the hub asks of the application besides settings: direct methods (the <c>Command</c> callback, then its
    /// response) and cloud-to-device messages (<c>MessageReceived</c>, or <c>EnqueuedCommand</c> for IoT Central's
    /// offline commands). Invariants: a command runs only when its response can be queued, and is answered exactly once
    /// (501 without a handler); a C2D message the hub sends again (no PUBACK seen) is raised once.
    /// </summary>
    internal sealed class Commands : ICallbackOwner
    {
        private readonly CallbackQueue _callbacks;
        private readonly Publisher _publisher;
        private readonly Logger _log;
        private readonly RecentIds _recentC2d = new RecentIds(16);

        internal Commands(CallbackQueue callbacks, Publisher publisher, Logger log)
        {
            _callbacks = callbacks;
            _publisher = publisher;
            _log = log;
        }

        /// <summary>A method request; <paramref name="current"/> false when its connection is already closed. True when queued.</summary>
        internal bool OnMethodRequest(HubTopicInfo message, byte[] payload, bool current)
        {
            if (!current)
            {
                // Its response could only go out on another connection, after the hub told the operator the
                // device is gone: running it would do the work while the operator sees a failure.
                _log.Log(IotLogLevel.ApiOnly, "command '" + message.MethodName + "' ($rid " + message.RequestId + ") arrived as its connection closed: not run");
                return false;
            }

            IotcCallbackInfo command = Queued(PendingCallback.Command, IotcEvents.Command);
            command.Tag = message.MethodName;
            command.Payload = Utf8.GetString(payload);
            command.Answer = new PendingCallback();
            command.Answer.RequestId = message.RequestId;
            _callbacks.Add(command);
            return true;
        }

        /// <summary>A cloud-to-device message for <paramref name="hubDeviceId"/>; true when queued (not another device's, not a repeat).</summary>
        internal bool OnCloudToDevice(HubTopicInfo message, byte[] payload, string hubDeviceId)
        {
            if (message.DeviceId != hubDeviceId)
            {
                _log.Log(IotLogLevel.ApiOnly, "ignored a cloud-to-device message for another device");
                return false;
            }

            string messageId = message.Properties == null ? null : message.Properties.Get("$.mid");
            if (!string.IsNullOrEmpty(messageId) && !_recentC2d.Add(messageId))
            {
                _log.Log(IotLogLevel.ApiOnly, "cloud-to-device message " + messageId + " arrived again (the hub resends what it saw no PUBACK for); raised once");
                return false;
            }

            // IoT Central queues offline commands as C2D messages named by a "method-name" property.
            string methodName = message.Properties == null ? null : message.Properties.Get("method-name");
            IotcCallbackInfo c2d = Queued(PendingCallback.CloudToDevice, methodName != null ? IotcEvents.EnqueuedCommand : IotcEvents.MessageReceived);
            c2d.Payload = Utf8.GetString(payload);
            c2d.Tag = methodName;
            c2d.Properties = message.Properties;
            _callbacks.Add(c2d);
            return true;
        }

        bool ICallbackOwner.MayRaise(IotcCallbackInfo c, bool stopped)
        {
            if (c.Answer == null)
            {
                // A C2D message was acknowledged when it arrived: it is raised even after a stop.
                return true;
            }

            // A command arrived acknowledged, so a lost link does not cancel it (its answer goes out after the
            // reconnect); after Disconnect()/Dispose() it is not run.
            if (stopped)
            {
                return false;
            }

            if (!_publisher.Outbox.HasRoom(0, true))
            {
                // Running a command that cannot be answered would do the work while the operator sees a failure;
                // not running it lets the hub time it out, which tells the truth.
                _log.Log(IotLogLevel.ApiOnly, "command '" + c.Tag + "' ($rid " + c.Answer.RequestId + ") not run: the outbox is full, so it could not be answered; the hub will time it out");
                return false;
            }

            return true;
        }

        void ICallbackOwner.OnRaised(IotcCallbackInfo c, bool handled)
        {
            if (c.Answer == null)
            {
                if (!handled)
                {
                    _log.Log(IotLogLevel.ApiOnly, "cloud-to-device message with no " + c.EventName + " handler");
                }

                return;
            }

            Answer(c, handled);
        }

        /// <summary>Queues the command's response: what the callback set, 200 <c>{}</c> without it, 501 without a handler.</summary>
        private void Answer(IotcCallbackInfo c, bool handled)
        {
            string name = c.Tag;
            int status;
            string response;
            if (!handled)
            {
                status = MethodProtocol.NoHandlerStatus;
                response = MethodProtocol.NoHandlerBody(name);
                _log.Log(IotLogLevel.ApiOnly, "command '" + name + "' has no handler: answering 501");
            }
            else
            {
                status = c.HasResponse ? c.ResponseCode : MethodProtocol.DefaultStatus;
                response = c.HasResponse ? ResponseBody(c.ResponseMessage) : MethodProtocol.EmptyBody;
                if (status < 0)
                {
                    // A negative status cannot go in the response topic; answer something the operator can read.
                    _log.Log(IotLogLevel.ApiOnly, "command '" + name + "': the callback set response code " + status + "; answering 500");
                    status = 500;
                    response = MethodProtocol.MessageBody("the device set an invalid response code");
                }
            }

            OutboundMessage m = new OutboundMessage();
            m.Kind = OutboundMessage.CommandResponse;
            m.Topic = HubTopics.MethodResponse(status, c.Answer.RequestId);
            m.Payload = Utf8.GetBytes(response);
            m.Qos = 1;
            if (!_publisher.TryAddAutomatic(m))
            {
                _log.Log(IotLogLevel.ApiOnly, "the response to command '" + name + "' ($rid " + c.Answer.RequestId + ") was NOT sent: the outbox is full");
            }
        }

        /// <summary>A command's response body: JSON text goes as-is, anything else as a JSON string.</summary>
        private static string ResponseBody(string message)
        {
            if (message == null || message.Length == 0)
            {
                return MethodProtocol.EmptyBody;
            }

            JsonValue parsed;
            return JsonValue.TryParse(message, out parsed) ? message : JsonWriter.Quote(message);
        }

        private IotcCallbackInfo Queued(byte kind, string eventName)
        {
            IotcCallbackInfo c = new IotcCallbackInfo(eventName);
            c.Kind = kind;
            c.Owner = this;
            return c;
        }
    }
}
