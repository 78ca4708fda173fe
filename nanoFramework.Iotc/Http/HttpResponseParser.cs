// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Http
{
    /// <summary>
    /// An HTTP/1.x response read from bytes as they arrive (RFC 9112), without any I/O: feed each received chunk to
    /// <see cref="Feed"/> (any split, down to one byte at a time) and call <see cref="Finish"/> when the peer closed.
    /// Handles the status line (1xx interim answers are skipped), header folding, <c>Content-Length</c>, chunked
    /// bodies (extensions and trailers are read and dropped), bodies that end with the connection, and the statuses
    /// and methods that have no body (1xx, 204, 304, HEAD). Header bytes, header lines and body bytes are bounded, so
    /// a hostile server costs at most the limits.
    /// </summary>
    /// <remarks>
    /// A server that never answers, or stops in the middle, leaves the parser at <see cref="HttpParseResult.NeedMore"/>
    /// for ever: time-outs belong to the transport that reads the socket, not to the parser.
    /// </remarks>
    internal sealed class HttpResponseParser
    {
        /// <summary>Default bound for the status line plus headers (and, separately counted, trailers).</summary>
        internal const int DefaultMaxHeaderBytes = 8192;

        /// <summary>Default bound for the number of header lines (and of trailer lines).</summary>
        internal const int DefaultMaxHeaderLines = 64;

        // A chunk-size line is hex digits plus extensions nobody here uses; this only bounds what is buffered.
        private const int MaxChunkLineBytes = 1024;

        private const int StatusLine = 0;
        private const int Headers = 1;
        private const int LengthBody = 2;
        private const int CloseBody = 3;
        private const int ChunkSizeLine = 4;
        private const int ChunkData = 5;
        private const int ChunkDataEnd = 6;
        private const int Trailers = 7;
        private const int Complete = 8;
        private const int Failed = 9;

        private static readonly byte[] ContentLengthName = Ascii("content-length");
        private static readonly byte[] TransferEncodingName = Ascii("transfer-encoding");
        private static readonly byte[] ConnectionName = Ascii("connection");
        private static readonly byte[] RetryAfterName = Ascii("retry-after");
        private static readonly byte[] DateName = Ascii("date");
        private static readonly byte[] ChunkedToken = Ascii("chunked");
        private static readonly byte[] CloseToken = Ascii("close");
        private static readonly byte[] KeepAliveToken = Ascii("keep-alive");
        private static readonly byte[] HttpPrefix = Ascii("HTTP/1.");
        private static readonly byte[] GmtSuffix = Ascii(" GMT");
        private static readonly byte[] Months = Ascii("JanFebMarAprMayJunJulAugSepOctNovDec");

        private readonly int _maxHeaderBytes;
        private readonly int _maxHeaderLines;
        private readonly int _maxBodyBytes;
        private readonly bool _headRequest;

        private int _state;
        private HttpParseError _error;
        private long _received;

        // The physical line being read, and the logical header line it may continue (obs-fold).
        private byte[] _line = new byte[128];
        private int _lineLength;
        private byte[] _header = new byte[128];
        private int _headerLength;
        private int _headBytes;
        private int _headLines;
        private bool _sawCr;

        private int _statusCode;
        private int _minorVersion;
        private long _contentLength;
        private bool _chunked;
        private bool _connectionClose;
        private bool _connectionKeepAlive;
        private int _retryAfterSeconds;
        private long _retryAfterDate;
        private long _date;

        private byte[] _body;
        private int _bodyLength;
        private long _remaining;

        /// <summary>Creates a parser with the default header limits.</summary>
        /// <param name="maxBodyBytes">The largest body accepted; a larger one is <see cref="HttpParseError.BodyTooLarge"/>.</param>
        /// <param name="headRequest">True when the request was HEAD: the response has headers only.</param>
        internal HttpResponseParser(int maxBodyBytes, bool headRequest)
            : this(DefaultMaxHeaderBytes, DefaultMaxHeaderLines, maxBodyBytes, headRequest)
        {
        }

        /// <summary>Creates a parser with explicit limits (each at least 1; header bytes at least 16).</summary>
        internal HttpResponseParser(int maxHeaderBytes, int maxHeaderLines, int maxBodyBytes, bool headRequest)
        {
            if (maxHeaderBytes < 16 || maxHeaderLines < 1 || maxBodyBytes < 0)
            {
                throw new ArgumentOutOfRangeException(maxHeaderBytes < 16 ? "maxHeaderBytes" : maxHeaderLines < 1 ? "maxHeaderLines" : "maxBodyBytes");
            }

            _maxHeaderBytes = maxHeaderBytes;
            _maxHeaderLines = maxHeaderLines;
            _maxBodyBytes = maxBodyBytes;
            _headRequest = headRequest;
            StartResponse();
        }

        /// <summary>Why the response was rejected, once <see cref="Feed"/> or <see cref="Finish"/> returned <see cref="HttpParseResult.Error"/>.</summary>
        internal HttpParseError Error
        {
            get { return _error; }
        }

        /// <summary>The final status code (after any 1xx interim answers), once the status line has been read; 0 before.</summary>
        internal int StatusCode
        {
            get { return _statusCode; }
        }

        /// <summary>
        /// <c>Retry-After</c> in seconds, or -1 when absent or unreadable. The delay-seconds form is taken as it is
        /// (capped at <see cref="int.MaxValue"/>). An HTTP-date (IMF-fixdate) is turned into seconds by subtracting the
        /// response's own <c>Date</c> header, so the device's clock (often unset) plays no part; without a
        /// <c>Date</c> header, or in the obsolete RFC 850 and asctime forms, it is -1.
        /// </summary>
        internal int RetryAfterSeconds
        {
            get { return _retryAfterSeconds; }
        }

        /// <summary>
        /// True once <see cref="HttpParseResult.Done"/> when the connection may carry another request: HTTP/1.1
        /// without <c>Connection: close</c> (HTTP/1.0 only with <c>keep-alive</c>), and a body whose end was framed
        /// (not one that ended with the connection, nor one with both <c>Transfer-Encoding</c> and <c>Content-Length</c>).
        /// </summary>
        internal bool KeepAlive
        {
            get
            {
                return _state == Complete && !_connectionClose && (_minorVersion >= 1 || _connectionKeepAlive)
                    && !(_chunked && _contentLength >= 0);
            }
        }

        /// <summary>The number of body bytes received so far (the whole body once done).</summary>
        internal int BodyLength
        {
            get { return _bodyLength; }
        }

        /// <summary>
        /// Reads <paramref name="count"/> bytes of <paramref name="data"/> from <paramref name="offset"/>.
        /// <paramref name="used"/> is how many belong to this response: fewer than <paramref name="count"/> only when it
        /// completed inside the chunk (the rest is the start of whatever the server sends next). Once done or failed,
        /// further bytes are not read and the same result is returned.
        /// </summary>
        internal HttpParseResult Feed(byte[] data, int offset, int count, out int used)
        {
            if (data == null)
            {
                throw new ArgumentNullException("data");
            }

            if (offset < 0 || count < 0 || offset > data.Length - count)
            {
                throw new ArgumentOutOfRangeException("offset");
            }

            int i = offset;
            int end = offset + count;
            while (i < end && _state != Complete && _state != Failed)
            {
                if (_state == LengthBody || _state == ChunkData)
                {
                    int take = _remaining < end - i ? (int)_remaining : end - i;
                    Array.Copy(data, i, _body, _bodyLength, take);
                    _bodyLength += take;
                    _remaining -= take;
                    i += take;
                    if (_remaining == 0)
                    {
                        _state = _state == LengthBody ? Complete : ChunkDataEnd;
                    }
                }
                else if (_state == CloseBody)
                {
                    int take = end - i;
                    if (take > _maxBodyBytes - _bodyLength)
                    {
                        Fail(HttpParseError.BodyTooLarge);
                        break;
                    }

                    EnsureBodyCapacity(_bodyLength + take);
                    Array.Copy(data, i, _body, _bodyLength, take);
                    _bodyLength += take;
                    i += take;
                }
                else if (_state == ChunkDataEnd)
                {
                    ReadChunkEnd(data[i]);
                    i++;
                }
                else
                {
                    if (AppendToLine(data[i]))
                    {
                        EndOfLine();
                    }

                    i++;
                }
            }

            used = i - offset;
            _received += used;
            return Result();
        }

        /// <summary>
        /// The peer closed the connection. A body without framing ends here (<see cref="HttpParseResult.Done"/>);
        /// anything else unfinished is <see cref="HttpParseError.Truncated"/>, or <see cref="HttpParseError.NoResponse"/>
        /// when not one byte arrived.
        /// </summary>
        internal HttpParseResult Finish()
        {
            if (_state == CloseBody)
            {
                _state = Complete;
            }
            else if (_state != Complete && _state != Failed)
            {
                Fail(_received == 0 ? HttpParseError.NoResponse : HttpParseError.Truncated);
            }

            return Result();
        }

        /// <summary>The response for <see cref="IHttpTransport"/> callers (body decoded as UTF-8), once done.</summary>
        internal HttpResponse ToResponse()
        {
            HttpResponse response = new HttpResponse();
            response.StatusCode = _statusCode;
            response.RetryAfterSeconds = _retryAfterSeconds;
            response.Body = _bodyLength == 0 ? string.Empty : Utf8.GetString(_body, 0, _bodyLength);
            return response;
        }

        /// <summary>One sentence for a transport's exception message (no response text: it is the server's).</summary>
        internal static string Describe(HttpParseError error)
        {
            switch (error)
            {
                case HttpParseError.NoResponse:
                    return "the connection closed before a response.";
                case HttpParseError.Truncated:
                    return "the connection closed inside the response.";
                case HttpParseError.StatusLine:
                    return "not an HTTP/1.x status line.";
                case HttpParseError.HeaderSyntax:
                    return "malformed header line.";
                case HttpParseError.HeadersTooLarge:
                    return "response headers too large.";
                case HttpParseError.TooManyHeaders:
                    return "too many response headers.";
                case HttpParseError.ContentLength:
                    return "invalid Content-Length.";
                case HttpParseError.TransferEncoding:
                    return "unsupported Transfer-Encoding.";
                case HttpParseError.ChunkSyntax:
                    return "invalid chunk.";
                case HttpParseError.BodyTooLarge:
                    return "response body too large.";
                default:
                    return "no error.";
            }
        }

        private static byte[] Ascii(string text)
        {
            return Utf8.GetBytes(text);
        }

        private HttpParseResult Result()
        {
            return _state == Complete ? HttpParseResult.Done : _state == Failed ? HttpParseResult.Error : HttpParseResult.NeedMore;
        }

        private void Fail(HttpParseError error)
        {
            _error = error;
            _state = Failed;
        }

        private void StartResponse()
        {
            _state = StatusLine;
            _lineLength = 0;
            _headerLength = 0;
            _headBytes = 0;
            _headLines = 0;
            _statusCode = 0;
            _minorVersion = 0;
            _contentLength = -1;
            _chunked = false;
            _connectionClose = false;
            _connectionKeepAlive = false;
            _retryAfterSeconds = -1;
            _retryAfterDate = -1;
            _date = -1;
        }

        /// <summary>Adds one byte to the current line; true when the line ended (LF; a CR before it is dropped).</summary>
        private bool AppendToLine(byte b)
        {
            bool chunkLine = _state == ChunkSizeLine;
            if (!chunkLine)
            {
                _headBytes++;
                if (_headBytes > _maxHeaderBytes)
                {
                    Fail(HttpParseError.HeadersTooLarge);
                    return false;
                }
            }
            else if (_lineLength >= MaxChunkLineBytes)
            {
                Fail(HttpParseError.ChunkSyntax);
                return false;
            }

            if (b == 10)
            {
                if (_lineLength > 0 && _line[_lineLength - 1] == 13)
                {
                    _lineLength--;
                }

                return true;
            }

            if (_lineLength == _line.Length)
            {
                _line = Grow(_line, _lineLength, _lineLength * 2);
            }

            _line[_lineLength++] = b;
            return false;
        }

        private void EndOfLine()
        {
            int length = _lineLength;
            _lineLength = 0;
            if (_state == StatusLine)
            {
                ReadStatusLine(length);
            }
            else if (_state == ChunkSizeLine)
            {
                ReadChunkSize(length);
            }
            else if (length == 0)
            {
                if (_state == Trailers)
                {
                    _state = Complete;
                }
                else if (_headerLength == 0 || ReadHeader())
                {
                    EndOfHeaders();
                }
            }
            else if (_line[0] == 32 || _line[0] == 9)
            {
                // obs-fold: RFC 9112 section 5.2 has a user agent replace it with a space before reading the value.
                if (_state == Headers && _headerLength == 0)
                {
                    Fail(HttpParseError.HeaderSyntax);
                    return;
                }

                if (_state == Headers)
                {
                    int start = SkipSpaces(_line, 0, length);
                    AppendHeader((byte)32);
                    for (int i = start; i < length; i++)
                    {
                        AppendHeader(_line[i]);
                    }
                }
            }
            else
            {
                _headLines++;
                if (_headLines > _maxHeaderLines)
                {
                    Fail(HttpParseError.TooManyHeaders);
                    return;
                }

                if (_state == Trailers)
                {
                    return; // trailers are bounded, then dropped: nothing here needs them
                }

                if (_headerLength > 0 && !ReadHeader())
                {
                    return;
                }

                _headerLength = 0;
                for (int i = 0; i < length; i++)
                {
                    AppendHeader(_line[i]);
                }
            }
        }

        private void AppendHeader(byte b)
        {
            if (_headerLength == _header.Length)
            {
                _header = Grow(_header, _headerLength, _headerLength * 2);
            }

            _header[_headerLength++] = b;
        }

        private void ReadStatusLine(int length)
        {
            // HTTP/1.x SP 3DIGIT [SP reason-phrase]; the reason phrase is not kept.
            byte[] line = _line;
            if (length < 12 || !StartsWith(line, 0, length, HttpPrefix) || line[7] < '0' || line[7] > '9' || line[8] != 32
                || (length > 12 && line[12] != 32))
            {
                Fail(HttpParseError.StatusLine);
                return;
            }

            long status = Number(line, 9, 12);
            if (status < 100 || status > 599 || status == 101)
            {
                // 101 switches protocols, which no request here asks for.
                Fail(HttpParseError.StatusLine);
                return;
            }

            _minorVersion = line[7] - '0';
            _statusCode = (int)status;
            _state = Headers;
        }

        /// <summary>Reads the pending logical header line; false (and failed) when it is malformed.</summary>
        private bool ReadHeader()
        {
            byte[] h = _header;
            int length = _headerLength;
            int colon = -1;
            for (int i = 0; i < length; i++)
            {
                if (h[i] == ':')
                {
                    colon = i;
                    break;
                }

                if (!IsTokenChar(h[i]))
                {
                    break;
                }
            }

            if (colon <= 0)
            {
                Fail(HttpParseError.HeaderSyntax);
                return false;
            }

            int start = SkipSpaces(h, colon + 1, length);
            int end = length;
            while (end > start && (h[end - 1] == 32 || h[end - 1] == 9))
            {
                end--;
            }

            if (NameIs(h, colon, ContentLengthName))
            {
                return ReadContentLength(h, start, end);
            }

            if (NameIs(h, colon, TransferEncodingName))
            {
                // Only "chunked", once: any other coding could not be decoded, and stacked codings hide the framing.
                if (_chunked || !EqualsIgnoreCase(h, start, end, ChunkedToken))
                {
                    Fail(HttpParseError.TransferEncoding);
                    return false;
                }

                _chunked = true;
            }
            else if (NameIs(h, colon, ConnectionName))
            {
                ReadConnection(h, start, end);
            }
            else if (NameIs(h, colon, RetryAfterName))
            {
                long seconds = Number(h, start, end);
                if (seconds >= 0)
                {
                    _retryAfterSeconds = (int)seconds;
                }
                else
                {
                    _retryAfterDate = ImfFixdate(h, start, end);
                }
            }
            else if (NameIs(h, colon, DateName))
            {
                _date = ImfFixdate(h, start, end);
            }

            return true;
        }

        private bool ReadContentLength(byte[] h, int start, int end)
        {
            // A sign, a list ("5, 5") or anything but digits is malformed; a huge number is only too large (checked later).
            long value = Number(h, start, end);
            if (value < 0 || (_contentLength >= 0 && _contentLength != value))
            {
                Fail(HttpParseError.ContentLength);
                return false;
            }

            _contentLength = value;
            return true;
        }

        private void ReadConnection(byte[] h, int start, int end)
        {
            int tokenStart = start;
            for (int i = start; i <= end; i++)
            {
                if (i == end || h[i] == ',')
                {
                    int a = SkipSpaces(h, tokenStart, i);
                    int b = i;
                    while (b > a && (h[b - 1] == 32 || h[b - 1] == 9))
                    {
                        b--;
                    }

                    if (EqualsIgnoreCase(h, a, b, CloseToken))
                    {
                        _connectionClose = true;
                    }
                    else if (EqualsIgnoreCase(h, a, b, KeepAliveToken))
                    {
                        _connectionKeepAlive = true;
                    }

                    tokenStart = i + 1;
                }
            }
        }

        private void EndOfHeaders()
        {
            _headerLength = 0;
            if (_statusCode < 200)
            {
                // An interim answer (100 Continue, 103 Early Hints): the real one follows.
                StartResponse();
                return;
            }

            if (_retryAfterSeconds < 0 && _retryAfterDate >= 0 && _date >= 0)
            {
                long delta = _retryAfterDate - _date;
                _retryAfterSeconds = delta <= 0 ? 0 : delta > int.MaxValue ? int.MaxValue : (int)delta;
            }

            _bodyLength = 0;
            if (_headRequest || _statusCode == 204 || _statusCode == 304)
            {
                _state = Complete;
            }
            else if (_chunked)
            {
                // RFC 9112 section 6.3: Transfer-Encoding wins over Content-Length (KeepAlive is then false).
                _headBytes = 0;
                _headLines = 0;
                _state = ChunkSizeLine;
            }
            else if (_contentLength > _maxBodyBytes)
            {
                Fail(HttpParseError.BodyTooLarge);
            }
            else if (_contentLength >= 0)
            {
                _body = new byte[(int)_contentLength];
                _remaining = _contentLength;
                _state = _contentLength == 0 ? Complete : LengthBody;
            }
            else
            {
                _connectionClose = true; // the body ends with the connection
                _state = CloseBody;
            }
        }

        private void ReadChunkSize(int length)
        {
            // chunk-size [BWS ";" extensions]: extensions are allowed and ignored.
            byte[] line = _line;
            int i = 0;
            long size = 0;
            int significant = 0;
            while (i < length && Hex.Digit(line[i]) >= 0)
            {
                size = (size * 16) + Hex.Digit(line[i]);
                if (size > 0 && ++significant > 8)
                {
                    Fail(HttpParseError.BodyTooLarge);
                    return;
                }

                i++;
            }

            int rest = SkipSpaces(line, i, length);
            if (i == 0 || (rest < length && line[rest] != ';'))
            {
                Fail(HttpParseError.ChunkSyntax);
                return;
            }

            if (size == 0)
            {
                _state = Trailers;
                return;
            }

            if (size > _maxBodyBytes - _bodyLength)
            {
                Fail(HttpParseError.BodyTooLarge);
                return;
            }

            EnsureBodyCapacity(_bodyLength + (int)size);
            _remaining = size;
            _state = ChunkData;
        }

        private void ReadChunkEnd(byte b)
        {
            // Exactly CRLF (or a bare LF) after the chunk's data.
            if (b == 13 && !_sawCr)
            {
                _sawCr = true;
                return;
            }

            _sawCr = false;
            if (b == 10)
            {
                _state = ChunkSizeLine;
            }
            else
            {
                Fail(HttpParseError.ChunkSyntax);
            }
        }

        private void EnsureBodyCapacity(int needed)
        {
            if (_body != null && _body.Length >= needed)
            {
                return;
            }

            int size = _body == null || _body.Length < 256 ? 256 : _body.Length;
            while (size < needed)
            {
                size = size > int.MaxValue / 2 ? int.MaxValue : size * 2;
            }

            if (size > _maxBodyBytes)
            {
                size = needed > _maxBodyBytes ? needed : _maxBodyBytes;
            }

            _body = Grow(_body, _bodyLength, size);
        }

        private static byte[] Grow(byte[] buffer, int length, int size)
        {
            byte[] bigger = new byte[size];
            if (buffer != null)
            {
                Array.Copy(buffer, bigger, length);
            }

            return bigger;
        }

        private static int SkipSpaces(byte[] bytes, int start, int end)
        {
            while (start < end && (bytes[start] == 32 || bytes[start] == 9))
            {
                start++;
            }

            return start;
        }

        private static bool IsTokenChar(int c)
        {
            // RFC 9110 tchar: visible ASCII except separators.
            if (c <= 32 || c >= 127)
            {
                return false;
            }

            switch (c)
            {
                case '"':
                case '(':
                case ')':
                case ',':
                case '/':
                case ':':
                case ';':
                case '<':
                case '=':
                case '>':
                case '?':
                case '@':
                case '[':
                case '\\':
                case ']':
                case '{':
                case '}':
                    return false;
                default:
                    return true;
            }
        }

        private static bool NameIs(byte[] header, int nameLength, byte[] lowerName)
        {
            return nameLength == lowerName.Length && EqualsIgnoreCase(header, 0, nameLength, lowerName);
        }

        /// <summary>ASCII case-insensitive comparison of bytes[start..end) with a lower-case <paramref name="lower"/>.</summary>
        private static bool EqualsIgnoreCase(byte[] bytes, int start, int end, byte[] lower)
        {
            if (end - start != lower.Length)
            {
                return false;
            }

            for (int i = 0; i < lower.Length; i++)
            {
                int c = bytes[start + i];
                if (c >= 'A' && c <= 'Z')
                {
                    c += 32;
                }

                if (c != lower[i])
                {
                    return false;
                }
            }

            return true;
        }

        private static bool StartsWith(byte[] bytes, int start, int end, byte[] prefix)
        {
            if (end - start < prefix.Length)
            {
                return false;
            }

            for (int i = 0; i < prefix.Length; i++)
            {
                if (bytes[start + i] != prefix[i])
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>bytes[start..end) as a number capped at <see cref="int.MaxValue"/> when it is one or more ASCII digits and nothing else; -1 otherwise.</summary>
        private static long Number(byte[] bytes, int start, int end)
        {
            if (end <= start)
            {
                return -1;
            }

            long value = 0;
            for (int i = start; i < end; i++)
            {
                int c = bytes[i];
                if (c < '0' || c > '9')
                {
                    return -1;
                }

                // Past int.MaxValue the exact figure does not matter (every limit here is an int): stop growing.
                value = value > int.MaxValue ? value : (value * 10) + (c - '0');
            }

            return value > int.MaxValue ? int.MaxValue : value;
        }

        /// <summary>
        /// An IMF-fixdate (RFC 9110 section 5.6.7, "Sun, 06 Nov 1994 08:49:37 GMT") as seconds since 1970-01-01, or -1.
        /// </summary>
        private static long ImfFixdate(byte[] b, int start, int end)
        {
            if (end - start != 29 || b[start + 3] != ',' || b[start + 4] != 32 || b[start + 7] != 32 || b[start + 11] != 32
                || b[start + 16] != 32 || b[start + 19] != ':' || b[start + 22] != ':' || !StartsWith(b, start + 25, end, GmtSuffix))
            {
                return -1;
            }

            long day = Number(b, start + 5, start + 7);
            long year = Number(b, start + 12, start + 16);
            long hour = Number(b, start + 17, start + 19);
            long minute = Number(b, start + 20, start + 22);
            long second = Number(b, start + 23, start + 25);
            int month = 0;
            for (int m = 0; m < 12 && month == 0; m++)
            {
                if (b[start + 8] == Months[m * 3] && b[start + 9] == Months[(m * 3) + 1] && b[start + 10] == Months[(m * 3) + 2])
                {
                    month = m + 1;
                }
            }

            if (month == 0 || day < 1 || day > 31 || year < 1970 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60)
            {
                return -1;
            }

            return (DaysSinceEpoch(year, month, day) * 86400) + (hour * 3600) + (minute * 60) + second;
        }

        /// <summary>Days from 1970-01-01 to the given proleptic Gregorian date (March-based year, 400-year eras).</summary>
        private static long DaysSinceEpoch(long year, int month, long day)
        {
            long y = month <= 2 ? year - 1 : year;
            long era = y / 400;
            long yearOfEra = y - (era * 400);
            long dayOfYear = ((153 * (month > 2 ? month - 3 : month + 9)) + 2) / 5 + day - 1;
            long dayOfEra = (yearOfEra * 365) + (yearOfEra / 4) - (yearOfEra / 100) + dayOfYear;
            return (era * 146097) + dayOfEra - 719468;
        }
    }
}
