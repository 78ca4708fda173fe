// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Reflection;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;

// nanoCLR resolves assemblies by name and version; 0.0.0.0 is not a usable version there.
[assembly: AssemblyVersion("1.0.0.0")]

namespace Iotc.NanoClrNet
{
    /// <summary>
    /// Exercises unmodified managed System.Net on the networked nanoCLR: DNS, TCP over loopback, the
    /// Winsock error codes the board code relies on, and TLS through mbedTLS with validation on. Each check
    /// prints "PROBE name ok|FAIL detail (ms)"; the last line counts the failures. The TLS servers
    /// (openssl s_server) and the certificates come from run-probe.sh through ProbeSettings.
    /// </summary>
    public static class NetProbe
    {
        private const int ConnectionRefused = 10061;
        private const int TimedOut = 10060;

        private static int _failures;

        /// <summary>Runs every check once.</summary>
        public static void Main()
        {
            Check("dns-localhost", DnsResolvesLocalhost);
            Check("ipaddress-parse", IpAddressParses);
            Check("tcp-roundtrip", TcpRoundTrip);
            Check("tcp-bulk-1MiB", TcpBulkTransfer);
            Check("tcp-receive-timeout", TcpReceiveTimesOut);
            Check("tcp-refused-10061", ClosedPortRefuses);
            Check("tls-right-root", TlsWithRightRoot);
            Check("tls-wrong-root-refused", TlsWithWrongRootIsRefused);
            Check("tls-client-certificate", TlsWithClientCertificate);
            Check("tls-client-certificate-ec-p256", TlsWithEcClientCertificate);
            Check("tls-no-client-certificate-refused", TlsWithoutClientCertificateIsRefused);
            Check("tls-full-duplex", TlsFullDuplex);
            Console.WriteLine("PROBE DONE failures=" + _failures);
        }

        private delegate string ProbeCheck();

        private static void Check(string name, ProbeCheck check)
        {
            long start = DateTime.UtcNow.Ticks;
            string failure;
            try
            {
                failure = check();
            }
            catch (Exception e)
            {
                failure = "unexpected " + e.GetType().Name + ": " + e.Message + ErrorCodeOf(e);
            }
            long ms = (DateTime.UtcNow.Ticks - start) / TimeSpan.TicksPerMillisecond;
            if (failure == null)
            {
                Console.WriteLine("PROBE " + name + " ok (" + ms + " ms)");
            }
            else
            {
                _failures++;
                Console.WriteLine("PROBE " + name + " FAIL " + failure + " (" + ms + " ms)");
            }
        }

        private static string ErrorCodeOf(Exception e)
        {
            SocketException socketError = e as SocketException;
            return socketError == null ? "" : " (SocketException " + socketError.ErrorCode + ")";
        }

        private static string DnsResolvesLocalhost()
        {
            IPHostEntry entry = Dns.GetHostEntry("localhost");
            foreach (IPAddress address in entry.AddressList)
            {
                if (address.ToString() == "127.0.0.1")
                {
                    return null;
                }
            }
            return "localhost did not resolve to 127.0.0.1 (" + entry.AddressList.Length + " addresses)";
        }

        private static string IpAddressParses()
        {
            string text = IPAddress.Parse("192.168.10.254").ToString();
            return text == "192.168.10.254" ? null : "parsed back as " + text;
        }

        private static Socket Listen(out int port)
        {
            Socket listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(1);
            port = ((IPEndPoint)listener.LocalEndPoint).Port;
            return listener;
        }

        private static Socket Connect(int port)
        {
            Socket client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            client.Connect(new IPEndPoint(IPAddress.Loopback, port));
            return client;
        }

        // A server thread on the same runtime accepts one connection and answers "pong:" + what it got.
        private static string TcpRoundTrip()
        {
            int port;
            Socket listener = Listen(out port);
            string serverFailure = "server thread did not finish";
            Thread server = new Thread(() =>
            {
                try
                {
                    using (Socket accepted = listener.Accept())
                    {
                        byte[] buffer = new byte[64];
                        int count = accepted.Receive(buffer);
                        byte[] answer = Encoding.UTF8.GetBytes("pong:" + new string(Encoding.UTF8.GetChars(buffer, 0, count)));
                        accepted.Send(answer);
                    }
                    serverFailure = null;
                }
                catch (Exception e)
                {
                    serverFailure = "server: " + e.GetType().Name + ErrorCodeOf(e);
                }
            });
            server.Start();

            string reply;
            using (Socket client = Connect(port))
            {
                client.ReceiveTimeout = 10000;
                client.Send(Encoding.UTF8.GetBytes("ping"));
                reply = ReadToClose(client);
            }
            server.Join();
            listener.Close();
            if (serverFailure != null)
            {
                return serverFailure;
            }
            return reply == "pong:ping" ? null : "reply was '" + reply + "'";
        }

        // 1 MiB one way: the sender outruns the socket buffers, so send and receive both hit would-block
        // and park on Event_Socket until the watcher wakes them. Checks every byte (pattern i % 251).
        private static string TcpBulkTransfer()
        {
            const int total = 1024 * 1024;
            int port;
            Socket listener = Listen(out port);
            string serverFailure = "server thread did not finish";
            Thread server = new Thread(() =>
            {
                try
                {
                    using (Socket accepted = listener.Accept())
                    {
                        byte[] chunk = new byte[8192];
                        int sent = 0;
                        while (sent < total)
                        {
                            for (int i = 0; i < chunk.Length; i++)
                            {
                                chunk[i] = (byte)((sent + i) % 251);
                            }
                            sent += accepted.Send(chunk);
                        }
                    }
                    serverFailure = null;
                }
                catch (Exception e)
                {
                    serverFailure = "server: " + e.GetType().Name + ErrorCodeOf(e);
                }
            });
            server.Start();

            int received = 0;
            string failure = null;
            using (Socket client = Connect(port))
            {
                client.ReceiveTimeout = 10000;
                byte[] buffer = new byte[4096];
                int count;
                while (failure == null && (count = client.Receive(buffer)) > 0)
                {
                    for (int i = 0; i < count; i++)
                    {
                        if (buffer[i] != (byte)((received + i) % 251))
                        {
                            failure = "byte " + (received + i) + " differs";
                            break;
                        }
                    }
                    received += count;
                }
            }
            server.Join();
            listener.Close();
            if (serverFailure != null)
            {
                return serverFailure;
            }
            return failure != null ? failure : (received == total ? null : "received " + received + " of " + total + " bytes");
        }

        private static string ReadToClose(Socket socket)
        {
            byte[] buffer = new byte[256];
            string text = "";
            int count;
            while ((count = socket.Receive(buffer)) > 0)
            {
                text += new string(Encoding.UTF8.GetChars(buffer, 0, count));
            }
            return text;
        }

        // The peer accepts but never sends: Receive must end with SocketException 10060 after ReceiveTimeout.
        private static string TcpReceiveTimesOut()
        {
            int port;
            Socket listener = Listen(out port);
            Socket client = Connect(port);
            Socket accepted = listener.Accept();
            string result;
            try
            {
                client.ReceiveTimeout = 300;
                client.Receive(new byte[16]);
                result = "Receive returned instead of timing out";
            }
            catch (SocketException e)
            {
                result = e.ErrorCode == TimedOut ? null : "SocketException " + e.ErrorCode + ", expected " + TimedOut;
            }
            client.Close();
            accepted.Close();
            listener.Close();
            return result;
        }

        // A port nothing listens on (bound, then released) must refuse with 10061, the code the board code maps.
        private static string ClosedPortRefuses()
        {
            int port;
            Socket listener = Listen(out port);
            listener.Close();
            try
            {
                Connect(port).Close();
                return "connected to a closed port";
            }
            catch (SocketException e)
            {
                return e.ErrorCode == ConnectionRefused ? null : "SocketException " + e.ErrorCode + ", expected " + ConnectionRefused;
            }
        }

        // openssl s_server -www answers a GET with a status page describing the session.
        private static string TlsGet(int port, X509Certificate root, X509Certificate clientCertificate, out string page)
        {
            page = null;
            using (Socket socket = Connect(port))
            {
                socket.ReceiveTimeout = 10000;
                using (SslStream tls = new SslStream(socket))
                {
                    tls.AuthenticateAsClient("localhost", clientCertificate, root, SslProtocols.Tls12);
                    byte[] request = Encoding.UTF8.GetBytes("GET / HTTP/1.0\r\n\r\n");
                    tls.Write(request, 0, request.Length);
                    byte[] buffer = new byte[1024];
                    string text = "";
                    int count;
                    while ((count = tls.Read(buffer, 0, buffer.Length)) > 0)
                    {
                        text += new string(Encoding.UTF8.GetChars(buffer, 0, count));
                    }
                    page = text;
                }
            }
            return page.IndexOf("HTTP/1.0 200 ok") == 0 ? null : "unexpected answer: " + page;
        }

        private static string TlsWithRightRoot()
        {
            string page;
            return TlsGet(ProbeSettings.TlsPort, new X509Certificate(ProbeSettings.RootPem), null, out page);
        }

        private static string TlsWithWrongRootIsRefused()
        {
            return Refused(ProbeSettings.TlsPort, ProbeSettings.OtherRootPem, "handshake succeeded with a root that did not sign the server certificate");
        }

        /// <summary>Null when a TLS GET to <paramref name="port"/> trusting <paramref name="rootPem"/> (no client certificate) fails; else <paramref name="ifAccepted"/>.</summary>
        private static string Refused(int port, string rootPem, string ifAccepted)
        {
            try
            {
                string page;
                TlsGet(port, new X509Certificate(rootPem), null, out page);
                return ifAccepted;
            }
            catch (Exception e)
            {
                Console.WriteLine("PROBE   (refused as expected: " + e.GetType().Name + ErrorCodeOf(e) + ")");
                return null;
            }
        }

        private static string TlsWithClientCertificate()
        {
            return TlsWithClientCertificate(ProbeSettings.ClientCertificatePem, ProbeSettings.ClientKeyPem, ProbeSettings.ClientCommonName);
        }

        private static string TlsWithEcClientCertificate()
        {
            return TlsWithClientCertificate(ProbeSettings.EcClientCertificatePem, ProbeSettings.EcClientKeyPem, ProbeSettings.EcClientCommonName);
        }

        private static string TlsWithClientCertificate(string certificatePem, string keyPem, string commonName)
        {
            X509Certificate2 device = new X509Certificate2(certificatePem, keyPem, null);
            string page;
            string failure = TlsGet(ProbeSettings.MutualTlsPort, new X509Certificate(ProbeSettings.RootPem), device, out page);
            if (failure != null)
            {
                return failure;
            }
            // s_server -www lists the client certificate it verified.
            return page.IndexOf(commonName) >= 0 ? null : "the server did not see the client certificate";
        }

        // M2Mqtt's pattern: a reader thread parked in SslStream.Read while another thread writes on the same
        // session. s_server -rev answers each line reversed.
        private static string TlsFullDuplex()
        {
            const int lines = 20;
            using (Socket socket = Connect(ProbeSettings.ReversingTlsPort))
            {
                socket.ReceiveTimeout = 10000;
                using (SslStream tls = new SslStream(socket))
                {
                    tls.AuthenticateAsClient("localhost", null, new X509Certificate(ProbeSettings.RootPem), SslProtocols.Tls12);
                    string received = "";
                    string readerFailure = null;
                    ManualResetEvent reading = new ManualResetEvent(false);
                    Thread reader = new Thread(() =>
                    {
                        try
                        {
                            byte[] buffer = new byte[256];
                            int newlines = 0;
                            while (newlines < lines)
                            {
                                reading.Set();
                                int count = tls.Read(buffer, 0, buffer.Length);
                                if (count <= 0)
                                {
                                    readerFailure = "stream ended after " + newlines + " lines";
                                    return;
                                }
                                for (int i = 0; i < count; i++)
                                {
                                    if (buffer[i] == (byte)'\n')
                                    {
                                        newlines++;
                                    }
                                }
                                received += new string(Encoding.UTF8.GetChars(buffer, 0, count));
                            }
                        }
                        catch (Exception e)
                        {
                            readerFailure = "reader: " + e.GetType().Name + ErrorCodeOf(e);
                        }
                    });
                    reader.Start();
                    reading.WaitOne();

                    string expected = "";
                    for (int n = 0; n < lines; n++)
                    {
                        string line = "line " + n + " from the writer";
                        byte[] bytes = Encoding.UTF8.GetBytes(line + "\n");
                        tls.Write(bytes, 0, bytes.Length);
                        expected += Reverse(line) + "\n";
                    }
                    reader.Join();
                    if (readerFailure != null)
                    {
                        return readerFailure;
                    }
                    return received == expected ? null : "received '" + received + "'";
                }
            }
        }

        private static string Reverse(string text)
        {
            char[] chars = text.ToCharArray();
            char[] reversed = new char[chars.Length];
            for (int i = 0; i < chars.Length; i++)
            {
                reversed[chars.Length - 1 - i] = chars[i];
            }
            return new string(reversed);
        }

        private static string TlsWithoutClientCertificateIsRefused()
        {
            return Refused(ProbeSettings.MutualTlsPort, ProbeSettings.RootPem, "a server requiring a client certificate answered without one");
        }
    }
}
