// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>How much the SDK logs (Python: <c>IOTLogLevel</c>).</summary>
    public enum IotLogLevel
    {
        /// <summary>Nothing (the default).</summary>
        Disabled = 1,

        /// <summary>API calls and connection state changes.</summary>
        ApiOnly = 2,

        /// <summary>Everything, including each message sent and received (never keys or signatures).</summary>
        All = 16
    }
}
