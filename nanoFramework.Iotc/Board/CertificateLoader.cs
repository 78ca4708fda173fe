// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Board
{
    /// <summary>Turns the PEM text of <see cref="TlsSettings"/> into nanoFramework certificate objects.</summary>
    internal static class CertificateLoader
    {
        /// <summary>
        /// MBEDTLS_ERR_SSL_FATAL_ALERT_MESSAGE (-0x7780): the server ended the handshake with a fatal alert, which System.Net
        /// passes on as the SocketException's error code. Measured on nanoCLR: a client certificate with a private key of
        /// another certificate gets it (the server cannot verify CertificateVerify); network failures give socket codes.
        /// </summary>
        internal const int FatalAlertReceived = -0x7780;

        /// <summary>Reads the pair as the transports will; sets the argument at fault and a fixed text (nothing of the key).</summary>
        internal static void CheckPair(string certificatePem, string privateKeyPem, ref string argument, ref string problem)
        {
            try
            {
                new X509Certificate(certificatePem);
            }
            catch (Exception)
            {
                argument = "certificatePem";
                problem = "the certificate cannot be read (expected one PEM X.509 certificate)";
                return;
            }

            try
            {
                new X509Certificate2(certificatePem, privateKeyPem, null);
            }
            catch (Exception)
            {
                // Measured on nanoCLR: a corrupt key throws ArgumentException here (mbedtls_pk_parse_key failed).
                argument = "privateKeyPem";
                problem = "the private key cannot be read (unencrypted PKCS#8, PKCS#1 or SEC1 PEM)";
            }
        }

        /// <summary>
        /// True when a TLS handshake that presented a client certificate was refused by the server with a fatal alert:
        /// with a certificate the server's CA accepted, that is a private key that does not match it (or a certificate
        /// the server does not accept); retrying cannot fix either. mbedTLS does not say which alert it was.
        /// </summary>
        internal static bool IsHandshakeRefused(Exception ex)
        {
            for (Exception e = ex; e != null; e = e.InnerException)
            {
                SocketException socket = e as SocketException;
                if (socket != null && socket.ErrorCode == FatalAlertReceived)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The failure to report for <see cref="IsHandshakeRefused"/>: not a network error, so the pump gives up.</summary>
        internal static IotcException HandshakeRefused(string server, Exception ex)
        {
            return new IotcException(server + ": the server refused the TLS handshake with the client certificate (fatal alert): the private key probably does not match the certificate", IotcStatus.InvalidCredential, 0, null, ex);
        }

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
                // Not a TransportException: retrying cannot make it readable (the pump reports InvalidCredential).
                throw new IotcException("The root CA certificate could not be parsed (" + ex.GetType().Name + ").", IotcStatus.InvalidCredential, 0, null, null);
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
                throw new IotcException("A client certificate was given without its private key.", IotcStatus.InvalidCredential, 0, null, null);
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
                throw new IotcException("The client certificate or its private key could not be parsed (" + ex.GetType().Name + ").", IotcStatus.InvalidCredential, 0, null, null);
            }
        }
    }
}
