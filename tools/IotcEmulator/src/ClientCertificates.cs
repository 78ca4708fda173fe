using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace IotcEmulator;

/// <summary>Checks device certificates against enrolled thumbprints or enrolled CAs.</summary>
internal static class ClientCertificates
{
    public static string Thumbprint(X509Certificate2 cert) => cert.GetCertHashString(HashAlgorithmName.SHA1);

    public static string Thumbprint256(X509Certificate2 cert) => cert.GetCertHashString(HashAlgorithmName.SHA256);

    public static bool MatchesThumbprint(X509Certificate2 cert, string? thumbprint)
    {
        if (string.IsNullOrWhiteSpace(thumbprint)) return false;
        var t = thumbprint.Replace(":", "").Replace(" ", "");
        return string.Equals(Thumbprint(cert), t, StringComparison.OrdinalIgnoreCase)
            || string.Equals(Thumbprint256(cert), t, StringComparison.OrdinalIgnoreCase);
    }

    // Intermediates a client sent in its TLS handshake, by the SHA-256 thumbprint of its leaf. The TLS callbacks of MQTTnet
    // and Kestrel see the peer's chain but not the connection, so they leave it here for CONNECT / the DPS request to find.
    // Only a hint for chain building: trust still comes from the enrolled certificate alone. Bounded.
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, X509Certificate2[]> Intermediates = new(StringComparer.Ordinal);

    /// <summary>TLS client-certificate callback body: remembers the intermediates sent with <paramref name="leaf"/>, accepts
    /// any certificate (it is checked against the enrollment later, as IoT Hub and DPS do).</summary>
    public static bool RememberPresented(X509Certificate? leaf, X509Chain? chain)
    {
        if (leaf is null || chain is null) return true;
        using var l = X509CertificateLoader.LoadCertificate(leaf.GetRawCertData());
        var key = Thumbprint256(l);
        var extra = chain.ChainPolicy.ExtraStore.Where(c => !string.Equals(Thumbprint256(c), key, StringComparison.OrdinalIgnoreCase))
            .Select(c => X509CertificateLoader.LoadCertificate(c.RawData)).ToArray();
        if (Intermediates.Count > 4096) Intermediates.Clear();
        Intermediates[key] = extra;
        return true;
    }

    /// <summary>The intermediates last sent in a handshake together with <paramref name="leaf"/> (empty when none).</summary>
    public static X509Certificate2Collection PresentedIntermediates(X509Certificate2 leaf) =>
        Intermediates.TryGetValue(Thumbprint256(leaf), out var list) ? new X509Certificate2Collection(list) : [];

    /// <summary>
    /// True when <paramref name="cert"/> chains to the certificate enrolled as PEM (a root or an intermediate CA), trusting
    /// only that certificate, with <paramref name="extra"/> (the intermediates the client sent) to fill the gap. DPS lets a
    /// group enroll an intermediate CA (https://learn.microsoft.com/azure/iot-dps/concepts-x509-attestation): a chain that
    /// ends at an enrolled intermediate, every link signed and in date, is accepted.
    /// </summary>
    public static bool ChainsTo(X509Certificate2 cert, string? caPem, X509Certificate2Collection? extra = null)
    {
        if (string.IsNullOrWhiteSpace(caPem)) return false;
        using var ca = X509Certificate2.CreateFromPem(caPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.ExtraStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (extra is not null) chain.ChainPolicy.ExtraStore.AddRange(extra);
        if (chain.Build(cert)) return true;
        // An enrolled intermediate is no self-signed root, so the chain reports PartialChain/UntrustedRoot beyond it.
        var caThumb = Thumbprint256(ca);
        var tolerated = X509ChainStatusFlags.PartialChain | X509ChainStatusFlags.UntrustedRoot;
        for (var i = 0; i < chain.ChainElements.Count; i++)
        {
            var element = chain.ChainElements[i];
            foreach (var st in element.ChainElementStatus)
                if ((st.Status & ~tolerated) != 0) return false;
            if (i > 0 && string.Equals(Thumbprint256(element.Certificate), caThumb, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    public static string CommonName(X509Certificate2 cert) => cert.GetNameInfo(X509NameType.SimpleName, false);
}
