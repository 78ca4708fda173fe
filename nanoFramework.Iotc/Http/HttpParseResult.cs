// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Http
{
    /// <summary>What <see cref="HttpResponseParser"/> knows after the bytes fed so far.</summary>
    internal enum HttpParseResult
    {
        /// <summary>The response is not complete yet: feed more bytes, or report the end of the stream.</summary>
        NeedMore,

        /// <summary>The response is complete.</summary>
        Done,

        /// <summary>The bytes are not an acceptable HTTP/1.x response; <see cref="HttpResponseParser.Error"/> says why.</summary>
        Error,
    }
}
