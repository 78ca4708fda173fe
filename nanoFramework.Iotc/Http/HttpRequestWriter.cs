// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Http
{
    /// <summary>The bytes of one HTTP/1.1 request (RFC 9112), written without any I/O.</summary>
    internal static class HttpRequestWriter
    {
        /// <summary>
        /// The request line, <c>Host</c> (the port only when it is not 443), <c>User-Agent</c>, <c>Accept</c>,
        /// <c>Connection: close</c> unless <paramref name="keepAlive"/>, <c>Authorization</c>, then for a body
        /// <c>Content-Type</c> and <c>Content-Length</c> (<c>Content-Length: 0</c> for a PUT or POST without one), the
        /// empty line and the body as UTF-8.
        /// </summary>
        /// <exception cref="ArgumentException">
        /// The method is not upper-case letters, the host is empty or has spaces or controls, the path does not start
        /// with '/' or has spaces or controls, or a header value has a control character (CR or LF would let a value
        /// write headers of its own).
        /// </exception>
        internal static byte[] Write(HttpRequest request, bool keepAlive)
        {
            if (request == null)
            {
                throw new ArgumentNullException("request");
            }

            CheckMethod(request.Method);
            CheckNoSpaceOrControl(request.Host, "Host");
            CheckNoSpaceOrControl(request.PathAndQuery, "PathAndQuery");
            if (Chars.Of(request.PathAndQuery)[0] != '/')
            {
                throw new ArgumentException("PathAndQuery must start with '/'.", "request");
            }

            CheckHeaderValue(request.UserAgent, "UserAgent");
            CheckHeaderValue(request.Authorization, "Authorization");

            byte[] body = request.Body == null ? null : Utf8.GetBytes(request.Body);
            string head = string.Concat(request.Method, " ", request.PathAndQuery, " HTTP/1.1\r\nHost: ", HostHeader(request), "\r\n");
            if (request.UserAgent != null)
            {
                head = string.Concat(head, "User-Agent: ", request.UserAgent, "\r\n");
            }

            head = string.Concat(head, keepAlive ? "Accept: application/json\r\n" : "Accept: application/json\r\nConnection: close\r\n");
            if (request.Authorization != null)
            {
                head = string.Concat(head, "Authorization: ", request.Authorization, "\r\n");
            }

            if (body != null)
            {
                head = string.Concat(head, "Content-Type: application/json; charset=utf-8\r\nContent-Length: ", body.Length.ToString(), "\r\n");
            }
            else if (request.Method == "PUT" || request.Method == "POST")
            {
                head = string.Concat(head, "Content-Length: 0\r\n");
            }

            byte[] headBytes = Utf8.GetBytes(string.Concat(head, "\r\n"));
            if (body == null)
            {
                return headBytes;
            }

            byte[] all = new byte[headBytes.Length + body.Length];
            Array.Copy(headBytes, 0, all, 0, headBytes.Length);
            Array.Copy(body, 0, all, headBytes.Length, body.Length);
            return all;
        }

        private static string HostHeader(HttpRequest request)
        {
            // An IPv6 literal is bracketed in Host (RFC 3986 section 3.2.2), or its colons would read as a port.
            char[] chars = Chars.Of(request.Host);
            string host = chars[0] != '[' && Chars.IndexOf(chars, ':', 0, chars.Length) >= 0 ? string.Concat("[", request.Host, "]") : request.Host;
            return request.Port == 443 ? host : string.Concat(host, ":", request.Port.ToString());
        }

        private static void CheckMethod(string method)
        {
            char[] chars = Chars.Of(method);
            bool ok = chars.Length > 0;
            for (int i = 0; i < chars.Length && ok; i++)
            {
                ok = chars[i] >= 'A' && chars[i] <= 'Z';
            }

            if (!ok)
            {
                throw new ArgumentException("Method must be an upper-case HTTP method.", "request");
            }
        }

        private static void CheckNoSpaceOrControl(string value, string what)
        {
            char[] chars = Chars.Of(value);
            bool ok = chars.Length > 0;
            for (int i = 0; i < chars.Length && ok; i++)
            {
                ok = chars[i] > ' ' && chars[i] != '\u007F';
            }

            if (!ok)
            {
                throw new ArgumentException(what + " is missing or has spaces or control characters.", "request");
            }
        }

        private static void CheckHeaderValue(string value, string what)
        {
            char[] chars = Chars.Of(value);
            for (int i = 0; i < chars.Length; i++)
            {
                if ((chars[i] < ' ' && chars[i] != '\t') || chars[i] == '\u007F')
                {
                    // The value is not quoted: it may be the SAS token.
                    throw new ArgumentException(what + " has a control character.", "request");
                }
            }
        }
    }
}
