// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>The parts of an incoming IoT Hub topic, as classified by <see cref="HubTopicParser.Parse"/>.</summary>
    internal sealed class HubTopicInfo
    {
        private static readonly PropertyBag EmptyBag = new PropertyBag();

        internal HubTopicInfo(HubTopicKind kind, string methodName, string requestId, int status, long version, string deviceId, PropertyBag properties)
        {
            Kind = kind;
            MethodName = methodName;
            RequestId = requestId;
            Status = status;
            Version = version;
            DeviceId = deviceId;
            Properties = properties ?? EmptyBag;
        }

        /// <summary>What the topic is; <see cref="HubTopicKind.Unknown"/> for anything unrecognised or malformed.</summary>
        public HubTopicKind Kind { get; private set; }

        /// <summary>The method (command) name of a <see cref="HubTopicKind.MethodRequest"/>, e.g. <c>reboot</c> or <c>thermostat1*getMaxMinReport</c>; otherwise null.</summary>
        public string MethodName { get; private set; }

        /// <summary>The <c>$rid</c> of a method request or twin response; otherwise null.</summary>
        public string RequestId { get; private set; }

        /// <summary>The status code of a <see cref="HubTopicKind.TwinResponse"/> (e.g. 200, 204, 429); otherwise 0.</summary>
        public int Status { get; private set; }

        /// <summary>The <c>$version</c> of a desired patch or reported-patch response; -1 when absent or not an integer.</summary>
        public long Version { get; private set; }

        /// <summary>The device id in a <see cref="HubTopicKind.CloudToDevice"/> topic; otherwise null.</summary>
        public string DeviceId { get; private set; }

        /// <summary>The decoded property bag of a C2D message (or the decoded query of other topics); never null.</summary>
        public PropertyBag Properties { get; private set; }
    }
}
