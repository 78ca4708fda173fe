// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>What an incoming IoT Hub MQTT topic is.</summary>
    internal enum HubTopicKind
    {
        /// <summary>Not a topic this SDK handles, or malformed.</summary>
        Unknown = 0,

        /// <summary>A direct method (command) request: <c>$iothub/methods/POST/{name}/?$rid={rid}</c>.</summary>
        MethodRequest = 1,

        /// <summary>A twin response: <c>$iothub/twin/res/{status}/?$rid={rid}[&amp;$version={v}]</c>.</summary>
        TwinResponse = 2,

        /// <summary>A desired-property patch: <c>$iothub/twin/PATCH/properties/desired/?$version={v}</c>.</summary>
        DesiredPatch = 3,

        /// <summary>A cloud-to-device message: <c>devices/{id}/messages/devicebound/{property bag}</c>.</summary>
        CloudToDevice = 4,
    }
}
