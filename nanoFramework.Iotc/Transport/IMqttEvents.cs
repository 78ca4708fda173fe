// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>
    /// What a transport observes, reported from the transport's own threads. Implementations only enqueue and
    /// return at once: user callbacks run later, inside <c>Device.DoNext()</c>.
    /// </summary>
    public interface IMqttEvents
    {
        /// <summary>A PUBLISH arrived from the server.</summary>
        /// <param name="topic">Its topic.</param>
        /// <param name="payload">Its payload (never null).</param>
        void OnMessage(string topic, byte[] payload);

        /// <summary>The server acknowledged (PUBACK) the QoS 1 publish with this packet id.</summary>
        /// <param name="packetId">The id <see cref="IMqttTransport.Publish"/> returned.</param>
        void OnPublished(int packetId);

        /// <summary>The connection was lost (socket error, keep-alive time-out, server disconnect).</summary>
        /// <param name="reason">A short reason for logs; never contains secrets.</param>
        void OnConnectionLost(string reason);
    }
}
