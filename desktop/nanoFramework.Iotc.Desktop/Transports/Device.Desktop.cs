// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Desktop;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc
{
    /// <summary>On .NET, a <see cref="Device"/> without an explicit factory uses MQTTnet and HttpClient.</summary>
    public partial class Device
    {
        static partial void CreatePlatformTransports(ref ITransportFactory factory)
        {
            factory = new DesktopTransportFactory();
        }

        static partial void PlatformConnectsInBackground(ref bool background)
        {
            // MQTTnet and HttpClient may be called from any thread; a TLS handshake must not hold DoNext().
            background = true;
        }

        static partial void CheckPlatformRoot(string pem, ref string problem)
        {
            problem = TlsTrust.CheckRootPem(pem);
        }

        static partial void CheckPlatformCredential(string certificatePem, string privateKeyPem, ref string argument, ref string problem)
        {
            // The texts are fixed: nothing of the key (or of an exception about it) reaches a message.
            try
            {
                using (X509Certificate2 certificate = X509Certificate2.CreateFromPem(certificatePem))
                {
                }
            }
            catch (Exception)
            {
                argument = "certificatePem";
                problem = "the certificate cannot be read (expected one PEM X.509 certificate)";
                return;
            }

            try
            {
                using (X509Certificate2 pair = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem))
                {
                }
            }
            catch (Exception)
            {
                argument = "privateKeyPem";
                problem = "the private key cannot be read (unencrypted PKCS#8, PKCS#1 or SEC1 PEM) or does not match the certificate";
            }
        }
    }
}
