// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The part that queued a callback and has work around it (a command's response, a setting's ack): the pump raises
    /// every callback the same way and asks or tells its owner through this, instead of a switch on kinds.
    /// </summary>
    internal interface ICallbackOwner
    {
        /// <summary>Whether the callback may run now (<paramref name="stopped"/>: after Disconnect() or a final refusal); false skips it.</summary>
        bool MayRaise(IotcCallbackInfo callback, bool stopped);

        /// <summary>After the callback ran; <paramref name="handled"/> is false when the application registered none.</summary>
        void OnRaised(IotcCallbackInfo callback, bool handled);
    }
}
