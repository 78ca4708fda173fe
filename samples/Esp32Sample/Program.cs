// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Diagnostics;
using System.Threading;
using nanoFramework.Iotc;
using nanoFramework.Networking;

namespace Esp32Sample
{
    /// <summary>The Python iotc sample loop on an ESP32: Wi-Fi, clock check, connect, telemetry every ~2 s.</summary>
    public class Program
    {
        // ---- EDIT THESE: your Wi-Fi and your IoT Central device connection (Device > Connect in IoT Central). ----
        private const string WifiSsid = "<YOUR-WIFI-SSID>";
        private const string WifiPassword = "<YOUR-WIFI-PASSWORD>";
        private const string ScopeId = "<ID-SCOPE>";
        private const string DeviceId = "<DEVICE-ID>";
        private const string DeviceKey = "<DEVICE-PRIMARY-KEY>";
        // -------------------------------------------------------------------------------------------------------

        /// <summary>Wait between failed first connects (each one already retries DPS as it asks).</summary>
        private const int ConnectRetryMilliseconds = 10000;

        private static Device _device;
        private static bool _canSend;

        /// <summary>Entry point.</summary>
        public static void Main()
        {
            Debug.WriteLine("Connecting to Wi-Fi...");

            // requiresDateTime: wait until the firmware's SNTP client has set the clock; SAS tokens carry an
            // expiry time, so a clock at 1970 makes every token look expired to Azure.
            CancellationTokenSource cts = new CancellationTokenSource(60000);
            bool online = WifiNetworkHelper.ConnectDhcp(WifiSsid, WifiPassword, requiresDateTime: true, token: cts.Token);
            if (!online)
            {
                Debug.WriteLine("Wi-Fi failed: " + WifiNetworkHelper.Status.ToString());
                if (WifiNetworkHelper.HelperException != null)
                {
                    Debug.WriteLine(WifiNetworkHelper.HelperException.Message);
                }

                Thread.Sleep(Timeout.Infinite);
            }

            if (DateTime.UtcNow.Year < 2024)
            {
                Debug.WriteLine("The clock is not set (" + DateTime.UtcNow.ToString("o") + "); SAS authentication would fail.");
                Thread.Sleep(Timeout.Infinite);
            }

            Debug.WriteLine("Online, UTC " + DateTime.UtcNow.ToString("o"));

            _device = new Device(ScopeId, DeviceKey, DeviceId, IotConnectType.SymmetricKey);
            _device.SetLogLevel(IotLogLevel.ApiOnly);

            _device.On("ConnectionStatus", OnConnect);
            _device.On("MessageSent", OnMessageSent);
            _device.On("Command", OnCommand);
            _device.On("SettingsUpdated", OnSettingsUpdated);

            ConnectWithRetry();

            Random random = new Random();
            int counter = 0;
            // Loop for as long as the board runs: after a lost link IsConnected is false until DoNext() has reconnected.
            while (true)
            {
                // All callbacks run here, on this thread; a lost link is reconnected here too.
                _device.DoNext();
                if (_canSend && counter++ % 20 == 0)
                {
                    // TrySendTelemetry: a full outbox (the link is slow or down) is a false, not an exception.
                    int id;
                    if (_device.TrySendTelemetry("{\"temp\": " + (20 + random.Next(26)).ToString() + "}", null, out id))
                    {
                        Debug.WriteLine("Sending telemetry " + id.ToString());
                    }
                }

                Thread.Sleep(100);
            }
        }

        /// <summary>
        /// The first Connect() can fail because the network or DPS is not ready yet (Connect() has already waited out
        /// DPS's Retry-After): try again. A refusal retrying cannot fix (IotcException.IsFinal: a wrong ID scope, device
        /// id or key) stops here and says so. Once connected, DoNext() reconnects by itself, with its own back-off.
        /// </summary>
        private static void ConnectWithRetry()
        {
            while (true)
            {
                try
                {
                    _device.Connect();
                    return;
                }
                catch (IotcException ex)
                {
                    if (ex.IsFinal)
                    {
                        Debug.WriteLine("IoT Central refused this device (" + ex.StatusCode.ToString() + "): check the ID scope, device id and key.");
                        Thread.Sleep(Timeout.Infinite);
                    }

                    Debug.WriteLine("Connect failed (" + ex.StatusCode.ToString() + "); trying again in " + (ConnectRetryMilliseconds / 1000).ToString() + " s");
                    Thread.Sleep(ConnectRetryMilliseconds);
                }
            }
        }

        private static void OnConnect(IotcCallbackInfo info)
        {
            Debug.WriteLine("- [onconnect] => status:" + info.StatusCode.ToString());
            _canSend = info.StatusCode == 0 && _device.IsConnected;
        }

        private static void OnMessageSent(IotcCallbackInfo info)
        {
            Debug.WriteLine("\t- [onmessagesent] => " + info.Payload);
        }

        private static void OnCommand(IotcCallbackInfo info)
        {
            Debug.WriteLine("- [oncommand] => command name(" + info.Tag + ") => " + info.Payload);
            info.SetResponse(200, "{}");
        }

        private static void OnSettingsUpdated(IotcCallbackInfo info)
        {
            Debug.WriteLine("- [onsettingsupdated] => settings name(" + info.Tag + ") => " + info.Payload);
        }
    }
}
