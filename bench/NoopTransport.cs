// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Transport;

namespace Iotc.Bench
{
    /// <summary>
    /// In-process transports for the pump benchmarks: DPS answers "assigned" at once, and the MQTT side keeps nothing,
    /// acknowledges every QoS 1 publish immediately through <see cref="IMqttEvents.OnPublished"/> (the Device queues it
    /// and handles it in its next DoNext, as it would a real PUBACK from the transport's thread) and answers the twin
    /// GET the Device sends on connect. What is left is the cost of the Device pump itself.
    /// </summary>
    internal sealed class NoopTransport : ITransportFactory, IHttpTransport, IMqttTransport
    {
        internal const string Hub = "bench-hub.azure-devices.net";

        private const string TwinGetPrefix = "$iothub/twin/GET/?$rid=";
        private const string MethodResponse200Prefix = "$iothub/methods/res/200/";
        private const string TwinDocument = "{\"desired\":{\"$version\":1},\"reported\":{\"$version\":1}}";

        private IMqttEvents _events;
        private int _nextPacketId;

        public bool IsConnected { get; private set; }

        /// <summary>Publishes seen, by kind; counters only, so the transport allocates nothing per message.</summary>
        public long Publishes { get; private set; }

        public long TelemetryPublishes { get; private set; }

        public long CommandResponses200 { get; private set; }

        public string DeviceId { get; set; } = "bench-device";

        public IMqttTransport CreateMqttTransport()
        {
            return this;
        }

        public IHttpTransport CreateHttpTransport()
        {
            return this;
        }

        // DPS may answer the register PUT with "assigned" directly; that skips the Retry-After wait of a poll.
        public HttpResponse Send(HttpRequest request)
        {
            HttpResponse r = new HttpResponse();
            r.StatusCode = 200;
            r.Body = "{\"operationId\":\"op-1\",\"status\":\"assigned\",\"registrationState\":{\"registrationId\":\"" + DeviceId
                + "\",\"assignedHub\":\"" + Hub + "\",\"deviceId\":\"" + DeviceId + "\",\"status\":\"assigned\",\"substatus\":\"initialAssignment\"}}";
            return r;
        }

        public int Connect(MqttConnectOptions options, IMqttEvents events)
        {
            _events = events;
            IsConnected = true;
            return 0;
        }

        public void Subscribe(string[] topics)
        {
        }

        public int Publish(string topic, byte[] payload, int qos)
        {
            if (!IsConnected)
            {
                throw new TransportException("not connected (bench)");
            }

            Publishes++;
            if (Starts(topic, "devices/"))
            {
                TelemetryPublishes++;
            }
            else if (Starts(topic, MethodResponse200Prefix))
            {
                CommandResponses200++;
            }
            else if (Starts(topic, TwinGetPrefix))
            {
                _events.OnMessage("$iothub/twin/res/200/?$rid=" + topic.Substring(TwinGetPrefix.Length), nanoFramework.Iotc.Text.Utf8.GetBytes(TwinDocument));
            }

            if (qos == 0)
            {
                return 0;
            }

            // MQTT packet ids are 1..65535.
            _nextPacketId = _nextPacketId == 65535 ? 1 : _nextPacketId + 1;
            _events.OnPublished(_nextPacketId);
            return _nextPacketId;
        }

        public void Close()
        {
            IsConnected = false;
        }

        // Also built for nanoFramework (bench/nf), whose mscorlib has no StringComparison.
        private static bool Starts(string text, string prefix)
        {
#if NANOFRAMEWORK_1_0
            return text.StartsWith(prefix);
#else
            return text.StartsWith(prefix, StringComparison.Ordinal);
#endif
        }

        /// <summary>Hands the Device a message as if the hub had sent it (the Device queues it for its next DoNext).</summary>
        public void Deliver(string topic, byte[] payload)
        {
            _events.OnMessage(topic, payload);
        }
    }
}
