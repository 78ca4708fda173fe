namespace IotcEmulator;

/// <summary>A row of the <c>dps_operations</c> table: a registration in progress and what its device will get.</summary>
internal sealed record DpsOperation(string Id, string RegistrationId, string? EnrollmentId, AttestationKind Attestation, string? PrimaryKey,
    string? SecondaryKey, string? Thumbprint, string? CaPem, string? ModelId, string? Payload, int PollsLeft, DateTimeOffset Created);
