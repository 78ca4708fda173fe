// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>Board half of <c>Device</c>: supplies the nanoFramework transports when the user gave none.</summary>
    public partial class Device
    {
        static partial void CreatePlatformTransports(ref nanoFramework.Iotc.Transport.ITransportFactory factory)
        {
            factory = new nanoFramework.Iotc.Board.BoardTransportFactory();
        }

        static partial void CheckPlatformCredential(string certificatePem, string privateKeyPem, ref string argument, ref string problem)
        {
            // System.Net parses the certificate and the key (mbedTLS) but does not check that they belong together: a
            // key of another certificate shows at the first TLS handshake (CertificateLoader.IsHandshakeRefused).
            nanoFramework.Iotc.Board.CertificateLoader.CheckPair(certificatePem, privateKeyPem, ref argument, ref problem);
        }
    }
}
