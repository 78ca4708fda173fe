// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Threading;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Protocol;

// nanoCLR resolves assemblies by name and version; 0.0.0.0 is not a usable version there.
[assembly: AssemblyVersion("1.0.0.0")]

namespace Iotc.BoardSuite
{
    /// <summary>
    /// The device half of the board suite: runs on the networked nanoCLR with the real Board/ transports (M2Mqtt,
    /// System.Net + mbedTLS) against the emulator. It prints one line per step for tests/board/harness, which starts
    /// the emulator, acts on "@ready" lines (desired patch, command, C2D, drop) and asserts what the emulator received:
    ///   @case NAME | @ready WHAT [ARG] | @done WHAT [ARG] | @fact NAME VALUE | @fail WHAT REASON | @end
    /// Waits are for conditions (the pump is driven until the awaited callback arrived); the only limit is a safety
    /// net of <see cref="MaxWaitMs"/> so a lost event reports "@fail" instead of hanging.
    /// </summary>
    public static class Program
    {
        private const int MaxWaitMs = 120000;

        private static int _lastStatus = int.MinValue;
        private static int _connectCount;
        private static int _renewals;
        private static int _lostCount;
        private static int _refusals;
        private static int _sentCount;
        private static int _lastSentId = -1;
        private static int _lastSentStatus;
        private static string _lastSetting;
        private static long _lastSettingVersion = -1;
        private static string _lastCommand;
        private static string _lastC2d;
        private static string _lastC2dKind;
        private static bool[] _renewC2dSeen = new bool[0];
        private static int _renewC2dRaised;
        private static bool _renewC2dEnd;

        /// <summary>Runs every case in order; the harness checks the emulator's side after each.</summary>
        public static void Main()
        {
            Print("@start");
            Print("@fact heap_at_start " + FreeHeap().ToString());
            Run("server-cert-refused", new CaseRunner(ServerCertificateRefused));
            Run("wrong-key", new CaseRunner(WrongKeyRefused));
            Run("silent-dps", new CaseRunner(SilentDps));
            Run("sas", new CaseRunner(SymmetricKeyDevice));
            Run("token-renewal", new CaseRunner(TokenRenewal));
            Run("c2d-renewal", new CaseRunner(C2dDuringRenewal));
            Run("stall", new CaseRunner(StalledLink));
            Run("x509", new CaseRunner(X509Device));
            Run("x509-bad-key", new CaseRunner(X509BadKey));
            Run("tls-chains", new CaseRunner(TlsChains));
            Print("@end");
        }

        private delegate void CaseRunner();

        private static void Run(string name, CaseRunner body)
        {
            if (BoardConfig.Only.Length > 0 && BoardConfig.Only != name)
            {
                return;
            }

            Print("@case " + name);
            try
            {
                body();
            }
            catch (Exception ex)
            {
                Print("@fail " + name + " " + ex.GetType().Name + ": " + ex.Message);
            }
        }

        private static Device NewSasDevice(string deviceId, string key)
        {
            Device device = new Device(BoardConfig.IdScope, key, deviceId, IotConnectType.SymmetricKey);
            Configure(device);
            return device;
        }

        private static void Configure(Device device)
        {
            _lastSentId = -1;
            device.SetServiceHost(BoardConfig.DpsHost);
            device.SetHubPort(BoardConfig.HubPort);
            device.SetRootCertificate(BoardConfig.CaPem);
            device.SetLogLevel(BoardConfig.SdkLog ? IotLogLevel.All : IotLogLevel.Disabled);
            device.On(IotcEvents.ConnectionStatus, new IotcCallback(OnConnectionStatus));
            device.On(IotcEvents.MessageSent, new IotcCallback(OnMessageSent));
            device.On(IotcEvents.SettingsUpdated, new IotcCallback(OnSetting));
            device.On(IotcEvents.Command, new IotcCallback(OnCommand));
            device.On(IotcEvents.MessageReceived, new IotcCallback(OnC2d));
        }

        // The server certificate chains to the emulator's CA; a device that trusts another root must refuse the TLS
        // handshake with DPS, so DPS never sees a registration.
        private static void ServerCertificateRefused()
        {
            Device device = new Device(BoardConfig.IdScope, BoardConfig.SasKey, BoardConfig.CertRefusedDeviceId, IotConnectType.SymmetricKey);
            Configure(device);
            device.SetRootCertificate(BoardConfig.OtherCaPem);
            ExpectConnectFailure(device, "server-cert-refused");
        }

        // DPS refuses a SAS signed with the wrong key with 401; the SDK gives up (no retry can fix it).
        private static void WrongKeyRefused()
        {
            Device device = NewSasDevice(BoardConfig.WrongKeyDeviceId, BoardConfig.WrongKey);
            ExpectConnectFailure(device, "wrong-key");
        }

        // A DPS endpoint that completes the TLS handshake, takes the request and never answers: with a 2 s time-out the
        // HTTPS exchange (socket ReceiveTimeout under SslStream, then HttpWire's deadline) must give up, not hang.
        private static void SilentDps()
        {
            Device device = NewSasDevice(BoardConfig.SilentDeviceId, BoardConfig.SasKey);
            device.SetServiceHost("localhost:" + BoardConfig.SilentPort.ToString());
            device.SetRootCertificate(BoardConfig.SilentCaPem);
            device.SetTimeouts(60, 2000);
            long start = DateTime.UtcNow.Ticks;
            try
            {
                device.Connect();
                Print("@fail silent-dps connected although nobody answered");
            }
            catch (IotcException ex)
            {
                Print("@done silent-dps " + ex.StatusCode.ToString() + " " + ((DateTime.UtcNow.Ticks - start) / TimeSpan.TicksPerMillisecond).ToString());
            }

            device.Dispose();
        }

        private static void ExpectConnectFailure(Device device, string name)
        {
            try
            {
                device.Connect();
                Print("@fail " + name + " connected although it must not");
            }
            catch (IotcException ex)
            {
                Print("@done " + name + " " + ex.StatusCode.ToString() + " " + _lastStatus.ToString());
            }

            device.Dispose();
        }

        private static void SymmetricKeyDevice()
        {
            Print("@fact heap_before_device " + FreeHeap().ToString());
            Device device = NewSasDevice(BoardConfig.SasDeviceId, BoardConfig.SasKey);
            long start = DateTime.UtcNow.Ticks;
            device.Connect();
            Print("@done connect " + _lastStatus.ToString() + " " + device.HubHost);
            Print("@fact connect_ms " + ((DateTime.UtcNow.Ticks - start) / TimeSpan.TicksPerMillisecond).ToString());
            Print("@fact heap_after_connect " + FreeHeap().ToString());

            // Telemetry with a property bag, confirmed by MessageSent (PUBACK through M2Mqtt).
            PropertyBag bag = new PropertyBag().Add("kind", "board").Add("seq", "0");
            int id = device.SendTelemetry("{\"temperature\":21.5,\"seq\":0}", bag);
            PumpUntilSent(device, id);
            Print("@fact first_telemetry_ms " + ((DateTime.UtcNow.Ticks - start) / TimeSpan.TicksPerMillisecond).ToString());
            Print("@done telemetry " + id.ToString() + " " + _lastSentStatus.ToString());

            // A setting: the harness patches the desired property, the SDK raises it and acknowledges it.
            Print("@ready setting");
            Pump(device, new Condition(SettingArrived));
            Print("@done setting " + _lastSetting + " " + _lastSettingVersion.ToString());
            PumpIdle(device);

            // A command: answered in the callback.
            Print("@ready command");
            Pump(device, new Condition(CommandArrived));
            PumpIdle(device);
            Print("@done command " + _lastCommand);

            // C2D: received; M2Mqtt's PUBACK completes it on the hub.
            Print("@ready c2d");
            Pump(device, new Condition(C2dArrived));
            PumpIdle(device);
            Print("@done c2d " + _lastC2dKind + " " + _lastC2d);

            // A drop while messages are in flight: the harness withholds the hub's PUBACKs (and says so with a C2D
            // "go"), the device sends 10 (the in-flight window of 8 goes out, unacknowledged), then the emulator drops
            // the link. The SDK must reconnect and publish the unacknowledged ones again; then 10 more follow.
            _lastC2d = null;
            Print("@ready withhold");
            Pump(device, new Condition(C2dArrived));
            int connectsBefore = _connectCount;
            for (int i = 1; i <= 10; i++)
            {
                id = SendSeq(device, "drop", i);
            }

            PumpIdle(device);
            Print("@ready drop");
            Pump(device, new Condition(Reconnected), connectsBefore);
            PumpUntilSent(device, id);
            for (int i = 11; i <= 20; i++)
            {
                id = SendSeq(device, "drop", i);
            }

            PumpUntilSent(device, id);
            Print("@done drop " + (_connectCount - connectsBefore).ToString());

            // 1,000 messages: heap after, and the per-message cost of the real transports.
            Print("@fact heap_before_burst " + FreeHeap().ToString());
            int sentBefore = _sentCount;
            long burstStart = DateTime.UtcNow.Ticks;
            long burstPause;
            for (int i = 1; i <= BoardConfig.Messages; i++)
            {
                int messageId;
                while (!device.TrySendTelemetry("{\"seq\":" + i.ToString() + "}", null, out messageId))
                {
                    device.DoNext();
                }

                id = messageId;
                device.DoNext();
                if (i == BoardConfig.Messages / 10)
                {
                    // A tenth of the way: the heap must not keep shrinking with the message count.
                    PumpUntilSent(device, id);
                    burstPause = DateTime.UtcNow.Ticks;
                    Print("@fact heap_after_tenth_of_burst " + FreeHeap().ToString());
                    burstStart += DateTime.UtcNow.Ticks - burstPause;
                }
            }

            PumpUntilSent(device, id);
            long burstTicks = DateTime.UtcNow.Ticks - burstStart;
            Print("@fact burst_messages " + (_sentCount - sentBefore).ToString());
            Print("@fact burst_us_per_message " + (burstTicks / 10 / BoardConfig.Messages).ToString());
            Print("@fact heap_after_burst " + FreeHeap().ToString());
            Print("@done burst " + BoardConfig.Messages.ToString());
            device.Disconnect();
            device.Dispose();
            NoopBurst(burstTicks);
        }

        // The same 1,000 messages through the same pump over bench/'s no-op transport, in this process: what the real
        // transports (M2Mqtt, TLS, loopback, the emulator's PUBACK) add per message.
        private static void NoopBurst(long realTicks)
        {
            Iotc.Bench.NoopTransport noop = new Iotc.Bench.NoopTransport();
            noop.DeviceId = "noop-device";
            Device device = new Device(BoardConfig.IdScope, BoardConfig.SasKey, noop.DeviceId, IotConnectType.SymmetricKey);
            device.SetTransportFactory(noop);
            _lastSentId = -1;
            device.On(IotcEvents.MessageSent, new IotcCallback(OnMessageSent));
            device.Connect();
            long start = DateTime.UtcNow.Ticks;
            int id = 0;
            for (int i = 1; i <= BoardConfig.Messages; i++)
            {
                int messageId;
                while (!device.TrySendTelemetry("{\"seq\":" + i.ToString() + "}", null, out messageId))
                {
                    device.DoNext();
                }

                id = messageId;
                device.DoNext();
            }

            PumpUntilSent(device, id);
            long noopTicks = DateTime.UtcNow.Ticks - start;
            Print("@fact noop_us_per_message " + (noopTicks / 10 / BoardConfig.Messages).ToString());
            Print("@fact real_over_noop " + (noopTicks == 0 ? "-" : ((realTicks * 10 / noopTicks) / 10).ToString() + "." + ((realTicks * 10 / noopTicks) % 10).ToString()));
            device.Dispose();
        }

        // The token lives 10 s; the SDK reconnects with a fresh one at 80 %, so the hub never closes the link for an
        // expired token, and telemetry sent after the renewal arrives.
        private static void TokenRenewal()
        {
            Device device = NewSasDevice(BoardConfig.RenewDeviceId, BoardConfig.RenewKey);
            device.SetTokenExpiration(10);
            device.Connect();
            int renewalsBefore = _renewals;
            int connectsBefore = _connectCount;
            Pump(device, new Condition(Renewed), renewalsBefore);
            Pump(device, new Condition(Reconnected), connectsBefore);
            int id = device.SendTelemetry("{\"afterRenewal\":1}");
            PumpUntilSent(device, id);
            Print("@done token-renewal " + (_renewals - renewalsBefore).ToString());
            device.Disconnect();
            device.Dispose();
        }

        // C2D messages M2Mqtt has acknowledged must reach the app when the pump itself closes the link (token renewal).
        // The app pumps nothing while the harness sends them: the inbox fills (64 KB), M2Mqtt's dispatch thread waits
        // with the next one, and M2Mqtt still PUBACKs the rest on receipt (they are completed on the hub) and queues
        // them. The harness says "go" over a plain socket once the hub shows all of them completed; when the renewal is
        // due, the first DoNext takes the inbox and then closes the link with the rest still queued in M2Mqtt.
        private static void C2dDuringRenewal()
        {
            Device device = NewSasDevice(BoardConfig.RenewC2dDeviceId, BoardConfig.RenewC2dKey);
            device.SetTokenExpiration(BoardConfig.RenewC2dTokenSeconds);
            _renewC2dSeen = new bool[BoardConfig.RenewC2dMessages];
            _renewC2dRaised = 0;
            _renewC2dEnd = false;
            device.Connect();
            long renewalDue = DateTime.UtcNow.Ticks + (long)BoardConfig.RenewC2dTokenSeconds * 800 * TimeSpan.TicksPerMillisecond;
            int renewalsBefore = _renewals;
            int connectsBefore = _connectCount;
            Print("@ready c2d-renewal");
            WaitForHarness();

            // Not a timed wait: the SDK renews at 80 % of the token's life counted from before Connect() returned, so
            // once this moment has passed the next DoNext is the one that closes the link.
            while (DateTime.UtcNow.Ticks < renewalDue)
            {
                Thread.Sleep(10);
            }

            Pump(device, new Condition(Renewed), renewalsBefore);
            Pump(device, new Condition(Reconnected), connectsBefore);

            // A last message after the reconnect: once it is raised, everything of the closed connection was raised.
            Print("@ready c2d-renewal-end");
            Pump(device, new Condition(RenewC2dEnded));
            PumpIdle(device);
            int seen = 0;
            for (int i = 0; i < _renewC2dSeen.Length; i++)
            {
                if (_renewC2dSeen[i])
                {
                    seen++;
                }
            }

            Print("@done c2d-renewal " + seen.ToString() + " " + _renewC2dRaised.ToString() + " " + (_renewals - renewalsBefore).ToString());
            device.Disconnect();
            device.Dispose();
        }

        // Blocks (without pumping) until the harness writes one byte on its signal socket. Polls Available rather than
        // blocking in Receive so M2Mqtt's threads keep running on any runtime.
        private static void WaitForHarness()
        {
            using (Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                socket.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.1"), BoardConfig.SignalPort));
                long limit = DateTime.UtcNow.Ticks + MaxWaitMs * TimeSpan.TicksPerMillisecond;
                while (socket.Available == 0)
                {
                    if (DateTime.UtcNow.Ticks > limit)
                    {
                        throw new Exception("the harness never said go");
                    }

                    Thread.Sleep(10);
                }

                socket.Receive(new byte[1]);
            }
        }

        private static bool RenewC2dEnded(int since)
        {
            return _renewC2dEnd;
        }

        // The hub stops acknowledging (PUBACKs withheld): after the in-flight time-out (2 s here) the SDK must count the
        // link as stalled, reconnect and publish the unacknowledged messages again. The harness then lets the hub refuse
        // connects for a while (CONNACK 3) and drops the link: the SDK must keep trying and get back. Last, a C2D
        // message of 6,000 bytes (several TLS records, more than one M2Mqtt read) arrives whole.
        private static void StalledLink()
        {
            Device device = NewSasDevice(BoardConfig.StallDeviceId, BoardConfig.StallKey);
            device.SetInFlightWindow(8, 2000);
            device.SetReconnectBackoff(200, 1000);
            device.Connect();
            _lastC2d = null;
            Print("@ready stall");
            Pump(device, new Condition(C2dArrived));
            int connectsBefore = _connectCount;
            int id = 0;
            for (int i = 1; i <= 5; i++)
            {
                id = SendSeq(device, "stall", i);
            }

            Pump(device, new Condition(LinkLost), connectsBefore);
            Print("@ready unstall");
            Pump(device, new Condition(Reconnected), connectsBefore);
            PumpUntilSent(device, id);
            Print("@done stall " + (_connectCount - connectsBefore).ToString());

            connectsBefore = _connectCount;
            int lostBefore = _lostCount;
            Print("@ready refuse");
            Pump(device, new Condition(LinkLost), lostBefore);
            Pump(device, new Condition(Reconnected), connectsBefore);
            id = SendSeq(device, "refuse", 1);
            PumpUntilSent(device, id);
            Print("@done refuse " + _refusals.ToString());

            _lastC2d = null;
            Print("@ready bigc2d");
            Pump(device, new Condition(C2dArrived));
            PumpIdle(device);
            Print("@done bigc2d " + Utf8Length(_lastC2d).ToString() + " " + _lastC2dKind);
            device.Disconnect();
            device.Dispose();
        }

        private static int Utf8Length(string text)
        {
            return text == null ? -1 : System.Text.Encoding.UTF8.GetBytes(text).Length;
        }

        private static void X509Device()
        {
            Device device = new Device(BoardConfig.IdScope, BoardConfig.X509CertPem, BoardConfig.X509KeyPem, BoardConfig.X509DeviceId);
            Configure(device);
            device.Connect();
            int id = device.SendTelemetry("{\"x509\":1}");
            PumpUntilSent(device, id);
            Print("@done x509 " + _lastStatus.ToString());
            device.Disconnect();
            device.Dispose();
        }

        // A private key that cannot work must end in InvalidCredential (-9), not in network-error retries: a corrupt
        // key at the constructor; a well-formed key of another certificate when the TLS handshake fails.
        private static void X509BadKey()
        {
            string corrupt = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAnotarealkeynotarealkeynotarealkeynotarealkey\n-----END RSA PRIVATE KEY-----\n";
            Print("@fact x509_corrupt_key_runtime " + TryPair(BoardConfig.X509CertPem, corrupt));
            Print("@fact x509_mismatched_key_runtime " + TryPair(BoardConfig.MismatchCertPem, BoardConfig.X509KeyPem));
            try
            {
                new Device(BoardConfig.IdScope, BoardConfig.X509CertPem, corrupt, BoardConfig.X509DeviceId).Dispose();
                Print("@done x509-corrupt-key accepted");
            }
            catch (IotcException ex)
            {
                Print("@done x509-corrupt-key " + ex.StatusCode.ToString());
            }

            Device device;
            try
            {
                device = new Device(BoardConfig.IdScope, BoardConfig.MismatchCertPem, BoardConfig.X509KeyPem, BoardConfig.MismatchDeviceId);
            }
            catch (IotcException ex)
            {
                Print("@done x509-mismatched-key constructor " + ex.StatusCode.ToString());
                return;
            }

            Configure(device);
            try
            {
                device.Connect();
                Print("@fail x509-mismatched-key connected");
            }
            catch (IotcException ex)
            {
                Print("@fact x509_mismatched_key_failure " + Chain(ex));
                Print("@done x509-mismatched-key connect " + ex.StatusCode.ToString() + " " + _lastStatus.ToString());
            }

            device.Dispose();

            // The same pair straight to the hub (a stored assignment skips DPS): M2Mqtt's handshake is refused likewise.
            device = new Device(BoardConfig.IdScope, BoardConfig.MismatchCertPem, BoardConfig.X509KeyPem, BoardConfig.MismatchDeviceId);
            Configure(device);
            device.SetProvisioningStore(new StoredAssignment("{\"scope\":\"" + BoardConfig.IdScope + "\",\"registrationId\":\"" + BoardConfig.MismatchDeviceId
                + "\",\"dps\":\"" + BoardConfig.DpsHost + "\",\"hub\":\"localhost\",\"deviceId\":\"" + BoardConfig.MismatchDeviceId + "\"}"));
            try
            {
                device.Connect();
                Print("@fail x509-mismatched-key-hub connected");
            }
            catch (IotcException ex)
            {
                Print("@fact x509_mismatched_key_hub_failure " + Chain(ex));
                Print("@done x509-mismatched-key-hub " + ex.StatusCode.ToString());
            }

            device.Dispose();

            // No false positive: the same X.509 device (a good pair) refusing the server's certificate itself is a
            // TLS failure on this side, which stays a network error (-1).
            device = new Device(BoardConfig.IdScope, BoardConfig.X509CertPem, BoardConfig.X509KeyPem, BoardConfig.X509DeviceId);
            Configure(device);
            device.SetRootCertificate(BoardConfig.OtherCaPem);
            try
            {
                device.Connect();
                Print("@fail x509-other-root connected");
            }
            catch (IotcException ex)
            {
                Print("@fact x509_other_root_failure " + Chain(ex));
                Print("@done x509-other-root " + ex.StatusCode.ToString());
            }

            device.Dispose();
        }

        // What System.Net's SslStream (mbedTLS) does with the certificates a server presents when only a root is
        // configured: a chain with an intermediate, the leaf alone, a leaf whose EKU is only clientAuth, one without EKU.
        private static void TlsChains()
        {
            System.Security.Cryptography.X509Certificates.X509Certificate root = new System.Security.Cryptography.X509Certificates.X509Certificate(BoardConfig.ChainRootPem);
            for (int i = 0; i < BoardConfig.ChainCases.Length; i++)
            {
                string outcome;
                try
                {
                    using (Socket socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                    {
                        socket.ReceiveTimeout = MaxWaitMs;
                        socket.Connect(new IPEndPoint(IPAddress.Parse("127.0.0.1"), BoardConfig.ChainPorts[i]));
                        using (System.Net.Security.SslStream tls = new System.Net.Security.SslStream(socket))
                        {
                            tls.AuthenticateAsClient("localhost", null, root, System.Net.Security.SslProtocols.Tls12);
                            tls.Write(new byte[] { (byte)'h', (byte)'i' }, 0, 2);
                            byte[] answer = new byte[1];
                            int read = tls.Read(answer, 0, 1);
                            outcome = read == 1 ? "accepted" : "closed";
                        }
                    }
                }
                catch (Exception ex)
                {
                    outcome = "refused " + Chain(ex);
                }

                Print("@done tls-chain " + BoardConfig.ChainCases[i] + " " + outcome);
            }
        }

        // The certificate + key pair as System.Net reads it: "accepted" or the exception's type.
        private static string TryPair(string certificatePem, string keyPem)
        {
            try
            {
                new System.Security.Cryptography.X509Certificates.X509Certificate2(certificatePem, keyPem, null);
                return "accepted";
            }
            catch (Exception ex)
            {
                return ex.GetType().Name;
            }
        }

        // Exception types down the inner chain, with a SocketException's error code: no messages (they may name keys).
        private static string Chain(Exception ex)
        {
            string text = "";
            while (ex != null)
            {
                text += (text.Length == 0 ? "" : ">") + ex.GetType().Name;
                SocketException socket = ex as SocketException;
                if (socket != null)
                {
                    text += "(" + socket.ErrorCode.ToString() + ")";
                }

                ex = ex.InnerException;
            }

            return text;
        }

        // A provisioning store holding one assignment (never changed by the SDK's Save or Clear here).
        private sealed class StoredAssignment : IProvisioningStore
        {
            private readonly string _record;

            internal StoredAssignment(string record)
            {
                _record = record;
            }

            public string Load()
            {
                return _record;
            }

            public void Save(string record)
            {
            }

            public void Clear()
            {
            }
        }

        private static int SendSeq(Device device, string tag, int seq)
        {
            int id;
            PropertyBag bag = new PropertyBag().Add("case", tag);
            while (!device.TrySendTelemetry("{\"seq\":" + seq.ToString() + "}", bag, out id))
            {
                device.DoNext();
            }

            return id;
        }

        private delegate bool Condition(int since);

        private static int _waitFor;

        private static bool SentUpTo(int since)
        {
            return _lastSentId >= _waitFor;
        }

        private static bool SettingArrived(int since)
        {
            return _lastSetting != null;
        }

        private static bool CommandArrived(int since)
        {
            return _lastCommand != null;
        }

        private static bool C2dArrived(int since)
        {
            return _lastC2d != null;
        }

        private static bool LinkLost(int since)
        {
            return _lostCount > since || _lastStatus != IotcStatus.Connected;
        }

        private static bool Reconnected(int since)
        {
            return _connectCount > since && _lastStatus == IotcStatus.Connected;
        }

        private static bool Renewed(int since)
        {
            return _renewals > since;
        }

        private static void PumpUntilSent(Device device, int id)
        {
            _waitFor = id;
            Pump(device, new Condition(SentUpTo));
        }

        private static void Pump(Device device, Condition done)
        {
            Pump(device, done, 0);
        }

        private static void Pump(Device device, Condition done, int since)
        {
            long limit = DateTime.UtcNow.Ticks + MaxWaitMs * TimeSpan.TicksPerMillisecond;
            while (!done(since))
            {
                if (DateTime.UtcNow.Ticks > limit)
                {
                    throw new Exception("gave up waiting after " + (MaxWaitMs / 1000).ToString() + " s (status " + _lastStatus.ToString() + ")");
                }

                device.DoNext();
                Thread.Sleep(2);
            }
        }

        // A few more pump steps so answers queued in a callback (command response, setting ack) go out.
        private static void PumpIdle(Device device)
        {
            for (int i = 0; i < 50; i++)
            {
                device.DoNext();
                Thread.Sleep(2);
            }
        }

        private static uint FreeHeap()
        {
            return nanoFramework.Runtime.Native.GC.Run(false);
        }

        private static void OnConnectionStatus(IotcCallbackInfo info)
        {
            _lastStatus = info.StatusCode;
            if (info.StatusCode == IotcStatus.Connected)
            {
                _connectCount++;
            }
            else if (info.StatusCode == IotcStatus.TokenRenewal)
            {
                _renewals++;
            }
            else if (info.StatusCode == IotcStatus.ConnectionLost)
            {
                _lostCount++;
            }
            else if (info.StatusCode == 3)
            {
                _refusals++;
            }

            Print("@status " + info.StatusCode.ToString());
        }

        private static void OnMessageSent(IotcCallbackInfo info)
        {
            _sentCount++;
            _lastSentStatus = info.StatusCode;
            if (info.MessageId > _lastSentId)
            {
                _lastSentId = info.MessageId;
            }
        }

        private static void OnSetting(IotcCallbackInfo info)
        {
            _lastSetting = info.Tag + "=" + info.Payload;
            _lastSettingVersion = info.DesiredVersion;
        }

        private static void OnCommand(IotcCallbackInfo info)
        {
            _lastCommand = info.Tag + " " + info.Payload;
            info.SetResponse(200, "{\"echo\":" + info.Payload + "}");
        }

        private static void OnC2d(IotcCallbackInfo info)
        {
            _lastC2d = info.Payload;
            _lastC2dKind = info.Properties == null ? "-" : info.Properties.Get("kind");
            if (_lastC2dKind == "renew")
            {
                _renewC2dRaised++;
                int seq = int.Parse(info.Properties.Get("seq"));
                if (seq >= 0 && seq < _renewC2dSeen.Length)
                {
                    _renewC2dSeen[seq] = true;
                }
            }
            else if (_lastC2dKind == "renew-end")
            {
                _renewC2dEnd = true;
            }
        }

        private static void Print(string line)
        {
            Console.WriteLine(line);
        }
    }
}
