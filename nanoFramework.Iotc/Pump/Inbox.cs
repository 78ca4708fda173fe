// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The only place transport threads touch: they append, the pump thread takes. A lock around an ArrayList is
    /// enough here (the device's mscorlib has no concurrent collections).
    /// </summary>
    internal class Inbox
    {
        private readonly object _sync = new object();
        private ArrayList _events = new ArrayList();
        private ArrayList _spare = new ArrayList();

        internal void Post(InboundEvent e)
        {
            lock (_sync)
            {
                _events.Add(e);
            }
        }

        /// <summary>Takes everything posted so far, oldest first. The returned list is reused by the next call.</summary>
        internal ArrayList TakeAll()
        {
            lock (_sync)
            {
                ArrayList taken = _events;
                _events = _spare;
                _spare = taken;
                _events.Clear();
                return taken;
            }
        }

        internal int Count
        {
            get
            {
                lock (_sync)
                {
                    return _events.Count;
                }
            }
        }
    }
}
