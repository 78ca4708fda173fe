// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Desktop
{
    /// <summary>
    /// <see cref="IHttpTransport"/> over .NET's HttpClient for one DPS registration: the register request and its polls
    /// share one kept-alive TLS connection (HTTP/1.1), at most one at a time, closed after
    /// <see cref="IdleClose"/> without a request or when the SDK disposes the transport at the end of the registration.
    /// </summary>
    public sealed class HttpClientTransport : IHttpTransport, IDisposable
    {
        /// <summary>
        /// How long an unused connection stays open: longer than the longest Retry-After the SDK waits between polls
        /// (<see cref="Pump.RetryPolicy.MaxRetryAfterSeconds"/>), so a registration never pays a second handshake.
        /// </summary>
        internal static readonly TimeSpan IdleClose = TimeSpan.FromSeconds(Pump.RetryPolicy.MaxRetryAfterSeconds + 5);

        private HttpClient _client;
        private TlsSettings _clientTls;

        /// <inheritdoc/>
        public HttpResponse Send(HttpRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            HttpClient client = Client(request.Tls);
            using (CancellationTokenSource timeout = new CancellationTokenSource(request.TimeoutMilliseconds))
            using (HttpRequestMessage message = new HttpRequestMessage(new HttpMethod(request.Method), "https://" + request.Host + ":" + request.Port + request.PathAndQuery))
            {
                message.Version = HttpVersion.Version11;
                message.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
                if (request.Authorization != null)
                {
                    message.Headers.TryAddWithoutValidation("Authorization", request.Authorization);
                }

                if (request.UserAgent != null)
                {
                    message.Headers.TryAddWithoutValidation("User-Agent", request.UserAgent);
                }

                if (request.Body != null)
                {
                    message.Content = new StringContent(request.Body, new UTF8Encoding(false));
                    message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
                    message.Content.Headers.ContentEncoding.Add("utf-8");
                }

                try
                {
                    using (HttpResponseMessage response = client.Send(message, timeout.Token))
                    {
                        HttpResponse result = new HttpResponse();
                        result.StatusCode = (int)response.StatusCode;
                        result.Body = response.Content.ReadAsStringAsync(timeout.Token).GetAwaiter().GetResult();
                        result.RetryAfterSeconds = RetryAfterSeconds(response.Headers);

                        return result;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException || ex is AuthenticationException)
                {
                    throw new TransportException("HTTPS " + request.Method + " to " + request.Host + ":" + request.Port + " failed: " + ex.GetType().Name + ": " + (ex.InnerException != null ? ex.InnerException.Message : ex.Message), ex);
                }
            }
        }

        /// <summary>Closes the kept-alive connection, if any. The next <see cref="Send"/> opens a new one.</summary>
        public void Dispose()
        {
            HttpClient client = _client;
            _client = null;
            _clientTls = null;
            client?.Dispose();
        }

        /// <summary>Like HttpResponseParser: seconds, or a date minus the response's own Date (never the local clock).</summary>
        private static int RetryAfterSeconds(HttpResponseHeaders headers)
        {
            RetryConditionHeaderValue retry = headers.RetryAfter;
            TimeSpan? delay = retry == null ? null : retry.Delta ?? (retry.Date.HasValue && headers.Date.HasValue ? retry.Date.Value - headers.Date.Value : null);
            if (!delay.HasValue)
            {
                return -1;
            }

            return (int)Math.Clamp(delay.Value.TotalSeconds, 0, int.MaxValue);
        }

        private HttpClient Client(TlsSettings tls)
        {
            // The trust settings are the connection's: other settings (never the case within one registration) need another.
            if (_client != null && ReferenceEquals(_clientTls, tls))
            {
                return _client;
            }

            Dispose();
            SocketsHttpHandler handler = new SocketsHttpHandler();
            handler.MaxConnectionsPerServer = 1;
            handler.PooledConnectionIdleTimeout = IdleClose;
            handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => TlsTrust.Validate(tls, certificate, chain, errors);
            X509Certificate2 clientCertificate = TlsTrust.ClientCertificate(tls);
            if (clientCertificate != null)
            {
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
            }

            // Each request has its own time-out (a CancellationTokenSource), so the client's is off.
            _client = new HttpClient(handler, true) { Timeout = Timeout.InfiniteTimeSpan };
            _clientTls = tls;
            return _client;
        }
    }
}
