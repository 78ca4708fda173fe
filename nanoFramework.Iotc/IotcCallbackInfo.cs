// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Protocol;

namespace nanoFramework.Iotc
{
    /// <summary>
    /// The argument of every callback (Python: <c>IOTCallbackInfo</c>): what happened, and for commands and settings a
    /// way to answer with <see cref="SetResponse"/>.
    /// </summary>
    public class IotcCallbackInfo
    {
        internal IotcCallbackInfo(string eventName)
        {
            EventName = eventName;
        }

        /// <summary>The device that raised the event.</summary>
        public Device Client
        {
            get { return (Device)Sender; }
        }

        /// <summary>The event's name (see <see cref="IotcEvents"/>).</summary>
        public string EventName { get; private set; }

        /// <summary>
        /// The payload: the message text for <c>MessageSent</c>, the request body for <c>Command</c>, the property's JSON
        /// value for <c>SettingsUpdated</c>, the message body for <c>MessageReceived</c>; a reason for <c>ConnectionStatus</c>.
        /// </summary>
        public string Payload { get; internal set; }

        /// <summary>The command or setting name; null for other events.</summary>
        public string Tag { get; internal set; }

        /// <summary>0 for success; otherwise a status that says why (an HTTP/DPS status, a CONNACK code, a twin status).</summary>
        public int StatusCode { get; internal set; }

        /// <summary>For <c>MessageSent</c>: the id that the <c>Send*</c> call returned; otherwise 0.</summary>
        public int MessageId { get; internal set; }

        /// <summary>For <c>SettingsUpdated</c>: the desired-properties <c>$version</c> the value belongs to; otherwise -1.</summary>
        public long DesiredVersion { get; internal set; } = -1;

        /// <summary>For <c>MessageReceived</c>/<c>EnqueuedCommand</c>: the message's decoded property bag; otherwise null.</summary>
        public PropertyBag Properties { get; internal set; }

        /// <summary>The response code set with <see cref="SetResponse"/>, or 0 when none was set.</summary>
        public int ResponseCode { get; private set; }

        /// <summary>The response message set with <see cref="SetResponse"/>, or null when none was set.</summary>
        public string ResponseMessage { get; private set; }

        /// <summary>True once <see cref="SetResponse"/> was called.</summary>
        public bool HasResponse { get; private set; }

        /// <summary>
        /// Answers a <c>Command</c> (HTTP-like status and a message, sent as the method response body: JSON text as-is,
        /// other text as a JSON string) or a <c>SettingsUpdated</c> (the acknowledgement's code and description).
        /// Without it, commands answer 200 <c>{}</c> and settings 200 "completed".
        /// </summary>
        /// <param name="responseCode">Status, e.g. 200.</param>
        /// <param name="responseMessage">Message; null is sent as empty.</param>
        public void SetResponse(int responseCode, string responseMessage)
        {
            ResponseCode = responseCode;
            ResponseMessage = responseMessage;
            HasResponse = true;
        }

        // While it waits in the pump's callback queue: what it is (PendingCallback's kinds) and, for a command or a
        // setting, what its answer needs. Kept small: a MessageSent per message is the pump's one allocation besides the payload.
        internal byte Kind;
        internal Pump.PendingCallback Answer;

        // The part told once the callback ran (a command's response, a setting's ack); null when none is.
        internal Pump.ICallbackOwner Owner;

        // The device, stamped by the callback queue: the parts that raise callbacks need not know it.
        internal object Sender;
    }
}
