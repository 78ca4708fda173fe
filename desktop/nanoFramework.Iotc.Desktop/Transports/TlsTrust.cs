// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Desktop
{
    /// <summary>
    /// Server certificate validation for the desktop transports. Always on: with a configured root CA the chain must
    /// end at that CA (custom root trust) and the host name must match; without one, the system's trust decides.
    /// </summary>
    internal static class TlsTrust
    {
        internal static bool Validate(TlsSettings tls, X509Certificate certificate, SslPolicyErrors errors)
        {
            if (tls == null || tls.RootCaPem == null)
            {
                return errors == SslPolicyErrors.None;
            }

            // Name mismatch or no certificate is never forgiven; chain errors are re-checked against our own root.
            if ((errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0 || certificate == null)
            {
                return false;
            }

            X509Certificate2Collection roots = new X509Certificate2Collection();
            roots.ImportFromPem(tls.RootCaPem);
            using (X509Chain chain = new X509Chain())
            {
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.AddRange(roots);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                using (X509Certificate2 leaf = new X509Certificate2(certificate))
                {
                    return chain.Build(leaf);
                }
            }
        }

        internal static X509Certificate2 ClientCertificate(TlsSettings tls)
        {
            if (tls == null || tls.ClientCertificatePem == null)
            {
                return null;
            }

            // Re-import so the private key is usable by SslStream on every platform (ephemeral PEM keys are not on all).
            using (X509Certificate2 pem = X509Certificate2.CreateFromPem(tls.ClientCertificatePem, tls.ClientPrivateKeyPem))
            {
                return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }
    }
}
