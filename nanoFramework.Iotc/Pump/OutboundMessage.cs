// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>One message in the outbox, from <c>Send*</c> (or an automatic ack/response) until it is confirmed.</summary>
    internal class OutboundMessage
    {
        /// <summary>Telemetry, state or event: confirmed by PUBACK (QoS 1) or the write (QoS 0).</summary>
        internal const int Telemetry = 1;

        /// <summary>A reported-properties patch from <c>SendProperty</c>: confirmed by the twin response with its $rid.</summary>
        internal const int Property = 2;

        /// <summary>An automatic writable-property acknowledgement (reported patch): confirmed like Property, no MessageSent.</summary>
        internal const int SettingAck = 3;

        /// <summary>A direct-method response: confirmed by PUBACK, no MessageSent.</summary>
        internal const int CommandResponse = 4;

        internal int Kind;

        /// <summary>The id <c>Send*</c> returned (0 for automatic messages).</summary>
        internal int MessageId;

        /// <summary>The caller's payload text, reported back in MessageSent.</summary>
        internal string Text;

        /// <summary>The topic it is published on; a reported patch's is set by <see cref="TwinSync"/> per attempt (a new $rid each).</summary>
        internal string Topic;

        /// <summary>
        /// Null: a PUBACK (or the write, for QoS 0) confirms it. Otherwise the part that confirms it (a reported patch is
        /// confirmed by its twin response) and is told when it leaves the outbox.
        /// </summary>
        internal IOutboxOwner Owner;

        internal byte[] Payload;
        internal int Qos;

        /// <summary>True once published on the current connection; cleared when that connection is lost.</summary>
        internal bool InFlight;

        /// <summary>Transport packet id (QoS 1) on the current connection.</summary>
        internal int PacketId;

        /// <summary>Twin request id of the current attempt (Property, SettingAck): kept by <see cref="TwinSync"/>.</summary>
        internal string TwinRequestId;

        /// <summary>Publishes of this message so far.</summary>
        internal int Attempts;

        /// <summary>Publishes of this message that threw (on any connection): bounded, so one bad message cannot loop.</summary>
        internal int PublishFailures;

        /// <summary>When the current attempt was published (clock milliseconds), to expire a missing PUBACK or twin response.</summary>
        internal long SentAtMs;

        /// <summary>Not published before this time (a reported patch answered 429/5xx waits its back-off).</summary>
        internal long NotBeforeMs;

        /// <summary>
        /// Telemetry: when <c>Send*</c> accepted it (clock milliseconds), sent as its creation time if it leaves late;
        /// 0 when the clock was not set or the application gave its own <c>$.ctime</c>.
        /// </summary>
        internal long CreatedAtMs;

        /// <summary>What the message costs the outbox: payload plus its own topic bytes (a property bag can be large).</summary>
        internal int Size;

        /// <summary>A reported-properties patch (a JSON object the caller checked); TwinSync gives it its topic.</summary>
        internal static OutboundMessage ReportedPatch(string json)
        {
            OutboundMessage m = new OutboundMessage();
            m.Kind = Property;
            m.Text = json;
            m.Payload = Utf8.GetBytes(json);
            m.Qos = 1;
            return m;
        }

        /// <summary>For a coalesced setting acknowledgement: the names it answers (TwinSync keeps the rest).</summary>
        internal string[] AckedNames;
    }
}
