// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>Board half of <c>Device</c>: supplies the nanoFramework transports when the user gave none.</summary>
    public partial class Device
    {
        static partial void CreatePlatformTransports(ref nanoFramework.Iotc.Transport.ITransportFactory factory)
        {
            factory = new nanoFramework.Iotc.Board.BoardTransportFactory();
        }
    }
}
