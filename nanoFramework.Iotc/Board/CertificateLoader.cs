// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>Turns the PEM text of <see cref="TlsSettings"/> into nanoFramework certificate objects.</summary>
    internal static class CertificateLoader
    {
        /// <summary>The root CA(s) to trust: the configured PEM, or DigiCert Global Root G2 (Azure's root) by default.</summary>
        internal static X509Certificate LoadRootCa(TlsSettings tls)
        {
            // Nothing configured: trust the root Azure IoT Hub and DPS chain to (DigiCert Global Root G2), as the
            // issue asks, rather than whatever happens to be stored on the device. Device.SetRootCertificate overrides.
            string pem = tls == null || tls.RootCaPem == null ? AzureRootCertificates.DigiCertGlobalRootG2 : tls.RootCaPem;

            try
            {
                // System.Net's X509Certificate(string) takes PEM or DER text (nanoFramework-only overload).
                return new X509Certificate(pem);
            }
            catch (Exception ex)
            {
                throw new TransportException("The root CA certificate could not be parsed.", ex);
            }
        }

        /// <summary>The device's client certificate with its private key, or null when none was given as PEM.</summary>
        internal static X509Certificate2 LoadClientCertificate(TlsSettings tls)
        {
            if (tls == null || tls.ClientCertificatePem == null)
            {
                return null;
            }

            if (tls.ClientPrivateKeyPem == null)
            {
                throw new TransportException("A client certificate was given without its private key.");
            }

            try
            {
                // X509Certificate2(string rawData, string key, string password): PEM certificate + PEM/DER key;
                // null password = unencrypted key.
                return new X509Certificate2(tls.ClientCertificatePem, tls.ClientPrivateKeyPem, null);
            }
            catch (Exception ex)
            {
                // The inner exception is left out on purpose: nothing about the key may reach a message or log.
                throw new TransportException("The client certificate or its private key could not be parsed (" + ex.GetType().Name + ").");
            }
        }
    }
}
