// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>An event handler registered with <see cref="Device.On"/>. It runs on the thread that calls <see cref="Device.DoNext"/>.</summary>
    /// <param name="info">What happened, and a way to answer (<see cref="IotcCallbackInfo.SetResponse"/>).</param>
    public delegate void IotcCallback(IotcCallbackInfo info);
}
