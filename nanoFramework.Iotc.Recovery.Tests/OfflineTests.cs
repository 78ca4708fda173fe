// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>Devices that lose the network or sleep: creation times on a backlog, an unset clock.</summary>
    [TestClass]
    public class OfflineTests
    {
        private const string Topic = "devices/dev-1/messages/events/$.ct=application%2Fjson&$.ce=utf-8";

        [TestMethod]
        public void Telemetry_LeavingAtOnce_GoesWithoutCreationTime_ABacklogCarriesWhenItWasSent()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock(); // 2023-11-14T22:13:20Z, and 22:13:21 after DPS's Retry-After
            Device device = Offline.ConnectedWithBackoff(t, clock, 100, 1000);
            device.SendTelemetry("{\"n\":1}");
            device.DoNext();
            FakeMqtt first = t.Current;
            Assert.AreEqual(Topic, first.Topic(1));

            first.Drop();
            device.DoNext();
            clock.Now += 1234;
            device.SendTelemetry("{\"n\":2}");
            clock.Now += 5000;
            device.DoNext();

            FakeMqtt second = t.Current;
            Assert.AreNotSame(first, second);
            Assert.AreEqual("{\"n\":1}", second.Text(1));
            Assert.AreEqual(Topic + "&$.ctime=2023-11-14T22%3A13%3A21.0000000Z", second.Topic(1), "a resend keeps its first creation time");
            Assert.AreEqual(Topic + "&$.ctime=2023-11-14T22%3A13%3A22.2340000Z", second.Topic(2));
        }

        [TestMethod]
        public void Telemetry_WithItsOwnCreationTime_KeepsIt_AndAnUnsetClockAddsNone()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = Offline.Connected(t, clock);
            PropertyBag own = new PropertyBag();
            own.Add(HubTopics.CreationTimeProperty, "2020-01-01T00:00:00.0000000Z");
            device.SendTelemetry("{}", own);
            clock.Now += 5000;
            device.DoNext();
            Assert.AreEqual(Topic + "&$.ctime=2020-01-01T00%3A00%3A00.0000000Z", t.Current.Topic(1));

            clock.Now = Session.ClockSetAfterMs - 1;
            device.SendTelemetry("{}");
            clock.Now += 5000;
            device.DoNext();
            Assert.AreEqual(Topic, t.Current.Topic(2), "no creation time from a clock that is not set");
        }

        [TestMethod]
        public void Connect_WithAClockThatIsNotSet_IsAnInvalidClock_BeforeAnythingIsSigned()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            clock.Now = 86400000; // 1970-01-02: a board before SNTP
            t.AddAssignment(TestDevice.Hub, "dev-1");
            Device device = TestDevice.New(t, clock);
            IotcException error = TestDevice.ConnectExpectingFailure(device);
            Assert.AreEqual(IotcStatus.InvalidClock, error.StatusCode);
            Assert.Contains("set the clock", error.Message);
            Assert.AreEqual(0, t.HttpRequests.Count, "DPS would answer 401, which reads as a wrong key");

            clock.Now = Session.ClockSetAfterMs;
            device.Connect();
            Assert.IsTrue(device.IsConnected);
        }

        [TestMethod]
        public void Reconnecting_WithAnInvalidClock_KeepsTrying_InsteadOfGivingUp()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = Offline.ConnectedWithBackoff(t, clock, 100, 1000);
            int invalid = 0;
            int gaveUp = 0;
            device.On(IotcEvents.ConnectionStatus, info =>
            {
                invalid += info.StatusCode == IotcStatus.InvalidClock ? 1 : 0;
                gaveUp += info.StatusCode == IotcStatus.GaveUp ? 1 : 0;
            });
            t.Current.Drop();
            device.DoNext();
            clock.Now = 4200000000000; // 2103: a clock gone wrong
            for (int i = 0; i < 20; i++)
            {
                clock.Now += 2000;
                device.DoNext();
            }

            Assert.AreEqual(20, invalid);
            Assert.AreEqual(0, gaveUp);
            Assert.AreEqual(1, t.Connections.Count, "nothing was signed with that clock");
        }

        [TestMethod]
        public void TheHubKeepsTheSession_AndACloudToDeviceMessageSentAgainIsRaisedOnce()
        {
            FakeTransport t = new FakeTransport();
            Device device = Offline.Connected(t, new FakeClock());
            Assert.IsFalse(t.Current.Options.CleanSession, "clean session 0: what is sent while the device is away waits for it");
            System.Collections.ArrayList received = new System.Collections.ArrayList();
            device.On(IotcEvents.MessageReceived, info => received.Add(info.Payload));
            t.Current.Deliver("devices/dev-1/messages/devicebound/%24.mid=7&%24.to=%2Fdevices%2Fdev-1%2Fmessages%2FdeviceBound", "a");
            t.Current.Deliver("devices/dev-1/messages/devicebound/%24.mid=7&%24.to=%2Fdevices%2Fdev-1%2Fmessages%2FdeviceBound", "a");
            t.Current.Deliver("devices/dev-1/messages/devicebound/%24.mid=8", "b");
            t.Current.Deliver("devices/dev-1/messages/devicebound/", "no id");
            t.Current.Deliver("devices/dev-1/messages/devicebound/", "no id");
            device.DoNext();
            Assert.AreEqual(4, received.Count);
            Assert.AreEqual("a", (string)received[0]);
            Assert.AreEqual("b", (string)received[1]);
            Assert.AreEqual("no id", (string)received[3], "without an id nothing tells a resend from a new message");
        }

        [TestMethod]
        public void RecentIds_ForgetsTheOldestBeyondItsCapacity()
        {
            RecentIds ids = new RecentIds(2);
            Assert.IsTrue(ids.Add("1"));
            Assert.IsTrue(ids.Add("2"));
            Assert.IsFalse(ids.Add("1"));
            Assert.IsFalse(ids.Add("2"));
            Assert.IsTrue(ids.Add("3"));
            Assert.IsTrue(ids.Add("1"), "1 was the oldest of three");
            Assert.IsFalse(ids.Add("3"));
        }

        private const string Stored = "{\"scope\":\"0ne00000001\",\"registrationId\":\"dev-1\",\"dps\":\"global.azure-devices-provisioning.net:443\",\"hub\":\"hub-2.azure-devices.net\",\"deviceId\":\"dev-1\"}";

        [TestMethod]
        public void AStoredAssignment_ConnectsWithoutDps_AndWhatDpsAssignsIsStored()
        {
            FakeTransport t = new FakeTransport();
            MemoryStore store = new MemoryStore();
            Device device = TestDevice.New(t, new FakeClock());
            device.SetProvisioningStore(store);
            TestDevice.ConnectNow(t, device);
            Assert.AreEqual(2, t.HttpRequests.Count);
            Assert.AreEqual("{\"scope\":\"0ne00000001\",\"registrationId\":\"dev-1\",\"dps\":\"global.azure-devices-provisioning.net:443\",\"hub\":\"hub-1.azure-devices.net\",\"deviceId\":\"dev-1\"}", store.Record);

            FakeTransport t2 = new FakeTransport();
            store.Record = Stored;
            Device restarted = TestDevice.New(t2, new FakeClock());
            restarted.SetProvisioningStore(store);
            restarted.Connect();
            Assert.AreEqual(0, t2.HttpRequests.Count, "no DPS request");
            Assert.AreEqual("hub-2.azure-devices.net", t2.Current.Options.Host);
            Assert.IsTrue(restarted.IsConnected);
        }

        [TestMethod]
        public void AStoredHubThatRefusesTheDevice_IsForgotten_AndDpsIsAskedInTheSameConnect()
        {
            FakeTransport t = new FakeTransport();
            t.RefuseHost = "hub-2.azure-devices.net";
            MemoryStore store = new MemoryStore();
            store.Record = Stored;
            Device device = TestDevice.New(t, new FakeClock());
            device.SetProvisioningStore(store);
            System.Collections.ArrayList log = TestDevice.RecordLog(device);
            t.AddAssignment(TestDevice.Hub, "dev-1");
            device.Connect();
            Assert.AreEqual(2, t.Connections.Count);
            Assert.AreEqual("hub-2.azure-devices.net", ((FakeMqtt)t.Connections[0]).Options.Host);
            Assert.AreEqual(TestDevice.Hub, t.Current.Options.Host);
            Assert.AreEqual(2, t.HttpRequests.Count);
            Assert.Contains("\"hub\":\"hub-1.azure-devices.net\"", store.Record);
            Assert.AreEqual(1, store.Clears);
            Assert.IsTrue(Logged(log, "provisioning store: forgetting the stored assignment (hub hub-2.azure-devices.net: IoT Hub refused the connection: CONNACK 5 (not authorized)); provisioning through DPS"));
        }

        [TestMethod]
        [DataRow("{\"scope\":\"0ne0000000X\",\"registrationId\":\"dev-1\",\"dps\":\"global.azure-devices-provisioning.net:443\",\"hub\":\"h.net\",\"deviceId\":\"dev-1\"}")]
        [DataRow("{\"scope\":\"0ne00000001\",\"registrationId\":\"dev-1\",\"dps\":\"global.azure-devices-provisioning.net:443\",\"hub\":\"h/x\",\"deviceId\":\"dev-1\"}")]
        [DataRow("not json")]
        [DataRow("throw")]
        public void AStoredRecordForAnotherDevice_Unreadable_OrAThrowingStore_MeansDps(string record)
        {
            FakeTransport t = new FakeTransport();
            MemoryStore store = new MemoryStore();
            store.Record = record;
            Device device = TestDevice.New(t, new FakeClock());
            device.SetProvisioningStore(store);
            TestDevice.ConnectNow(t, device);
            Assert.AreEqual(2, t.HttpRequests.Count);
            Assert.AreEqual(TestDevice.Hub, t.Current.Options.Host);
        }

        private static bool Logged(System.Collections.ArrayList lines, string line)
        {
            for (int i = 0; i < lines.Count; i++)
            {
                if ((string)lines[i] == line)
                {
                    return true;
                }
            }

            return false;
        }

        internal sealed class MemoryStore : IProvisioningStore
        {
            public string Record;
            public int Clears;

            public string Load()
            {
                if (Record == "throw")
                {
                    throw new System.IO.IOException("flash broken (test)");
                }

                return Record;
            }

            public void Save(string record)
            {
                Record = record;
            }

            public void Clear()
            {
                Record = null;
                Clears++;
            }
        }

        [TestMethod]
        public void Flush_ReturnsOnceAllIsConfirmedAndDelivered_AndQuietForHalfASecond()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = Offline.Connected(t, clock);
            FakeMqtt mqtt = t.Current;
            System.Collections.ArrayList raised = new System.Collections.ArrayList();
            device.On(IotcEvents.SettingsUpdated, info => raised.Add(info.Tag));
            device.On(IotcEvents.EnqueuedCommand, info => raised.Add(info.Tag));
            device.SendTelemetry("{\"n\":1}");
            mqtt.Deliver("$iothub/twin/res/200/?$rid=1", "{\"desired\":{\"fan\":1,\"$version\":3},\"reported\":{}}");
            mqtt.Deliver("devices/dev-1/messages/devicebound/%24.mid=9&method-name=boost", "{}");
            long start = clock.Now;

            // The fake confirms nothing by itself: Flush waits for the PUBACKs and twin answers the test gives below.
            Assert.IsFalse(device.Flush(200));
            Assert.AreEqual(2, device.PendingMessages, "the telemetry and the setting's ack");
            Assert.AreEqual(2, raised.Count);
            for (int i = 1; i < mqtt.Topics.Count; i++)
            {
                if (mqtt.Topic(i).IndexOf("$iothub/twin/PATCH/properties/reported/") == 0)
                {
                    mqtt.Deliver("$iothub/twin/res/204/?$rid=" + mqtt.Topic(i).Substring(mqtt.Topic(i).IndexOf("$rid=") + 5) + "&$version=4", string.Empty);
                }
                else
                {
                    mqtt.Ack(i);
                }
            }

            long acked = clock.Now;
            Assert.IsTrue(device.Flush(5000));
            Assert.AreEqual(0, device.PendingMessages);
            Assert.IsTrue(clock.Now - acked >= Device.FlushQuietMilliseconds && clock.Now - acked < Device.FlushQuietMilliseconds + 50, "quiet for half a second after the last arrival");
            Assert.IsTrue(acked - start >= 200, "the first flush kept its deadline");
        }

        [TestMethod]
        public void Flush_OnADeadLink_ReturnsAtItsDeadline_AndReportsWhatWasLeft()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            Device device = Offline.ConnectedWithBackoff(t, clock, 100, 1000);
            System.Collections.ArrayList log = TestDevice.RecordLog(device);
            t.FailConnect = true;
            t.Current.Drop();
            device.SendTelemetry("{}");
            long start = clock.Now;
            Assert.IsFalse(device.Flush(3000));
            Assert.IsTrue(clock.Now - start >= 3000 && clock.Now - start <= 3010);
            Assert.IsTrue(t.Connections.Count > 2, "it kept reconnecting meanwhile");
            Assert.AreEqual("flush: stopped at the deadline (3000 ms) with 1 message(s) unconfirmed, 0 setting ack(s) pending, not connected", (string)log[log.Count - 1]);
            Assert.ThrowsException(typeof(System.ArgumentOutOfRangeException), () => device.Flush(0));
        }
    }

    /// <summary>The few set-up steps of these tests beyond <see cref="TestDevice"/>.</summary>
    internal static class Offline
    {
        internal static Device Connected(FakeTransport transport, FakeClock clock)
        {
            Device device = TestDevice.New(transport, clock);
            TestDevice.ConnectNow(transport, device);
            return device;
        }

        internal static Device ConnectedWithBackoff(FakeTransport transport, FakeClock clock, int minMs, int maxMs)
        {
            Device device = TestDevice.New(transport, clock);
            device.SetReconnectBackoff(minMs, maxMs);
            TestDevice.ConnectNow(transport, device);
            return device;
        }
    }
}
