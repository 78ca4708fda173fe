// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using System.Threading;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// Hands what the transport's thread receives to the pump. Bounded, and lossless: when the messages waiting reach
    /// the limit, the transport's thread WAITS for DoNext() to take them (back-pressure) instead of dropping them:
    /// both MQTT clients acknowledge a message on receipt, so a message dropped here would be lost for good.
    /// While it waits, the client reads nothing more from the socket, so memory stays bounded.
    /// Acks and losses of a closed connection are discarded (its unconfirmed messages are sent again); its messages are
    /// kept, without waiting for room: the client acknowledged them (or does when the post returns), so when the pump
    /// closes the link itself (token renewal, PUBACK time-out) a message that arrived meanwhile must still be raised.
    /// </summary>
    internal sealed class Inbox
    {
        /// <summary>Messages waiting before the transport's thread has to wait (one large message always fits).</summary>
        internal const int MaxMessages = 64;

        /// <summary>Payload bytes waiting before the transport's thread has to wait.</summary>
        internal const int MaxMessageBytes = 64 * 1024;

        private const int WaitStepMs = 5;

        private readonly object _sync = new object();
        private ArrayList _events = new ArrayList();
        private ArrayList _spare = new ArrayList();
        private readonly ArrayList _none = new ArrayList();

        // PUBACK events already handled, reused for the next ones: one per confirmed message would be garbage.
        private readonly ArrayList _freeAcks = new ArrayList();

        // Events waiting, readable without the lock: an idle DoNext() must not contend with the transport's thread.
        private int _waiting;
        private int _messages;
        private int _messageBytes;
        private int _generation;
        private Thread _pumpThread;

        // Set by a post while the pump waits in WaitForEvents (1 = waiting): posts do not touch the event otherwise.
        private readonly AutoResetEvent _arrived = new AutoResetEvent(false);
        private int _pumpWaiting;

        // Events that end the pump's wait when they are all PUBACKs (WaitForEvents' acksToWake).
        private int _acksToWake = 1;

        /// <summary>The connection whose events are accepted from now on; waiting posts of older ones stop waiting.</summary>
        internal void Open(int generation)
        {
            lock (_sync)
            {
                _generation = generation;
            }
        }

        /// <summary>The thread that calls <see cref="TakeAll"/>: it is never made to wait for itself.</summary>
        internal void SetPumpThread(Thread thread)
        {
            _pumpThread = thread;
        }

        internal void Post(InboundEvent e)
        {
            bool onPumpThread = Thread.CurrentThread == _pumpThread;
            while (true)
            {
                lock (_sync)
                {
                    if (e.Generation != _generation)
                    {
                        if (e.Kind == InboundEvent.Message)
                        {
                            // A closed connection delivers only what its client had already read: bounded, so no wait.
                            AppendMessage(e, e.Payload == null ? 0 : e.Payload.Length);
                        }

                        return;
                    }

                    if (e.Kind != InboundEvent.Message)
                    {
                        // Acks and losses are small and bounded by the in-flight window: never wait for them.
                        Append(e);
                        return;
                    }

                    int size = e.Payload == null ? 0 : e.Payload.Length;
                    if (_messages == 0 || onPumpThread || (_messages < MaxMessages && _messageBytes + size <= MaxMessageBytes))
                    {
                        AppendMessage(e, size);
                        return;
                    }
                }

                // Full: wait for DoNext() to take what is here (mscorlib on the board has no Monitor.Wait).
                Thread.Sleep(WaitStepMs);
            }
        }

        /// <summary>A PUBACK of connection <paramref name="generation"/>: never waits (bounded by the in-flight window).</summary>
        internal void PostPublished(int generation, int packetId)
        {
            lock (_sync)
            {
                if (generation != _generation)
                {
                    return;
                }

                int last = _freeAcks.Count - 1;
                InboundEvent e;
                if (last >= 0)
                {
                    e = (InboundEvent)_freeAcks[last];
                    _freeAcks.RemoveAt(last);
                }
                else
                {
                    e = new InboundEvent();
                    e.Kind = InboundEvent.Published;
                }

                e.Generation = generation;
                e.PacketId = packetId;
                Append(e);
            }
        }

        /// <summary>Adds a message and counts it against the limits (under the lock).</summary>
        private void AppendMessage(InboundEvent e, int size)
        {
            _messages++;
            _messageBytes += size;
            Append(e);
        }

        /// <summary>Adds an event for the pump and wakes it if it waits (under the lock).</summary>
        private void Append(InboundEvent e)
        {
            _events.Add(e);
            int waiting = Interlocked.Increment(ref _waiting);
            if (Interlocked.CompareExchange(ref _pumpWaiting, 0, 0) != 0 && EndsWait(e.Kind, waiting, _acksToWake))
            {
                _arrived.Set();
            }
        }

        /// <summary>
        /// Whether a post ends the pump's wait: anything but a PUBACK at once; PUBACKs once <paramref name="acksToWake"/>
        /// events wait, so a full window wakes the pump once per batch instead of once per message (each wake-up is a
        /// context switch on both threads).
        /// </summary>
        internal static bool EndsWait(int kind, int waiting, int acksToWake)
        {
            return kind != InboundEvent.Published || waiting >= acksToWake;
        }

        /// <summary>Gives back what the pump finished with from a <see cref="TakeAll"/> list (PUBACK events are reused), and clears it.</summary>
        internal void Recycle(ArrayList handled)
        {
            if (handled.Count == 0)
            {
                return;
            }

            lock (_sync)
            {
                for (int i = 0; i < handled.Count && _freeAcks.Count < 256; i++)
                {
                    InboundEvent e = (InboundEvent)handled[i];
                    if (e.Kind == InboundEvent.Published)
                    {
                        _freeAcks.Add(e);
                    }
                }
            }

            handled.Clear();
        }

        /// <summary>
        /// Waits until something is posted (or <paramref name="acksToWake"/> PUBACKs) or <paramref name="timeoutMs"/> has
        /// passed; returns at once when that much is already waiting. For a pump with nothing to do but wait for the
        /// network: sleeping here instead of spinning leaves the processor to the transport's threads.
        /// </summary>
        /// <param name="timeoutMs">The longest wait, which also bounds how late a confirmation below the batch is seen.</param>
        /// <param name="acksToWake">PUBACKs that end the wait (1 or more); any other event ends it at once.</param>
        internal void WaitForEvents(int timeoutMs, int acksToWake)
        {
            // Both sides publish first and check the other's flag after (full fences), so a post cannot slip between
            // the check and the wait unseen; a stale signal only ends a later wait early.
            Interlocked.Exchange(ref _acksToWake, acksToWake < 1 ? 1 : acksToWake);
            Interlocked.Exchange(ref _pumpWaiting, 1);
            int waiting = Interlocked.CompareExchange(ref _waiting, 0, 0);
            if (waiting < _acksToWake && (waiting == 0 || OnlyAcksWaiting()))
            {
                _arrived.WaitOne(timeoutMs, false);
            }

            Interlocked.Exchange(ref _pumpWaiting, 0);
        }

        private bool OnlyAcksWaiting()
        {
            lock (_sync)
            {
                for (int i = 0; i < _events.Count; i++)
                {
                    if (((InboundEvent)_events[i]).Kind != InboundEvent.Published)
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        /// <summary>Everything received so far, oldest first; the list is reused, so copy nothing out of it after the next call.</summary>
        internal ArrayList TakeAll()
        {
            if (Interlocked.CompareExchange(ref _waiting, 0, 0) == 0)
            {
                return _none;
            }

            lock (_sync)
            {
                Interlocked.Exchange(ref _waiting, 0);
                ArrayList taken = _events;
                _events = _spare;
                _spare = taken;
                _events.Clear();
                _messages = 0;
                _messageBytes = 0;
                return taken;
            }
        }
    }
}
