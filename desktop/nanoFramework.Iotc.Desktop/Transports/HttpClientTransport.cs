// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Desktop
{
    /// <summary><see cref="IHttpTransport"/> over .NET's HttpClient; one connection per request, closed afterwards.</summary>
    public sealed class HttpClientTransport : IHttpTransport
    {
        /// <inheritdoc/>
        public HttpResponse Send(HttpRequest request)
        {
            if (request == null)
            {
                throw new ArgumentNullException(nameof(request));
            }

            TlsSettings tls = request.Tls;
            SocketsHttpHandler handler = new SocketsHttpHandler();
            handler.PooledConnectionLifetime = TimeSpan.Zero;
            handler.SslOptions.EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13;
            handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) => TlsTrust.Validate(tls, certificate, chain, errors);
            X509Certificate2 clientCertificate = TlsTrust.ClientCertificate(tls);
            if (clientCertificate != null)
            {
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { clientCertificate };
            }

            using (HttpClient client = new HttpClient(handler, true))
            {
                client.Timeout = TimeSpan.FromMilliseconds(request.TimeoutMilliseconds);
                using (HttpRequestMessage message = new HttpRequestMessage(new HttpMethod(request.Method), "https://" + request.Host + ":" + request.Port + request.PathAndQuery))
                {
                    if (request.Authorization != null)
                    {
                        message.Headers.TryAddWithoutValidation("Authorization", request.Authorization);
                    }

                    if (request.UserAgent != null)
                    {
                        message.Headers.TryAddWithoutValidation("User-Agent", request.UserAgent);
                    }

                    message.Headers.ConnectionClose = true;
                    if (request.Body != null)
                    {
                        message.Content = new StringContent(request.Body, new UTF8Encoding(false));
                        message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
                        message.Content.Headers.ContentEncoding.Add("utf-8");
                    }

                    try
                    {
                        using (HttpResponseMessage response = client.Send(message))
                        {
                            HttpResponse result = new HttpResponse();
                            result.StatusCode = (int)response.StatusCode;
                            result.Body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
                            if (response.Headers.RetryAfter != null && response.Headers.RetryAfter.Delta.HasValue)
                            {
                                result.RetryAfterSeconds = (int)response.Headers.RetryAfter.Delta.Value.TotalSeconds;
                            }

                            return result;
                        }
                    }
                    catch (Exception ex) when (ex is HttpRequestException || ex is OperationCanceledException || ex is AuthenticationException)
                    {
                        throw new TransportException("HTTPS " + request.Method + " to " + request.Host + ":" + request.Port + " failed: " + ex.GetType().Name + ": " + (ex.InnerException != null ? ex.InnerException.Message : ex.Message), ex);
                    }
                }
            }
        }
    }
}
