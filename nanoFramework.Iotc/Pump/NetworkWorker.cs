// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Threading;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// One blocking network exchange of a connection attempt (a DPS request, or MQTT CONNECT plus SUBSCRIBE) on a thread
    /// of its own, so DoNext() keeps returning while a TLS handshake or a silent server takes seconds. It only calls the
    /// transport: no log line, callback or pump state is touched on its thread; the Session reads the outcome on the
    /// application's thread once <see cref="IsDone"/>.
    /// </summary>
    internal sealed class NetworkWorker
    {
        private readonly IHttpTransport _http;
        private readonly HttpRequest _request;
        private readonly IMqttTransport _mqtt;
        private readonly MqttConnectOptions _options;
        private readonly IMqttEvents _events;
        private readonly string[] _topics;
        // 0/1 through Interlocked: the two threads share them (nanoFramework's mscorlib has no volatile).
        private int _done;
        private int _abandoned;

        private NetworkWorker(IHttpTransport http, HttpRequest request, IMqttTransport mqtt, MqttConnectOptions options, IMqttEvents events, string[] topics)
        {
            _http = http;
            _request = request;
            _mqtt = mqtt;
            _options = options;
            _events = events;
            _topics = topics;
        }

        /// <summary>The DPS answer (HTTP exchanges).</summary>
        internal HttpResponse Response;

        /// <summary>The CONNACK code (MQTT exchanges); -1 while CONNECT has not returned one.</summary>
        internal int Connack = -1;

        /// <summary>What the transport threw, or null.</summary>
        internal Exception Failure;

        /// <summary>The MQTT transport being connected (null for HTTP).</summary>
        internal IMqttTransport Mqtt
        {
            get { return _mqtt; }
        }

        /// <summary>True once the exchange ended; its outcome fields are then final.</summary>
        internal bool IsDone
        {
            get { return Interlocked.CompareExchange(ref _done, 0, 0) == 1; }
        }

        /// <summary>Sends <paramref name="request"/> on a new thread.</summary>
        internal static NetworkWorker Send(IHttpTransport http, HttpRequest request)
        {
            NetworkWorker worker = new NetworkWorker(http, request, null, null, null, null);
            worker.Start();
            return worker;
        }

        /// <summary>Connects <paramref name="mqtt"/> and, when accepted, subscribes to <paramref name="topics"/>, on a new thread.</summary>
        internal static NetworkWorker Connect(IMqttTransport mqtt, MqttConnectOptions options, IMqttEvents events, string[] topics)
        {
            NetworkWorker worker = new NetworkWorker(null, null, mqtt, options, events, topics);
            worker.Start();
            return worker;
        }

        /// <summary>The pump no longer wants the outcome (Disconnect): a connection made anyway is closed, now or when it is made.</summary>
        internal void Abandon()
        {
            Interlocked.Exchange(ref _abandoned, 1);
            if (_mqtt != null)
            {
                CloseQuietly(_mqtt);
            }
        }

        private void Start()
        {
            Thread thread = new Thread(Run);
            thread.Start();
        }

        private void Run()
        {
            try
            {
                if (_http != null)
                {
                    Response = _http.Send(_request);
                }
                else
                {
                    Connack = _mqtt.Connect(_options, _events);
                    if (Connack == 0 && !Abandoned)
                    {
                        _mqtt.Subscribe(_topics);
                    }
                }
            }
            catch (Exception ex)
            {
                Failure = ex;
            }

            if (Abandoned && _mqtt != null)
            {
                CloseQuietly(_mqtt);
            }

            // Last: the outcome fields above are written before the pump can see the exchange as done.
            Interlocked.Exchange(ref _done, 1);
        }

        private bool Abandoned
        {
            get { return Interlocked.CompareExchange(ref _abandoned, 0, 0) == 1; }
        }

        private static void CloseQuietly(IMqttTransport mqtt)
        {
            try
            {
                mqtt.Close();
            }
            catch (Exception)
            {
                // Close() must not throw; one that does anyway must not end this thread with an exception.
            }
        }
    }
}
