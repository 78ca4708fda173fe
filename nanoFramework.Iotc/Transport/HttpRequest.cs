// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>An HTTPS request for <see cref="IHttpTransport"/>.</summary>
    public class HttpRequest
    {
        /// <summary>"GET" or "PUT".</summary>
        public string Method;

        /// <summary>Host name.</summary>
        public string Host;

        /// <summary>Port (443 for DPS).</summary>
        public int Port = 443;

        /// <summary>Path and query, starting with '/'.</summary>
        public string PathAndQuery;

        /// <summary>Authorization header value (a DPS SAS token), or null. Secret: never log it.</summary>
        public string Authorization;

        /// <summary>User-Agent header value.</summary>
        public string UserAgent;

        /// <summary>Request body (JSON, sent as UTF-8 with <c>Content-Type: application/json; charset=utf-8</c>), or null.</summary>
        public string Body;

        /// <summary>Upper bound for the whole exchange, in milliseconds.</summary>
        public int TimeoutMilliseconds = 30000;

        /// <summary>Server trust and optional client certificate.</summary>
        public TlsSettings Tls;
    }
}
