// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Desktop
{
    /// <summary>
    /// Server certificate validation for the desktop transports. Always on: with a configured root CA the chain must
    /// end at that CA (custom root trust), built with the intermediates the server sent in the handshake (as a TLS
    /// client must: the intermediate cannot always be downloaded), the leaf must be meant for server authentication
    /// (EKU 1.3.6.1.5.5.7.3.1, when it has an EKU at all) and the host name must match; without one, the system's trust
    /// decides (SslStream builds that chain with the sent certificates and the server-auth policy itself).
    /// </summary>
    internal static class TlsTrust
    {
        /// <summary>The extended key usage "TLS Web Server Authentication" (RFC 5280, section 4.2.1.12).</summary>
        internal const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

        /// <summary>Validates <paramref name="certificate"/>; <paramref name="sent"/> is the chain SslStream built, whose extra store holds what the server sent.</summary>
        internal static bool Validate(TlsSettings tls, X509Certificate certificate, X509Chain sent, SslPolicyErrors errors)
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
                chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthentication));
                if (sent != null)
                {
                    // Only as candidates for the path: a root the server sends is never trusted for being sent.
                    chain.ChainPolicy.ExtraStore.AddRange(sent.ChainPolicy.ExtraStore);
                    foreach (X509ChainElement element in sent.ChainElements)
                    {
                        chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                }

                using (X509Certificate2 leaf = new X509Certificate2(certificate))
                {
                    return chain.Build(leaf);
                }
            }
        }

        /// <summary>Null when <paramref name="pem"/> holds only readable certificates (as many as its BEGIN markers); else what is wrong.</summary>
        internal static string CheckRootPem(string pem)
        {
            int markers = 0;
            for (int at = pem.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal); at >= 0; at = pem.IndexOf("-----BEGIN CERTIFICATE-----", at + 1, StringComparison.Ordinal))
            {
                markers++;
            }

            X509Certificate2Collection roots = new X509Certificate2Collection();
            try
            {
                roots.ImportFromPem(pem);
            }
            catch (CryptographicException)
            {
                return "a certificate in it cannot be read";
            }

            return roots.Count == markers ? null : "only " + roots.Count + " of its " + markers + " certificates can be read";
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
