// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Reflection;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("Esp32DeepSleepSample")]
[assembly: AssemblyDescription("nanoFramework.Iotc sample for a battery ESP32: wake, connect (stored DPS assignment), drain, send, Flush, deep sleep.")]
[assembly: AssemblyCompany("nanoFramework.Iotc contributors")]
[assembly: AssemblyProduct("nanoFramework.Iotc")]
[assembly: AssemblyCopyright("Copyright (c) nanoFramework.Iotc contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
