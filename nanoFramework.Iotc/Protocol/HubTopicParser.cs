// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Classifies topics received from IoT Hub (Learn: "Communicate with an IoT hub using the MQTT protocol"; Azure SDK
    /// for C <c>az_iot_hub_client_methods_parse_received_topic</c>, <c>…_twin_parse_received_topic</c>,
    /// <c>…_c2d_parse_received_topic</c>). Never throws: anything unexpected is <see cref="HubTopicKind.Unknown"/>.
    /// </summary>
    public static class HubTopicParser
    {
        private const string MethodPrefix = "$iothub/methods/POST/";
        private const string TwinResponsePrefix = "$iothub/twin/res/";
        private const string DesiredPrefix = "$iothub/twin/PATCH/properties/desired/";
        private const string DevicesPrefix = "devices/";
        private const string DeviceboundInfix = "/messages/devicebound/";

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

            if (Ordinal.StartsWith(topic, MethodPrefix))
            {
                return ParseMethod(topic);
            }

            if (Ordinal.StartsWith(topic, TwinResponsePrefix))
            {
                return ParseTwinResponse(topic);
            }

            if (Ordinal.StartsWith(topic, DesiredPrefix))
            {
                return ParseDesired(topic);
            }

            if (Ordinal.StartsWith(topic, DevicesPrefix))
            {
                return ParseCloudToDevice(topic);
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

        private static HubTopicInfo ParseMethod(string topic)
        {
            // $iothub/methods/POST/{name}/?$rid={rid}. Names may hold '/' (IoT Hub does not forbid it), so the query
            // starts at the last "/?".
            int query = Ordinal.LastIndexOf(topic, "/?");
            if (query <= MethodPrefix.Length)
            {
                return UnknownTopic;
            }

            string name = topic.Substring(MethodPrefix.Length, query - MethodPrefix.Length);
            PropertyBag bag = PropertyBag.Decode(topic.Substring(query + 2));
            string rid = bag.Get("$rid");
            if (rid == null || rid.Length == 0)
            {
                return UnknownTopic;
            }

            return new HubTopicInfo(HubTopicKind.MethodRequest, name, rid, 0, -1, null, bag);
        }

        private static HubTopicInfo ParseTwinResponse(string topic)
        {
            // $iothub/twin/res/{status}/?$rid={rid}[&$version={v}]
            int statusStart = TwinResponsePrefix.Length;
            int slash = topic.IndexOf('/', statusStart);
            if (slash < 0 || slash == statusStart || slash - statusStart > 5 || slash + 1 >= topic.Length || topic[slash + 1] != '?')
            {
                return UnknownTopic;
            }

            long status = ParseVersion(topic.Substring(statusStart, slash - statusStart));
            if (status < 0)
            {
                return UnknownTopic;
            }

            PropertyBag bag = PropertyBag.Decode(topic.Substring(slash + 2));
            string rid = bag.Get("$rid");
            if (rid == null || rid.Length == 0)
            {
                return UnknownTopic;
            }

            return new HubTopicInfo(HubTopicKind.TwinResponse, null, rid, (int)status, ParseVersion(bag.Get("$version")), null, bag);
        }

        private static HubTopicInfo ParseDesired(string topic)
        {
            // $iothub/twin/PATCH/properties/desired/?$version={v}
            string rest = topic.Substring(DesiredPrefix.Length);
            if (rest.Length > 0 && rest[0] != '?')
            {
                return UnknownTopic;
            }

            PropertyBag bag = PropertyBag.Decode(rest.Length > 0 ? rest.Substring(1) : rest);
            return new HubTopicInfo(HubTopicKind.DesiredPatch, null, null, 0, ParseVersion(bag.Get("$version")), null, bag);
        }

        private static HubTopicInfo ParseCloudToDevice(string topic)
        {
            // devices/{deviceId}/messages/devicebound/{bag}; a device id never holds '/'.
            int slash = topic.IndexOf('/', DevicesPrefix.Length);
            if (slash <= DevicesPrefix.Length)
            {
                return UnknownTopic;
            }

            if (!Ordinal.At(topic, slash, DeviceboundInfix))
            {
                return UnknownTopic;
            }

            string deviceId = topic.Substring(DevicesPrefix.Length, slash - DevicesPrefix.Length);
            PropertyBag bag = PropertyBag.Decode(topic.Substring(slash + DeviceboundInfix.Length));
            return new HubTopicInfo(HubTopicKind.CloudToDevice, null, null, 0, -1, deviceId, bag);
        }
    }
}
