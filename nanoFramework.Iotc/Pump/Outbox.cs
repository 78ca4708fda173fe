// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// Messages not yet confirmed, oldest first, bounded by count and bytes so a long outage cannot exhaust a board's
    /// memory. A full outbox refuses new messages (the caller sees an exception) rather than dropping old ones.
    /// </summary>
    internal class Outbox
    {
        private readonly ArrayList _items = new ArrayList();
        private int _bytes;

        // Kept as a count, so an idle DoNext() knows in O(1) that there is nothing to publish.
        private int _inFlight;

        internal Outbox(int maxMessages, int maxBytes)
        {
            SetLimits(maxMessages, maxBytes);
        }

        internal int MaxMessages { get; private set; }

        internal int MaxBytes { get; private set; }

        internal int Count
        {
            get { return _items.Count; }
        }

        internal int Bytes
        {
            get { return _bytes; }
        }

        internal OutboundMessage this[int index]
        {
            get { return (OutboundMessage)_items[index]; }
        }

        internal void SetLimits(int maxMessages, int maxBytes)
        {
            if (maxMessages < 1)
            {
                throw new ArgumentOutOfRangeException("maxMessages");
            }

            if (maxBytes < 1)
            {
                throw new ArgumentOutOfRangeException("maxBytes");
            }

            MaxMessages = maxMessages;
            MaxBytes = maxBytes;
        }

        /// <summary>True when <paramref name="size"/> more bytes fit. Automatic messages (acks, command responses) may use a reserve of 8 messages / 8 KB beyond the limits, so a full outbox of telemetry does not block answers to the server.</summary>
        internal bool HasRoom(int size, bool automatic)
        {
            int maxCount = automatic ? MaxMessages + 8 : MaxMessages;
            int maxBytes = automatic ? MaxBytes + 8192 : MaxBytes;
            return _items.Count < maxCount && _bytes + size <= maxBytes;
        }

        internal void Add(OutboundMessage message)
        {
            _items.Add(message);
            _bytes += message.Size;
            if (message.InFlight)
            {
                _inFlight++;
            }
        }

        internal void RemoveAt(int index)
        {
            OutboundMessage m = (OutboundMessage)_items[index];
            _bytes -= m.Size;
            if (m.InFlight)
            {
                _inFlight--;
            }

            _items.RemoveAt(index);
        }

        internal int IndexOfPacket(int packetId)
        {
            for (int i = 0; i < _items.Count; i++)
            {
                OutboundMessage m = (OutboundMessage)_items[i];
                if (m.InFlight && m.PacketId == packetId)
                {
                    return i;
                }
            }

            return -1;
        }

        /// <summary>After a lost connection: everything unconfirmed goes out again, in the original order.</summary>
        internal void MarkAllForResend()
        {
            for (int i = 0; i < _items.Count; i++)
            {
                OutboundMessage m = (OutboundMessage)_items[i];
                m.InFlight = false;
                m.PacketId = 0;
            }

            _inFlight = 0;
        }

        /// <summary>Messages published and not yet confirmed.</summary>
        internal int InFlightCount()
        {
            return _inFlight;
        }

        /// <summary>Messages waiting to be published (or published again).</summary>
        internal int UnsentCount()
        {
            return _items.Count - _inFlight;
        }

        /// <summary>Marks <paramref name="message"/> (in the outbox) as published or as waiting again.</summary>
        internal void SetInFlight(OutboundMessage message, bool inFlight)
        {
            if (message.InFlight != inFlight)
            {
                message.InFlight = inFlight;
                _inFlight += inFlight ? 1 : -1;
            }
        }
    }
}
