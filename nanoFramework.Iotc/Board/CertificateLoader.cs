// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>Turns the PEM text of <see cref="TlsSettings"/> into nanoFramework certificate objects.</summary>
    internal static class CertificateLoader
    {
        /// <summary>The root CA(s) to trust, or null to let the device use its stored CA.</summary>
        internal static X509Certificate LoadRootCa(TlsSettings tls)
        {
            if (tls == null || tls.RootCaPem == null)
            {
                return null;
            }

            try
            {
                // System.Net's X509Certificate(string) takes PEM or DER text (nanoFramework-only overload).
                return new X509Certificate(tls.RootCaPem);
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
