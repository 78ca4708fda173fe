namespace IotcEmulator;

/// <summary>How a device or enrollment proves its identity.</summary>
public enum AttestationKind
{
    /// <summary>Shared symmetric key (SAS tokens).</summary>
    SymmetricKey,
    /// <summary>X.509 client certificate in the TLS handshake.</summary>
    X509,
}

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

/// <summary>A telemetry message as stored.</summary>
/// <param name="Id">Monotonic row id (use as a cursor for tailing).</param>
/// <param name="DeviceId">Sender.</param>
/// <param name="Topic">Full MQTT topic.</param>
/// <param name="Payload">Raw payload bytes.</param>
/// <param name="Properties">Decoded property bag (system properties keep their <c>$.</c> names); a name without value maps to null.</param>
/// <param name="ArrivedUtc">Arrival time at the emulator.</param>
public sealed record TelemetryMessage(
    long Id,
    string DeviceId,
    string Topic,
    byte[] Payload,
    IReadOnlyDictionary<string, string?> Properties,
    DateTimeOffset ArrivedUtc)
{
    /// <summary>The payload as UTF-8 text.</summary>
    public string PayloadText => System.Text.Encoding.UTF8.GetString(Payload);
}

/// <summary>A device twin: desired and reported documents, each JSON text including its <c>$version</c>.</summary>
/// <param name="DeviceId">Device id.</param>
/// <param name="DesiredJson">Desired properties JSON with <c>$version</c>.</param>
/// <param name="DesiredVersion">Desired <c>$version</c>.</param>
/// <param name="ReportedJson">Reported properties JSON with <c>$version</c>.</param>
/// <param name="ReportedVersion">Reported <c>$version</c>.</param>
public sealed record TwinDocument(string DeviceId, string DesiredJson, long DesiredVersion, string ReportedJson, long ReportedVersion)
{
    /// <summary>The twin as a device sees it on a twin GET: <c>{"desired":{…},"reported":{…}}</c>.</summary>
    public string ToDeviceJson() => "{\"desired\":" + DesiredJson + ",\"reported\":" + ReportedJson + "}";
}

/// <summary>Result of a direct method (command) invocation.</summary>
/// <param name="InvocationId">Stored invocation id.</param>
/// <param name="Status">Device's status code, or 404 (device offline / not subscribed), 504 (timeout).</param>
/// <param name="PayloadJson">Device's response payload (text), or an error JSON.</param>
/// <param name="TimedOut">True when the device did not answer in time.</param>
public sealed record CommandResult(long InvocationId, int Status, string? PayloadJson, bool TimedOut);

/// <summary>A stored command invocation.</summary>
/// <param name="Id">Invocation id.</param>
/// <param name="DeviceId">Target device.</param>
/// <param name="Name">Method name.</param>
/// <param name="RequestJson">Request payload.</param>
/// <param name="RequestedUtc">When it was sent.</param>
/// <param name="Status">Response status (null while pending).</param>
/// <param name="ResponseJson">Response payload.</param>
/// <param name="RespondedUtc">When the device answered.</param>
/// <param name="Outcome">pending, completed, timeout, offline.</param>
public sealed record CommandInvocation(long Id, string DeviceId, string Name, string? RequestJson, DateTimeOffset RequestedUtc,
    int? Status, string? ResponseJson, DateTimeOffset? RespondedUtc, string Outcome);

/// <summary>A cloud-to-device message in the queue.</summary>
/// <param name="Id">Queue id.</param>
/// <param name="DeviceId">Target device.</param>
/// <param name="Payload">Payload bytes.</param>
/// <param name="Properties">Application properties (sent as the topic's property bag).</param>
/// <param name="EnqueuedUtc">When queued.</param>
/// <param name="State">IoT Hub's life cycle: <c>queued</c> (enqueued), <c>delivered</c> (sent, awaiting the device's
/// PUBACK; sent again after a reconnect), <c>completed</c> (acknowledged), <c>expired</c> (its time to live passed first),
/// <c>deadlettered</c> (delivered the maximum number of times, 10, without acknowledgement).</param>
/// <param name="DeliveredUtc">When it was last sent to the device.</param>
/// <param name="DeliveryCount">How many times it was sent to the device.</param>
/// <param name="ExpiresUtc">When it expires unless completed first (null for messages from older data folders).</param>
/// <param name="CompletedUtc">When the device acknowledged it.</param>
public sealed record C2dMessageInfo(long Id, string DeviceId, byte[] Payload, IReadOnlyDictionary<string, string?> Properties,
    DateTimeOffset EnqueuedUtc, string State, DateTimeOffset? DeliveredUtc, int DeliveryCount, DateTimeOffset? ExpiresUtc, DateTimeOffset? CompletedUtc);

/// <summary>The device's C2D queue is full: IoT Hub keeps at most 50 messages per device (error 403004).</summary>
public sealed class DeviceQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception for a device and the queue depth it reached.</summary>
    public DeviceQueueFullException(string deviceId, int depth)
        : base($"The C2D queue of device '{deviceId}' already holds {depth} messages (IoT Hub's maximum)")
    {
        DeviceId = deviceId;
    }

    /// <summary>The device whose queue is full.</summary>
    public string DeviceId { get; }
}

/// <summary>A payload above one of IoT Hub's size limits (twin section 32 KB, C2D 64 KB, method payload 128 KB).</summary>
public sealed class PayloadTooLargeException : ArgumentException
{
    /// <summary>Creates the exception with a message naming the limit.</summary>
    public PayloadTooLargeException(string message) : base(message) { }
}

/// <summary>A device with this id exists already (IoT Hub: 409 Conflict, error 409001 DeviceAlreadyExists).</summary>
public sealed class DeviceAlreadyExistsException : InvalidOperationException
{
    /// <summary>Creates the exception for the device id.</summary>
    public DeviceAlreadyExistsException(string deviceId) : base($"A device with id '{deviceId}' already exists") { }
}
