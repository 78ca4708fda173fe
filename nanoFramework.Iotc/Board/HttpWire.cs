// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>
    /// The HTTP/1.1 text of one DPS exchange: request bytes out, response bytes in (status line, headers,
    /// <c>Content-Length</c> or chunked body, <c>Retry-After</c> in seconds). Used by <see cref="NanoHttpTransport"/>.
    /// </summary>
    internal static class HttpWire
    {
        /// <summary>Builds the request: one connection per exchange, so <c>Connection: close</c>.</summary>
        internal static byte[] BuildRequest(HttpRequest request)
        {
            byte[] body = request.Body == null ? null : Utf8.GetBytes(request.Body);
            string head = string.Concat(request.Method, " ", request.PathAndQuery, " HTTP/1.1\r\nHost: ", HostHeader(request), "\r\n");
            if (request.UserAgent != null)
            {
                head = string.Concat(head, "User-Agent: ", request.UserAgent, "\r\n");
            }

            head = string.Concat(head, "Accept: application/json\r\nConnection: close\r\n");
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

            head = string.Concat(head, "\r\n");
            byte[] headBytes = Utf8.GetBytes(head);
            if (body == null)
            {
                return headBytes;
            }

            byte[] all = new byte[headBytes.Length + body.Length];
            Array.Copy(headBytes, 0, all, 0, headBytes.Length);
            Array.Copy(body, 0, all, headBytes.Length, body.Length);
            return all;
        }

        /// <summary>
        /// Parses <paramref name="count"/> received bytes. Returns null while more bytes are needed (headers or
        /// body incomplete); with <paramref name="endOfStream"/> a body without length ends where the stream ended.
        /// </summary>
        /// <exception cref="TransportException">The bytes are not an HTTP/1.x response.</exception>
        internal static HttpResponse TryParse(byte[] buffer, int count, bool endOfStream)
        {
            int headerEnd = IndexOf(buffer, 0, count, CrLfCrLf);
            if (headerEnd < 0)
            {
                if (endOfStream)
                {
                    throw new TransportException("HTTP: the connection closed before the response headers ended.");
                }

                return null;
            }

            string headText = Utf8.GetString(buffer, 0, headerEnd);
            string[] lines = headText.Split('\n');
            HttpResponse response = new HttpResponse();
            response.StatusCode = ParseStatusLine(Trim(lines[0]));

            int contentLength = -1;
            bool chunked = false;
            for (int i = 1; i < lines.Length; i++)
            {
                string line = Trim(lines[i]);
                int colon = line.IndexOf(':');
                if (colon <= 0)
                {
                    continue;
                }

                string name = line.Substring(0, colon).ToLower();
                string value = Trim(line.Substring(colon + 1));
                if (name == "content-length")
                {
                    contentLength = ParseNonNegative(value);
                    if (contentLength < 0)
                    {
                        throw new TransportException("HTTP: invalid Content-Length.");
                    }
                }
                else if (name == "transfer-encoding")
                {
                    chunked = value.ToLower().IndexOf("chunked") >= 0;
                }
                else if (name == "retry-after")
                {
                    // Only the delay-seconds form; an HTTP date is left to the caller's default.
                    response.RetryAfterSeconds = ParseNonNegative(value);
                }
            }

            int bodyStart = headerEnd + 4;
            if (chunked)
            {
                byte[] body = Dechunk(buffer, bodyStart, count, endOfStream);
                if (body == null)
                {
                    return null;
                }

                response.Body = Utf8.GetString(body, 0, body.Length);
                return response;
            }

            if (contentLength >= 0)
            {
                if (count - bodyStart < contentLength)
                {
                    if (endOfStream)
                    {
                        throw new TransportException("HTTP: the connection closed before the response body ended.");
                    }

                    return null;
                }

                response.Body = Utf8.GetString(buffer, bodyStart, contentLength);
                return response;
            }

            if (!endOfStream && !NoBodyStatus(response.StatusCode))
            {
                return null;
            }

            response.Body = NoBodyStatus(response.StatusCode) ? string.Empty : Utf8.GetString(buffer, bodyStart, count - bodyStart);
            return response;
        }

        private static readonly byte[] CrLfCrLf = new byte[] { 13, 10, 13, 10 };
        private static readonly byte[] CrLf = new byte[] { 13, 10 };
        private static readonly char[] HeaderSpace = new char[] { ' ', '\t', '\r' };

        private static string HostHeader(HttpRequest request)
        {
            return request.Port == 443 ? request.Host : string.Concat(request.Host, ":", request.Port.ToString());
        }

        private static bool NoBodyStatus(int status)
        {
            return (status >= 100 && status < 200) || status == 204 || status == 304;
        }

        private static int ParseStatusLine(string line)
        {
            // "HTTP/1.1 200 OK"
            if (!line.StartsWith("HTTP/1.") || line.Length < 12 || line[8] != ' ')
            {
                throw new TransportException("HTTP: not an HTTP/1.x response.");
            }

            long status = Ordinal.ParseDigits(line.Substring(9, 3), 3);
            if (status < 0)
            {
                throw new TransportException("HTTP: invalid status line.");
            }

            return (int)status;
        }

        /// <summary>Joins the chunks of a chunked body, or returns null when the terminating chunk has not arrived.</summary>
        private static byte[] Dechunk(byte[] buffer, int start, int count, bool endOfStream)
        {
            // First pass measures, second copies; the buffer is small (DPS answers are a few hundred bytes).
            int total = 0;
            for (int pass = 0; pass < 2; pass++)
            {
                byte[] output = pass == 0 ? null : new byte[total];
                int written = 0;
                int pos = start;
                while (true)
                {
                    int lineEnd = IndexOf(buffer, pos, count, CrLf);
                    if (lineEnd < 0)
                    {
                        return Incomplete(endOfStream);
                    }

                    int size = ParseHex(buffer, pos, lineEnd);
                    if (size < 0)
                    {
                        throw new TransportException("HTTP: invalid chunk size.");
                    }

                    pos = lineEnd + 2;
                    if (size == 0)
                    {
                        // Trailers, if any, end with an empty line; nothing after it is needed.
                        break;
                    }

                    if (count - pos < size + 2)
                    {
                        return Incomplete(endOfStream);
                    }

                    if (output != null)
                    {
                        Array.Copy(buffer, pos, output, written, size);
                    }

                    written += size;
                    pos += size + 2;
                }

                if (pass == 0)
                {
                    total = written;
                }
                else
                {
                    return output;
                }
            }

            return null;
        }

        private static byte[] Incomplete(bool endOfStream)
        {
            if (endOfStream)
            {
                throw new TransportException("HTTP: the connection closed inside a chunked body.");
            }

            return null;
        }

        private static int ParseHex(byte[] buffer, int from, int to)
        {
            int value = 0;
            int digits = 0;
            for (int i = from; i < to; i++)
            {
                int c = buffer[i];
                if (c == ';' || c == ' ' || c == '\t')
                {
                    break; // chunk extensions are ignored
                }

                int d = Hex.Digit(c);
                if (d < 0)
                {
                    return -1;
                }

                if (++digits > 7)
                {
                    return -1; // larger than any DPS answer could be
                }

                value = (value * 16) + d;
            }

            return digits == 0 ? -1 : value;
        }

        private static int ParseNonNegative(string text)
        {
            // At most 9 digits, so the value fits an int.
            return (int)Ordinal.ParseDigits(text, 9);
        }

        private static string Trim(string text)
        {
            return text.Trim(HeaderSpace);
        }

        private static int IndexOf(byte[] buffer, int from, int count, byte[] pattern)
        {
            for (int i = from; i <= count - pattern.Length; i++)
            {
                int j = 0;
                while (j < pattern.Length && buffer[i + j] == pattern[j])
                {
                    j++;
                }

                if (j == pattern.Length)
                {
                    return i;
                }
            }

            return -1;
        }
    }
}
