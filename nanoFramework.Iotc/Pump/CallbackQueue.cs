// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The kinds of queued callbacks (<see cref="IotcCallbackInfo"/>'s <c>Kind</c>), and what a command or a setting
    /// needs for its answer once the application's callback ran.
    /// </summary>
    internal sealed class PendingCallback
    {
        internal const byte Status = 1;
        internal const byte MessageSent = 2;
        internal const byte Command = 3;
        internal const byte Setting = 4;
        internal const byte CloudToDevice = 5;

        /// <summary>Command: the $rid to answer.</summary>
        internal string RequestId;

        /// <summary>Setting: its component (or null) and name; the value is the info's Payload.</summary>
        internal string Component;
        internal string Name;

        /// <summary>The last setting of a desired document: raising it marks that $version delivered.</summary>
        internal bool EndsDocument;
    }

    /// <summary>
    /// Every callback, in the order things happened: status changes, confirmations, commands, settings and C2D all wait
    /// here and are raised by <see cref="Device.DoNext"/> (or before <c>Connect()</c>/<c>Disconnect()</c> return).
    /// </summary>
    internal sealed class CallbackQueue
    {
        private readonly ArrayList _items = new ArrayList();
        private readonly object _sender;
        private int _head;

        internal CallbackQueue()
        {
        }

        /// <summary>A queue whose callbacks name <paramref name="sender"/> (the device) as their <c>Client</c>.</summary>
        internal CallbackQueue(object sender)
        {
            _sender = sender;
        }

        internal int Count
        {
            get { return _items.Count - _head; }
        }

        internal void Add(IotcCallbackInfo callback)
        {
            callback.Sender = _sender;
            _items.Add(callback);
        }

        /// <summary>The oldest callback, or null.</summary>
        internal IotcCallbackInfo Take()
        {
            if (_head >= _items.Count)
            {
                return null;
            }

            IotcCallbackInfo next = (IotcCallbackInfo)_items[_head];
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
