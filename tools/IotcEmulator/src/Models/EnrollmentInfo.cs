namespace IotcEmulator;

/// <summary>A DPS enrollment.</summary>
/// <param name="Id">Registration id (individual) or group id (group).</param>
/// <param name="IsGroup">True for a group enrollment (devices derive their key or chain to the CA).</param>
/// <param name="Attestation">Symmetric key or X.509.</param>
/// <param name="PrimaryKey">Base64 key (symmetric only). Never logged.</param>
/// <param name="SecondaryKey">Base64 secondary key (symmetric only).</param>
/// <param name="Thumbprint">Enrolled certificate thumbprint (individual X.509).</param>
/// <param name="CaPem">Enrolled CA certificate, PEM (group X.509).</param>
/// <param name="CreatedUtc">When it was enrolled.</param>
public sealed record EnrollmentInfo(
    string Id,
    bool IsGroup,
    AttestationKind Attestation,
    string? PrimaryKey,
    string? SecondaryKey,
    string? Thumbprint,
    string? CaPem,
    DateTimeOffset CreatedUtc);
