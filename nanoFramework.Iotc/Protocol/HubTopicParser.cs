// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Classifies topics received from IoT Hub (Learn: "Communicate with an IoT hub using the MQTT protocol"; Azure SDK
    /// for C <c>az_iot_hub_client_methods_parse_received_topic</c>, <c>…_twin_parse_received_topic</c>,
    /// <c>…_c2d_parse_received_topic</c>). Never throws: anything unexpected is <see cref="HubTopicKind.Unknown"/>.
    /// </summary>
    internal static class HubTopicParser
    {
        // char[] so a topic is scanned through one ToCharArray() (see Text.Chars); topics with property bags can be long.
        private static readonly char[] MethodPrefix = "$iothub/methods/POST/".ToCharArray();
        private static readonly char[] TwinResponsePrefix = "$iothub/twin/res/".ToCharArray();
        private static readonly char[] DesiredPrefix = "$iothub/twin/PATCH/properties/desired/".ToCharArray();
        private static readonly char[] DevicesPrefix = "devices/".ToCharArray();
        private static readonly char[] DeviceboundInfix = "/messages/devicebound/".ToCharArray();
        private static readonly char[] QueryStart = "/?".ToCharArray();

        private static readonly HubTopicInfo UnknownTopic = new HubTopicInfo(HubTopicKind.Unknown, null, null, 0, -1, null, null);

        /// <summary>Classifies <paramref name="topic"/> and extracts its parts.</summary>
        /// <param name="topic">The received topic (null gives Unknown).</param>
        /// <returns>The classification; never null.</returns>
        public static HubTopicInfo Parse(string topic)
        {
            if (topic == null)
            {
                return UnknownTopic;
            }

            char[] t = Chars.Of(topic);
            if (Chars.At(t, 0, t.Length, MethodPrefix))
            {
                return ParseMethod(t);
            }

            if (Chars.At(t, 0, t.Length, TwinResponsePrefix))
            {
                return ParseTwinResponse(t);
            }

            if (Chars.At(t, 0, t.Length, DesiredPrefix))
            {
                return ParseDesired(t);
            }

            if (Chars.At(t, 0, t.Length, DevicesPrefix))
            {
                return ParseCloudToDevice(t);
            }

            return UnknownTopic;
        }

        /// <summary>Parses a decimal <c>$version</c>; -1 when null, empty, not digits or beyond <c>long</c>.</summary>
        /// <param name="text">The version text.</param>
        /// <returns>The version or -1.</returns>
        public static long ParseVersion(string text)
        {
            // 18 digits always fit a long; longer versions do not occur in practice.
            return Ordinal.ParseDigits(text, 18);
        }

        private static HubTopicInfo ParseMethod(char[] topic)
        {
            // $iothub/methods/POST/{name}/?$rid={rid}. Names may hold '/' (IoT Hub does not forbid it), so the query
            // starts at the last "/?".
            int query = Ordinal.LastIndexOf(topic, QueryStart);
            if (query <= MethodPrefix.Length)
            {
                return UnknownTopic;
            }

            string name = new string(topic, MethodPrefix.Length, query - MethodPrefix.Length);
            PropertyBag bag = PropertyBag.Decode(topic, query + 2, topic.Length);
            string rid = bag.Get("$rid");
            if (rid == null || rid.Length == 0)
            {
                return UnknownTopic;
            }

            return new HubTopicInfo(HubTopicKind.MethodRequest, name, rid, 0, -1, null, bag);
        }

        private static HubTopicInfo ParseTwinResponse(char[] topic)
        {
            // $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]
            int statusStart = TwinResponsePrefix.Length;
            int slash = Chars.IndexOf(topic, '/', statusStart, topic.Length);
            if (slash < 0 || slash == statusStart || slash - statusStart > 5 || slash + 1 >= topic.Length || topic[slash + 1] != '?')
            {
                return UnknownTopic;
            }

            long status = Ordinal.ParseDigits(topic, statusStart, slash, 18);
            if (status < 0)
            {
                return UnknownTopic;
            }

            PropertyBag bag = PropertyBag.Decode(topic, slash + 2, topic.Length);
            string rid = bag.Get("$rid");
            if (rid == null || rid.Length == 0)
            {
                return UnknownTopic;
            }

            return new HubTopicInfo(HubTopicKind.TwinResponse, null, rid, (int)status, ParseVersion(bag.Get("$version")), null, bag);
        }

        private static HubTopicInfo ParseDesired(char[] topic)
        {
            // $iothub/twin/PATCH/properties/desired/?$version={v}
            int rest = DesiredPrefix.Length;
            if (rest < topic.Length && topic[rest] != '?')
            {
                return UnknownTopic;
            }

            PropertyBag bag = PropertyBag.Decode(topic, rest < topic.Length ? rest + 1 : rest, topic.Length);
            return new HubTopicInfo(HubTopicKind.DesiredPatch, null, null, 0, ParseVersion(bag.Get("$version")), null, bag);
        }

        private static HubTopicInfo ParseCloudToDevice(char[] topic)
        {
            // devices/{deviceId}/messages/devicebound/{bag}; a device id never holds '/'.
            int slash = Chars.IndexOf(topic, '/', DevicesPrefix.Length, topic.Length);
            if (slash <= DevicesPrefix.Length)
            {
                return UnknownTopic;
            }

            if (!Chars.At(topic, slash, topic.Length, DeviceboundInfix))
            {
                return UnknownTopic;
            }

            string deviceId = new string(topic, DevicesPrefix.Length, slash - DevicesPrefix.Length);
            PropertyBag bag = PropertyBag.Decode(topic, slash + DeviceboundInfix.Length, topic.Length);
            return new HubTopicInfo(HubTopicKind.CloudToDevice, null, null, 0, -1, deviceId, bag);
        }
    }
}
