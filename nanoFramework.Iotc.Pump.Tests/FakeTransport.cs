// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// A scripted stand-in for DPS and the hub: records every request and publish, answers DPS from a queue, and lets a
    /// test play the server (messages, PUBACKs, a lost link) through the <see cref="IMqttEvents"/> the device handed over.
    /// </summary>
    public class FakeTransport : ITransportFactory, IHttpTransport, IDisposable
    {
        /// <summary>How often the SDK closed the DPS transport, and how many MQTT connections existed the last time.</summary>
        public int HttpClosed;
        public int ConnectionsWhenHttpClosed = -1;

        public readonly ArrayList HttpRequests = new ArrayList();
        public readonly ArrayList HttpResponses = new ArrayList();
        public readonly ArrayList Connections = new ArrayList();
        public int ConnackCode;
        public bool FailConnect;

        /// <summary>Plays a hub that no longer knows the device: CONNACK 5 for connections to this host.</summary>
        public string RefuseHost;

        /// <summary>Plays a link that dies while subscribing: Subscribe throws TransportException.</summary>
        public bool FailSubscribe;

        /// <summary>Plays a client that refuses a message itself (not the link): Publish throws ArgumentException for topics containing this.</summary>
        public string RefuseTopicsContaining;

        /// <summary>Plays a board's client, which wraps every publish failure: Publish throws TransportException for topics containing this.</summary>
        public string FailTopicsContaining;

        /// <summary>With <see cref="FailTopicsContaining"/>: the failure also closes the link.</summary>
        public bool FailureClosesLink;

        /// <summary>QoS 0 publishes get an id too, reported by the test when "written" (as the MQTTnet transport does).</summary>
        public bool ReportsQos0Writes;

        private int _holdConnect;

        /// <summary>Plays a slow or silent server: Connect waits (after taking its events) while this is true (read across threads).</summary>
        public bool HoldConnect
        {
            get { return System.Threading.Interlocked.CompareExchange(ref _holdConnect, 0, 0) == 1; }
            set { System.Threading.Interlocked.Exchange(ref _holdConnect, value ? 1 : 0); }
        }

        /// <summary>Plays a transport that cannot use its TLS settings (e.g. a key it cannot read): Connect and Send throw this.</summary>
        public Exception SettingsFailure;

        public FakeMqtt Current
        {
            get { return Connections.Count == 0 ? null : (FakeMqtt)Connections[Connections.Count - 1]; }
        }

        public IMqttTransport CreateMqttTransport()
        {
            FakeMqtt mqtt = new FakeMqtt(this);
            Connections.Add(mqtt);
            return mqtt;
        }

        public IHttpTransport CreateHttpTransport()
        {
            return this;
        }

        /// <summary>Queues a DPS answer.</summary>
        public void AddHttp(int status, string body, int retryAfter)
        {
            HttpResponse r = new HttpResponse();
            r.StatusCode = status;
            r.Body = body;
            r.RetryAfterSeconds = retryAfter;
            HttpResponses.Add(r);
        }

        /// <summary>Queues the usual two-step DPS assignment to <paramref name="hub"/>.</summary>
        public void AddAssignment(string hub, string deviceId)
        {
            AddHttp(202, "{\"operationId\":\"op-1\",\"status\":\"assigning\"}", 1);
            AddHttp(200, "{\"operationId\":\"op-1\",\"status\":\"assigned\",\"registrationState\":{\"registrationId\":\"" + deviceId + "\",\"assignedHub\":\"" + hub + "\",\"deviceId\":\"" + deviceId + "\",\"status\":\"assigned\",\"substatus\":\"initialAssignment\"}}", -1);
        }

        public HttpResponse Send(HttpRequest request)
        {
            HttpRequests.Add(request);
            if (SettingsFailure != null)
            {
                throw SettingsFailure;
            }

            if (HttpResponses.Count == 0)
            {
                throw new TransportException("no scripted DPS answer left");
            }

            HttpResponse r = (HttpResponse)HttpResponses[0];
            HttpResponses.RemoveAt(0);
            return r;
        }

        public void Dispose()
        {
            HttpClosed++;
            ConnectionsWhenHttpClosed = Connections.Count;
        }

        public HttpRequest Http(int index)
        {
            return (HttpRequest)HttpRequests[index];
        }
    }

    /// <summary>One fake MQTT connection.</summary>
    public class FakeMqtt : IMqttTransport
    {
        private readonly FakeTransport _owner;
        private int _nextPacketId;

        public FakeMqtt(FakeTransport owner)
        {
            _owner = owner;
        }

        public MqttConnectOptions Options;
        public IMqttEvents Events;
        public bool Open;
        public bool Closed;
        public string[] Subscriptions;
        public readonly ArrayList Topics = new ArrayList();
        public readonly ArrayList Payloads = new ArrayList();
        public readonly ArrayList PacketIds = new ArrayList();
        public readonly ArrayList Qos = new ArrayList();

        public bool IsConnected
        {
            get { return Open; }
        }

        public int Connect(MqttConnectOptions options, IMqttEvents events)
        {
            Options = options;
            Events = events;
            while (_owner.HoldConnect)
            {
                System.Threading.Thread.Sleep(1);
            }

            if (_owner.SettingsFailure != null)
            {
                throw _owner.SettingsFailure;
            }

            if (_owner.FailConnect)
            {
                throw new TransportException("connection refused (fake)");
            }

            if (_owner.ConnackCode != 0)
            {
                return _owner.ConnackCode;
            }

            if (options.Host == _owner.RefuseHost)
            {
                return 5;
            }

            Open = true;
            return 0;
        }

        public void Subscribe(string[] topics)
        {
            if (_owner.FailSubscribe)
            {
                throw new TransportException("subscribe refused (fake)");
            }

            Subscriptions = topics;
        }

        public int Publish(string topic, byte[] payload, int qos)
        {
            if (!Open)
            {
                throw new TransportException("not connected (fake)");
            }

            if (_owner.RefuseTopicsContaining != null && topic.IndexOf(_owner.RefuseTopicsContaining) >= 0)
            {
                throw new ArgumentException("topic refused (fake)", "topic");
            }

            if (_owner.FailTopicsContaining != null && topic.IndexOf(_owner.FailTopicsContaining) >= 0)
            {
                Open = !_owner.FailureClosesLink;
                throw new TransportException("publish failed (fake)");
            }

            Topics.Add(topic);
            Payloads.Add(payload);
            Qos.Add(qos);
            int id = qos == 0 && !_owner.ReportsQos0Writes ? 0 : ++_nextPacketId;
            PacketIds.Add(id);
            return id;
        }

        public void Close()
        {
            Open = false;
            Closed = true;
        }

        public string Topic(int index)
        {
            return (string)Topics[index];
        }

        public string Text(int index)
        {
            return nanoFramework.Iotc.Text.Utf8.GetString((byte[])Payloads[index]);
        }

        public int IndexOfTopicStartingWith(string prefix)
        {
            for (int i = 0; i < Topics.Count; i++)
            {
                if (((string)Topics[i]).IndexOf(prefix) == 0)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>Plays the server: a PUBACK for the publish at <paramref name="index"/>.</summary>
        public void Ack(int index)
        {
            Events.OnPublished((int)PacketIds[index]);
        }

        /// <summary>Plays the server: a PUBLISH to the device.</summary>
        public void Deliver(string topic, string payload)
        {
            Events.OnMessage(topic, nanoFramework.Iotc.Text.Utf8.GetBytes(payload));
        }

        /// <summary>Plays the server: a PUBLISH with exactly these payload bytes (e.g. invalid UTF-8).</summary>
        public void DeliverBytes(string topic, byte[] payload)
        {
            Events.OnMessage(topic, payload);
        }

        /// <summary>Plays the server: a PUBACK for any packet id, known or not.</summary>
        public void Puback(int packetId)
        {
            Events.OnPublished(packetId);
        }

        /// <summary>Plays the network: the link dies.</summary>
        public void Drop()
        {
            Open = false;
            Events.OnConnectionLost("fake drop");
        }
    }

    /// <summary>A clock tests move by hand; Sleep advances it instead of blocking.</summary>
    public class FakeClock : IClock
    {
        public long Now = 1700000000000;
        public long Slept;

        public long NowMilliseconds
        {
            get { return Now; }
        }

        public void Sleep(int milliseconds)
        {
            Now += milliseconds;
            Slept += milliseconds;
        }
    }
}
