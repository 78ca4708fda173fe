// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using IotcEmulator;
using nanoFramework.Iotc;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Host.HostOnly
{
    /// <summary>Devices that restart, sleep or lose the network, against the emulator through TLS.</summary>
    [TestClass]
    public class OfflineIntegrationTests
    {
        private const int Timeout = 15000;

        [Cleanup]
        public void StopEmulator()
        {
            EmulatorFixture.Stop();
        }

        [TestMethod]
        public void AStoredAssignment_ConnectsWhenDpsWouldRefuse_AndARefusedOneFallsBackToDps()
        {
            string id = EmulatorFixture.NewDeviceId("cache");
            string file = Path.Combine(Path.GetTempPath(), "iotc-cache-" + Guid.NewGuid().ToString("N") + ".json");
            try
            {
                FileProvisioningStore store = new FileProvisioningStore(file);
                string key;
                using (Device first = EmulatorFixture.NewKeyDevice(id, null, out key))
                {
                    first.SetProvisioningStore(store);
                    first.Connect();
                }

                Assert.Contains("\"hub\":\"" + EmulatorFixture.Host.HubHostName + "\"", File.ReadAllText(file));

                // With the enrollment gone DPS refuses the device, while the hub still knows it: only the stored
                // assignment can connect it.
                Assert.IsTrue(EmulatorFixture.Operator.DeleteEnrollmentAsync(id).GetAwaiter().GetResult());
                List<string> log = new List<string>();
                using (Device restarted = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, key, id, IotConnectType.SymmetricKey), log))
                {
                    restarted.SetProvisioningStore(store);
                    restarted.Connect();
                    Assert.IsTrue(restarted.IsConnected);
                    Assert.IsTrue(EmulatorFixture.Operator.IsConnected(id));
                    Assert.IsFalse(log.Any(line => line.Contains("DPS:")), "DPS was not asked");
                }

                // A stored assignment the hub refuses (a device id it does not know) is forgotten; DPS assigns again.
                string other = EmulatorFixture.NewDeviceId("moved");
                string otherKey = EmulatorFixture.Operator.EnrollSymmetricKeyAsync(other).GetAwaiter().GetResult().PrimaryKey;
                File.WriteAllText(file, File.ReadAllText(file).Replace("\"registrationId\":\"" + id + "\"", "\"registrationId\":\"" + other + "\""));
                using (Device moved = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, otherKey, other, IotConnectType.SymmetricKey), log))
                {
                    moved.SetProvisioningStore(store);
                    moved.Connect();
                    Assert.IsTrue(EmulatorFixture.Operator.IsConnected(other));
                    Assert.IsNotNull(EmulatorFixture.Operator.GetDeviceAsync(other).GetAwaiter().GetResult(), "registered through DPS");
                    Assert.Contains("\"deviceId\":\"" + other + "\"", File.ReadAllText(file));
                }
            }
            finally
            {
                File.Delete(file);
            }
        }

        [TestMethod]
        public void ABacklogSentWhileOffline_ArrivesWithTheTimesItWasCreated()
        {
            string id = EmulatorFixture.NewDeviceId("backlog");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetReconnectBackoff(100, 1000);
                device.SetOutboxLimits(128, 64 * 1024);
                List<int> statuses = new List<int>();
                int confirmed = 0;
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
                device.On(IotcEvents.MessageSent, info => confirmed++);
                device.Connect();
                EmulatorFixture.Operator.RefuseConnects(TimeSpan.FromSeconds(3));
                Assert.IsTrue(EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult());
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => statuses.Contains(IotcStatus.ConnectionLost), Timeout));

                DateTime before = DateTime.UtcNow;
                for (int i = 0; i < 100; i++)
                {
                    device.SendTelemetry("{\"n\":" + i + "}");
                }

                DateTime after = DateTime.UtcNow;
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => confirmed == 100, 30000), "the backlog is confirmed");
                IReadOnlyList<TelemetryMessage> received = EmulatorFixture.Operator.GetTelemetryAsync(id).GetAwaiter().GetResult();
                Assert.AreEqual(100, received.Count);
                foreach (TelemetryMessage m in received)
                {
                    DateTime created = DateTime.ParseExact(m.Properties["$.ctime"], "o", System.Globalization.CultureInfo.InvariantCulture).ToUniversalTime();
                    Assert.IsTrue(created >= before.AddMilliseconds(-1) && created <= after.AddMilliseconds(1), "created while offline: " + m.Properties["$.ctime"]);
                }
            }
        }

        [TestMethod]
        public void ACommandQueuedWhileTheDeviceWasOff_IsRaisedOnceAfterItConnects()
        {
            string id = EmulatorFixture.NewDeviceId("queued");
            string key;
            using (Device first = EmulatorFixture.NewKeyDevice(id, null, out key))
            {
                first.Connect();
            }

            EmulatorFixture.Operator.SendC2dAsync(id, "{\"duration\":5}", new Dictionary<string, string> { { "method-name", "boost" } }).GetAwaiter().GetResult();
            using (Device device = EmulatorFixture.Configure(new Device(EmulatorFixture.Host.IdScope, key, id, IotConnectType.SymmetricKey), null))
            {
                List<string> commands = new List<string>();
                device.On(IotcEvents.EnqueuedCommand, info => commands.Add(info.Tag + " " + info.Payload));
                device.Connect();
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => commands.Count == 1, Timeout));
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => EmulatorFixture.Operator.ListC2dAsync(id).GetAwaiter().GetResult().All(m => m.State == "completed"), Timeout), "completed on the hub");
                Assert.AreEqual("boost {\"duration\":5}", commands.Single());
            }
        }

        [TestMethod]
        public void Flush_OnADeadLink_ReturnsAtItsDeadline_WithTheMessageStillQueued()
        {
            string id = EmulatorFixture.NewDeviceId("flush");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetReconnectBackoff(100, 1000);
                List<int> statuses = new List<int>();
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
                device.Connect();
                EmulatorFixture.Operator.RefuseConnects(TimeSpan.FromSeconds(30));
                Assert.IsTrue(EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult());
                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => statuses.Contains(IotcStatus.ConnectionLost), Timeout));
                device.SendTelemetry("{\"n\":1}");

                System.Diagnostics.Stopwatch watch = System.Diagnostics.Stopwatch.StartNew();
                bool flushed = device.Flush(2000);
                watch.Stop();
                EmulatorFixture.Operator.ClearFaults();
                Assert.IsFalse(flushed);
                Assert.AreEqual(1, device.PendingMessages, "the unconfirmed message stays for a later connection");
                Assert.IsTrue(watch.ElapsedMilliseconds >= 2000, "kept its deadline: " + watch.ElapsedMilliseconds + " ms");
                // DoNext does not wait for the network on .NET (connection attempts run on a worker), so Flush cannot
                // overrun its deadline by a connect time-out; the bound is loose for a loaded machine.
                Assert.IsTrue(watch.ElapsedMilliseconds < 2000 + 5000, "returned at its deadline: " + watch.ElapsedMilliseconds + " ms");
                Assert.IsTrue(statuses.Contains(3), "the hub refused the reconnects meanwhile (CONNACK 3)");
            }
        }
    }
}
