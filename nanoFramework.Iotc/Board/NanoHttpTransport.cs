// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Http;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>
    /// <see cref="IHttpTransport"/> for the DPS exchange: one HTTP/1.1 request over System.Net's
    /// <see cref="SslStream"/> (TLS 1.2), one connection per call, closed before returning.
    /// </summary>
    /// <remarks>
    /// nanoFramework.System.Net.Http's <c>HttpClient</c> (1.5.210) cannot do this job: it passes no client
    /// certificate to <c>SslStream.AuthenticateAsClient</c> (X.509 enrollment impossible),
    /// <c>HttpResponseHeaders</c> has no public getter (no <c>Retry-After</c>), and <c>User-Agent</c> is a
    /// restricted header there. See docs/board.md.
    /// </remarks>
    public class NanoHttpTransport : IHttpTransport
    {
        // DPS answers are a few hundred bytes; a body near this is not DPS.
        private const int MaxResponseBytes = 16384;

        /// <summary>Sends <paramref name="request"/> and returns the response, whatever its status code.</summary>
        /// <param name="request">The request.</param>
        /// <returns>The response; non-2xx statuses are returned, not thrown.</returns>
        /// <exception cref="TransportException">DNS, socket, TLS, certificate, time-out or malformed-response failure.</exception>
        public HttpResponse Send(HttpRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException("request");
            }

            X509Certificate rootCa = CertificateLoader.LoadRootCa(request.Tls);
            X509Certificate clientCertificate = CertificateLoader.LoadClientCertificate(request.Tls);
            byte[] requestBytes = HttpRequestWriter.Write(request, false);
            int timeout = request.TimeoutMilliseconds > 0 ? request.TimeoutMilliseconds : 30000;
            DateTime deadline = DateTime.UtcNow.AddMilliseconds(timeout);

            IPAddress address = Resolve(request.Host);
            Socket socket = null;
            SslStream tls = null;
            try
            {
                socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                socket.SendTimeout = timeout;
                socket.ReceiveTimeout = timeout;
                socket.Connect(new IPEndPoint(address, request.Port));

                tls = new SslStream(socket);

                // X.509 enrollment without a PEM certificate (no Authorization header either): present the
                // certificate stored on the device. With a SAS token no client certificate is presented.
                tls.UseStoredDeviceCertificate = clientCertificate == null && request.Authorization == null;

                // A null CA makes the device use its stored root CA.
                tls.AuthenticateAsClient(request.Host, clientCertificate, rootCa, SslProtocols.Tls12);

                tls.Write(requestBytes, 0, requestBytes.Length);
                tls.Flush();

                return ReadResponse(tls, deadline, request.Method == "HEAD");
            }
            catch (TransportException)
            {
                throw;
            }
            catch (Exception ex)
            {
                // No request text in the message: it would carry the SAS token.
                throw new TransportException("HTTPS exchange with " + request.Host + " failed (" + ex.GetType().Name + ").", ex);
            }
            finally
            {
                Dispose(tls, socket);
            }
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

        private static HttpResponse ReadResponse(SslStream tls, DateTime deadline, bool headRequest)
        {
            HttpResponseParser parser = new HttpResponseParser(MaxResponseBytes, headRequest);
            byte[] buffer = new byte[1024];
            HttpParseResult result = HttpParseResult.NeedMore;
            while (result == HttpParseResult.NeedMore)
            {
                // The parser waits for ever on a silent server: the socket's ReceiveTimeout bounds each Read and the
                // deadline bounds the whole exchange.
                if (DateTime.UtcNow > deadline)
                {
                    throw new TransportException("HTTPS: time-out while reading the response.");
                }

                int read = tls.Read(buffer, 0, buffer.Length);
                int used;
                result = read <= 0 ? parser.Finish() : parser.Feed(buffer, 0, read, out used);
            }

            if (result == HttpParseResult.Error)
            {
                throw new TransportException("HTTPS: " + HttpResponseParser.Describe(parser.Error));
            }

            return parser.ToResponse();
        }

        private static void Dispose(SslStream tls, Socket socket)
        {
            // Both are released before MQTT opens: an ESP32 cannot hold two TLS sessions.
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
