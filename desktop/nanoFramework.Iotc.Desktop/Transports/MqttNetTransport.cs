// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Buffers;
using System.Collections.Generic;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Threading;
using System.Threading.Tasks;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Desktop
{
    /// <summary>
    /// <see cref="IMqttTransport"/> over MQTTnet 5 (MQTT 3.1.1, TLS 1.2+). MQTTnet's tasks only forward to
    /// <see cref="IMqttEvents"/>; the <c>Device</c> pump does the rest on its own thread.
    /// </summary>
    public sealed class MqttNetTransport : IMqttTransport
    {
        private readonly IMqttClient _client = new MqttClientFactory().CreateMqttClient();
        private IMqttEvents _events;
        private volatile bool _closed;
        private int _nextPacketId;
        private readonly Queue<QueuedWrite> _writes = new Queue<QueuedWrite>();
        private bool _writing;

        /// <inheritdoc/>
        public bool IsConnected
        {
            get { return !_closed && _client.IsConnected; }
        }

        /// <inheritdoc/>
        public int Connect(MqttConnectOptions options, IMqttEvents events)
        {
            if (options == null)
            {
                throw new ArgumentNullException(nameof(options));
            }

            _events = events ?? throw new ArgumentNullException(nameof(events));
            TlsSettings tls = options.Tls;
            MqttClientOptionsBuilder builder = new MqttClientOptionsBuilder()
                .WithTcpServer(options.Host, options.Port)
                .WithProtocolVersion(MqttProtocolVersion.V311)
                .WithClientId(options.ClientId)
                .WithCredentials(options.Username, options.Password)
                .WithCleanSession(options.CleanSession)
                .WithKeepAlivePeriod(TimeSpan.FromSeconds(options.KeepAliveSeconds))
                .WithTimeout(TimeSpan.FromMilliseconds(options.TimeoutMilliseconds))
                .WithTlsOptions(o =>
                {
                    o.UseTls(true)
                     .WithSslProtocols(SslProtocols.Tls12 | SslProtocols.Tls13)
                     .WithTargetHost(options.Host)
                     .WithCertificateValidationHandler(e => TlsTrust.Validate(tls, e.Certificate, e.Chain, e.SslPolicyErrors));
                    X509Certificate2 clientCertificate = TlsTrust.ClientCertificate(tls);
                    if (clientCertificate != null)
                    {
                        o.WithClientCertificates(new X509Certificate2Collection(clientCertificate));
                    }
                });

            _client.ApplicationMessageReceivedAsync += OnReceived;
            _client.DisconnectedAsync += OnDisconnected;
            MqttClientConnectResult result;
            try
            {
                using (CancellationTokenSource timeout = new CancellationTokenSource(options.TimeoutMilliseconds))
                {
                    result = _client.ConnectAsync(builder.Build(), timeout.Token).GetAwaiter().GetResult();
                }
            }
            catch (Exception ex) when (!(ex is ArgumentException))
            {
                Close();
                int refused = RefusalIn(ex);
                if (refused > 0)
                {
                    return refused;
                }

                throw new TransportException("MQTT connect to " + options.Host + ":" + options.Port + " failed: " + Describe(ex), ex);
            }

            if (result.ResultCode != MqttClientConnectResultCode.Success)
            {
                Close();
                return ToMqtt311(result.ResultCode);
            }

            return 0;
        }

        /// <inheritdoc/>
        public void Subscribe(string[] topics)
        {
            MqttClientSubscribeOptionsBuilder builder = new MqttClientSubscribeOptionsBuilder();
            foreach (string topic in topics)
            {
                builder.WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce);
            }

            try
            {
                _client.SubscribeAsync(builder.Build()).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                throw new TransportException("MQTT subscribe failed: " + Describe(ex), ex);
            }
        }

        /// <inheritdoc/>
        public int Publish(string topic, byte[] payload, int qos)
        {
            if (!IsConnected)
            {
                throw new TransportException("MQTT publish: not connected");
            }

            MqttApplicationMessage message = new MqttApplicationMessageBuilder()
                .WithTopic(topic)
                .WithPayload(payload)
                .WithQualityOfServiceLevel(qos == 0 ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce)
                .Build();

            // MQTTnet completes each publish task when its PUBACK arrives (QoS 1) or its bytes are written (QoS 0) and
            // hides the packet id: hand out our own id and report each completion as it comes. Not in publish order: one
            // withheld PUBACK must not hold back the confirmations of the messages after it (the pump's in-flight
            // time-out deals with the missing one). QoS 0 is reported too, so the pump's window bounds the writes
            // waiting here: handed to MQTTnet all at once, thousands of QoS 0 publishes queue on its write lock and
            // its thread pool spins handing the lock from one to the next (measured: 0.29-0.45x the raw client's
            // delivered rate).
            int packetId = Interlocked.Increment(ref _nextPacketId) % 65535 + 1;
            if (qos == 0)
            {
                lock (_writes)
                {
                    if (_writing)
                    {
                        _writes.Enqueue(new QueuedWrite(message, packetId));
                        return packetId;
                    }

                    _writing = true;
                }

                WriteInTurn(message, packetId, true);
                return packetId;
            }

            Task<MqttClientPublishResult> sending;
            try
            {
                sending = _client.PublishAsync(message);
            }
            catch (Exception ex)
            {
                throw new TransportException("MQTT publish failed: " + Describe(ex), ex);
            }

            if (sending.IsCompleted)
            {
                ReportPublished(sending, packetId);
                return packetId;
            }

            // Run by the thread that completes the task (MQTTnet's PUBACK dispatch): reporting only posts to the pump's
            // inbox, which never waits for an acknowledgement, so no thread-pool hop per message is needed.
            sending.ContinueWith(t => ReportPublished(t, packetId), TaskContinuationOptions.ExecuteSynchronously);
            return packetId;
        }

        /// <summary>
        /// Writes QoS 0 messages one after the other: each starts when the one before is written, on the thread that
        /// finished it (the caller's while the socket takes the bytes at once). Handed to MQTTnet together, writes wait
        /// on its send lock and each waiter resumes on the thread pool (measured: ... ).
        /// </summary>
        private void WriteInTurn(MqttApplicationMessage message, int packetId, bool callersOwn)
        {
            while (true)
            {
                Task<MqttClientPublishResult> sending;
                try
                {
                    sending = _client.PublishAsync(message);
                }
                catch (Exception ex)
                {
                    // The link is going: what waits here is not written, and the pump sends it again after the next
                    // CONNECT (it was never reported). Only the caller's own message can still be refused to the caller.
                    lock (_writes)
                    {
                        _writes.Clear();
                        _writing = false;
                    }

                    if (callersOwn)
                    {
                        throw new TransportException("MQTT publish failed: " + Describe(ex), ex);
                    }

                    return;
                }

                if (!sending.IsCompleted)
                {
                    sending.ContinueWith(
                        t =>
                        {
                            ReportPublished(t, packetId);
                            QueuedWrite next;
                            if (TakeNextWrite(out next))
                            {
                                WriteInTurn(next.Message, next.PacketId, false);
                            }
                        },
                        TaskContinuationOptions.ExecuteSynchronously);
                    return;
                }

                ReportPublished(sending, packetId);
                QueuedWrite queued;
                if (!TakeNextWrite(out queued))
                {
                    return;
                }

                message = queued.Message;
                packetId = queued.PacketId;
                callersOwn = false;
            }
        }

        private bool TakeNextWrite(out QueuedWrite next)
        {
            lock (_writes)
            {
                if (_writes.Count == 0 || _closed)
                {
                    _writes.Clear();
                    _writing = false;
                    next = default;
                    return false;
                }

                next = _writes.Dequeue();
                return true;
            }
        }

        private readonly struct QueuedWrite
        {
            public QueuedWrite(MqttApplicationMessage message, int packetId)
            {
                Message = message;
                PacketId = packetId;
            }

            public MqttApplicationMessage Message { get; }

            public int PacketId { get; }
        }

        private void ReportPublished(Task<MqttClientPublishResult> sending, int packetId)
        {
            _ = sending.Exception;
            if (sending.Status == TaskStatus.RanToCompletion && sending.Result.IsSuccess && !_closed)
            {
                _events.OnPublished(packetId);
            }
        }

        /// <inheritdoc/>
        public void Close()
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _client.DisconnectedAsync -= OnDisconnected;
            try
            {
                if (_client.IsConnected)
                {
                    using (CancellationTokenSource timeout = new CancellationTokenSource(2000))
                    {
                        _client.DisconnectAsync(new MqttClientDisconnectOptions(), timeout.Token).GetAwaiter().GetResult();
                    }
                }
            }
            catch (Exception)
            {
                // Closing a broken link may fail; the socket is released by Dispose either way.
            }

            // OnReceived stays attached until the client is gone: without a handler MQTTnet acknowledges what arrives.
            _client.ApplicationMessageReceivedAsync -= OnReceived;
            _client.Dispose();
        }

        private Task OnReceived(MqttApplicationMessageReceivedEventArgs e)
        {
            if (_closed)
            {
                // Closing: not acknowledged, so the hub sends it again on the next connection instead of losing it.
                e.AutoAcknowledge = false;
            }
            else
            {
                // May wait while the pump's inbox is full (back-pressure) rather than drop: a message handed to us is one
                // the hub will consider delivered.
                _events.OnMessage(e.ApplicationMessage.Topic, e.ApplicationMessage.Payload.ToArray());
            }

            return Task.CompletedTask;
        }

        private Task OnDisconnected(MqttClientDisconnectedEventArgs e)
        {
            if (!_closed && e.ClientWasConnected)
            {
                _events.OnConnectionLost(e.Reason + (e.Exception != null ? " (" + Describe(e.Exception) + ")" : string.Empty));
            }

            return Task.CompletedTask;
        }

        private static int RefusalIn(Exception ex)
        {
            // MQTTnet reports a CONNACK refusal through an exception in some paths; recover the code from its result.
            for (Exception e = ex; e != null; e = e.InnerException)
            {
                object result = e.GetType().GetProperty("Result")?.GetValue(e);
                if (result is MqttClientConnectResult r && r.ResultCode != MqttClientConnectResultCode.Success)
                {
                    return ToMqtt311(r.ResultCode);
                }
            }

            return 0;
        }

        private static int ToMqtt311(MqttClientConnectResultCode code)
        {
            switch (code)
            {
                case MqttClientConnectResultCode.UnsupportedProtocolVersion: return 1;
                case MqttClientConnectResultCode.ClientIdentifierNotValid: return 2;
                case MqttClientConnectResultCode.ServerUnavailable: return 3;
                case MqttClientConnectResultCode.BadUserNameOrPassword: return 4;
                case MqttClientConnectResultCode.NotAuthorized: return 5;
                default: return 3;
            }
        }

        private static string Describe(Exception ex)
        {
            // Exception texts from the TLS and socket layers carry no secrets; the password never reaches them.
            Exception inner = ex;
            while (inner.InnerException != null)
            {
                inner = inner.InnerException;
            }

            return inner == ex ? ex.GetType().Name + ": " + ex.Message : ex.GetType().Name + ": " + ex.Message + " <- " + inner.GetType().Name + ": " + inner.Message;
        }
    }
}
