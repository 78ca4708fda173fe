// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Transport
{
    /// <summary>
    /// TLS material as PEM text, so the portable core needs no platform certificate types. Server certificate
    /// validation is always on: <see cref="RootCaPem"/> null means "the platform's trust" (on a board, the CA stored
    /// on the device; on .NET, the system store).
    /// </summary>
    public class TlsSettings
    {
        /// <summary>PEM of the root CA(s) to trust for the server; null for the platform default (board: DigiCert Global Root G2; .NET: the system store).</summary>
        public string RootCaPem;

        /// <summary>PEM of the device's client certificate (X.509 authentication), or null.</summary>
        public string ClientCertificatePem;

        /// <summary>PEM of the client certificate's private key, or null. Secret: never log it.</summary>
        public string ClientPrivateKeyPem;
    }
}
