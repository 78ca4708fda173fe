// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
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
        // DPS answers are a few hundred bytes; anything near this is not DPS.
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

            if (request.Method != "GET" && request.Method != "PUT" && request.Method != "POST")
            {
                throw new ArgumentException("Method must be GET, PUT or POST.", "request");
            }

            if (request.Host == null || request.Host.Length == 0)
            {
                throw new ArgumentException("The host is missing.", "request");
            }

            if (request.PathAndQuery == null || request.PathAndQuery.Length == 0 || request.PathAndQuery[0] != '/')
            {
                throw new ArgumentException("PathAndQuery must start with '/'.", "request");
            }

            X509Certificate rootCa = CertificateLoader.LoadRootCa(request.Tls);
            X509Certificate clientCertificate = CertificateLoader.LoadClientCertificate(request.Tls);
            byte[] requestBytes = HttpWire.BuildRequest(request);
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

                return ReadResponse(tls, deadline);
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

        private static HttpResponse ReadResponse(SslStream tls, DateTime deadline)
        {
            byte[] buffer = new byte[1024];
            int count = 0;
            while (true)
            {
                if (count == buffer.Length)
                {
                    if (buffer.Length >= MaxResponseBytes)
                    {
                        throw new TransportException("HTTPS: response larger than " + MaxResponseBytes.ToString() + " bytes.");
                    }

                    byte[] bigger = new byte[buffer.Length * 2];
                    Array.Copy(buffer, bigger, count);
                    buffer = bigger;
                }

                // The socket's ReceiveTimeout bounds each Read; the deadline bounds the whole exchange.
                int read = tls.Read(buffer, count, buffer.Length - count);
                if (read <= 0)
                {
                    return HttpWire.TryParse(buffer, count, true);
                }

                count += read;
                HttpResponse response = HttpWire.TryParse(buffer, count, false);
                if (response != null)
                {
                    return response;
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TransportException("HTTPS: time-out while reading the response.");
                }
            }
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
