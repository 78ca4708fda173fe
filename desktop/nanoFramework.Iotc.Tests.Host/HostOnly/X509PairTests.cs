// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Host-only: the X.509 constructor checks the certificate and key with .NET's crypto, up front.

using System;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.HostOnly
{
    [TestClass]
    public class X509PairTests
    {
        [TestMethod]
        public void AKeyThatDoesNotMatchTheCertificate_OrCannotBeRead_IsAnIotcExceptionNamingTheArgument()
        {
            using (ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (ECDsa other = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (X509Certificate2 certificate = new CertificateRequest("CN=dev-x", key, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1)))
            {
                string certificatePem = certificate.ExportCertificatePem();
                string keyPem = key.ExportPkcs8PrivateKeyPem();
                string otherPem = other.ExportPkcs8PrivateKeyPem();

                using (Device good = new Device("0ne00000001", certificatePem, keyPem, "dev-x"))
                {
                    Assert.AreEqual("dev-x", good.DeviceId);
                }

                IotcException mismatch = Refused(certificatePem, otherPem);
                Assert.AreEqual(IotcStatus.InvalidCredential, mismatch.StatusCode);
                Assert.StartsWith("privateKeyPem: the private key cannot be read", mismatch.Message);
                Assert.IsTrue(mismatch.Message.IndexOf(otherPem.Substring(40, 20)) < 0, "nothing of the key in the message");

                // Markers right, content corrupt.
                string corrupt = keyPem.Replace(keyPem.Substring(60, 8), "AAAAAAAA");
                Assert.StartsWith("privateKeyPem: ", Refused(certificatePem, corrupt).Message);
                string badCertificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
                Assert.StartsWith("certificatePem: the certificate cannot be read", Refused(badCertificate, keyPem).Message);
            }
        }

        private static IotcException Refused(string certificatePem, string keyPem)
        {
            try
            {
                new Device("0ne00000001", certificatePem, keyPem, "dev-x").Dispose();
            }
            catch (IotcException ex)
            {
                return ex;
            }

            throw new AssertFailedException("the pair was accepted");
        }
    }
}
