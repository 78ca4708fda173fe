// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Desktop;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    /// <summary>On .NET, a <see cref="Device"/> without an explicit factory uses MQTTnet and HttpClient.</summary>
    public partial class Device
    {
        static partial void CreatePlatformTransports(ref ITransportFactory factory)
        {
            factory = new DesktopTransportFactory();
        }
    }
}
