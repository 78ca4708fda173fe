// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;
using nanoFramework.Iotc.Json;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// The top-level desired properties of a twin GET response or a desired patch, in document order, without the
    /// <c>$</c>-prefixed metadata (<c>$version</c>, <c>$metadata</c>). Each value is available as its raw JSON text.
    /// </summary>
    internal sealed class DesiredProperties
    {
        // Alternating name (string) and value (JsonValue).
        private readonly ArrayList _entries = new ArrayList();

        // Names of the settings skipped because they could not be read (null: the name itself could not be).
        private ArrayList _skipped;

        internal DesiredProperties(long version, bool malformed)
        {
            Version = version;
            IsMalformed = malformed;
        }

        /// <summary>The desired <c>$version</c>; -1 when absent or not an integer.</summary>
        public long Version { get; private set; }

        /// <summary>True when the body was not JSON or not shaped like a twin document/patch (then <see cref="Count"/> is 0).</summary>
        public bool IsMalformed { get; private set; }

        /// <summary>Settings skipped because their name or value could not be read (0 when none).</summary>
        public int SkippedCount
        {
            get { return _skipped == null ? 0 : _skipped.Count; }
        }

        /// <summary>The name of a skipped setting; null when the name itself could not be read.</summary>
        /// <param name="index">Zero-based index.</param>
        /// <returns>The name, or null.</returns>
        public string GetSkippedName(int index)
        {
            return (string)_skipped[index];
        }

        /// <summary>Number of properties.</summary>
        public int Count
        {
            get { return _entries.Count / 2; }
        }

        /// <summary>Returns the name of a property.</summary>
        /// <param name="index">Zero-based index, in document order.</param>
        /// <returns>The decoded name.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
        public string GetName(int index)
        {
            CheckIndex(index);
            return (string)_entries[2 * index];
        }

        /// <summary>Returns the raw JSON text of a property's value, e.g. <c>25</c>, <c>"on"</c> or <c>{"a":1}</c>.</summary>
        /// <param name="index">Zero-based index, in document order.</param>
        /// <returns>The JSON text exactly as received.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
        public string GetRawValue(int index)
        {
            return GetValue(index).RawText;
        }

        /// <summary>Returns a property's parsed value.</summary>
        /// <param name="index">Zero-based index, in document order.</param>
        /// <returns>The value.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
        public JsonValue GetValue(int index)
        {
            CheckIndex(index);
            return (JsonValue)_entries[(2 * index) + 1];
        }

        /// <summary>
        /// True when the property is an IoT Plug and Play component: an object with the marker <c>"__t":"c"</c>
        /// (Learn, "IoT Plug and Play conventions"); its own properties are then its other members.
        /// </summary>
        /// <param name="index">Zero-based index, in document order.</param>
        /// <returns>Whether the value is a component.</returns>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is out of range.</exception>
        public bool IsComponent(int index)
        {
            return TwinProtocol.IsComponentObject(GetValue(index));
        }

        internal void Add(string name, JsonValue value)
        {
            _entries.Add(name);
            _entries.Add(value);
        }

        internal void Skip(string name)
        {
            if (_skipped == null)
            {
                _skipped = new ArrayList();
            }

            _skipped.Add(name);
        }

        private void CheckIndex(int index)
        {
            if (index < 0 || index >= _entries.Count / 2)
            {
                throw new ArgumentOutOfRangeException("index");
            }
        }
    }
}
