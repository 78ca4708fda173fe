// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Tasks;
using IotcEmulator;
using nanoFramework.Iotc;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Host.HostOnly
{
    /// <summary>
    /// Runs every path that handles a secret — individual key, group key, X.509 private key, DPS and hub SAS tokens,
    /// refusals, reconnects, token renewal — at log level All against the emulator, and searches every log line and
    /// every exception message for the secrets.
    /// </summary>
    [TestClass]
    public class SecretsAuditTests
    {
        [Cleanup]
        public void StopEmulator()
        {
            EmulatorFixture.Stop();
        }

        [TestMethod]
        public void NoKeySignatureOrPrivateKey_InAnyLogLineOrExceptionMessage()
        {
            List<string> log = new List<string>();
            List<string> secrets = new List<string>();

            // Individual key: connect, every message kind, a dropped link, a renewal.
            string id = EmulatorFixture.NewDeviceId("audit");
            using (Device device = EmulatorFixture.NewKeyDevice(id, log, out string key))
            {
                secrets.Add(key);
                device.SetReconnectBackoff(20, 200);
                device.SetTokenExpiration(10);
                device.On(IotcEvents.Command, info => info.SetResponse(200, "{}"));
                device.Connect();
                device.SendTelemetry("{\"a\":1}");
                device.SendProperty("{\"b\":2}");
                EmulatorFixture.Operator.SetDesiredPropertiesAsync(id, "{\"c\":3}").GetAwaiter().GetResult();
                Task<CommandResult> command = EmulatorFixture.Operator.InvokeCommandAsync(id, "go", "{}", TimeSpan.FromSeconds(10));
                EmulatorFixture.Operator.SendC2dAsync(id, "hello").GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => command.IsCompleted, 10000));
                EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => log.Exists(l => l.Contains("SAS token at 80%")) && device.IsConnected, 15000), "renewed");
            }

            // Group key: the group key and the derived device key.
            string group = EmulatorFixture.NewDeviceId("audit-group");
            string groupKey = EmulatorFixture.Operator.EnrollGroupAsync(group).GetAwaiter().GetResult().PrimaryKey;
            string member = EmulatorFixture.NewDeviceId("audit-member");
            secrets.Add(groupKey);
            secrets.Add(SasHelper.DeriveDeviceKey(groupKey, member));
            using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, groupKey, member, IotConnectType.SymmetricGroupKey), log))
            {
                device.Connect();
            }

            // X.509: the private key.
            string x509 = EmulatorFixture.NewDeviceId("audit-x509");
            using (ECDsa privateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (X509Certificate2 certificate = new CertificateRequest("CN=" + x509, privateKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
            {
                EmulatorFixture.Operator.EnrollX509Async(x509, certificate.Thumbprint).GetAwaiter().GetResult();
                string pem = privateKey.ExportPkcs8PrivateKeyPem();
                secrets.Add(pem.Split('\n')[1]);
                using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, certificate.ExportCertificatePem(), pem, x509), log))
                {
                    device.Connect();
                }
            }

            // Refusals: a wrong key at DPS; a key that DPS accepts but the hub does not know (device deleted meanwhile is
            // not needed: a wrong key for an existing hub device is refused by DPS first).
            List<string> messages = new List<string>();
            string wrongKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            secrets.Add(wrongKey);
            string refused = EmulatorFixture.NewDeviceId("audit-refused");
            EmulatorFixture.Operator.EnrollSymmetricKeyAsync(refused).GetAwaiter().GetResult();
            using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, wrongKey, refused, IotConnectType.SymmetricKey), log))
            {
                try
                {
                    device.Connect();
                }
                catch (IotcException ex)
                {
                    messages.Add(ex.ToString());
                }
            }

            try
            {
                new Device("0ne00000001", "not base64 " + wrongKey, "x", IotConnectType.SymmetricKey).Dispose();
            }
            catch (ArgumentException ex)
            {
                messages.Add(ex.ToString());
            }

            Assert.AreEqual(2, messages.Count, "both refusals surfaced as exceptions");
            Assert.IsTrue(log.Count > 30, "level All logged the whole run (" + log.Count + " lines)");
            foreach (string text in log.Concat(messages))
            {
                foreach (string secret in secrets)
                {
                    Assert.DoesNotContains(secret, text);
                }

                Assert.DoesNotContains("sig=", text);
                Assert.DoesNotContains("SharedAccessSignature", text);
                Assert.DoesNotContains("PRIVATE KEY", text);
            }
        }
    }
}
