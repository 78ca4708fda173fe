// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The last few cloud-to-device message ids (<c>$.mid</c>) raised. With a persistent MQTT session the hub sends a
    /// message again (DUP) when it never saw the PUBACK, e.g. the link died right after the transport acknowledged it:
    /// the application must see it once.
    /// </summary>
    internal sealed class RecentIds
    {
        private readonly string[] _ids;
        private int _next;

        internal RecentIds(int capacity)
        {
            _ids = new string[capacity];
        }

        /// <summary>Remembers <paramref name="id"/> (not empty); false when it was among the last ones already (a redelivery).</summary>
        internal bool Add(string id)
        {
            for (int i = 0; i < _ids.Length; i++)
            {
                // IsNullOrEmpty, not == null: nanoCLR's unassigned string[] slots do not compare equal to null (measured).
                if (!string.IsNullOrEmpty(_ids[i]) && _ids[i] == id)
                {
                    return false;
                }
            }

            _ids[_next] = id;
            _next = (_next + 1) % _ids.Length;
            return true;
        }
    }
}
