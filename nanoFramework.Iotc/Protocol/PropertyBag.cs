// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Ordered message properties as IoT Hub carries them in MQTT topics: <c>urlencode(name)=urlencode(value)</c>
    /// joined by <c>&amp;</c> (Learn: "Communicate with an IoT hub using the MQTT protocol", sending
    /// device-to-cloud messages / receiving cloud-to-device messages). A name may repeat; a value may be null
    /// (written as the bare name, as IoT Hub does for a property without <c>=</c>).
    /// </summary>
    public sealed class PropertyBag
    {
        private readonly ArrayList _names = new ArrayList();
        private readonly ArrayList _values = new ArrayList();

        /// <summary>Number of properties.</summary>
        public int Count
        {
            get { return _names.Count; }
        }

        /// <summary>Appends a property.</summary>
        /// <param name="name">The property name (not empty).</param>
        /// <param name="value">The value; null writes the bare name.</param>
        /// <returns>This bag.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
        public PropertyBag Add(string name, string value)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }

            if (name.Length == 0)
            {
                throw new ArgumentException("A property name cannot be empty.", "name");
            }

            _names.Add(name);
            _values.Add(value);
            return this;
        }

        /// <summary>Returns the name of the property at <paramref name="index"/>.</summary>
        /// <param name="index">Zero-based index.</param>
        /// <returns>The (decoded) name.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
        public string GetName(int index)
        {
            CheckIndex(index);
            return (string)_names[index];
        }

        /// <summary>Returns the value of the property at <paramref name="index"/>.</summary>
        /// <param name="index">Zero-based index.</param>
        /// <returns>The (decoded) value, possibly null.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
        public string GetValue(int index)
        {
            CheckIndex(index);
            return (string)_values[index];
        }

        /// <summary>Returns the value of the first property named <paramref name="name"/> (ordinal).</summary>
        /// <param name="name">The property name.</param>
        /// <returns>The value, or null when absent (use <see cref="Contains"/> to tell absent from a null value).</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        public string Get(string name)
        {
            int index = IndexOf(name);
            return index < 0 ? null : (string)_values[index];
        }

        /// <summary>True when a property named <paramref name="name"/> exists (ordinal).</summary>
        /// <param name="name">The property name.</param>
        /// <returns>Whether it exists.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
        public bool Contains(string name)
        {
            return IndexOf(name) >= 0;
        }

        /// <summary>
        /// Encodes the bag as <c>name=value&amp;…</c> with RFC 3986 percent-encoding (<see cref="UrlEncoding"/>), except that a
        /// leading <c>$</c> of a name is kept literal (system properties: <c>$.ct</c>, <c>$.ce</c>, <c>$.sub</c>, <c>$.mid</c>).
        /// </summary>
        /// <returns>The encoded text; empty for an empty bag.</returns>
        public string Encode()
        {
            StringBuffer buffer = new StringBuffer(32 * (_names.Count + 1));
            AppendEncoded(buffer);
            return buffer.ToString();
        }

        /// <summary>
        /// Decodes a property bag: split on <c>&amp;</c>, then on the first <c>=</c>, and percent-decode both sides;
        /// a segment without <c>=</c> gives a null value; empty segments and empty names are skipped. Values may hold
        /// literal <c>/</c> (IoT Hub sends <c>$.to=/devices/…</c>). Never throws on malformed text.
        /// </summary>
        /// <param name="encoded">The encoded bag (without a leading <c>?</c> or topic prefix).</param>
        /// <returns>The decoded bag.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="encoded"/> is null.</exception>
        public static PropertyBag Decode(string encoded)
        {
            if (encoded == null)
            {
                throw new ArgumentNullException("encoded");
            }

            char[] chars = Chars.Of(encoded);
            return Decode(chars, 0, chars.Length);
        }

        /// <summary><see cref="Decode(string)"/> over <paramref name="encoded"/>[<paramref name="from"/>..<paramref name="to"/>).</summary>
        internal static PropertyBag Decode(char[] encoded, int from, int to)
        {
            PropertyBag bag = new PropertyBag();
            int start = from;
            while (start <= to)
            {
                int amp = Chars.IndexOf(encoded, '&', start, to);
                int end = amp < 0 ? to : amp;
                int eq = Chars.IndexOf(encoded, '=', start, end);
                if ((eq < 0 ? end : eq) > start)
                {
                    // A non-empty name (a percent-escape never decodes to nothing).
                    string name;
                    string value;
                    if (eq < 0)
                    {
                        name = UrlEncoding.Decode(encoded, start, end);
                        value = null;
                    }
                    else
                    {
                        name = UrlEncoding.Decode(encoded, start, eq);
                        value = UrlEncoding.Decode(encoded, eq + 1, end);
                    }

                    bag._names.Add(name);
                    bag._values.Add(value);
                }

                if (amp < 0)
                {
                    break;
                }

                start = amp + 1;
            }

            return bag;
        }

        /// <summary>Returns <see cref="Encode"/>.</summary>
        /// <returns>The encoded bag.</returns>
        public override string ToString()
        {
            return Encode();
        }

        /// <summary>Appends the encoded properties (see <see cref="Encode"/>), separated by '&amp;'.</summary>
        internal void AppendEncoded(StringBuffer buffer)
        {
            for (int i = 0; i < _names.Count; i++)
            {
                if (i > 0)
                {
                    buffer.Append('&');
                }

                string name = (string)_names[i];
                if (name.IndexOf('$') == 0)
                {
                    // A leading '$' stays literal, as in Learn's "$.ct=application%2Fjson&$.ce=utf-8": system
                    // property names are matched that way, and '$' is legal in a topic; the hub decodes either form.
                    buffer.Append('$').Append(UrlEncoding.Encode(name.Substring(1)));
                }
                else
                {
                    buffer.Append(UrlEncoding.Encode(name));
                }

                string value = (string)_values[i];
                if (value != null)
                {
                    buffer.Append('=').Append(UrlEncoding.Encode(value));
                }
            }
        }

        private int IndexOf(string name)
        {
            if (name == null)
            {
                throw new ArgumentNullException("name");
            }

            for (int i = 0; i < _names.Count; i++)
            {
                if ((string)_names[i] == name)
                {
                    return i;
                }
            }

            return -1;
        }

        private void CheckIndex(int index)
        {
            if (index < 0 || index >= _names.Count)
            {
                throw new ArgumentOutOfRangeException("index");
            }
        }
    }
}
