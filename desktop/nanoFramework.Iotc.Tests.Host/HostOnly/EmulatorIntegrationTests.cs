// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using IotcEmulator;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Host.HostOnly
{
    /// <summary>
    /// The SDK against the emulator through real TLS sockets (DPS over HTTPS, IoT Hub over MQTT/TLS), asserting what the
    /// other side received.
    /// </summary>
    [TestClass]
    public class EmulatorIntegrationTests
    {
        private const int Timeout = 15000;

        [Cleanup]
        public void StopEmulator()
        {
            EmulatorFixture.Stop();
        }

        [TestMethod]
        public void SymmetricKey_ProvisionsConnects_AndTelemetryArrivesWithItsProperties()
        {
            string id = EmulatorFixture.NewDeviceId("key");
            List<string> log = new List<string>();
            using (Device device = EmulatorFixture.NewKeyDevice(id, log, out string key))
            {
                List<int> sent = new List<int>();
                device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
                device.Connect();
                Assert.IsTrue(device.IsConnected);
                Assert.AreEqual(EmulatorFixture.Host.HubHostName, device.HubHost);

                int plain = device.SendTelemetry("{\"temp\":21.5}");
                int tagged = device.SendTelemetry("{\"temp\":22}", new PropertyBag().Add("alert", "high & hot").Add("zone", "a/b"));
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => sent.Count == 2, Timeout), "both PUBACKs arrive");
                // Confirmed as the acks come (MQTTnet completes each publish on the thread pool, so two can swap).
                CollectionAssert.AreEqual(new[] { plain, tagged }, sent.OrderBy(x => x).ToArray());

                IReadOnlyList<TelemetryMessage> received = EmulatorFixture.Operator.GetTelemetryAsync(id).GetAwaiter().GetResult();
                Assert.AreEqual(2, received.Count);
                Assert.AreEqual("{\"temp\":21.5}", received[0].PayloadText);
                Assert.AreEqual("application/json", received[0].Properties["$.ct"]);
                Assert.AreEqual("utf-8", received[0].Properties["$.ce"]);
                Assert.AreEqual("high & hot", received[1].Properties["alert"]);
                Assert.AreEqual("a/b", received[1].Properties["zone"]);
                AssertNoSecrets(log, key);
            }
        }

        [TestMethod]
        public void QosZeroTelemetry_IsWrittenInOrder_AndEveryMessageArrives()
        {
            // QoS 0 writes go to MQTTnet one after the other (MqttNetTransport.WriteInTurn); MessageSent means written.
            const int Count = 300;
            string id = EmulatorFixture.NewDeviceId("qos0");
            List<string> log = new List<string>();
            using (Device device = EmulatorFixture.NewKeyDevice(id, log, out string key))
            {
                int written = 0;
                int failed = 0;
                device.On(IotcEvents.MessageSent, info =>
                {
                    written++;
                    failed += info.StatusCode == 0 ? 0 : 1;
                });
                device.SetQosLevel(0);
                device.Connect();
                int queued = 0;
                DateTime end = DateTime.UtcNow.AddMilliseconds(Timeout);
                while (written < Count && DateTime.UtcNow < end)
                {
                    while (queued < Count && device.PendingMessages < 32)
                    {
                        device.SendTelemetry("{\"n\":" + queued++ + "}");
                    }

                    device.DoNext();
                }

                Assert.AreEqual(Count, written, "every message reported written");
                Assert.AreEqual(0, failed);
                IReadOnlyList<TelemetryMessage> received = null;
                end = DateTime.UtcNow.AddMilliseconds(Timeout);
                while (DateTime.UtcNow < end)
                {
                    received = EmulatorFixture.Operator.GetTelemetryAsync(id).GetAwaiter().GetResult();
                    if (received.Count >= Count)
                    {
                        break;
                    }

                    System.Threading.Thread.Sleep(20);
                }

                CollectionAssert.AreEqual(
                    Enumerable.Range(0, Count).Select(n => "{\"n\":" + n + "}").ToArray(),
                    received.Select(m => m.PayloadText).ToArray(),
                    "all stored, in the order sent");
                AssertNoSecrets(log, key);
            }
        }

        [TestMethod]
        public void GroupKey_DerivesTheDeviceKey_AndConnects()
        {
            string group = EmulatorFixture.NewDeviceId("grp");
            string groupKey = EmulatorFixture.Operator.EnrollGroupAsync(group).GetAwaiter().GetResult().PrimaryKey;
            string id = EmulatorFixture.NewDeviceId("member");
            List<string> log = new List<string>();
            using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, groupKey, id, IotConnectType.SymmetricGroupKey), log))
            {
                device.Connect();
                Assert.IsTrue(device.IsConnected);
                DeviceInfo info = EmulatorFixture.Operator.GetDeviceAsync(id).GetAwaiter().GetResult();
                Assert.IsNotNull(info);
                Assert.AreEqual(group, info.EnrollmentId);
                Assert.IsTrue(EmulatorFixture.Operator.IsConnected(id));
                AssertNoSecrets(log, groupKey);
            }
        }

        [TestMethod]
        public void X509Certificate_ProvisionsAndConnects_WithoutAnyKey()
        {
            string id = EmulatorFixture.NewDeviceId("x509");
            using (ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            {
                CertificateRequest request = new CertificateRequest("CN=" + id, key, HashAlgorithmName.SHA256);
                using (X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)))
                {
                    EmulatorFixture.Operator.EnrollX509Async(id, certificate.Thumbprint).GetAwaiter().GetResult();
                    string privateKeyPem = key.ExportPkcs8PrivateKeyPem();
                    List<string> log = new List<string>();
                    using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, certificate.ExportCertificatePem(), privateKeyPem, id), log))
                    {
                        List<int> sent = new List<int>();
                        device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
                        device.Connect();
                        device.SendTelemetry("{\"x509\":true}");
                        Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => sent.Count == 1, Timeout));
                        Assert.AreEqual("{\"x509\":true}", EmulatorFixture.Operator.GetTelemetryAsync(id).GetAwaiter().GetResult().Single().PayloadText);
                        foreach (string line in log)
                        {
                            Assert.DoesNotContains("PRIVATE KEY", line);
                        }
                    }
                }
            }
        }

        [TestMethod]
        public void X509Certificate_AsDerBytes_ProvisionsAndConnects()
        {
            string id = EmulatorFixture.NewDeviceId("x509der");
            using (RSA key = RSA.Create(2048))
            using (X509Certificate2 certificate = new CertificateRequest("CN=" + id, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30)))
            {
                EmulatorFixture.Operator.EnrollX509Async(id, certificate.Thumbprint).GetAwaiter().GetResult();
                using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, certificate.RawData, key.ExportPkcs8PrivateKey(), id), null))
                {
                    device.Connect();
                    Assert.IsTrue(device.IsConnected);
                    Assert.IsTrue(EmulatorFixture.Operator.IsConnected(id));
                }
            }
        }

        [TestMethod]
        public void ReportedProperty_IsStoredInTheTwin_AndConfirmed()
        {
            string id = EmulatorFixture.NewDeviceId("prop");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                List<string> sent = new List<string>();
                device.On(IotcEvents.MessageSent, info => sent.Add(info.StatusCode + ":" + info.Payload));
                device.Connect();
                device.SendProperty("{\"firmware\":\"1.2.3\",\"battery\":{\"level\":87}}");
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => sent.Count == 1, Timeout));
                Assert.AreEqual("0:{\"firmware\":\"1.2.3\",\"battery\":{\"level\":87}}", sent[0]);
                TwinDocument twin = EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult();
                Assert.Contains("\"firmware\":\"1.2.3\"", twin.ReportedJson);
                Assert.Contains("\"level\":87", twin.ReportedJson);
            }
        }

        [TestMethod]
        public void DesiredSetting_RaisesSettingsUpdated_AndTheAckIsStoredWithItsVersion()
        {
            string id = EmulatorFixture.NewDeviceId("setting");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                List<string> settings = new List<string>();
                device.On(IotcEvents.SettingsUpdated, info =>
                {
                    settings.Add(info.Tag + "=" + info.Payload);
                    if (info.Tag == "mode")
                    {
                        info.SetResponse(202, "warming up");
                    }
                });
                device.Connect();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => true, 200));

                long version = EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"fanSpeed\":1200,\"mode\":\"eco\"}").GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => settings.Count == 2, Timeout), "both settings delivered");
                Assert.AreEqual("fanSpeed=1200", settings[0]);
                Assert.AreEqual("mode=\"eco\"", settings[1]);

                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult().ReportedJson.Contains("\"mode\""), Timeout), "acks stored");
                string reported = EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult().ReportedJson;
                Assert.Contains("\"fanSpeed\":{\"value\":1200,\"ac\":200,\"ad\":\"completed\",\"av\":" + version + "}", reported);
                Assert.Contains("\"mode\":{\"value\":\"eco\",\"ac\":202,\"ad\":\"warming up\",\"av\":" + version + "}", reported);
            }
        }

        [TestMethod]
        public void Command_ResponseIsSeenByTheOperator()
        {
            string id = EmulatorFixture.NewDeviceId("cmd");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                string request = null;
                device.On(IotcEvents.Command, info =>
                {
                    request = info.Tag + " " + info.Payload;
                    info.SetResponse(201, "{\"accepted\":true}");
                });
                device.Connect();
                Task<CommandResult> invocation = EmulatorFixture.Operator.InvokeCommandAsync(id, "reboot", "{\"delay\":2}", TimeSpan.FromSeconds(10));
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => invocation.IsCompleted, Timeout));
                CommandResult result = invocation.GetAwaiter().GetResult();
                Assert.AreEqual("reboot {\"delay\":2}", request);
                Assert.AreEqual(201, result.Status);
                Assert.AreEqual("{\"accepted\":true}", result.PayloadJson);
                Assert.IsFalse(result.TimedOut);
            }
        }

        [TestMethod]
        public void CloudToDeviceMessage_ReachesTheCallbackWithItsProperties()
        {
            string id = EmulatorFixture.NewDeviceId("c2d");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                IotcCallbackInfo received = null;
                device.On(IotcEvents.MessageReceived, info => received = info);
                device.Connect();
                EmulatorFixture.Operator.SendC2dAsync(id, "{\"note\":\"hi\"}", new Dictionary<string, string> { { "kind", "greeting" }, { "path", "x/y z" } }).GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => received != null, Timeout));
                Assert.AreEqual("{\"note\":\"hi\"}", received.Payload);
                Assert.AreEqual("greeting", received.Properties.Get("kind"));
                Assert.AreEqual("x/y z", received.Properties.Get("path"));
            }
        }

        [TestMethod]
        public void WrongKey_IsRefusedByDps_WithAClearError()
        {
            string id = EmulatorFixture.NewDeviceId("wrong");
            EmulatorFixture.Operator.EnrollSymmetricKeyAsync(id).GetAwaiter().GetResult();
            string wrongKey = Convert.ToBase64String(new byte[32]);
            List<int> statuses = new List<int>();
            using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, wrongKey, id, IotConnectType.SymmetricKey), null))
            {
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
                IotcException error = TestDevice.ConnectExpectingFailure(device);
                Assert.AreEqual(401, error.StatusCode);
                Assert.Contains("DPS", error.Message);
                Assert.AreEqual(1, statuses.Count);
                Assert.AreEqual(401, statuses[0]);
                Assert.IsFalse(device.IsConnected);
            }
        }

        [TestMethod]
        public void UntrustedServer_IsRefused_ValidationStaysOn()
        {
            string id = EmulatorFixture.NewDeviceId("untrusted");
            string key = EmulatorFixture.Operator.EnrollSymmetricKeyAsync(id).GetAwaiter().GetResult().PrimaryKey;
            using (Device device = new Device(EmulatorFixture.Host.IdScope, key, id, IotConnectType.SymmetricKey))
            {
                // No SetRootCertificate: the system store does not trust the emulator's CA.
                device.SetServiceHost(EmulatorFixture.Host.DpsEndpoint);
                device.SetTimeouts(30, 5000);
                IotcException error = TestDevice.ConnectExpectingFailure(device);
                Assert.AreEqual(IotcStatus.NetworkError, error.StatusCode);
                Assert.IsNull(EmulatorFixture.Operator.GetDeviceAsync(id).GetAwaiter().GetResult(), "nothing was registered");
            }
        }

        [TestMethod]
        public void DroppedLink_IsReconnected_AndQueuedTelemetryArrives()
        {
            string id = EmulatorFixture.NewDeviceId("drop");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetReconnectBackoff(100, 1000);
                List<int> statuses = new List<int>();
                List<int> sent = new List<int>();
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
                device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
                device.Connect();
                Assert.IsTrue(EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult());
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => statuses.Contains(IotcStatus.ConnectionLost), Timeout), "the loss is noticed");
                device.SendTelemetry("{\"while\":\"down\"}");
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => sent.Count == 1, Timeout), "delivered after reconnecting");
                Assert.AreEqual(0, statuses[statuses.Count - 1]);
                Assert.AreEqual("{\"while\":\"down\"}", EmulatorFixture.Operator.GetTelemetryAsync(id).GetAwaiter().GetResult().Single().PayloadText);
            }
        }

        [TestMethod]
        public void Dps_RegisterAndPoll_ShareOneKeptAliveConnection()
        {
            string id = EmulatorFixture.NewDeviceId("keepalive");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.Connect();
                Assert.IsTrue(device.IsConnected);
            }

            // The emulator logs the register PUT ("registration of ... accepted") and the poll that assigned the device,
            // each with the client's address and port: one port, one TLS connection.
            string from = "'" + id + "' from ";
            List<string> endpoints;
            lock (EmulatorFixture.DpsLog)
            {
                endpoints = EmulatorFixture.DpsLog.Where(line => line.Contains(from, StringComparison.Ordinal))
                    .Select(line => line.Substring(line.IndexOf(from, StringComparison.Ordinal) + from.Length).Split(' ')[0]).ToList();
            }

            Assert.AreEqual(2, endpoints.Count, string.Join(" | ", endpoints));
            Assert.AreEqual(1, endpoints.Distinct().Count(), "register and poll came from " + string.Join(", ", endpoints));
        }

        [TestMethod]
        public void ModelId_IsSentToDps_SoIotCentralCanPickTheTemplate()
        {
            string id = EmulatorFixture.NewDeviceId("pnp");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetModelId("dtmi:com:example:Thermostat;1");
                device.Connect();
                Assert.AreEqual("dtmi:com:example:Thermostat;1", EmulatorFixture.Operator.GetDeviceAsync(id).GetAwaiter().GetResult().ModelId);
            }
        }

        [TestMethod]
        public void ComponentSetting_IsRaisedAsComponentStarName_AndAckedInsideTheComponent()
        {
            string id = EmulatorFixture.NewDeviceId("component");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                List<string> settings = new List<string>();
                device.On(IotcEvents.SettingsUpdated, info => settings.Add(info.Tag + "=" + info.Payload));
                device.Connect();
                long version = EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"thermostat1\":{\"__t\":\"c\",\"targetTemperature\":21.5}}").GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => settings.Count == 1, Timeout));
                Assert.AreEqual("thermostat1*targetTemperature=21.5", settings[0]);
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult().ReportedJson.Contains("thermostat1"), Timeout));
                string reported = EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult().ReportedJson;
                Assert.Contains("\"thermostat1\":{\"__t\":\"c\",\"targetTemperature\":{\"value\":21.5,\"ac\":200,\"ad\":\"completed\",\"av\":" + version + "}}", reported);
            }
        }

        [TestMethod]
        public void LegacyAcknowledgement_IsStoredInTheIotcForm()
        {
            string id = EmulatorFixture.NewDeviceId("legacy");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetLegacyAcknowledgements(true);
                device.Connect();
                long version = EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"light\":true}").GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult().ReportedJson.Contains("light"), Timeout));
                Assert.Contains("\"light\":{\"value\":true,\"statusCode\":200,\"status\":\"completed\",\"desiredVersion\":" + version + "}", EmulatorFixture.Operator.GetTwinAsync(id).GetAwaiter().GetResult().ReportedJson);
            }
        }

        [TestMethod]
        public void SettingsChangedWhileOffline_AreDeliveredOnceAfterReconnecting()
        {
            string id = EmulatorFixture.NewDeviceId("resync");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetReconnectBackoff(200, 1000);
                List<string> settings = new List<string>();
                device.On(IotcEvents.SettingsUpdated, info => settings.Add(info.Tag + "=" + info.Payload + "@" + info.DesiredVersion));
                device.Connect();
                long first = EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"speed\":1}").GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => settings.Count == 1, Timeout));

                // Offline: the next desired change can only reach the device through the twin GET after reconnecting.
                EmulatorFixture.Operator.RefuseConnects(TimeSpan.FromSeconds(1));
                try
                {
                    Assert.IsTrue(EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult());
                    long second = EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"mode\":\"eco\"}").GetAwaiter().GetResult();
                    Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => settings.Count >= 3 && device.IsConnected, Timeout), "resynced: " + string.Join(" | ", settings));
                    Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => false, 500) == false);
                    Assert.AreEqual("speed=1@" + first, settings[0]);
                    Assert.AreEqual(3, settings.Count, "the newer document is delivered once: " + string.Join(" | ", settings));
                    Assert.IsTrue(settings.Contains("mode=\"eco\"@" + second), string.Join(" | ", settings));
                    Assert.IsTrue(settings.Contains("speed=1@" + second), "a newer version is delivered whole: " + string.Join(" | ", settings));
                }
                finally
                {
                    EmulatorFixture.Operator.ClearFaults();
                }
            }
        }

        [TestMethod]
        public void EnqueuedCommand_FromIotCentralOfflineCommandQueue_IsRaised()
        {
            string id = EmulatorFixture.NewDeviceId("offline-cmd");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                IotcCallbackInfo command = null;
                device.On(IotcEvents.EnqueuedCommand, info => command = info);
                device.Connect();
                EmulatorFixture.Operator.SendC2dAsync(id, "{\"duration\":30}", new Dictionary<string, string> { { "method-name", "thermostat*boost" } }).GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => command != null, Timeout));
                Assert.AreEqual("thermostat*boost", command.Tag);
                Assert.AreEqual("{\"duration\":30}", command.Payload);
            }
        }

        [TestMethod]
        public void MalformedDesiredPatch_IsIgnored_AndTheDeviceKeepsWorking()
        {
            string id = EmulatorFixture.NewDeviceId("malformed");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                List<string> settings = new List<string>();
                List<int> sent = new List<int>();
                device.On(IotcEvents.SettingsUpdated, info => settings.Add(info.Tag));
                device.On(IotcEvents.MessageSent, info => sent.Add(info.MessageId));
                device.Connect();
                Assert.IsTrue(EmulatorFixture.Operator.PushMalformedDesiredPatchAsync(id).GetAwaiter().GetResult());
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => false, 300) == false);
                Assert.AreEqual(0, settings.Count);
                Assert.IsTrue(device.IsConnected);
                device.SendTelemetry("{\"still\":\"alive\"}");
                EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"ok\":1}").GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => sent.Count == 1 && settings.Count == 1, Timeout));
            }
        }

        private static void AssertNoSecrets(List<string> log, string key)
        {
            Assert.IsTrue(log.Count > 3, "the device logged what it did");
            foreach (string line in log)
            {
                Assert.DoesNotContains(key, line);
                Assert.DoesNotContains("sig=", line);
                Assert.DoesNotContains("SharedAccessSignature", line);
            }
        }
    }
}
