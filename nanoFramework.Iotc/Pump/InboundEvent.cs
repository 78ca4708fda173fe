// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Pump
{
    /// <summary>Something a transport thread observed, waiting for the pump. Tagged with its connection's generation.</summary>
    internal class InboundEvent
    {
        internal const int Message = 1;
        internal const int Published = 2;
        internal const int Lost = 3;

        internal int Kind;
        internal int Generation;
        internal string Topic;
        internal byte[] Payload;
        internal int PacketId;
        internal string Reason;
    }
}
