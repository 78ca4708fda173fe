// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>
    /// One MQTT 3.1.1 connection over TLS. The <c>Device</c> creates a fresh instance for every connection
    /// attempt (reusing a client after a drop is known to hang some stacks) and drives it from its own thread.
    /// </summary>
    public interface IMqttTransport
    {
        /// <summary>True while the connection is open.</summary>
        bool IsConnected { get; }

        /// <summary>
        /// Opens the socket and TLS session, sends CONNECT and waits for CONNACK (bounded by
        /// <see cref="MqttConnectOptions.TimeoutMilliseconds"/>). From then on the transport reports to
        /// <paramref name="events"/>, from any thread.
        /// </summary>
        /// <param name="options">Where and how to connect.</param>
        /// <param name="events">Receives messages, acknowledgements and the loss of the connection.</param>
        /// <returns>The CONNACK return code: 0 accepted, otherwise the refusal (e.g. 4 bad credentials, 5 not authorized).</returns>
        /// <exception cref="TransportException">DNS, socket, TLS or time-out failure.</exception>
        int Connect(MqttConnectOptions options, IMqttEvents events);

        /// <summary>Subscribes to <paramref name="topics"/> at QoS 1 (IoT Hub grants at most QoS 1).</summary>
        /// <param name="topics">Topic filters.</param>
        /// <exception cref="TransportException">The connection is gone.</exception>
        void Subscribe(string[] topics);

        /// <summary>
        /// Queues a PUBLISH. For QoS 1 the returned packet id is reported to <see cref="IMqttEvents.OnPublished"/>
        /// when the PUBACK arrives. For QoS 0 a transport either returns 0 and reports nothing (the message counts as
        /// sent), or returns an id and reports it once the message is written: the pump then keeps it in flight until
        /// then, so its in-flight window bounds the writes the transport holds.
        /// </summary>
        /// <param name="topic">The topic.</param>
        /// <param name="payload">The payload bytes (may be empty, never null).</param>
        /// <param name="qos">0 or 1.</param>
        /// <returns>The packet id (1..65535) for QoS 1; for QoS 0 one the transport reports when written, or 0.</returns>
        /// <exception cref="TransportException">The connection is gone.</exception>
        int Publish(string topic, byte[] payload, int qos);

        /// <summary>
        /// Closes the connection. Idempotent; never throws. Messages the client already acknowledged are handed to the
        /// events before it returns (the pump raises messages of a closed connection); no event is raised afterwards.
        /// </summary>
        void Close();
    }
}
