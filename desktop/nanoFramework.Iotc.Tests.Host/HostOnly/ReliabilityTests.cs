// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using IotcEmulator;
using nanoFramework.Iotc;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Host.HostOnly
{
    /// <summary>
    /// Issue 6's proofs: the SDK keeps going through the emulator's injected faults (dropped links, short-lived tokens,
    /// throttled DPS, refused connects) without losing or duplicating a message, over real TLS.
    /// </summary>
    [TestClass]
    public class ReliabilityTests
    {
        [Cleanup]
        public void StopEmulator()
        {
            EmulatorFixture.Stop();
        }

        [TestMethod]
        public void HundredLinkDrops_During2000Messages_LoseNothing_AndConfirmEachIdOnce()
        {
            const int Messages = 2000;
            const int Drops = 100;
            string id = EmulatorFixture.NewDeviceId("drops");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetReconnectBackoff(20, 200);
                device.SetOutboxLimits(64, 64 * 1024);
                Dictionary<int, int> confirmations = new Dictionary<int, int>();
                Dictionary<int, int> seqOfMessageId = new Dictionary<int, int>();
                int lost = 0;
                device.On(IotcEvents.MessageSent, info => confirmations[info.MessageId] = confirmations.GetValueOrDefault(info.MessageId) + 1);
                device.On(IotcEvents.ConnectionStatus, info => { if (info.StatusCode == IotcStatus.ConnectionLost) lost++; });
                device.Connect();

                int sent = 0;
                int drops = 0;
                Stopwatch clock = Stopwatch.StartNew();
                while ((sent < Messages || confirmations.Count < Messages || drops < Drops) && clock.Elapsed < TimeSpan.FromSeconds(120))
                {
                    if (sent < Messages && device.PendingMessages < 64)
                    {
                        seqOfMessageId[device.SendTelemetry("{\"seq\":" + sent + "}")] = sent;
                        sent++;
                    }

                    // A drop every 20 messages, only while the link is up and the previous drop was noticed (dropping a
                    // connection that is already closing would count one loss twice).
                    if (drops < Drops && sent >= (drops + 1) * (Messages / Drops) && device.IsConnected && lost == drops)
                    {
                        if (EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult())
                        {
                            drops++;
                        }
                    }

                    device.DoNext();
                }

                Assert.AreEqual(Messages, sent);
                Assert.AreEqual(Drops, drops);
                Assert.AreEqual(Messages, confirmations.Count, "every message id confirmed");
                Assert.IsTrue(confirmations.Values.All(n => n == 1), "MessageSent fired exactly once per id");
                Assert.AreEqual(Drops, lost, "each drop was noticed");

                IReadOnlyList<TelemetryMessage> received = EmulatorFixture.Operator.GetTelemetryAsync(id, 0, 100000).GetAwaiter().GetResult();
                int[] seqs = received.Select(m => JsonDocument.Parse(m.PayloadText).RootElement.GetProperty("seq").GetInt32()).ToArray();
                CollectionAssert.AreEqual(Enumerable.Range(0, Messages).ToArray(), seqs.Distinct().OrderBy(s => s).ToArray(), "at least once");

                // In order per connection: the sequence only steps back where a reconnect re-sent unconfirmed messages.
                int stepsBack = 0;
                for (int i = 1; i < seqs.Length; i++)
                {
                    if (seqs[i] <= seqs[i - 1])
                    {
                        stepsBack++;
                    }
                }

                Assert.IsTrue(stepsBack <= lost, "order broken " + stepsBack + " times over " + lost + " connections");
                OutputHelper.WriteLine(Messages + " messages, " + drops + " drops, " + (seqs.Length - Messages) + " duplicates re-sent, " + clock.ElapsedMilliseconds + " ms");
            }
        }

        [TestMethod]
        public void WithheldPubacks_MakeTheLinkCountAsStalled_ThenEverythingIsResentAndConfirmedOnce()
        {
            // Issue 13, defect 2, over real TLS: the hub stops acknowledging; after the in-flight time-out the device
            // reconnects by itself and sends the unconfirmed messages again.
            string id = EmulatorFixture.NewDeviceId("stall");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetInFlightWindow(4, 1500);
                device.SetReconnectBackoff(50, 200);
                Dictionary<int, int> confirmations = new Dictionary<int, int>();
                int lost = 0;
                device.On(IotcEvents.MessageSent, info => confirmations[info.MessageId] = confirmations.GetValueOrDefault(info.MessageId) + 1);
                device.On(IotcEvents.ConnectionStatus, info => { if (info.StatusCode == IotcStatus.ConnectionLost) lost++; });
                device.Connect();
                EmulatorFixture.Operator.WithholdPubAcks(id, true);
                for (int i = 0; i < 6; i++)
                {
                    device.SendTelemetry("{\"n\":" + i + "}");
                }

                Stopwatch clock = Stopwatch.StartNew();
                while (lost == 0 && clock.Elapsed < TimeSpan.FromSeconds(10))
                {
                    device.DoNext();
                    System.Threading.Thread.Sleep(10);
                }

                Assert.AreEqual(1, lost, "the stalled link was given up");
                Assert.AreEqual(0, confirmations.Count);
                EmulatorFixture.Operator.WithholdPubAcks(id, false);
                while (confirmations.Count < 6 && clock.Elapsed < TimeSpan.FromSeconds(20))
                {
                    device.DoNext();
                    System.Threading.Thread.Sleep(10);
                }

                Assert.AreEqual(6, confirmations.Count, "all confirmed after the reconnect");
                Assert.IsTrue(confirmations.Values.All(n => n == 1), "MessageSent once per id");
                IReadOnlyList<TelemetryMessage> received = EmulatorFixture.Operator.GetTelemetryAsync(id, 0, 1000).GetAwaiter().GetResult();
                int[] seqs = received.Select(m => JsonDocument.Parse(m.PayloadText).RootElement.GetProperty("n").GetInt32()).Distinct().OrderBy(n => n).ToArray();
                CollectionAssert.AreEqual(Enumerable.Range(0, 6).ToArray(), seqs, "the hub has every message");
            }
        }

        [TestMethod]
        public void LargeC2dMessages_WhileTheAppIsBusy_AllReachIt_AndAreCompleted()
        {
            // Issue 13, defect 1, over real TLS: three 30 KB messages are sent while the application does not call
            // DoNext(); the inbox holds two, the transport waits with the third, none is lost.
            string id = EmulatorFixture.NewDeviceId("c2d");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                List<int> sizes = new List<int>();
                device.On(IotcEvents.MessageReceived, info => sizes.Add(info.Payload.Length));
                device.Connect();
                string body = new string('x', 30 * 1024);
                for (int i = 0; i < 3; i++)
                {
                    EmulatorFixture.Operator.SendC2dAsync(id, body).GetAwaiter().GetResult();
                }

                System.Threading.Thread.Sleep(1500);
                Stopwatch clock = Stopwatch.StartNew();
                while (sizes.Count < 3 && clock.Elapsed < TimeSpan.FromSeconds(60))
                {
                    device.DoNext();
                    System.Threading.Thread.Sleep(10);
                }

                Assert.AreEqual(3, sizes.Count);
                Assert.IsTrue(sizes.All(n => n == body.Length));
                IReadOnlyList<C2dMessageInfo> queue = EmulatorFixture.Operator.ListC2dAsync(id).GetAwaiter().GetResult();
                // Waits for the hub's side (PUBACK, then its commit), bounded generously for a loaded machine.
                for (clock.Restart(); clock.Elapsed < TimeSpan.FromSeconds(30) && queue.Any(m => m.State != "completed");)
                {
                    System.Threading.Thread.Sleep(100);
                    queue = EmulatorFixture.Operator.ListC2dAsync(id).GetAwaiter().GetResult();
                }

                Assert.AreEqual(3, queue.Count(m => m.State == "completed"), "the hub saw each one completed");
            }
        }

        [TestMethod]
        public void ShortLivedToken_IsRenewedBeforeItExpires_AndNothingIsLost()
        {
            string id = EmulatorFixture.NewDeviceId("renew");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetTokenExpiration(10);
                List<int> statuses = new List<int>();
                HashSet<int> confirmed = new HashSet<int>();
                int duplicates = 0;
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(info.StatusCode));
                device.On(IotcEvents.MessageSent, info => { if (!confirmed.Add(info.MessageId)) duplicates++; });
                device.Connect();

                // Sends a message every 100 ms until the third renewal (due at about 8, 16 and 24 s), however long a loaded
                // machine takes to get there; the bound only ends a run that never renews.
                int sent = 0;
                Stopwatch clock = Stopwatch.StartNew();
                while (statuses.Count(s => s == IotcStatus.TokenRenewal) < 3 && clock.Elapsed < TimeSpan.FromSeconds(180))
                {
                    if (clock.ElapsedMilliseconds / 100 > sent && device.PendingMessages < 30)
                    {
                        device.SendTelemetry("{\"n\":" + sent++ + "}");
                    }

                    device.DoNext();
                    System.Threading.Thread.Sleep(2);
                }

                Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => confirmed.Count == sent, 10000), "all confirmed");
                Assert.AreEqual(0, duplicates, "MessageSent fired once per id");
                int renewals = statuses.Count(s => s == IotcStatus.TokenRenewal);
                Assert.IsTrue(renewals >= 3, "renewed at about 8 s and 16 s and 24 s: " + renewals);
                Assert.AreEqual(0, statuses.Count(s => s == IotcStatus.ConnectionLost), "the hub never had to close an expired session");
                Assert.AreEqual(sent, EmulatorFixture.Operator.GetTelemetryAsync(id, 0, 100000).GetAwaiter().GetResult().Select(m => m.PayloadText).Distinct().Count());
            }
        }

        [TestMethod]
        public void HubCutsSessionsShort_TheDeviceReconnects_AndNothingIsLost()
        {
            string id = EmulatorFixture.NewDeviceId("cap");
            EmulatorFixture.Operator.CapTokenLifetime(TimeSpan.FromSeconds(3));
            try
            {
                using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
                {
                    device.SetReconnectBackoff(50, 500);
                    HashSet<int> confirmed = new HashSet<int>();
                    int lost = 0;
                    device.On(IotcEvents.ConnectionStatus, info => { if (info.StatusCode == IotcStatus.ConnectionLost) lost++; });
                    device.On(IotcEvents.MessageSent, info => confirmed.Add(info.MessageId));
                    device.Connect();
                    int sent = 0;
                    Stopwatch clock = Stopwatch.StartNew();
                    while (clock.Elapsed < TimeSpan.FromSeconds(8))
                    {
                        if (clock.ElapsedMilliseconds / 50 > sent && device.PendingMessages < 30)
                        {
                            device.SendTelemetry("{\"n\":" + sent++ + "}");
                        }

                        device.DoNext();
                        System.Threading.Thread.Sleep(2);
                    }

                    Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => confirmed.Count == sent, 10000), "all confirmed");
                    Assert.IsTrue(lost >= 2, "the hub closed the session every 3 s: " + lost);
                    Assert.AreEqual(sent, EmulatorFixture.Operator.GetTelemetryAsync(id, 0, 100000).GetAwaiter().GetResult().Select(m => m.PayloadText).Distinct().Count());
                }
            }
            finally
            {
                EmulatorFixture.Operator.CapTokenLifetime(null);
            }
        }

        [TestMethod]
        public void ThrottledAndSlowDps_IsWaitedOutAsTold()
        {
            string id = EmulatorFixture.NewDeviceId("dps");
            List<string> log = new List<string>();
            using (Device device = EmulatorFixture.NewKeyDevice(id, log, out _))
            {
                EmulatorFixture.Operator.ThrottleDps(2, 1);
                EmulatorFixture.Operator.KeepDpsAssigning(3);
                try
                {
                    Stopwatch clock = Stopwatch.StartNew();
                    device.Connect();
                    Assert.IsTrue(device.IsConnected);

                    // Two 429s (Retry-After 1 s), then the operation answers "assigning" three more times (Retry-After 1 s).
                    Assert.IsTrue(clock.ElapsedMilliseconds >= 4500, "waited as told: " + clock.ElapsedMilliseconds + " ms");
                    Assert.AreEqual(2, log.Count(l => l.Contains("DPS answered 429")));
                    Assert.IsTrue(log.Count(l => l.Contains("DPS: assigning")) >= 4, "polled while assigning");
                }
                finally
                {
                    EmulatorFixture.Operator.ClearFaults();
                }
            }
        }

        [TestMethod]
        public void RefusedConnects_BackOffExponentially_ThenSucceed()
        {
            string id = EmulatorFixture.NewDeviceId("refused");
            using (Device device = EmulatorFixture.NewKeyDevice(id, null, out _))
            {
                device.SetReconnectBackoff(500, 4000);
                List<KeyValuePair<long, int>> statuses = new List<KeyValuePair<long, int>>();
                Stopwatch clock = Stopwatch.StartNew();
                device.On(IotcEvents.ConnectionStatus, info => statuses.Add(new KeyValuePair<long, int>(clock.ElapsedMilliseconds, info.StatusCode)));
                device.Connect();

                EmulatorFixture.Operator.RefuseConnects(TimeSpan.FromSeconds(10));
                long refusedAt = clock.ElapsedMilliseconds;
                try
                {
                    Assert.IsTrue(EmulatorFixture.Operator.DropConnectionAsync(id).GetAwaiter().GetResult());
                    Assert.IsTrue(EmulatorFixture.PumpUntil(device, () => statuses.Count > 2 && statuses[statuses.Count - 1].Value == 0, 25000), "connected again");
                }
                finally
                {
                    EmulatorFixture.Operator.ClearFaults();
                }

                // connected, lost, refused (CONNACK 3) several times with growing gaps, connected.
                List<long> refusals = statuses.Where(s => s.Value == 3).Select(s => s.Key).ToList();
                Assert.IsTrue(refusals.Count >= 3, "refusals: " + refusals.Count);
                for (int i = 2; i < refusals.Count; i++)
                {
                    long previousGap = refusals[i - 1] - refusals[i - 2];
                    long gap = refusals[i] - refusals[i - 1];
                    Assert.IsTrue(gap >= previousGap * 0.6 || gap >= 3000, "back-off grows: " + string.Join(",", refusals));
                }

                Assert.IsTrue(statuses[statuses.Count - 1].Key - refusedAt >= 9500, "connected only after the refusal window");
                Assert.IsTrue(device.IsConnected);
            }
        }
    }
}
