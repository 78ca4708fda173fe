// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Reflection;

// nanoCLR resolves assemblies by name and version; 0.0.0.0 is not a usable version there.
[assembly: AssemblyVersion("1.0.0.0")]

namespace Iotc.Bench
{
    /// <summary>The nanoCLR entry point of the text-scaling and device-figures benchmarks.</summary>
    public static class NfMain
    {
        /// <summary>Runs every case for at least 300 ms.</summary>
        public static void Main()
        {
            TextScaling.Run(300, line => System.Console.WriteLine(line));
            DeviceFigures.Run(1000, line => System.Console.WriteLine(line));
        }
    }
}
