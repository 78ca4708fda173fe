namespace IotcEmulator;

/// <summary>A row of the <c>devices</c> table, keys included (internal: the public view is <see cref="DeviceInfo"/>).</summary>
internal sealed record DeviceRow(string DeviceId, string? EnrollmentId, AttestationKind Attestation, string? PrimaryKey, string? SecondaryKey,
    string? Thumbprint, string? CaPem, string? ModelId, string? Payload, string AssignedHub, DateTimeOffset Created, DateTimeOffset LastUpdated,
    string Etag, DateTimeOffset? LastConnected, DateTimeOffset? LastDisconnected);
