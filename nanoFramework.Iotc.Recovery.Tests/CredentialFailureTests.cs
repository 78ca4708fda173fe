// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Tests.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Recovery
{
    /// <summary>
    /// A transport that cannot use its TLS settings (a key or certificate it cannot read) fails with something other
    /// than a network error: that never escapes DoNext() or Connect() as it is; it ends the session with GaveUp, naming
    /// <see cref="IotcStatus.InvalidCredential"/> and only the exception's type.
    /// </summary>
    [TestClass]
    public class CredentialFailureTests
    {
        [TestMethod]
        public void ATransportFailingOnItsSettings_AtAReconnect_GivesUp_AndDoNextNeverThrows()
        {
            RecoveryHarness h = new RecoveryHarness(100, 400);
            h.Transport.SettingsFailure = new InvalidOperationException("key material 0xSECRET (fake)");
            h.Transport.Current.Drop();
            for (int i = 0; i < 100; i++)
            {
                h.Clock.Now += 50;
                h.Device.DoNext();
            }

            Assert.AreEqual(2, h.Transport.Connections.Count, "one attempt: retrying cannot fix it");
            Assert.AreEqual(IotcStatus.GaveUp, (int)h.Statuses[h.Statuses.Count - 1]);
            Assert.IsTrue(h.Logged("giving up: IoT Hub: the transport could not use the TLS settings (certificate, private key or root certificate): InvalidOperationException"));
            for (int i = 0; i < h.Log.Count; i++)
            {
                Assert.IsTrue(((string)h.Log[i]).IndexOf("SECRET") < 0, "the exception's text is not shown");
            }

            Assert.IsFalse(h.Device.CanSend);
        }

        [TestMethod]
        public void ATransportFailingOnItsSettings_AtDps_IsAnIotcExceptionFromConnect()
        {
            FakeTransport t = new FakeTransport();
            Device device = new Device("0ne00000001", RecoveryHarness.Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(t);
            device.SetClock(new FakeClock());
            t.SettingsFailure = new InvalidOperationException("fake");
            IotcException thrown = null;
            try
            {
                device.Connect();
            }
            catch (IotcException ex)
            {
                thrown = ex;
            }

            Assert.IsNotNull(thrown);
            Assert.AreEqual(IotcStatus.InvalidCredential, thrown.StatusCode);
            Assert.StartsWith("DPS global.azure-devices-provisioning.net:443: the transport could not use the TLS settings", thrown.Message);
        }
    }
}
