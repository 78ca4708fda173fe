// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Http;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>
    /// <see cref="IHttpTransport"/> for the DPS exchange: HTTP/1.1 over System.Net's <see cref="SslStream"/> (TLS 1.2).
    /// The requests of one registration share one kept-alive connection (one at a time); it is closed when the server
    /// says so, after <see cref="IdleCloseMilliseconds"/> without a request, on any failure, and when the SDK disposes
    /// the transport at the end of the registration, before MQTT opens its own TLS session.
    /// </summary>
    /// <remarks>
    /// nanoFramework.System.Net.Http's <c>HttpClient</c> (1.5.210) cannot do this job: it passes no client
    /// certificate to <c>SslStream.AuthenticateAsClient</c> (X.509 enrollment impossible),
    /// <c>HttpResponseHeaders</c> has no public getter (no <c>Retry-After</c>), and <c>User-Agent</c> is a
    /// restricted header there. See docs/board.md.
    /// </remarks>
    public class NanoHttpTransport : IHttpTransport, IDisposable
    {
        // DPS answers are a few hundred bytes; a body near this is not DPS.
        private const int MaxResponseBytes = 16384;

        // Longer than the longest Retry-After the SDK waits between polls, so a registration needs one handshake.
        private const int IdleCloseMilliseconds = (RetryPolicy.MaxRetryAfterSeconds + 5) * 1000;

        private Socket _socket;
        private SslStream _tls;
        private string _host;
        private int _port;
        private TlsSettings _tlsSettings;
        private DateTime _idleSince;

        /// <summary>Sends <paramref name="request"/> and returns the response, whatever its status code.</summary>
        /// <param name="request">The request.</param>
        /// <returns>The response; non-2xx statuses are returned, not thrown.</returns>
        /// <exception cref="TransportException">DNS, socket, TLS, certificate, time-out or malformed-response failure.</exception>
        /// <exception cref="IotcException">
        /// Status <see cref="IotcStatus.InvalidCredential"/>: the certificates cannot be read, or the server refused the
        /// handshake that presented the client certificate (see <see cref="CertificateLoader.IsHandshakeRefused"/>).
        /// </exception>
        public HttpResponse Send(HttpRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException("request");
            }

            byte[] requestBytes = HttpRequestWriter.Write(request, true);
            int timeout = request.TimeoutMilliseconds > 0 ? request.TimeoutMilliseconds : 30000;
            DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeout);
            bool reuse = _tls != null && _host == request.Host && _port == request.Port && _tlsSettings == request.Tls
                && DateTime.UtcNow < _idleSince.AddMilliseconds(IdleCloseMilliseconds);
            if (!reuse)
            {
                Close();
            }

            try
            {
                HttpResponseParser parser = null;
                if (reuse)
                {
                    // A kept-alive connection the server has meanwhile closed fails before the first response byte:
                    // then (and only then) the request is sent again on a new connection. DPS's PUT and GET are idempotent.
                    _socket.SendTimeout = timeout;
                    _socket.ReceiveTimeout = timeout;
                    parser = Exchange(requestBytes, request.Method == "HEAD", deadline, true);
                    if (parser == null)
                    {
                        Close();
                    }
                }

                if (parser == null)
                {
                    Open(request, timeout);
                    parser = Exchange(requestBytes, request.Method == "HEAD", deadline, false);
                }

                if (parser.Error != HttpParseError.None)
                {
                    throw new TransportException("HTTPS: " + HttpResponseParser.Describe(parser.Error));
                }

                if (parser.KeepAlive)
                {
                    _idleSince = DateTime.UtcNow;
                }
                else
                {
                    Close();
                }

                return parser.ToResponse();
            }
            catch (TransportException)
            {
                Close();
                throw;
            }
            catch (IotcException)
            {
                // TLS settings that cannot work (CertificateLoader): not a network failure, so not wrapped as one.
                Close();
                throw;
            }
            catch (Exception ex)
            {
                Close();

                // No request text in the message: it would carry the SAS token.
                throw new TransportException("HTTPS exchange with " + request.Host + " failed (" + ex.GetType().Name + ").", ex);
            }
        }

        /// <summary>Closes the kept-alive connection, if any.</summary>
        public void Dispose()
        {
            Close();
        }

        private void Open(HttpRequest request, int timeout)
        {
            X509Certificate rootCa = CertificateLoader.LoadRootCa(request.Tls);
            X509Certificate clientCertificate = CertificateLoader.LoadClientCertificate(request.Tls);
            IPAddress address = Resolve(request.Host);
            _socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            _socket.SendTimeout = timeout;
            _socket.ReceiveTimeout = timeout;
            _socket.Connect(new IPEndPoint(address, request.Port));
            _tls = new SslStream(_socket);

            // X.509 enrollment without a PEM certificate (no Authorization header either): present the
            // certificate stored on the device. With a SAS token no client certificate is presented.
            _tls.UseStoredDeviceCertificate = clientCertificate == null && request.Authorization == null;

            // A null CA makes the device use its stored root CA.
            try
            {
                _tls.AuthenticateAsClient(request.Host, clientCertificate, rootCa, SslProtocols.Tls12);
            }
            catch (Exception ex)
            {
                if (clientCertificate != null && CertificateLoader.IsHandshakeRefused(ex))
                {
                    throw CertificateLoader.HandshakeRefused("HTTPS " + request.Host, ex);
                }

                throw;
            }

            _host = request.Host;
            _port = request.Port;
            _tlsSettings = request.Tls;
        }

        /// <summary>
        /// Writes the request and feeds the parser until it is done or failed. With <paramref name="reused"/>, null when
        /// the connection failed or closed before the first response byte (the server had closed it while idle).
        /// </summary>
        private HttpResponseParser Exchange(byte[] requestBytes, bool headRequest, DateTime deadline, bool reused)
        {
            HttpResponseParser parser = new HttpResponseParser(MaxResponseBytes, headRequest);
            byte[] buffer = new byte[1024];
            bool answered = false;
            HttpParseResult result = HttpParseResult.NeedMore;
            try
            {
                _tls.Write(requestBytes, 0, requestBytes.Length);
                _tls.Flush();
                while (result == HttpParseResult.NeedMore)
                {
                    // The parser waits for ever on a silent server: the socket's ReceiveTimeout bounds each Read and
                    // the deadline bounds the whole exchange.
                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TransportException("HTTPS: time-out while reading the response.");
                    }

                    int read = _tls.Read(buffer, 0, buffer.Length);
                    int used;
                    answered = answered || read > 0;
                    result = read <= 0 ? parser.Finish() : parser.Feed(buffer, 0, read, out used);
                }
            }
            catch (TransportException)
            {
                throw;
            }
            catch (Exception)
            {
                if (answered || !reused)
                {
                    throw;
                }

                return null;
            }

            return reused && parser.Error == HttpParseError.NoResponse ? null : parser;
        }

        private static IPAddress Resolve(string host)
        {
            IPHostEntry entry;
            try
            {
                entry = Dns.GetHostEntry(host);
            }
            catch (Exception ex)
            {
                throw new TransportException("HTTPS: cannot resolve " + host + " (" + ex.GetType().Name + ").", ex);
            }

            if (entry != null && entry.AddressList != null)
            {
                for (int i = 0; i < entry.AddressList.Length; i++)
                {
                    if (entry.AddressList[i] != null)
                    {
                        return entry.AddressList[i];
                    }
                }
            }

            throw new TransportException("HTTPS: no address for " + host + ".");
        }

        private void Close()
        {
            // Closed before MQTT opens: an ESP32 cannot hold two TLS sessions.
            SslStream tls = _tls;
            Socket socket = _socket;
            _tls = null;
            _socket = null;
            _host = null;
            _tlsSettings = null;
            if (tls != null)
            {
                try
                {
                    tls.Close();
                    tls.Dispose();
                }
                catch (Exception)
                {
                    // Best effort: the socket is closed below regardless.
                }
            }

            if (socket != null)
            {
                try
                {
                    socket.Close();
                }
                catch (Exception)
                {
                    // Already closed.
                }
            }
        }
    }
}
