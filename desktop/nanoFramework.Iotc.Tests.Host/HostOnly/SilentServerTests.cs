// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Host-only: the .NET transports (MQTTnet, then HttpClient for DPS) against a server that accepts TCP and never
// answers (no TLS ServerHello). With the
// default background connect, no DoNext() waits for the handshake; the longest call is recorded and printed, and only
// compared with the connect time-out (a quarter of it), which a call that waited for the network could not stay under.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using nanoFramework.Iotc.Desktop;
using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.Iotc.Transport;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.HostOnly
{
    [TestClass]
    public class SilentServerTests
    {
        private const int ConnectTimeoutMs = 2000;

        [TestMethod]
        public void AServerThatNeverAnswers_HoldsNoDoNext()
        {
            TcpListener silent = new TcpListener(IPAddress.Loopback, 0);
            silent.Start(16);
            List<TcpClient> accepted = new List<TcpClient>();
            try
            {
                // The first connection (DPS and hub) is the fake's; every later one MQTTnet's or HttpClient's, to the silent
                // server. After five failed hub attempts the device provisions again: a DPS request to it too.
                FakeTransport fake = new FakeTransport();
                fake.AddAssignment("localhost", "dev-1");
                Mixed factory = new Mixed(fake);
                Device device = new Device("0ne00000001", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "dev-1", IotConnectType.SymmetricKey);
                device.SetTransportFactory(factory);
                device.SetConnectInBackground(true);
                device.SetHubPort(((IPEndPoint)silent.LocalEndpoint).Port);
                device.SetServiceHost("localhost:" + ((IPEndPoint)silent.LocalEndpoint).Port);
                device.SetTimeouts(5, ConnectTimeoutMs);
                device.SetReconnectBackoff(10, 20);
                List<int> statuses = new List<int>();
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
                device.Connect();
                fake.Current.Drop();

                // Six whole attempts against the silent server (each ends with its time-out), DoNext in a tight loop.
                long longest = 0;
                long calls = 0;
                Stopwatch total = Stopwatch.StartNew();
                while (statuses.FindAll(s => s == IotcStatus.NetworkError).Count < 6 && total.ElapsedMilliseconds < 120000)
                {
                    while (silent.Pending())
                    {
                        accepted.Add(silent.AcceptTcpClient());
                    }

                    long start = Stopwatch.GetTimestamp();
                    device.DoNext();
                    long ms = (Stopwatch.GetTimestamp() - start) * 1000 / Stopwatch.Frequency;
                    longest = Math.Max(longest, ms);
                    calls++;
                    System.Threading.Thread.Sleep(1);
                }

                Console.WriteLine("silent server: " + calls + " DoNext calls over " + total.ElapsedMilliseconds + " ms, longest " + longest + " ms (connect time-out " + ConnectTimeoutMs + " ms)");
                Assert.IsTrue(statuses.FindAll(s => s == IotcStatus.NetworkError).Count >= 6, "six attempts timed out: " + string.Join(",", statuses));
                Assert.IsTrue(factory.SilentDpsRequests >= 1, "one of them a DPS request");
                Assert.IsTrue(accepted.Count >= 6, "the server accepted TCP each time: " + accepted.Count);
                Assert.IsTrue(longest < ConnectTimeoutMs / 4, "longest DoNext " + longest + " ms");
                device.Dispose();
            }
            finally
            {
                silent.Stop();
                foreach (TcpClient client in accepted)
                {
                    client.Dispose();
                }
            }
        }

        private sealed class Mixed : ITransportFactory
        {
            private readonly FakeTransport _fake;
            private int _created;
            private int _http;

            /// <summary>HTTP transports handed out for the silent server.</summary>
            internal int SilentDpsRequests
            {
                get { return Math.Max(0, _http - 1); }
            }

            internal Mixed(FakeTransport fake)
            {
                _fake = fake;
            }

            public IMqttTransport CreateMqttTransport()
            {
                return _created++ == 0 ? _fake.CreateMqttTransport() : new MqttNetTransport();
            }

            public IHttpTransport CreateHttpTransport()
            {
                return _http++ == 0 ? _fake : new HttpClientTransport();
            }
        }
    }
}
