// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Diagnostics;
using System.Threading;
using nanoFramework.Hardware.Esp32;
using nanoFramework.Iotc;
using nanoFramework.Networking;

namespace Esp32DeepSleepSample
{
    /// <summary>
    /// A battery device: wake, connect (straight to the stored hub after the first boot), take what IoT Central queued
    /// while it slept (commands, settings), send a few readings, Flush, deep-sleep. Every wake starts again at Main.
    /// </summary>
    public class Program
    {
        // ---- EDIT THESE: your Wi-Fi and your IoT Central device connection (Device > Connect in IoT Central). ----
        private const string WifiSsid = "<YOUR-WIFI-SSID>";
        private const string WifiPassword = "<YOUR-WIFI-PASSWORD>";
        private const string ScopeId = "<ID-SCOPE>";
        private const string DeviceId = "<DEVICE-ID>";
        private const string DeviceKey = "<DEVICE-PRIMARY-KEY>";
        // -------------------------------------------------------------------------------------------------------

        private const int ReadingsPerWake = 3;
        private const int FlushMilliseconds = 15000;
        private static readonly TimeSpan SleepTime = TimeSpan.FromMinutes(5);

        /// <summary>Entry point, at every wake.</summary>
        public static void Main()
        {
            // requiresDateTime: SAS tokens carry an expiry, so the clock must be set (SNTP) before connecting.
            CancellationTokenSource cts = new CancellationTokenSource(30000);
            if (!WifiNetworkHelper.ConnectDhcp(WifiSsid, WifiPassword, requiresDateTime: true, token: cts.Token))
            {
                Debug.WriteLine("Wi-Fi failed: " + WifiNetworkHelper.Status.ToString() + "; sleeping");
                GoToSleep();
            }

            Device device = new Device(ScopeId, DeviceKey, DeviceId, IotConnectType.SymmetricKey);
            device.SetLogLevel(IotLogLevel.ApiOnly);

            // The DPS assignment lives in flash: later wakes skip DPS (it throttles registrations) until the hub refuses.
            device.SetProvisioningStore(new FlashProvisioningStore("I:\\iotc-provisioning.json"));
            device.On("EnqueuedCommand", OnQueuedCommand);
            device.On("Command", OnCommand);
            device.On("SettingsUpdated", OnSettingsUpdated);

            try
            {
                device.Connect();
            }
            catch (IotcException ex)
            {
                Debug.WriteLine("Connect failed (" + ex.StatusCode.ToString() + "): " + ex.Message + "; sleeping");
                GoToSleep();
            }

            Random random = new Random();
            for (int i = 0; i < ReadingsPerWake; i++)
            {
                int id;
                device.TrySendTelemetry("{\"temp\": " + (20 + random.Next(10)).ToString() + "}", null, out id);
            }

            // Sends the readings, raises what the hub queued and acknowledges it, or stops at the deadline. What is still
            // unconfirmed then is lost with the RAM at deep sleep: at least once holds only while the board is powered.
            if (!device.Flush(FlushMilliseconds))
            {
                Debug.WriteLine(device.PendingMessages.ToString() + " message(s) unconfirmed at the deadline");
            }

            device.Dispose();
            GoToSleep();
        }

        private static void GoToSleep()
        {
            Sleep.EnableWakeupByTimer(SleepTime);
            Sleep.StartDeepSleep();
        }

        private static void OnQueuedCommand(IotcCallbackInfo info)
        {
            Debug.WriteLine("- [queued command] " + info.Tag + " => " + info.Payload);
        }

        private static void OnCommand(IotcCallbackInfo info)
        {
            Debug.WriteLine("- [command] " + info.Tag + " => " + info.Payload);
            info.SetResponse(200, "{}");
        }

        private static void OnSettingsUpdated(IotcCallbackInfo info)
        {
            Debug.WriteLine("- [setting] " + info.Tag + " => " + info.Payload);
        }
    }
}
