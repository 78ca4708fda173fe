// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The only place transport threads touch: they append, the pump thread takes. A lock around an ArrayList is
    /// enough here (the device's mscorlib has no concurrent collections).
    /// <para>
    /// Bounded: if the application calls <c>DoNext</c> too rarely for what the server sends (or the server floods), the
    /// excess server messages and PUBACKs are dropped and counted rather than exhausting a board's memory. A dropped
    /// PUBACK or twin response leaves its message in flight until the next reconnect re-sends it; a dropped command
    /// times out at the hub. Connection-lost events are never dropped.
    /// </para>
    /// </summary>
    internal class Inbox
    {
        /// <summary>Server messages waiting at most (one is always accepted, whatever its size).</summary>
        internal const int MaxMessages = 64;

        /// <summary>Payload bytes of the waiting server messages at most.</summary>
        internal const int MaxMessageBytes = 64 * 1024;

        /// <summary>PUBACKs waiting at most (the pump has at most a few dozen messages in flight).</summary>
        internal const int MaxPublished = 256;

        private readonly object _sync = new object();
        private ArrayList _events = new ArrayList();
        private ArrayList _spare = new ArrayList();
        private int _messages;
        private int _messageBytes;
        private int _published;
        private int _dropped;

        internal void Post(InboundEvent e)
        {
            lock (_sync)
            {
                if (e.Kind == InboundEvent.Message)
                {
                    int size = e.Payload == null ? 0 : e.Payload.Length;
                    if (_messages > 0 && (_messages >= MaxMessages || _messageBytes + size > MaxMessageBytes))
                    {
                        _dropped++;
                        return;
                    }

                    _messages++;
                    _messageBytes += size;
                }
                else if (e.Kind == InboundEvent.Published)
                {
                    if (_published >= MaxPublished)
                    {
                        _dropped++;
                        return;
                    }

                    _published++;
                }

                _events.Add(e);
            }
        }

        /// <summary>Takes everything posted so far, oldest first. The returned list is reused by the next call.</summary>
        /// <param name="dropped">How many events were dropped since the last call because the inbox was full.</param>
        internal ArrayList TakeAll(out int dropped)
        {
            lock (_sync)
            {
                ArrayList taken = _events;
                _events = _spare;
                _spare = taken;
                _events.Clear();
                dropped = _dropped;
                _dropped = 0;
                _messages = 0;
                _messageBytes = 0;
                _published = 0;
                return taken;
            }
        }
    }
}
