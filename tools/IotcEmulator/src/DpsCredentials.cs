namespace IotcEmulator;

/// <summary>A device's proven identity for DPS: which enrollment admitted it and the credentials its hub device gets.</summary>
internal sealed record DpsCredentials(string? EnrollmentId, AttestationKind Attestation, string? PrimaryKey, string? SecondaryKey, string? Thumbprint, string? CaPem);
