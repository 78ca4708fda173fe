namespace IotcEmulator;

/// <summary>Holds the server certificate so MQTT and Kestrel share one instance.</summary>
internal sealed class X509Certificate2Holder(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate)
{
    public System.Security.Cryptography.X509Certificates.X509Certificate2 Certificate { get; } = certificate;
}
