// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>An HTTPS response from <see cref="IHttpTransport"/>.</summary>
    public class HttpResponse
    {
        /// <summary>HTTP status code.</summary>
        public int StatusCode;

        /// <summary>Response body as text (empty when there is none).</summary>
        public string Body = string.Empty;

        /// <summary>The <c>Retry-After</c> header in seconds, or -1 when absent or not a number of seconds.</summary>
        public int RetryAfterSeconds = -1;
    }
}
