using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IotcEmulator;

/// <summary>The emulator's development CA and TLS server certificate, kept as PEM files in the data folder.</summary>
internal sealed class CertificateSet : IDisposable
{
    public required X509Certificate2 Ca { get; init; }
    public required X509Certificate2 Server { get; init; }
    public required string CaPemPath { get; init; }
    public required string CaPem { get; init; }
    public bool Created { get; init; }

    public void Dispose()
    {
        Ca.Dispose();
        Server.Dispose();
    }

    /// <summary>Loads the CA and server certificate from <paramref name="dir"/>, creating what is missing.</summary>
    /// <remarks>The server certificate is re-issued when it no longer covers <paramref name="hubHostName"/> or is near expiry,
    /// so a changed host name still validates; the CA (which clients trust) is kept.</remarks>
    public static CertificateSet LoadOrCreate(string dir, string hubHostName) => LoadOrCreate(dir, [hubHostName]);

    /// <summary>As above; the server certificate must cover every one of <paramref name="hostNames"/> (host names or IP addresses).</summary>
    public static CertificateSet LoadOrCreate(string dir, IReadOnlyList<string> hostNames)
    {
        Directory.CreateDirectory(dir);
        // One certificate folder may serve several emulators (a per-user folder): one at a time creates or re-issues.
        using var folderLock = Lock(Path.Combine(dir, ".certificates.lock"));
        var caPath = Path.Combine(dir, "ca.pem");
        var caKeyPath = Path.Combine(dir, "ca.key.pem");
        var serverPath = Path.Combine(dir, "server.pem");
        var serverKeyPath = Path.Combine(dir, "server.key.pem");
        var created = false;

        X509Certificate2 ca;
        if (File.Exists(caPath) && File.Exists(caKeyPath))
        {
            ca = X509Certificate2.CreateFromPemFile(caPath, caKeyPath);
        }
        else
        {
            ca = CreateCa();
            WritePrivate(caKeyPath, ca.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(caPath, ca.ExportCertificatePem() + "\n");
            created = true;
        }

        X509Certificate2? server = null;
        if (File.Exists(serverPath) && File.Exists(serverKeyPath))
        {
            server = X509Certificate2.CreateFromPemFile(serverPath, serverKeyPath);
            if (server.NotAfter < DateTime.Now.AddDays(7) || !hostNames.All(n => Covers(server, n)) || !IssuedBy(server, ca))
            {
                server.Dispose();
                server = null;
            }
        }
        if (server is null)
        {
            server = CreateServer(ca, hostNames);
            WritePrivate(serverKeyPath, server.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(serverPath, server.ExportCertificatePem() + "\n");
            created = true;
        }

        // A PKCS#12 round trip gives a key that SslStream can use on every OS (PEM-loaded keys are ephemeral on Windows).
        var usable = X509CertificateLoader.LoadPkcs12(server.Export(X509ContentType.Pkcs12), null);
        server.Dispose();
        var caPublic = X509CertificateLoader.LoadCertificate(ca.RawData);
        ca.Dispose();
        return new CertificateSet { Ca = caPublic, Server = usable, CaPemPath = Path.GetFullPath(caPath), CaPem = File.ReadAllText(caPath), Created = created };
    }

    static FileStream Lock(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try { return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None); }
            catch (IOException) when (attempt < 400) { Thread.Sleep(25); } // another emulator is writing the certificates
        }
    }

    static bool IssuedBy(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(cert);
    }

    static bool Covers(X509Certificate2 cert, string host)
    {
        foreach (var ext in cert.Extensions)
        {
            if (ext is X509SubjectAlternativeNameExtension san)
            {
                if (IPAddress.TryParse(host, out var ip)) return san.EnumerateIPAddresses().Any(a => a.Equals(ip));
                return san.EnumerateDnsNames().Any(n => string.Equals(n, host, StringComparison.OrdinalIgnoreCase));
            }
        }
        return false;
    }

    static void WritePrivate(string path, string pem)
    {
        File.WriteAllText(path, pem + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    static X509Certificate2 CreateCa()
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=IoT Central Emulator Dev CA, O=iotc-emulator", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        return req.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
    }

    static X509Certificate2 CreateServer(X509Certificate2 ca, IReadOnlyList<string> hostNames)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest("CN=localhost, O=iotc-emulator", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        var dns = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost" };
        var ips = new HashSet<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        foreach (var name in hostNames)
        {
            if (IPAddress.TryParse(name, out var ip)) ips.Add(ip);
            else dns.Add(name);
        }
        foreach (var d in dns) san.AddDnsName(d);
        foreach (var ip in ips) san.AddIpAddress(ip);
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var now = DateTimeOffset.UtcNow;
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = req.Create(ca, now.AddDays(-1), now.AddDays(825), serial);
        return cert.CopyWithPrivateKey(key);
    }
}
