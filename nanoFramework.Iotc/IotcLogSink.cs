// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>Receives the SDK's log lines (see <see cref="Device.SetLogSink"/>). Lines never contain keys or signatures.</summary>
    /// <param name="line">One log line.</param>
    public delegate void IotcLogSink(string line);
}
