// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Esp32Sample")]
[assembly: AssemblyDescription("nanoFramework.Iotc sample for ESP32: Wi-Fi, connect to Azure IoT Central, send telemetry.")]
[assembly: AssemblyCompany("nanoFramework.Iotc contributors")]
[assembly: AssemblyProduct("nanoFramework.Iotc")]
[assembly: AssemblyCopyright("Copyright (c) nanoFramework.Iotc contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
