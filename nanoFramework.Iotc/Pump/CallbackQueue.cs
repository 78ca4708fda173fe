// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>One callback waiting for <see cref="Device.DoNext"/>, with what its answer needs.</summary>
    internal sealed class PendingCallback
    {
        internal const int Status = 1;
        internal const int MessageSent = 2;
        internal const int Command = 3;
        internal const int Setting = 4;
        internal const int CloudToDevice = 5;

        internal int Kind;

        /// <summary>The connection it came from; commands and settings of a closed connection are not raised.</summary>
        internal int Generation;

        internal IotcCallbackInfo Info;

        // Command: the $rid to answer. Setting: component (or null), name, the value's JSON text.
        internal string RequestId;
        internal string Component;
        internal string Name;
        internal string RawValue;

        /// <summary>The last setting of a desired document: raising it marks that $version delivered.</summary>
        internal bool EndsDocument;

        /// <summary>For a setting from a full twin GET (authoritative: its $version may be lower after a twin reset).</summary>
        internal bool FromTwinGet;
    }

    /// <summary>
    /// Every callback, in the order things happened: status changes, confirmations, commands, settings and C2D all wait
    /// here and are raised by <see cref="Device.DoNext"/> (or before <c>Connect()</c>/<c>Disconnect()</c> return).
    /// </summary>
    internal sealed class CallbackQueue
    {
        private readonly ArrayList _items = new ArrayList();
        private int _head;

        internal int Count
        {
            get { return _items.Count - _head; }
        }

        internal void Add(PendingCallback callback)
        {
            _items.Add(callback);
        }

        /// <summary>The oldest callback, or null.</summary>
        internal PendingCallback Take()
        {
            if (_head >= _items.Count)
            {
                return null;
            }

            PendingCallback next = (PendingCallback)_items[_head];
            _items[_head] = null;
            _head++;
            if (_head == _items.Count)
            {
                // Drained: reuse the list instead of shifting it on every Take.
                _items.Clear();
                _head = 0;
            }

            return next;
        }
    }
}
