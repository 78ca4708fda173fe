// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// One desired value that cannot be read (a lone-surrogate escape, a number longer than 256 characters) skips only
    /// that setting, with a log line: the rest of the patch or twin GET is raised and acknowledged.
    /// </summary>
    [TestClass]
    public class UnreadableSettingTests
    {
        private const string Desired = "$iothub/twin/PATCH/properties/desired/?$version=";

        [TestMethod]
        public void APatchWithOneUnreadableValue_RaisesTheOthers()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            ArrayList seen = Settings(h);
            string longNumber = new string('9', 300);
            h.Transport.Current.Deliver(Desired + "5", "{\"fan\":1,\"bad\":\"x\\uD800y\",\"huge\":" + longNumber + ",\"mode\":\"eco\",\"$version\":5}");
            h.Device.DoNext();
            Assert.AreEqual(2, seen.Count);
            Assert.AreEqual("fan=1@5", (string)seen[0]);
            Assert.AreEqual("mode=\"eco\"@5", (string)seen[1]);
            Assert.IsTrue(h.Logged("setting 'bad' skipped: its value cannot be read"));
            Assert.IsTrue(h.Logged("setting 'huge' skipped: its value cannot be read"));
        }

        [TestMethod]
        public void ATwinGetWithOneUnreadableValue_RaisesTheOthers_AndAComponentKeepsItsReadableProperties()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            ArrayList seen = Settings(h);
            string get = h.Transport.Current.Topic(0);
            h.Transport.Current.Deliver("$iothub/twin/res/200/?$rid=" + get.Substring(get.IndexOf("$rid=") + 5), "{\"desired\":{\"a\":1,\"\\uDC00\":2,\"b\":[1,\"\\uDC00\"],\"th\":{\"__t\":\"c\",\"t\":20,\"u\":\"\\uD800\"},\"$version\":7},\"reported\":{}}");
            h.Device.DoNext();
            Assert.AreEqual(2, seen.Count);
            Assert.AreEqual("a=1@7", (string)seen[0]);
            Assert.AreEqual("th*t=20@7", (string)seen[1]);
            Assert.IsTrue(h.Logged("setting with an unreadable name skipped"));
            Assert.IsTrue(h.Logged("setting 'b' skipped"));
            Assert.IsTrue(h.Logged("setting 'th*u' skipped"));
        }

        [TestMethod]
        public void TextThatIsNotJsonInStructure_IsStillIgnoredWhole()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            ArrayList seen = Settings(h);
            h.Transport.Current.Deliver(Desired + "6", "{\"fan\":1,\"bad\":\"x\\uD800,\"$version\":6}");
            h.Device.DoNext();
            Assert.AreEqual(0, seen.Count);
            Assert.IsTrue(h.Logged("ignored a malformed desired-properties document"));
        }

        private static ArrayList Settings(RecoveryHarness h)
        {
            ArrayList seen = new ArrayList();
            h.Device.On(IotcEvents.SettingsUpdated, info => seen.Add(info.Tag + "=" + info.Payload + "@" + info.DesiredVersion));
            return seen;
        }
    }
}
