// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
#if !NANOFRAMEWORK_1_0
using System.Globalization;
#endif
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Json
{
    /// <summary>
    /// Writes compact JSON into a <see cref="StringBuffer"/>. Commas are inserted automatically; misuse (a value
    /// without a name inside an object, unbalanced End calls) throws <see cref="InvalidOperationException"/>.
    /// Strings escape <c>"</c>, <c>\</c> and control characters (as <c>\n</c>, <c>\t</c>… or <c>\u00XX</c>) and keep
    /// non-ASCII text as is; lone surrogates are written as <c>\uXXXX</c> escapes so the output stays well-formed UTF-16.
    /// </summary>
    internal sealed class JsonWriter
    {
        private readonly StringBuffer _buffer;

        // Per open container: true for objects. _hasItems: whether a value was already written at that level.
        private bool[] _isObject = new bool[8];
        private bool[] _hasItems = new bool[8];
        private int _depth;
        private bool _afterName;
        private bool _rootWritten;

        /// <summary>Creates a writer with its own buffer.</summary>
        public JsonWriter() : this(new StringBuffer(128))
        {
        }

        /// <summary>Creates a writer that appends to <paramref name="buffer"/>.</summary>
        /// <param name="buffer">The target buffer.</param>
        /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is null.</exception>
        public JsonWriter(StringBuffer buffer)
        {
            if (buffer == null)
            {
                throw new ArgumentNullException("buffer");
            }

            _buffer = buffer;
        }

        /// <summary>The buffer written to.</summary>
        public StringBuffer Buffer
        {
            get { return _buffer; }
        }

        /// <summary>Number of containers currently open.</summary>
        public int Depth
        {
            get { return _depth; }
        }

        /// <summary>Starts an object (<c>{</c>).</summary>
        /// <returns>This writer.</returns>
        public JsonWriter BeginObject()
        {
            BeforeValue();
            _buffer.Append('{');
            Push(true);
            return this;
        }

        /// <summary>Ends the current object (<c>}</c>).</summary>
        /// <returns>This writer.</returns>
        /// <exception cref="InvalidOperationException">No object is open, or a name is waiting for its value.</exception>
        public JsonWriter EndObject()
        {
            if (_depth == 0 || !_isObject[_depth - 1] || _afterName)
            {
                throw new InvalidOperationException("EndObject without an open object.");
            }

            _depth--;
            _buffer.Append('}');
            return this;
        }

        /// <summary>Starts an array (<c>[</c>).</summary>
        /// <returns>This writer.</returns>
        public JsonWriter BeginArray()
        {
            BeforeValue();
            _buffer.Append('[');
            Push(false);
            return this;
        }

        /// <summary>Ends the current array (<c>]</c>).</summary>
        /// <returns>This writer.</returns>
        /// <exception cref="InvalidOperationException">No array is open.</exception>
        public JsonWriter EndArray()
        {
            if (_depth == 0 || _isObject[_depth - 1])
            {
                throw new InvalidOperationException("EndArray without an open array.");
            }

            _depth--;
            _buffer.Append(']');
            return this;
        }

        /// <summary>Writes a member name inside an object; the next call must write its value.</summary>
        /// <param name="name">The member name (escaped as a JSON string).</param>
        /// <returns>This writer.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="InvalidOperationException">Not inside an object, or a name is already waiting for its value.</exception>
        public JsonWriter Name(string name)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }

            if (_depth == 0 || !_isObject[_depth - 1] || _afterName)
            {
                throw new InvalidOperationException("A member name can only be written inside an object, before its value.");
            }

            if (_hasItems[_depth - 1])
            {
                _buffer.Append(',');
            }

            _hasItems[_depth - 1] = true;
            WriteQuoted(_buffer, name);
            _buffer.Append(':');
            _afterName = true;
            return this;
        }

        /// <summary>Writes a string value; null writes <c>null</c>.</summary>
        /// <param name="value">The string.</param>
        /// <returns>This writer.</returns>
        public JsonWriter String(string value)
        {
            BeforeValue();
            if (value == null)
            {
                _buffer.Append("null");
            }
            else
            {
                WriteQuoted(_buffer, value);
            }

            return this;
        }

        /// <summary>Writes an integer.</summary>
        /// <param name="value">The number.</param>
        /// <returns>This writer.</returns>
        public JsonWriter Number(long value)
        {
            BeforeValue();
            _buffer.Append(value);
            return this;
        }

        /// <summary>Writes a floating-point number in round-trip, culture-invariant form.</summary>
        /// <param name="value">The number (finite).</param>
        /// <returns>This writer.</returns>
        /// <exception cref="ArgumentException"><paramref name="value"/> is NaN or infinite (JSON cannot express it).</exception>
        public JsonWriter Number(double value)
        {
            if (double.IsNaN(value) || double.IsInfinity(value))
            {
                throw new ArgumentException("JSON cannot represent NaN or infinity.", "value");
            }

            BeforeValue();
#if NANOFRAMEWORK_1_0
            _buffer.Append(RoundTripText(value));
#else
            _buffer.Append(value.ToString("R", CultureInfo.InvariantCulture));
#endif
            return this;
        }

#if NANOFRAMEWORK_1_0
        // Measured on nanoCLR: "R" throws NotImplementedException, and ToString() and "G17" write 20.5 as
        // 20.499999999999998, which reads back as another number; "G15" is right for 20.5 but too short for 1/3.
        // So the shortest of G15..G17 that parses back to the same value ('.' always: nanoFramework has no culture).
        private static string RoundTripText(double value)
        {
            for (int digits = 15; digits < 17; digits++)
            {
                string text = value.ToString(digits == 15 ? "G15" : "G16");
                double back;
                if (double.TryParse(text, out back) && back == value)
                {
                    return text;
                }
            }

            return value.ToString("G17");
        }
#endif

        /// <summary>Writes <c>true</c> or <c>false</c>.</summary>
        /// <param name="value">The boolean.</param>
        /// <returns>This writer.</returns>
        public JsonWriter Bool(bool value)
        {
            BeforeValue();
            _buffer.Append(value ? "true" : "false");
            return this;
        }

        /// <summary>Writes <c>null</c>.</summary>
        /// <returns>This writer.</returns>
        public JsonWriter Null()
        {
            BeforeValue();
            _buffer.Append("null");
            return this;
        }

        /// <summary>
        /// Inserts already-formed JSON text as one value (e.g. a desired property's <see cref="JsonValue.RawText"/>).
        /// The text is validated (one JSON value, default limits) so a bad value cannot break the document.
        /// </summary>
        /// <param name="json">One JSON value.</param>
        /// <returns>This writer.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
        /// <exception cref="JsonException"><paramref name="json"/> is not exactly one valid JSON value.</exception>
        public JsonWriter RawValue(string json)
        {
            JsonValue.Validate(json);
            BeforeValue();
            _buffer.Append(json);
            return this;
        }

        /// <summary>Returns the JSON written so far.</summary>
        /// <returns>The buffer's text.</returns>
        public override string ToString()
        {
            return _buffer.ToString();
        }

        /// <summary>Returns <paramref name="value"/> as a quoted, escaped JSON string literal.</summary>
        /// <param name="value">The text.</param>
        /// <returns>The literal, e.g. <c>"a\"b"</c>.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
        public static string Quote(string value)
        {
            if (value == null)
            {
                throw new ArgumentNullException("value");
            }

            StringBuffer buffer = new StringBuffer(value.Length + 8);
            WriteQuoted(buffer, value);
            return buffer.ToString();
        }

        private static void WriteQuoted(StringBuffer buffer, string value)
        {
            buffer.Append('"');
            char[] chars = Chars.Of(value);
            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                switch (c)
                {
                    case '"':
                        buffer.Append("\\\"");
                        break;
                    case '\\':
                        buffer.Append("\\\\");
                        break;
                    case '\n':
                        buffer.Append("\\n");
                        break;
                    case '\r':
                        buffer.Append("\\r");
                        break;
                    case '\t':
                        buffer.Append("\\t");
                        break;
                    case '\b':
                        buffer.Append("\\b");
                        break;
                    case '\f':
                        buffer.Append("\\f");
                        break;
                    default:
                        if (c < 0x20)
                        {
                            AppendUnicodeEscape(buffer, c);
                        }
                        else if (Chars.IsPairAt(chars, i, chars.Length))
                        {
                            buffer.Append(c).Append(chars[i + 1]);
                            i++;
                        }
                        else if (c >= 0xD800 && c <= 0xDFFF)
                        {
                            AppendUnicodeEscape(buffer, c);
                        }
                        else
                        {
                            buffer.Append(c);
                        }

                        break;
                }
            }

            buffer.Append('"');
        }

        private static void AppendUnicodeEscape(StringBuffer buffer, char c)
        {
            buffer.Append("\\u")
                .Append(Hex.Lower((c >> 12) & 0xF))
                .Append(Hex.Lower((c >> 8) & 0xF))
                .Append(Hex.Lower((c >> 4) & 0xF))
                .Append(Hex.Lower(c & 0xF));
        }

        private void BeforeValue()
        {
            if (_depth == 0)
            {
                if (_rootWritten)
                {
                    throw new InvalidOperationException("A JSON document holds a single root value.");
                }

                _rootWritten = true;
                return;
            }

            if (_isObject[_depth - 1])
            {
                if (!_afterName)
                {
                    throw new InvalidOperationException("A value inside an object needs a member name first.");
                }

                _afterName = false;
                return;
            }

            if (_hasItems[_depth - 1])
            {
                _buffer.Append(',');
            }

            _hasItems[_depth - 1] = true;
        }

        private void Push(bool isObject)
        {
            if (_depth == _isObject.Length)
            {
                bool[] kinds = new bool[_depth * 2];
                bool[] items = new bool[_depth * 2];
                Array.Copy(_isObject, kinds, _depth);
                Array.Copy(_hasItems, items, _depth);
                _isObject = kinds;
                _hasItems = items;
            }

            _isObject[_depth] = isObject;
            _hasItems[_depth] = false;
            _depth++;
        }
    }
}
