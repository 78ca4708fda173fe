namespace IotcEmulator;

/// <summary>A hub device (exists once DPS assigned it, or when created directly).</summary>
/// <param name="DeviceId">Device id (= registration id).</param>
/// <param name="EnrollmentId">Enrollment it was provisioned through, or null when created directly.</param>
/// <param name="Attestation">How it authenticates to the hub.</param>
/// <param name="ModelId">Model id sent at provisioning or in the MQTT user name.</param>
/// <param name="AssignedHub">Hub host name DPS gave it.</param>
/// <param name="CreatedUtc">First registration.</param>
/// <param name="LastUpdatedUtc">Last registration.</param>
/// <param name="Connected">Whether an MQTT connection is open now.</param>
/// <param name="LastConnectedUtc">Last successful MQTT connect.</param>
/// <param name="LastDisconnectedUtc">Last disconnect.</param>
/// <param name="ProvisioningPayload">The <c>payload</c> (or older <c>data</c>) JSON sent to DPS.</param>
public sealed record DeviceInfo(
    string DeviceId,
    string? EnrollmentId,
    AttestationKind Attestation,
    string? ModelId,
    string AssignedHub,
    DateTimeOffset CreatedUtc,
    DateTimeOffset LastUpdatedUtc,
    bool Connected,
    DateTimeOffset? LastConnectedUtc,
    DateTimeOffset? LastDisconnectedUtc,
    string? ProvisioningPayload);
