using System.Security.Cryptography.X509Certificates;

namespace IotcEmulator;

/// <summary>Server-certificate validation that trusts exactly one CA (custom root trust), for clients of the emulator.</summary>
public static class Trust
{
    /// <summary>True when <paramref name="presented"/> chains to <paramref name="ca"/> and the host name matched.
    /// Use from <c>RemoteCertificateValidationCallback</c>; nothing else is accepted.</summary>
    public static bool IsTrusted(X509Certificate2 ca, System.Security.Cryptography.X509Certificates.X509Certificate? presented, System.Net.Security.SslPolicyErrors errors)
    {
        if (presented is null) return false;
        if ((errors & ~System.Net.Security.SslPolicyErrors.RemoteCertificateChainErrors) != System.Net.Security.SslPolicyErrors.None) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        return chain.Build(leaf);
    }
}
