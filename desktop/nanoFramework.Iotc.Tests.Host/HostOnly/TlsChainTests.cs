// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Host-only: the desktop transports' certificate checks through a real TLS handshake (HttpClientTransport against an
// SslStream server on loopback), with a configured root: the server's chain leaf <- intermediate <- root is built
// from what the server sends, a certificate meant only for client authentication is refused, and an unreadable
// root PEM is refused at SetRootCertificate.

using System;
using System.IO;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Tasks;
using nanoFramework.Iotc.Desktop;
using nanoFramework.Iotc.Transport;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.HostOnly
{
    [TestClass]
    public class TlsChainTests
    {
        private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
        private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

        [TestMethod]
        public void AServerSendingLeafAndIntermediate_IsTrusted_WithOnlyTheRootConfigured()
        {
            using (ECDsa rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (ECDsa intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (X509Certificate2 root = Ca("CN=Test Root", rootKey, null, null))
            using (X509Certificate2 intermediate = Ca("CN=Test Intermediate", intermediateKey, root, rootKey))
            using (X509Certificate2 leaf = Leaf(intermediate, intermediateKey, ServerAuth))
            {
                Assert.AreEqual(200, Request(root.ExportCertificatePem(), leaf, intermediate).StatusCode, "the chain is built with the intermediate the server sent");
            }
        }

        [TestMethod]
        public void ACertificateMeantOnlyForClientAuthentication_IsRefused()
        {
            using (ECDsa rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (X509Certificate2 root = Ca("CN=Test Root", rootKey, null, null))
            using (X509Certificate2 clientOnly = Leaf(root, rootKey, ClientAuth))
            using (X509Certificate2 serverLeaf = Leaf(root, rootKey, ServerAuth))
            {
                Assert.AreEqual(200, Request(root.ExportCertificatePem(), serverLeaf, null).StatusCode, "the same root with a server certificate");
                Assert.ThrowsException(typeof(TransportException), () => Request(root.ExportCertificatePem(), clientOnly, null));
            }
        }

        [TestMethod]
        public void SetRootCertificate_RefusesPemThatReadsAsFewerCertificates()
        {
            using (ECDsa rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256))
            using (X509Certificate2 root = Ca("CN=Test Root", rootKey, null, null))
            using (Device device = new Device("0ne00000001", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", "dev-1", IotConnectType.SymmetricKey))
            {
                string pem = root.ExportCertificatePem();
                device.SetRootCertificate(pem + "\n" + pem);
                string corrupt = pem.Replace(pem.Substring(70, 8), "!!!!!!!!");
                ArgumentException refused = null;
                try
                {
                    device.SetRootCertificate(pem + "\n" + corrupt);
                }
                catch (ArgumentException ex)
                {
                    refused = ex;
                }

                Assert.IsNotNull(refused);
                Assert.AreEqual("pem", refused.ParamName);
                Assert.Contains("the root certificate PEM cannot be used", refused.Message);
            }
        }

        private static X509Certificate2 Ca(string name, ECDsa key, X509Certificate2 issuer, ECDsa issuerKey)
        {
            CertificateRequest request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            DateTimeOffset from = DateTimeOffset.UtcNow.AddDays(-1);
            DateTimeOffset to = DateTimeOffset.UtcNow.AddDays(30);
            if (issuer == null)
            {
                return request.CreateSelfSigned(from, to);
            }

            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            using (X509Certificate2 signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), from, to, new byte[] { 2 }))
            {
                return signed.CopyWithPrivateKey(key);
            }
        }

        private static X509Certificate2 Leaf(X509Certificate2 issuer, ECDsa issuerKey, string usage)
        {
            ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            CertificateRequest request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
            SubjectAlternativeNameBuilder names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(usage) }, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
            byte[] serial = new byte[8];
            RandomNumberGenerator.Fill(serial);
            serial[0] &= 0x7F;
            using (X509Certificate2 signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial))
            {
                // A PKCS#12 round trip: SslStream on Linux wants a key it can use after this method returns.
                using (X509Certificate2 withKey = signed.CopyWithPrivateKey(key))
                {
                    return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
                }
            }
        }

        /// <summary>One HTTPS request through HttpClientTransport to a loopback server presenting <paramref name="leaf"/> (and <paramref name="intermediate"/>).</summary>
        private static HttpResponse Request(string rootPem, X509Certificate2 leaf, X509Certificate2 intermediate)
        {
            TcpListener listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            try
            {
                int port = ((IPEndPoint)listener.LocalEndpoint).Port;
                Task server = Task.Run(() => Serve(listener, leaf, intermediate));
                HttpRequest request = new HttpRequest();
                request.Method = "GET";
                request.Host = "localhost";
                request.Port = port;
                request.PathAndQuery = "/";
                request.TimeoutMilliseconds = 20000;
                request.Tls = new TlsSettings();
                request.Tls.RootCaPem = rootPem;
                try
                {
                    return new HttpClientTransport().Send(request);
                }
                finally
                {
                    listener.Stop();
                    server.Wait(20000);
                }
            }
            finally
            {
                listener.Stop();
            }
        }

        private static void Serve(TcpListener listener, X509Certificate2 leaf, X509Certificate2 intermediate)
        {
            try
            {
                using (TcpClient client = listener.AcceptTcpClient())
                using (SslStream tls = new SslStream(client.GetStream()))
                {
                    SslServerAuthenticationOptions options = new SslServerAuthenticationOptions();
                    options.ServerCertificateContext = SslStreamCertificateContext.Create(leaf, intermediate == null ? new X509Certificate2Collection() : new X509Certificate2Collection(intermediate), true);
                    tls.AuthenticateAsServer(options);
                    byte[] buffer = new byte[4096];
                    int read = tls.Read(buffer, 0, buffer.Length);
                    byte[] answer = Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
                    tls.Write(answer, 0, answer.Length);
                    tls.Flush();
                }
            }
            catch (Exception ex) when (ex is IOException || ex is System.Security.Authentication.AuthenticationException || ex is SocketException || ex is ObjectDisposedException || ex is InvalidOperationException)
            {
                // The client refused the handshake (the refusal tests), or the listener was stopped.
            }
        }
    }
}
