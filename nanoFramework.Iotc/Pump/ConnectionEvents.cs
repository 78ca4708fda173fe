// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The <see cref="IMqttEvents"/> handed to one transport instance. It stamps events with that connection's
    /// generation so the pump can ignore late events from a connection it already replaced.
    /// </summary>
    internal class ConnectionEvents : IMqttEvents
    {
        private readonly Inbox _inbox;
        private readonly int _generation;

        internal ConnectionEvents(Inbox inbox, int generation)
        {
            _inbox = inbox;
            _generation = generation;
        }

        public void OnMessage(string topic, byte[] payload)
        {
            InboundEvent e = new InboundEvent();
            e.Kind = InboundEvent.Message;
            e.Generation = _generation;
            e.Topic = topic;
            e.Payload = payload == null ? new byte[0] : payload;
            _inbox.Post(e);
        }

        public void OnPublished(int packetId)
        {
            _inbox.PostPublished(_generation, packetId);
        }

        public void OnConnectionLost(string reason)
        {
            InboundEvent e = new InboundEvent();
            e.Kind = InboundEvent.Lost;
            e.Generation = _generation;
            e.Reason = reason;
            _inbox.Post(e);
        }
    }
}
