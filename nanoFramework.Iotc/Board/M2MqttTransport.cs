// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using nanoFramework.Iotc.Transport;
using nanoFramework.M2Mqtt;
using nanoFramework.M2Mqtt.Messages;

namespace nanoFramework.Iotc.Board
{
    /// <summary>
    /// <see cref="IMqttTransport"/> over nanoFramework.M2Mqtt (MQTT 3.1.1, TLS 1.2). One instance per connection
    /// attempt: after <see cref="Close"/> it cannot be connected again, which sidesteps M2Mqtt's known hangs when a
    /// client is reused after a network drop. M2Mqtt raises its events on its own threads; they are only forwarded.
    /// M2Mqtt 5.1.220 acknowledges a QoS 1 message on receipt (its in-flight thread sends the PUBACK, then queues the
    /// message for its dispatch thread; there is no manual acknowledgement), so <see cref="Close"/> lets the dispatch
    /// thread hand over everything it holds before the client goes.
    /// </summary>
    public class M2MqttTransport : IMqttTransport
    {
        private readonly object _sync = new object();
        private MqttClient _client;
        private IMqttEvents _events;
        private bool _used;
        private bool _closed;
        private bool _lostReported;

        // CONNACK 0 was returned: M2Mqtt's dispatch thread runs and raises ConnectionClosed once it has closed the client.
        private bool _accepted;

        // Set by ConnectionClosed: M2Mqtt's dispatch thread raised every message it held and closed the client.
        private readonly ManualResetEvent _clientEnded = new ManualResetEvent(false);

        /// <summary>
        /// How long <see cref="Close"/> waits for M2Mqtt to raise what it already acknowledged and close. Its own close
        /// takes about 200 ms (a fixed sleep) plus bounded joins of 1 s each for its in-flight and keep-alive threads.
        /// </summary>
        internal const int HandOverLimitMs = 5000;

        // The CONNACK return code M2Mqtt's receive thread saw (ConnectionOpened), -1 before one arrived. A server that
        // refuses (CONNACK 3, 4, 5) closes the socket right after the CONNACK; M2Mqtt's receive thread then records
        // the close and Connect throws MqttCommunicationException instead of returning the code (measured on
        // nanoCLR: every refusal came out as a network error). The code seen here is the one to report.
        private int _connackSeen = -1;

        /// <summary>True while the M2Mqtt client reports an open connection and <see cref="Close"/> was not called.</summary>
        public bool IsConnected
        {
            get
            {
                MqttClient client = _client;
                return client != null && !_closed && client.IsConnected;
            }
        }

        /// <summary>
        /// Resolves the host, opens TLS, sends CONNECT (clean session) and waits for CONNACK. M2Mqtt bounds the wait
        /// itself (its fixed 30 s <c>MqttSettings.DefaultTimeout</c>); <see cref="MqttConnectOptions.TimeoutMilliseconds"/>
        /// cannot be passed to it.
        /// </summary>
        /// <param name="options">Where and how to connect.</param>
        /// <param name="events">Receives messages, acknowledgements and the loss of the connection.</param>
        /// <returns>The CONNACK return code: 0 accepted, 1..5 the MQTT 3.1.1 refusals.</returns>
        /// <exception cref="TransportException">DNS, socket, TLS, certificate or time-out failure.</exception>
        /// <exception cref="IotcException">
        /// Status <see cref="IotcStatus.InvalidCredential"/>: the certificates cannot be read, or the server refused the
        /// handshake that presented the client certificate (see <see cref="CertificateLoader.IsHandshakeRefused"/>).
        /// </exception>
        public int Connect(MqttConnectOptions options, IMqttEvents events)
        {
            if (options == null)
            {
                throw new ArgumentNullException("options");
            }

            if (events == null)
            {
                throw new ArgumentNullException("events");
            }

            if (options.Host == null || options.Host.Length == 0)
            {
                throw new ArgumentException("The host is missing.", "options");
            }

            if (options.ClientId == null || options.ClientId.Length == 0)
            {
                throw new ArgumentException("The client id is missing.", "options");
            }

            lock (_sync)
            {
                if (_used)
                {
                    throw new InvalidOperationException("An M2MqttTransport connects once; create a new one for each attempt.");
                }

                _used = true;
            }

            X509Certificate rootCa = CertificateLoader.LoadRootCa(options.Tls);
            X509Certificate clientCertificate = CertificateLoader.LoadClientCertificate(options.Tls);

            MqttClient client;
            try
            {
                // The constructor resolves the host name (Dns.GetHostEntry) before any socket is opened.
                // With clientCert null, M2Mqtt tells SslStream to use the certificate stored on the device, if any;
                // with caCert null, the device's stored CA is used.
                client = new MqttClient(options.Host, options.Port, true, rootCa, clientCertificate, MqttSslProtocols.TLSv1_2);
            }
            catch (Exception ex)
            {
                throw new TransportException("MQTT: cannot resolve " + options.Host + " (" + ex.GetType().Name + ").", ex);
            }

            client.ProtocolVersion = MqttProtocolVersion.Version_3_1_1;
            client.MqttMsgPublishReceived += OnPublishReceived;
            client.MqttMsgPublished += OnPublished;
            client.ConnectionClosed += OnConnectionClosed;
            client.ConnectionOpened += OnConnack;

            lock (_sync)
            {
                _client = client;
                _events = events;
            }

            ushort keepAlive = (ushort)(options.KeepAliveSeconds < 0 ? 0 : (options.KeepAliveSeconds > ushort.MaxValue ? ushort.MaxValue : options.KeepAliveSeconds));
            MqttReasonCode code;
            try
            {
                code = client.Connect(options.ClientId, options.Username, options.Password, options.CleanSession, keepAlive);
            }
            catch (Exception ex)
            {
                // MqttConnectionException (socket/TLS) or MqttCommunicationException (no CONNACK, or the socket closed
                // after a refusing CONNACK: then the refusal is the answer); neither carries the password, which
                // M2Mqtt only writes into the CONNECT packet.
                int refused = _connackSeen;
                Close();
                if (refused > 0)
                {
                    return MapConnack((MqttReasonCode)refused);
                }

                if (clientCertificate != null && CertificateLoader.IsHandshakeRefused(ex))
                {
                    throw CertificateLoader.HandshakeRefused("MQTT " + options.Host, ex);
                }

                throw new TransportException("MQTT: connection to " + options.Host + ":" + options.Port.ToString() + " failed (" + ex.GetType().Name + ").", ex);
            }

            int result = MapConnack(code);
            if (result == 0)
            {
                _accepted = true;
            }
            else
            {
                // A refused session still holds a TLS socket (about 2 x 16 KB on an ESP32): free it now.
                Close();
            }

            return result;
        }

        /// <summary>Subscribes to <paramref name="topics"/> at QoS 1; the SUBSCRIBE is queued by M2Mqtt.</summary>
        /// <param name="topics">Topic filters.</param>
        /// <exception cref="TransportException">The connection is gone.</exception>
        public void Subscribe(string[] topics)
        {
            if (topics == null)
            {
                throw new ArgumentNullException("topics");
            }

            MqttClient client = ConnectedClient();
            MqttQoSLevel[] levels = new MqttQoSLevel[topics.Length];
            for (int i = 0; i < levels.Length; i++)
            {
                levels[i] = MqttQoSLevel.AtLeastOnce;
            }

            try
            {
                client.Subscribe(topics, levels);
            }
            catch (Exception ex)
            {
                throw new TransportException("MQTT: subscribe failed (" + ex.GetType().Name + ").", ex);
            }
        }

        /// <summary>Queues a PUBLISH (not retained).</summary>
        /// <param name="topic">The topic.</param>
        /// <param name="payload">The payload bytes.</param>
        /// <param name="qos">0 or 1.</param>
        /// <returns>The packet id for QoS 1 (reported again through <see cref="IMqttEvents.OnPublished"/>); 0 for QoS 0.</returns>
        /// <exception cref="TransportException">The connection is gone or M2Mqtt's in-flight queue is full.</exception>
        public int Publish(string topic, byte[] payload, int qos)
        {
            if (topic == null)
            {
                throw new ArgumentNullException("topic");
            }

            if (payload == null)
            {
                throw new ArgumentNullException("payload");
            }

            if (qos != 0 && qos != 1)
            {
                throw new ArgumentException("QoS must be 0 or 1.", "qos");
            }

            MqttClient client = ConnectedClient();
            ushort id;
            try
            {
                // contentType and userProperties are MQTT 5 only: null on 3.1.1.
                id = client.Publish(topic, payload, null, null, qos == 1 ? MqttQoSLevel.AtLeastOnce : MqttQoSLevel.AtMostOnce, false);
            }
            catch (Exception ex)
            {
                throw new TransportException("MQTT: publish failed (" + ex.GetType().Name + ").", ex);
            }

            // M2Mqtt never raises MqttMsgPublished for QoS 0, so its id would mean nothing to the caller.
            return qos == 1 ? id : 0;
        }

        /// <summary>
        /// Sends DISCONNECT if possible and closes the client. Idempotent; never throws. Messages M2Mqtt has already
        /// acknowledged (PUBACK sent) but not yet raised are handed to the events before this returns (the pump keeps
        /// messages of a closed connection); no loss of the connection is reported, and nothing is raised afterwards.
        /// </summary>
        public void Close()
        {
            MqttClient client;
            bool handOver;
            lock (_sync)
            {
                if (_closed)
                {
                    return;
                }

                _closed = true;
                _used = true;
                client = _client;
                handOver = _accepted;
            }

            if (client != null)
            {
                CloseClient(client, handOver);
                client.MqttMsgPublishReceived -= OnPublishReceived;
                client.MqttMsgPublished -= OnPublished;
                client.ConnectionClosed -= OnConnectionClosed;
                client.ConnectionOpened -= OnConnack;
            }

            lock (_sync)
            {
                _events = null;
            }
        }

        // The handlers stay attached while M2Mqtt closes: unhooking first (or calling MqttClient.Close, which stops its
        // dispatch thread and clears its event queue) discarded messages whose PUBACK had already gone out, e.g. when
        // the pump closes the link to renew the token (measured on nanoCLR: 31 of 48 C2D messages acknowledged and never raised).
        private void CloseClient(MqttClient client, bool handOver)
        {
            if (_clientEnded.WaitOne(0, false))
            {
                // M2Mqtt closed the client itself (the link was lost) after raising what it held.
                return;
            }

            try
            {
                // DISCONNECT, then M2Mqtt flags the connection as closing: its dispatch thread raises every message it
                // holds, closes the client itself and raises ConnectionClosed.
                if (client.IsConnected)
                {
                    client.Disconnect();
                }
            }
            catch (Exception)
            {
                // The socket may already be dead: M2Mqtt's receive thread has then flagged the close itself.
            }

            if (handOver && _clientEnded.WaitOne(HandOverLimitMs, false))
            {
                return;
            }

            try
            {
                client.Close();
            }
            catch (Exception)
            {
                // Close must not throw (see IMqttTransport.Close).
            }
        }

        /// <summary>Maps M2Mqtt's reason code to the MQTT 3.1.1 CONNACK return code.</summary>
        internal static int MapConnack(MqttReasonCode code)
        {
            int value = (int)code;
            if (value >= 0 && value <= 5)
            {
                // 3.1.1: M2Mqtt stores the CONNACK return code byte as is.
                return value;
            }

            // MQTT 5 reason codes, should a v5 broker answer: fold them onto the 3.1.1 meanings.
            switch (value)
            {
                case 0x84:
                    return 1; // unsupported protocol version
                case 0x85:
                    return 2; // client identifier not valid
                case 0x86:
                case 0x8C:
                    return 4; // bad user name or password / bad authentication method
                case 0x87:
                case 0x8A:
                    return 5; // not authorized / banned
                default:
                    return 3; // server unavailable or any other failure
            }
        }

        private MqttClient ConnectedClient()
        {
            MqttClient client = _client;
            if (client == null || _closed || !client.IsConnected)
            {
                throw new TransportException("MQTT: the connection is closed.");
            }

            return client;
        }

        private void OnPublishReceived(object sender, MqttMsgPublishEventArgs e)
        {
            IMqttEvents events = _events;
            if (events == null || e == null)
            {
                return;
            }

            try
            {
                // May wait while the pump's inbox is full (back-pressure): M2Mqtt has already acknowledged this
                // message, so it must not be dropped; meanwhile M2Mqtt's dispatch thread takes nothing new.
                events.OnMessage(e.Topic, e.Message == null ? new byte[0] : e.Message);
            }
            catch (Exception)
            {
                // An exception here would end M2Mqtt's dispatch thread; the receiver only enqueues anyway.
            }
        }

        private void OnPublished(object sender, MqttMsgPublishedEventArgs e)
        {
            IMqttEvents events = _events;
            if (events == null || e == null || !e.IsPublished)
            {
                // IsPublished false = M2Mqtt gave up after its retries: no PUBACK, so nothing to acknowledge.
                return;
            }

            try
            {
                events.OnPublished(e.MessageId);
            }
            catch (Exception)
            {
                // See OnPublishReceived.
            }
        }

        private void OnConnack(object sender, ConnectionOpenedEventArgs e)
        {
            if (e != null && e.Message != null)
            {
                _connackSeen = (int)e.Message.ReturnCode;
            }
        }

        private void OnConnectionClosed(object sender, EventArgs e)
        {
            IMqttEvents events;
            lock (_sync)
            {
                _clientEnded.Set();
                events = _events;
                if (events == null || _closed || _lostReported)
                {
                    // After Close() began this is the end of the hand-over, not a loss.
                    return;
                }

                _lostReported = true;
            }

            try
            {
                events.OnConnectionLost("MQTT connection closed by the network or the server.");
            }
            catch (Exception)
            {
                // See OnPublishReceived.
            }
        }
    }
}
