// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Http
{
    /// <summary>Why <see cref="HttpResponseParser"/> rejected a response.</summary>
    internal enum HttpParseError
    {
        /// <summary>No error.</summary>
        None,

        /// <summary>The connection closed before the first byte of a response (a kept-alive connection the server dropped).</summary>
        NoResponse,

        /// <summary>The connection closed before the response was complete.</summary>
        Truncated,

        /// <summary>The first line is not <c>HTTP/1.x NNN reason</c>, or is an upgrade (101) nobody asked for.</summary>
        StatusLine,

        /// <summary>A header line without a colon, with a bad name, or a folded line before any header.</summary>
        HeaderSyntax,

        /// <summary>The status line and headers (or the trailers) are longer than the limit.</summary>
        HeadersTooLarge,

        /// <summary>More header (or trailer) lines than the limit.</summary>
        TooManyHeaders,

        /// <summary><c>Content-Length</c> is not a run of digits, or two of them disagree.</summary>
        ContentLength,

        /// <summary>A <c>Transfer-Encoding</c> other than <c>chunked</c> (nothing else can be decoded here).</summary>
        TransferEncoding,

        /// <summary>A chunk-size line that is not hex digits (with optional extensions), or a chunk not followed by CRLF.</summary>
        ChunkSyntax,

        /// <summary>The body (declared or received) is larger than the limit.</summary>
        BodyTooLarge,
    }
}
