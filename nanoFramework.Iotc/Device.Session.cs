// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    // Device: provisioning, the MQTT session, reconnecting with back-off, token renewal.
    public partial class Device
    {
        // ---- connection --------------------------------------------------------------------------------------------

        private void ConnectOnce()
        {
            if (_hubHost == null || _reprovision)
            {
                Provision();
                _reprovision = false;
            }

            string password = null;
            long nowSeconds = _clock.NowMilliseconds / 1000;
            if (_credType != IotConnectType.X509Certificate)
            {
                password = SasToken.ForHub(_hubHost, _hubDeviceId, _deviceKey, nowSeconds + _tokenLifetimeSeconds);
            }

            MqttConnectOptions options = new MqttConnectOptions();
            options.Host = _hubHost;
            options.Port = _mqttPort;
            options.ClientId = _hubDeviceId;
            options.Username = HubTopics.Username(_hubHost, _hubDeviceId, _modelId, null);
            options.Password = password;
            options.KeepAliveSeconds = _keepAliveSeconds;
            options.TimeoutMilliseconds = _timeoutMilliseconds;
            options.Tls = Tls();

            _generation++;
            IMqttTransport mqtt = _transports.CreateMqttTransport();
            Log(IotLogLevel.ApiOnly, "MQTT: connecting to " + _hubHost + ":" + _mqttPort + " as '" + _hubDeviceId + "'");
            int connack;
            try
            {
                connack = mqtt.Connect(options, new ConnectionEvents(_inbox, _generation));
            }
            catch (TransportException ex)
            {
                SafeClose(mqtt);
                _networkFailures++;
                throw new IotcException("IoT Hub " + _hubHost + ":" + _mqttPort + " unreachable: " + ex.Message, IotcStatus.NetworkError, 0, null, ex);
            }

            if (connack != 0)
            {
                SafeClose(mqtt);
                if (connack == 4 || connack == 5)
                {
                    _authFailures++;
                }

                throw new IotcException("IoT Hub refused the connection: CONNACK " + connack + " (" + ConnackText(connack) + ")", connack, 0, null, null);
            }

            try
            {
                mqtt.Subscribe(HubTopics.Subscriptions(_hubDeviceId));
                _twinGetAttempts = 0;
                RequestTwin(mqtt);
            }
            catch (TransportException ex)
            {
                SafeClose(mqtt);
                _networkFailures++;
                throw new IotcException("IoT Hub connection lost while subscribing: " + ex.Message, IotcStatus.NetworkError, 0, null, ex);
            }

            _mqtt = mqtt;
            _state = StateConnected;
            _authFailures = 0;
            _networkFailures = 0;
            _renewAtMs = _clock.NowMilliseconds + (long)_tokenLifetimeSeconds * 800;
            Log(IotLogLevel.ApiOnly, "MQTT: connected to " + _hubHost + "; " + _outbox.Count + " message(s) waiting");
            RaiseConnectionStatus(IotcStatus.Connected, "connected");
        }

        private void Provision()
        {
            DpsClient dps = new DpsClient(_transports.CreateHttpTransport(), _clock, this);
            DpsResult result = dps.Register(_serviceHost, _servicePort, _scopeId, _deviceId, _credType == IotConnectType.X509Certificate ? null : _deviceKey, _modelId, Tls(), _tokenLifetimeSeconds, _timeoutMilliseconds, ProvisioningTimeoutMs);
            _hubHost = result.AssignedHub;
            _hubDeviceId = result.DeviceId;

            // Telemetry without properties (the common case) shares one topic string: less garbage per message on a
            // board's small heap. DPS decides the device id, so this is the place it can change.
            _telemetryTopic = HubTopics.Telemetry(_hubDeviceId, null);
        }

        private void TryReconnect()
        {
            // A fresh transport per attempt: reusing a client after a drop hangs some stacks.
            if (_authFailures >= 3 || _networkFailures >= 5)
            {
                Log(IotLogLevel.ApiOnly, "repeated failures at " + _hubHost + ": provisioning again through DPS");
                _reprovision = true;
            }

            try
            {
                ConnectOnce();
                _failedAttempts = 0;
            }
            catch (IotcException ex)
            {
                if (IsFatal(ex))
                {
                    Log(IotLogLevel.ApiOnly, "giving up: " + ex.Message);
                    _state = StateDisconnected;
                    RaiseConnectionStatus(ex.StatusCode, "fatal: " + ex.Message);
                    return;
                }

                int delay = _backoff.Delay(_failedAttempts);
                _failedAttempts++;
                _nextAttemptAtMs = _clock.NowMilliseconds + delay;
                Log(IotLogLevel.ApiOnly, "reconnect attempt " + _failedAttempts + " failed (" + ex.Message + "); next in " + delay + " ms");
                RaiseConnectionStatus(FailureStatus(ex), ex.Message);
            }
        }

        /// <summary>The ConnectionStatus code of a failed attempt: a failure never reads as 0 (connected).</summary>
        private static int FailureStatus(IotcException ex)
        {
            return ex.StatusCode == IotcStatus.Connected ? IotcStatus.NetworkError : ex.StatusCode;
        }

        private bool IsFatal(IotcException ex)
        {
            // CONNACK 1 (protocol) and 2 (client id) will not pass by retrying. Credentials refused by DPS itself
            // (401/403) or an unknown registration (404) will not either; a hub refusal (4/5) may (token, re-assignment).
            int s = ex.StatusCode;
            return s == 1 || s == 2 || s == 400 || s == 401 || s == 403 || s == 404 || (s >= 4 && s <= 5 && _authFailures >= 6);
        }

        private void OnConnectionLost(string reason)
        {
            Log(IotLogLevel.ApiOnly, "connection lost: " + reason);
            CloseTransport();
            _outbox.MarkAllForResend();
            _state = StateReconnecting;
            int delay = _backoff.Delay(0);
            _failedAttempts = 1;
            _nextAttemptAtMs = _clock.NowMilliseconds + delay;
            RaiseConnectionStatus(IotcStatus.ConnectionLost, "connection lost: " + reason + "; reconnecting in " + delay + " ms");
        }

        private void CloseTransport()
        {
            IMqttTransport mqtt = _mqtt;
            _mqtt = null;
            _generation++;
            if (mqtt != null)
            {
                SafeClose(mqtt);
            }
        }

        private static void SafeClose(IMqttTransport mqtt)
        {
            try
            {
                mqtt.Close();
            }
            catch (Exception)
            {
                // Close() must not throw; a transport that does anyway must not break the pump.
            }
        }

        private TlsSettings Tls()
        {
            TlsSettings tls = new TlsSettings();
            tls.RootCaPem = _rootCaPem;
            tls.ClientCertificatePem = _clientCertificatePem;
            tls.ClientPrivateKeyPem = _clientPrivateKeyPem;
            return tls;
        }

        private static string ConnackText(int code)
        {
            switch (code)
            {
                case 1: return "unacceptable protocol version";
                case 2: return "identifier rejected";
                case 3: return "server unavailable";
                case 4: return "bad user name or password";
                case 5: return "not authorized";
                default: return "unknown";
            }
        }
    }
}
