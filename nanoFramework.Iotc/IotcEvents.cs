// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>The event names <see cref="Device.On"/> accepts.</summary>
    public static class IotcEvents
    {
        /// <summary>The connection changed; <see cref="IotcCallbackInfo.StatusCode"/> is 0 when connected, otherwise why not.</summary>
        public const string ConnectionStatus = "ConnectionStatus";

        /// <summary>A message was delivered (PUBACK for QoS 1, written for QoS 0, acknowledged twin update for properties).</summary>
        public const string MessageSent = "MessageSent";

        /// <summary>A direct method (command) arrived; <see cref="IotcCallbackInfo.Tag"/> is its name.</summary>
        public const string Command = "Command";

        /// <summary>A writable property (setting) changed; <see cref="IotcCallbackInfo.Tag"/> is its name.</summary>
        public const string SettingsUpdated = "SettingsUpdated";

        /// <summary>A cloud-to-device message arrived, with its property bag.</summary>
        public const string MessageReceived = "MessageReceived";

        /// <summary>An IoT Central offline (queued) command arrived as a cloud-to-device message.</summary>
        public const string EnqueuedCommand = "EnqueuedCommand";

        internal static bool IsKnown(string name)
        {
            return name == ConnectionStatus || name == MessageSent || name == Command || name == SettingsUpdated
                || name == MessageReceived || name == EnqueuedCommand;
        }
    }
}
