namespace IotcEmulator;

/// <summary>How a device or enrollment proves its identity.</summary>
public enum AttestationKind
{
    /// <summary>Shared symmetric key (SAS tokens).</summary>
    SymmetricKey,
    /// <summary>X.509 client certificate in the TLS handshake.</summary>
    X509,
}
