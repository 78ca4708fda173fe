// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Text;
#if !NANOFRAMEWORK_1_0
using System.Globalization;
#endif

namespace nanoFramework.Iotc.Json
{
    /// <summary>
    /// A read-only JSON value parsed from a string (RFC 8259, strict). Every value is a slice of the source text, so
    /// <see cref="RawText"/> returns exactly what the sender wrote and strings are decoded only on request.
    /// Object members keep document order; when a name repeats, <see cref="GetMember"/> returns the last one
    /// (as JavaScript's <c>JSON.parse</c> does) while <see cref="Count"/>/<see cref="GetName"/> still list every member.
    /// Typed getters never throw on a wrong type: server input is untrusted, so they return a default or false.
    /// </summary>
    internal sealed class JsonValue
    {
        /// <summary>Default nesting limit of <see cref="Parse(string)"/>.</summary>
        public const int DefaultMaxDepth = 32;

        /// <summary>Largest nesting limit accepted (keeps the recursive parser far from the device's stack limit).</summary>
        public const int MaxDepthLimit = 256;

        /// <summary>Default length limit (characters) of <see cref="Parse(string)"/>: 256 KB, the IoT Hub D2C maximum.</summary>
        public const int DefaultMaxLength = 262144;

        // The parsed text, shared by every value of the document (a char[]: see Text.Chars for why not a string).
        private readonly char[] _source;
        private readonly JsonValueKind _kind;
        private readonly int _start;
        private readonly int _length;
        private readonly bool _escaped;
        private readonly bool _flawed;

        // Arrays: the items; objects: name (string JsonValue) and value, alternating.
        private readonly ArrayList _items;

        internal JsonValue(char[] source, JsonValueKind kind, int start, int length, bool escaped, ArrayList items, bool flawed)
        {
            _source = source;
            _kind = kind;
            _start = start;
            _length = length;
            _escaped = escaped;
            _items = items;
            _flawed = flawed;
        }

        /// <summary>Parses a JSON document with the default limits (depth 32, 256 K characters).</summary>
        /// <param name="json">The JSON text.</param>
        /// <returns>The root value.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
        /// <exception cref="JsonException">The text is not valid JSON, or exceeds a limit.</exception>
        public static JsonValue Parse(string json)
        {
            return Parse(json, DefaultMaxDepth, DefaultMaxLength);
        }

        /// <summary>Parses a JSON document.</summary>
        /// <param name="json">The JSON text.</param>
        /// <param name="maxDepth">Deepest nesting of objects/arrays allowed (1 to <see cref="MaxDepthLimit"/>).</param>
        /// <param name="maxLength">Longest text allowed, in characters.</param>
        /// <returns>The root value.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">A limit is out of range.</exception>
        /// <exception cref="JsonException">The text is not valid JSON, or exceeds a limit.</exception>
        public static JsonValue Parse(string json, int maxDepth, int maxLength)
        {
            CheckArguments(json, maxDepth, maxLength);
            return JsonParser.Parse(json, maxDepth, maxLength, true);
        }

        /// <summary>Parses a JSON document with the default limits; returns false instead of throwing on bad input.</summary>
        /// <param name="json">The JSON text (null gives false).</param>
        /// <param name="value">The root value, or null.</param>
        /// <returns>True when <paramref name="json"/> is valid JSON within the limits.</returns>
        public static bool TryParse(string json, out JsonValue value)
        {
            value = null;
            if (json == null)
            {
                return false;
            }

            try
            {
                value = JsonParser.Parse(json, DefaultMaxDepth, DefaultMaxLength, true);
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <summary>
        /// Like <see cref="TryParse"/>, but a value that is well delimited and cannot be read (a lone surrogate, a number
        /// longer than 256 characters) does not fail the document: it, and what holds it, is <see cref="IsFlawed"/>.
        /// </summary>
        /// <param name="json">The JSON text (null gives false).</param>
        /// <param name="value">The root value, or null.</param>
        /// <returns>True when the text is JSON in structure, within the limits.</returns>
        internal static bool TryParseTolerant(string json, out JsonValue value)
        {
            value = null;
            if (json == null)
            {
                return false;
            }

            try
            {
                value = JsonParser.Parse(json, DefaultMaxDepth, DefaultMaxLength, true, true);
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <summary>True when this value, or one inside it, could not be read (only from <see cref="TryParseTolerant"/>).</summary>
        internal bool IsFlawed
        {
            get { return _flawed; }
        }

        /// <summary>True when the name of an object member could not be read (only from <see cref="TryParseTolerant"/>).</summary>
        /// <param name="index">Zero-based member index.</param>
        /// <returns>Whether the name is flawed.</returns>
        internal bool IsNameFlawed(int index)
        {
            return MemberName(index)._flawed;
        }

        /// <summary>Checks that <paramref name="json"/> is one valid JSON value without building a tree.</summary>
        /// <param name="json">The JSON text.</param>
        /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
        /// <exception cref="JsonException">The text is not valid JSON, or exceeds the default limits.</exception>
        public static void Validate(string json)
        {
            CheckArguments(json, DefaultMaxDepth, DefaultMaxLength);
            JsonParser.Parse(json, DefaultMaxDepth, DefaultMaxLength, false);
        }

        /// <summary>The kind of this value.</summary>
        public JsonValueKind Kind
        {
            get { return _kind; }
        }

        /// <summary>Zero-based offset of this value in the parsed text.</summary>
        public int Position
        {
            get { return _start; }
        }

        /// <summary>The exact JSON text of this value as it appears in the source (e.g. <c>{"a":1}</c>, <c>25</c>, <c>"on"</c>).</summary>
        public string RawText
        {
            get { return new string(_source, _start, _length); }
        }

        /// <summary>True for the literal <c>null</c>.</summary>
        public bool IsNull
        {
            get { return _kind == JsonValueKind.Null; }
        }

        /// <summary>Number of members (object, duplicates included) or items (array); 0 for other kinds.</summary>
        public int Count
        {
            get
            {
                if (_items == null)
                {
                    return 0;
                }

                return _kind == JsonValueKind.Object ? _items.Count / 2 : _items.Count;
            }
        }

        /// <summary>Returns an array item.</summary>
        /// <param name="index">Zero-based item index.</param>
        /// <returns>The item.</returns>
        /// <exception cref="InvalidOperationException">This value is not an array.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the array.</exception>
        public JsonValue GetItem(int index)
        {
            if (_kind != JsonValueKind.Array)
            {
                throw new InvalidOperationException("Not a JSON array.");
            }

            if (index < 0 || index >= _items.Count)
            {
                throw new ArgumentOutOfRangeException("index");
            }

            return (JsonValue)_items[index];
        }

        /// <summary>Returns the decoded name of an object member, in document order.</summary>
        /// <param name="index">Zero-based member index.</param>
        /// <returns>The member name.</returns>
        /// <exception cref="InvalidOperationException">This value is not an object.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the object.</exception>
        public string GetName(int index)
        {
            return MemberName(index).GetString();
        }

        /// <summary>Returns the value of an object member, in document order.</summary>
        /// <param name="index">Zero-based member index.</param>
        /// <returns>The member value.</returns>
        /// <exception cref="InvalidOperationException">This value is not an object.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the object.</exception>
        public JsonValue GetValue(int index)
        {
            MemberName(index);
            return (JsonValue)_items[(2 * index) + 1];
        }

        /// <summary>Looks up an object member by name (ordinal; the last one wins if the name repeats).</summary>
        /// <param name="name">The member name.</param>
        /// <returns>The member value, or null when this is not an object or has no such member.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        public JsonValue GetMember(string name)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }

            if (_kind != JsonValueKind.Object)
            {
                return null;
            }

            char[] wanted = null;
            for (int i = _items.Count - 2; i >= 0; i -= 2)
            {
                JsonValue candidate = (JsonValue)_items[i];
                if (candidate._escaped ? candidate.GetString() == name : candidate.RawEquals(wanted ?? (wanted = Chars.Of(name))))
                {
                    return (JsonValue)_items[i + 1];
                }
            }

            return null;
        }

        /// <summary>Returns a member's string value, or <paramref name="defaultValue"/> when it is absent or not a string.</summary>
        /// <param name="name">The member name.</param>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The decoded string or the fallback.</returns>
        public string GetMemberString(string name, string defaultValue)
        {
            JsonValue member = GetMember(name);
            return member == null ? defaultValue : member.GetString(defaultValue);
        }

        /// <summary>Returns a member's integer value, or <paramref name="defaultValue"/> when it is absent or not an integer.</summary>
        /// <param name="name">The member name.</param>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The number or the fallback.</returns>
        public long GetMemberInt64(string name, long defaultValue)
        {
            JsonValue member = GetMember(name);
            return member == null ? defaultValue : member.GetInt64(defaultValue);
        }

        /// <summary>Returns the decoded string, or null when this is not a string.</summary>
        /// <returns>The string with every escape resolved.</returns>
        public string GetString()
        {
            return GetString(null);
        }

        /// <summary>Returns the decoded string, or <paramref name="defaultValue"/> when this is not a string or holds an escaped U+0000 (which device strings cannot hold).</summary>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The string with every escape resolved, or the fallback.</returns>
        public string GetString(string defaultValue)
        {
            if (_kind != JsonValueKind.String)
            {
                return defaultValue;
            }

            if (!_escaped)
            {
                return new string(_source, _start + 1, _length - 2);
            }

            char[] chars = new char[_length - 2];
            int n = Decode(chars);

            // An escaped U+0000: nanoFramework strings end there, so the text cannot be given out on any platform.
            return n < 0 ? defaultValue : new string(chars, 0, n);
        }

        /// <summary>Returns the boolean, or <paramref name="defaultValue"/> when this is not <c>true</c>/<c>false</c>.</summary>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The boolean or the fallback.</returns>
        public bool GetBoolean(bool defaultValue)
        {
            if (_kind == JsonValueKind.True)
            {
                return true;
            }

            return _kind == JsonValueKind.False ? false : defaultValue;
        }

        /// <summary>
        /// Reads an integer number. Only integer text (no fraction or exponent) within the range of <c>long</c> succeeds.
        /// </summary>
        /// <param name="value">The number, or 0.</param>
        /// <returns>False when this is not a number, not an integer, or out of range.</returns>
        public bool TryGetInt64(out long value)
        {
            value = 0;
            if (_kind != JsonValueKind.Number)
            {
                return false;
            }

            int i = _start;
            int end = _start + _length;
            bool negative = _source[i] == '-';
            if (negative)
            {
                i++;
            }

            // Accumulate negatively so long.MinValue parses; the grammar was checked by the parser.
            long result = 0;
            for (; i < end; i++)
            {
                char c = _source[i];
                if (c < '0' || c > '9')
                {
                    return false;
                }

                int digit = c - '0';
                if (result < (long.MinValue + digit) / 10)
                {
                    return false;
                }

                result = (result * 10) - digit;
            }

            if (!negative)
            {
                if (result == long.MinValue)
                {
                    return false;
                }

                result = -result;
            }

            value = result;
            return true;
        }

        /// <summary>Reads an integer number within the range of <c>int</c>.</summary>
        /// <param name="value">The number, or 0.</param>
        /// <returns>False when this is not an integer number or is out of range.</returns>
        public bool TryGetInt32(out int value)
        {
            value = 0;
            long wide;
            if (!TryGetInt64(out wide) || wide < int.MinValue || wide > int.MaxValue)
            {
                return false;
            }

            value = (int)wide;
            return true;
        }

        /// <summary>Reads a number as a double (culture-invariant). Fails for non-numbers and for values beyond the double range.</summary>
        /// <param name="value">The number, or 0.</param>
        /// <returns>False when this is not a number or does not fit a finite double.</returns>
        public bool TryGetDouble(out double value)
        {
            value = 0;
            if (_kind != JsonValueKind.Number)
            {
                return false;
            }

            double parsed;
            string text = RawText;
#if NANOFRAMEWORK_1_0
            // nanoFramework parses with '.' as the decimal separator; it has no culture support.
            bool ok = double.TryParse(text, out parsed);
#else
            bool ok = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out parsed);
#endif
            if (!ok || double.IsNaN(parsed) || double.IsInfinity(parsed))
            {
                return false;
            }

            value = parsed;
            return true;
        }

        /// <summary>Returns the integer, or <paramref name="defaultValue"/> (see <see cref="TryGetInt64"/>).</summary>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The number or the fallback.</returns>
        public long GetInt64(long defaultValue)
        {
            long value;
            return TryGetInt64(out value) ? value : defaultValue;
        }

        /// <summary>Returns the integer, or <paramref name="defaultValue"/> (see <see cref="TryGetInt32"/>).</summary>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The number or the fallback.</returns>
        public int GetInt32(int defaultValue)
        {
            int value;
            return TryGetInt32(out value) ? value : defaultValue;
        }

        /// <summary>Returns the number, or <paramref name="defaultValue"/> (see <see cref="TryGetDouble"/>).</summary>
        /// <param name="defaultValue">The fallback.</param>
        /// <returns>The number or the fallback.</returns>
        public double GetDouble(double defaultValue)
        {
            double value;
            return TryGetDouble(out value) ? value : defaultValue;
        }

        /// <summary>Returns the raw JSON text (same as <see cref="RawText"/>).</summary>
        /// <returns>The value's source text.</returns>
        public override string ToString()
        {
            return RawText;
        }

        private static void CheckArguments(string json, int maxDepth, int maxLength)
        {
            if (json == null)
            {
                throw new ArgumentNullException("json");
            }

            if (maxDepth < 1 || maxDepth > MaxDepthLimit)
            {
                throw new ArgumentOutOfRangeException("maxDepth");
            }

            if (maxLength < 0)
            {
                throw new ArgumentOutOfRangeException("maxLength");
            }
        }

        private JsonValue MemberName(int index)
        {
            if (_kind != JsonValueKind.Object)
            {
                throw new InvalidOperationException("Not a JSON object.");
            }

            if (index < 0 || index >= _items.Count / 2)
            {
                throw new ArgumentOutOfRangeException("index");
            }

            return (JsonValue)_items[2 * index];
        }

        /// <summary>Compares this unescaped string value's content with <paramref name="text"/> without allocating.</summary>
        private bool RawEquals(char[] text)
        {
            return _length - 2 == text.Length && Chars.At(_source, _start + 1, _start + _length - 1, text);
        }

        /// <summary>Decodes this (already validated) string's content into <paramref name="chars"/>; returns the length, or -1 at an escaped U+0000.</summary>
        private int Decode(char[] chars)
        {
            int n = 0;
            int end = _start + _length - 1;
            int i = _start + 1;
            while (i < end)
            {
                char c = _source[i];
                if (c != '\\')
                {
                    chars[n++] = c;
                    i++;
                    continue;
                }

                char e = _source[i + 1];
                i += 2;
                switch (e)
                {
                    case 'b':
                        chars[n++] = '\b';
                        break;
                    case 'f':
                        chars[n++] = '\f';
                        break;
                    case 'n':
                        chars[n++] = '\n';
                        break;
                    case 'r':
                        chars[n++] = '\r';
                        break;
                    case 't':
                        chars[n++] = '\t';
                        break;
                    case 'u':
                        // Surrogate pairs were checked by the parser; each \uXXXX is one UTF-16 unit.
                        int unit = JsonParser.ReadHex4(_source, i, end);
                        if (unit == 0)
                        {
                            return -1;
                        }

                        chars[n++] = (char)unit;
                        i += 4;
                        break;
                    default:
                        // '"', '\\' and '/' stand for themselves.
                        chars[n++] = e;
                        break;
                }
            }

            return n;
        }
    }
}
