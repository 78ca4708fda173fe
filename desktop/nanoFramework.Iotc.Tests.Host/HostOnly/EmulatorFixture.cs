// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.IO;
using System.Threading;
using IotcEmulator;
using nanoFramework.Iotc;

namespace nanoFramework.Iotc.Tests.Host.HostOnly
{
    /// <summary>
    /// One in-process IoT Central emulator (real DPS over HTTPS, real IoT Hub MQTT over TLS, on loopback, free ports)
    /// shared by the integration tests, plus helpers to build devices that trust its CA and to pump them.
    /// </summary>
    internal static class EmulatorFixture
    {
        private static readonly object Sync = new object();
        private static EmulatorHost _host;
        private static string _data;
        private static int _nextDevice;

        /// <summary>The emulator's DPS log lines ("dps: ..."); each names the request's client address and port.</summary>
        internal static readonly List<string> DpsLog = new List<string>();

        internal static EmulatorHost Host
        {
            get
            {
                lock (Sync)
                {
                    if (_host == null)
                    {
                        _data = Path.Combine(Path.GetTempPath(), "iotc-it-" + Environment.ProcessId + "-" + Guid.NewGuid().ToString("N").Substring(0, 8));
                        _host = EmulatorHost.StartAsync(new EmulatorOptions
                        {
                            DataDirectory = _data,
                            DpsPort = 0,
                            MqttPort = 0,
                            DpsRetryAfterSeconds = 1,
                            CreateDemoEnrollment = false,
                            Log = line =>
                            {
                                Console.WriteLine(line);
                                if (line.StartsWith("dps: ", StringComparison.Ordinal))
                                {
                                    lock (DpsLog)
                                    {
                                        DpsLog.Add(line);
                                    }
                                }
                            },
                        }).GetAwaiter().GetResult();
                        AppDomain.CurrentDomain.ProcessExit += (s, e) => Stop();
                    }

                    return _host;
                }
            }
        }

        internal static EmulatorOperator Operator
        {
            get { return Host.Operator; }
        }

        internal static void Stop()
        {
            lock (Sync)
            {
                if (_host != null)
                {
                    _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    _host = null;
                    try
                    {
                        Directory.Delete(_data, true);
                    }
                    catch (IOException)
                    {
                    }
                }
            }
        }

        /// <summary>A fresh device id, so tests never share twins or telemetry.</summary>
        internal static string NewDeviceId(string prefix)
        {
            return prefix + "-" + Interlocked.Increment(ref _nextDevice) + "-" + Guid.NewGuid().ToString("N").Substring(0, 6);
        }

        /// <summary>Points <paramref name="device"/> at the emulator and trusts its CA (validation stays on).</summary>
        internal static Device Configure(Device device, List<string> log)
        {
            device.SetServiceHost(Host.DpsEndpoint);
            device.SetHubPort(Host.MqttPort);
            device.SetRootCertificate(Host.CaCertificatePem);
            device.SetTimeouts(30, 10000);
            if (log != null)
            {
                device.SetLogLevel(IotLogLevel.All);
                device.SetLogSink(line => { lock (log) { log.Add(line); } });
            }

            return device;
        }

        /// <summary>An enrolled, symmetric-key device that is not yet connected.</summary>
        internal static Device NewKeyDevice(string deviceId, List<string> log, out string key)
        {
            key = Operator.EnrollSymmetricKeyAsync(deviceId).GetAwaiter().GetResult().PrimaryKey;
            return Configure(new Device(Host.IdScope, key, deviceId, IotConnectType.SymmetricKey), log);
        }

        /// <summary>Calls DoNext until <paramref name="done"/> holds; false after <paramref name="timeoutMs"/>.</summary>
        internal static bool PumpUntil(Device device, Func<bool> done, int timeoutMs)
        {
            DateTime end = DateTime.UtcNow.AddMilliseconds(timeoutMs);
            while (!done())
            {
                if (DateTime.UtcNow > end)
                {
                    return false;
                }

                device.DoNext();
                Thread.Sleep(5);
            }

            return true;
        }
    }
}
