// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Json
{
    /// <summary>
    /// Strict RFC 8259 recursive-descent parser. Recursion is bounded by the depth limit, and every index is
    /// checked, so hostile input ends in <see cref="JsonException"/> rather than a stack overflow or an index error.
    /// Values are slices of the source (offset/length); strings are decoded only when asked for.
    /// In tolerant mode, a value that is well delimited but cannot be read (a lone surrogate, a number longer than
    /// <see cref="MaxNumberLength"/>) does not end the parse: it and every value holding it are marked
    /// <see cref="JsonValue.IsFlawed"/>, so one bad setting does not hide the others of a twin document.
    /// </summary>
    internal sealed class JsonParser
    {
        /// <summary>Longest number text accepted; longer runs of digits are an attack or a bug, not telemetry.</summary>
        internal const int MaxNumberLength = 256;

        private static readonly char[] TrueText = "true".ToCharArray();
        private static readonly char[] FalseText = "false".ToCharArray();
        private static readonly char[] NullText = "null".ToCharArray();

        // The text as one char[] (see Chars for why never the string itself), and its length.
        private readonly char[] _s;
        private readonly int _end;
        private readonly int _maxDepth;
        private readonly bool _build;
        private readonly bool _tolerant;
        private int _pos;

        // Flaws met so far (tolerant mode): a value whose parse raised the count holds one.
        private int _flaws;

        private JsonParser(char[] source, int end, int maxDepth, bool build, bool tolerant)
        {
            _s = source;
            _end = end;
            _maxDepth = maxDepth;
            _build = build;
            _tolerant = tolerant;
        }

        /// <summary>Parses <paramref name="source"/>; returns null when <paramref name="build"/> is false (validation only).</summary>
        internal static JsonValue Parse(string source, int maxDepth, int maxLength, bool build)
        {
            return Parse(source, maxDepth, maxLength, build, false);
        }

        /// <summary>Parses <paramref name="source"/>; <paramref name="tolerant"/>: unreadable but well delimited values are marked, not fatal.</summary>
        internal static JsonValue Parse(string source, int maxDepth, int maxLength, bool build, bool tolerant)
        {
            if (source.Length > maxLength)
            {
                throw new JsonException("JSON text longer than the limit", maxLength);
            }

            char[] chars = Chars.Of(source);
            return Parse(chars, chars.Length, maxDepth, maxLength, build, tolerant);
        }

        /// <summary>Parses the first <paramref name="length"/> units of <paramref name="source"/>, which the values then share (do not change it).</summary>
        internal static JsonValue Parse(char[] source, int length, int maxDepth, int maxLength, bool build)
        {
            return Parse(source, length, maxDepth, maxLength, build, false);
        }

        private static JsonValue Parse(char[] source, int length, int maxDepth, int maxLength, bool build, bool tolerant)
        {
            if (length > maxLength)
            {
                throw new JsonException("JSON text longer than the limit", maxLength);
            }

            JsonParser parser = new JsonParser(source, length, maxDepth, build, tolerant);

            // RFC 8259 section 8.1: a parser may ignore a leading byte-order mark.
            if (length > 0 && source[0] == '\uFEFF')
            {
                parser._pos = 1;
            }

            JsonValue root = parser.ParseValue(0);
            parser.SkipWhitespace();
            if (parser._pos < length)
            {
                throw new JsonException("Unexpected characters after the JSON value", parser._pos);
            }

            return root;
        }

        private void SkipWhitespace()
        {
            while (_pos < _end)
            {
                char c = _s[_pos];
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                {
                    _pos++;
                }
                else
                {
                    return;
                }
            }
        }

        private JsonValue ParseValue(int depth)
        {
            SkipWhitespace();
            if (_pos >= _end)
            {
                throw new JsonException("Unexpected end of JSON text", _pos);
            }

            char c = _s[_pos];
            switch (c)
            {
                case '{':
                    return ParseObject(depth + 1);
                case '[':
                    return ParseArray(depth + 1);
                case '"':
                    return ParseString();
                case 't':
                    return ParseLiteral(TrueText, JsonValueKind.True);
                case 'f':
                    return ParseLiteral(FalseText, JsonValueKind.False);
                case 'n':
                    return ParseLiteral(NullText, JsonValueKind.Null);
                default:
                    if (c == '-' || (c >= '0' && c <= '9'))
                    {
                        return ParseNumber();
                    }

                    throw new JsonException("Unexpected character", _pos);
            }
        }

        private JsonValue ParseObject(int depth)
        {
            int start = _pos;
            int flaws = _flaws;
            if (depth > _maxDepth)
            {
                throw new JsonException("JSON nested deeper than the limit", start);
            }

            _pos++;
            ArrayList members = _build ? new ArrayList() : null;
            SkipWhitespace();
            if (_pos < _end && _s[_pos] == '}')
            {
                _pos++;
                return Make(JsonValueKind.Object, start, false, members, flaws);
            }

            while (true)
            {
                SkipWhitespace();
                if (_pos >= _end)
                {
                    throw new JsonException("Unexpected end of JSON text in an object", _pos);
                }

                if (_s[_pos] != '"')
                {
                    throw new JsonException("Expected a member name", _pos);
                }

                JsonValue name = ParseString();
                SkipWhitespace();
                if (_pos >= _end || _s[_pos] != ':')
                {
                    throw new JsonException("Expected ':' after a member name", _pos);
                }

                _pos++;
                JsonValue value = ParseValue(depth);
                if (_build)
                {
                    members.Add(name);
                    members.Add(value);
                }

                SkipWhitespace();
                if (_pos >= _end)
                {
                    throw new JsonException("Unexpected end of JSON text in an object", _pos);
                }

                char c = _s[_pos++];
                if (c == '}')
                {
                    return Make(JsonValueKind.Object, start, false, members, flaws);
                }

                if (c != ',')
                {
                    throw new JsonException("Expected ',' or '}' in an object", _pos - 1);
                }
            }
        }

        private JsonValue ParseArray(int depth)
        {
            int start = _pos;
            int flaws = _flaws;
            if (depth > _maxDepth)
            {
                throw new JsonException("JSON nested deeper than the limit", start);
            }

            _pos++;
            ArrayList items = _build ? new ArrayList() : null;
            SkipWhitespace();
            if (_pos < _end && _s[_pos] == ']')
            {
                _pos++;
                return Make(JsonValueKind.Array, start, false, items, flaws);
            }

            while (true)
            {
                JsonValue item = ParseValue(depth);
                if (_build)
                {
                    items.Add(item);
                }

                SkipWhitespace();
                if (_pos >= _end)
                {
                    throw new JsonException("Unexpected end of JSON text in an array", _pos);
                }

                char c = _s[_pos++];
                if (c == ']')
                {
                    return Make(JsonValueKind.Array, start, false, items, flaws);
                }

                if (c != ',')
                {
                    throw new JsonException("Expected ',' or ']' in an array", _pos - 1);
                }
            }
        }

        private JsonValue ParseString()
        {
            int start = _pos;
            int flaws = _flaws;
            _pos++;
            bool escaped = false;
            while (true)
            {
                if (_pos >= _end)
                {
                    throw new JsonException("Unterminated string", start);
                }

                char c = _s[_pos];
                if (c == '"')
                {
                    _pos++;
                    return Make(JsonValueKind.String, start, escaped, null, flaws);
                }

                if (c == '\\')
                {
                    escaped = true;
                    ScanEscape();
                }
                else if (c < 0x20)
                {
                    throw new JsonException("Control character in a string", _pos);
                }
                else if (Chars.IsHighSurrogate(c) && Chars.IsPairAt(_s, _pos, _end))
                {
                    _pos += 2;
                }
                else if (Chars.IsHighSurrogate(c) || Chars.IsLowSurrogate(c))
                {
                    Flaw("Lone surrogate in a string", _pos);
                    _pos++;
                }
                else
                {
                    _pos++;
                }
            }
        }

        /// <summary>Checks one escape at <c>_pos</c> (which holds the backslash) and moves past it.</summary>
        private void ScanEscape()
        {
            int at = _pos;
            if (_pos + 1 >= _end)
            {
                throw new JsonException("Unterminated escape", at);
            }

            char e = _s[_pos + 1];
            if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't')
            {
                _pos += 2;
                return;
            }

            if (e != 'u')
            {
                throw new JsonException("Invalid escape", at);
            }

            int unit = ReadHex4(_s, _pos + 2, _end);
            if (unit < 0)
            {
                throw new JsonException("Invalid \\u escape", at);
            }

            // \u0000 is valid JSON; the document stays readable. Only decoding such a string is refused
            // (JsonValue.GetString), because nanoFramework strings end at U+0000: one bad value must not make a whole
            // twin document unreadable, and its raw text (six ASCII characters) can still be passed on.
            _pos += 6;
            if (unit >= 0xDC00 && unit <= 0xDFFF)
            {
                Flaw("Lone low surrogate escape", at);
                return;
            }

            if (unit >= 0xD800 && unit <= 0xDBFF)
            {
                // A high surrogate must be followed by an escaped low surrogate.
                int low = (_pos + 1 < _end && _s[_pos] == '\\' && _s[_pos + 1] == 'u') ? ReadHex4(_s, _pos + 2, _end) : -1;
                if (low < 0xDC00 || low > 0xDFFF)
                {
                    Flaw("Lone high surrogate escape", at);
                    return;
                }

                _pos += 6;
            }
        }

        /// <summary>Reads four hex digits at <paramref name="at"/>; -1 if they are missing or not hex.</summary>
        internal static int ReadHex4(char[] s, int at, int end)
        {
            if (at + 4 > end)
            {
                return -1;
            }

            int value = 0;
            for (int i = 0; i < 4; i++)
            {
                int d = Hex.Digit(s[at + i]);
                if (d < 0)
                {
                    return -1;
                }

                value = (value << 4) | d;
            }

            return value;
        }

        private JsonValue ParseNumber()
        {
            // number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ] [ ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT ]
            int start = _pos;
            int flaws = _flaws;
            if (_s[_pos] == '-')
            {
                _pos++;
            }

            if (_pos >= _end || !IsDigit(_s[_pos]))
            {
                throw new JsonException("Invalid number", start);
            }

            if (_s[_pos] == '0')
            {
                _pos++;
                if (_pos < _end && IsDigit(_s[_pos]))
                {
                    throw new JsonException("Leading zero in a number", start);
                }
            }
            else
            {
                SkipDigits();
            }

            if (_pos < _end && _s[_pos] == '.')
            {
                _pos++;
                if (_pos >= _end || !IsDigit(_s[_pos]))
                {
                    throw new JsonException("Invalid fraction in a number", start);
                }

                SkipDigits();
            }

            if (_pos < _end && (_s[_pos] == 'e' || _s[_pos] == 'E'))
            {
                _pos++;
                if (_pos < _end && (_s[_pos] == '+' || _s[_pos] == '-'))
                {
                    _pos++;
                }

                if (_pos >= _end || !IsDigit(_s[_pos]))
                {
                    throw new JsonException("Invalid exponent in a number", start);
                }

                SkipDigits();
            }

            if (_pos - start > MaxNumberLength)
            {
                Flaw("Number text longer than the limit", start);
            }

            return Make(JsonValueKind.Number, start, false, null, flaws);
        }

        private void SkipDigits()
        {
            while (_pos < _end && IsDigit(_s[_pos]))
            {
                _pos++;
            }
        }

        private static bool IsDigit(char c)
        {
            return c >= '0' && c <= '9';
        }

        private JsonValue ParseLiteral(char[] literal, JsonValueKind kind)
        {
            int start = _pos;
            if (!Chars.At(_s, start, _end, literal))
            {
                throw new JsonException("Invalid literal", start);
            }

            _pos += literal.Length;
            return Make(kind, start, false, null, _flaws);
        }

        /// <summary>A value that is well delimited but cannot be read: fatal, or in tolerant mode counted and passed over.</summary>
        private void Flaw(string message, int at)
        {
            if (!_tolerant)
            {
                throw new JsonException(message, at);
            }

            _flaws++;
        }

        private JsonValue Make(JsonValueKind kind, int start, bool escaped, ArrayList items, int flawsBefore)
        {
            return _build ? new JsonValue(_s, kind, start, _pos - start, escaped, items, _flaws > flawsBefore) : null;
        }
    }
}
