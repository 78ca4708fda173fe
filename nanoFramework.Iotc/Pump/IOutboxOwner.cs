// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The part that owns a message in the <see cref="Publisher"/>'s outbox (<see cref="OutboundMessage.Owner"/>): it
    /// gives the topic, decides when the message is confirmed (a PUBACK does not confirm it) and is told when it leaves.
    /// An interface, not a delegate: nanoFramework has no generic delegates, and the Publisher must not know its owners.
    /// </summary>
    internal interface IOutboxOwner
    {
        /// <summary><paramref name="message"/> left the outbox: confirmed (status 0), refused by the hub, or refused by the transport.</summary>
        void OnConfirmed(OutboundMessage message, int status);
    }
}
