// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Pump
{
    /// <summary>Event name → callback. A handful of fixed names, so parallel arrays beat a Hashtable the core does not have.</summary>
    internal class HandlerTable
    {
        private readonly string[] _names = new string[8];
        private readonly IotcCallback[] _callbacks = new IotcCallback[8];
        private int _count;

        internal void Set(string name, IotcCallback callback)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_names[i] == name)
                {
                    _callbacks[i] = callback;
                    return;
                }
            }

            _names[_count] = name;
            _callbacks[_count] = callback;
            _count++;
        }

        internal IotcCallback Get(string name)
        {
            for (int i = 0; i < _count; i++)
            {
                if (_names[i] == name)
                {
                    return _callbacks[i];
                }
            }

            return null;
        }
    }
}
