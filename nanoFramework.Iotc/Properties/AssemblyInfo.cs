// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

[assembly: AssemblyTitle("nanoFramework.Iotc")]
[assembly: AssemblyDescription("Azure IoT Central device SDK for .NET nanoFramework (port of the Python iotc light SDK)")]
[assembly: AssemblyCompany("nanoFramework.Iotc contributors")]
[assembly: AssemblyProduct("nanoFramework.Iotc")]
[assembly: AssemblyCopyright("Copyright (c) 2026 nanoFramework.Iotc contributors")]
[assembly: ComVisible(false)]

// The nanoFramework build stamps AssemblyNativeVersion/AssemblyVersion; keep the managed version in step with the nuspec.
[assembly: AssemblyVersion("0.1.0.0")]
[assembly: AssemblyFileVersion("0.1.0.0")]

// Unit tests exercise internal protocol helpers.
// The tests, and the benchmarks of internal parts (bench/, bench/nf); the public API is the Python one plus its extras.
[assembly: InternalsVisibleTo("NFUnitTest")]
[assembly: InternalsVisibleTo("Iotc.Bench")]
[assembly: InternalsVisibleTo("TextScaling.NfBench")]
[assembly: InternalsVisibleTo("BoardSuite")]
