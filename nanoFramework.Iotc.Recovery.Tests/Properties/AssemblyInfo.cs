// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Reflection;
using System.Runtime.InteropServices;

// Assembly name is NFUnitTest (required by the nanoFramework test adapter); the attributes only describe it.
[assembly: AssemblyTitle("nanoFramework.Iotc recovery tests")]
[assembly: AssemblyDescription("Recovery of the Device pump over a fake transport: link losses, refusals, credentials, back-off (shared tests), run on the nanoCLR emulator or a board.")]
[assembly: AssemblyCompany("nanoFramework.Iotc contributors")]
[assembly: AssemblyProduct("nanoFramework.Iotc")]
[assembly: AssemblyCopyright("Copyright (c) nanoFramework.Iotc contributors")]
[assembly: ComVisible(false)]
[assembly: AssemblyVersion("1.0.0.0")]
[assembly: AssemblyFileVersion("1.0.0.0")]
