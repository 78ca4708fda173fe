using System.Text;
using System.Text.Json.Nodes;

namespace IotcEmulator;

/// <summary>
/// The operator's side of the emulator, in process: enrollments, devices, twins, commands, C2D, telemetry and
/// fault injection. The REST API under <c>/api</c> and the CLI verbs call the same methods.
/// </summary>
public sealed class EmulatorOperator
{
    readonly Store _store;
    readonly HubService _hub;
    readonly Faults _faults;
    readonly Action<string> _log;
    readonly string _hubHost;

    internal EmulatorOperator(Store store, HubService hub, Faults faults, Action<string> log, string hubHost)
    {
        _store = store;
        _hub = hub;
        _faults = faults;
        _log = log;
        _hubHost = hubHost;
        _hub.Telemetry.Received += m => TelemetryReceived?.Invoke(m);
    }

    /// <summary>Raised for every telemetry message as it arrives (a QoS 1 message once committed to SQLite, just before its PUBACK; QoS 0 before the commit). Keep handlers fast.</summary>
    public event Action<TelemetryMessage>? TelemetryReceived;

    // ---------------- enrollments ----------------

    /// <summary>Creates or replaces an individual symmetric-key enrollment. Keys default to new random ones.</summary>
    public Task<EnrollmentInfo> EnrollSymmetricKeyAsync(string registrationId, string? primaryKey = null, string? secondaryKey = null) =>
        SaveEnrollmentAsync(new EnrollmentInfo(registrationId, false, AttestationKind.SymmetricKey, primaryKey ?? SasHelper.NewKey(), secondaryKey ?? SasHelper.NewKey(), null, null, DateTimeOffset.UtcNow));

    /// <summary>Creates or replaces a symmetric-key group enrollment; devices use <see cref="SasHelper.DeriveDeviceKey"/> of its key.</summary>
    public Task<EnrollmentInfo> EnrollGroupAsync(string groupId, string? primaryKey = null, string? secondaryKey = null) =>
        SaveEnrollmentAsync(new EnrollmentInfo(groupId, true, AttestationKind.SymmetricKey, primaryKey ?? SasHelper.NewKey(), secondaryKey ?? SasHelper.NewKey(), null, null, DateTimeOffset.UtcNow));

    /// <summary>Creates or replaces an individual X.509 enrollment: the device's certificate (CN = registration id) must have this SHA-1 or SHA-256 thumbprint.</summary>
    public Task<EnrollmentInfo> EnrollX509Async(string registrationId, string thumbprint) =>
        SaveEnrollmentAsync(new EnrollmentInfo(registrationId, false, AttestationKind.X509, null, null, Normalize(thumbprint), null, DateTimeOffset.UtcNow));

    /// <summary>Creates or replaces an X.509 group enrollment: device certificates must chain to this CA (PEM).</summary>
    public Task<EnrollmentInfo> EnrollX509CaAsync(string groupId, string caCertificatePem)
    {
        using var _ = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(caCertificatePem); // validates the PEM
        return SaveEnrollmentAsync(new EnrollmentInfo(groupId, true, AttestationKind.X509, null, null, null, caCertificatePem, DateTimeOffset.UtcNow));
    }

    static string Normalize(string thumbprint) => thumbprint.Replace(":", "").Replace(" ", "").ToUpperInvariant();

    Task<EnrollmentInfo> SaveEnrollmentAsync(EnrollmentInfo e) => Task.Run(() =>
    {
        if (!Limits.IsValidRegistrationId(e.Id))
            throw new ArgumentException("enrollment id must be 1..128 characters of letters, digits, '-', '.', '_', ':' ending in a letter, digit or '-' (DPS registration id rules)");
        if (e.Attestation == AttestationKind.SymmetricKey && (!Limits.IsBase64Key(e.PrimaryKey) || !Limits.IsBase64Key(e.SecondaryKey)))
            throw new ArgumentException("primaryKey and secondaryKey must be base64");
        _store.Enrollments.Upsert(e);
        _log($"operator: enrollment '{e.Id}' saved ({(e.IsGroup ? "group" : "individual")}, {e.Attestation})");
        return _store.Enrollments.List(e.Id).First();
    });

    /// <summary>All enrollments (keys included: this is the operator's view).</summary>
    public Task<IReadOnlyList<EnrollmentInfo>> ListEnrollmentsAsync() => Task.Run(() => (IReadOnlyList<EnrollmentInfo>)_store.Enrollments.List());

    /// <summary>Removes an enrollment; devices already provisioned stay.</summary>
    public Task<bool> DeleteEnrollmentAsync(string id) => Task.Run(() => _store.Enrollments.Delete(id));

    // ---------------- devices ----------------

    /// <summary>Creates a hub device directly (without DPS) that authenticates with a symmetric key (random when null).</summary>
    /// <returns>The device and its primary key.</returns>
    /// <exception cref="ArgumentException">The id breaks IoT Hub's device id rules, or the key is not base64.</exception>
    /// <exception cref="DeviceAlreadyExistsException">A device with this id exists (ids are case-sensitive).</exception>
    public Task<(DeviceInfo Device, string PrimaryKey)> CreateDeviceAsync(string deviceId, string? primaryKey = null) => Task.Run(() =>
    {
        CheckDeviceId(deviceId);
        var key = primaryKey ?? SasHelper.NewKey();
        if (!Limits.IsBase64Key(key)) throw new ArgumentException("primaryKey must be base64", nameof(primaryKey));
        var row = _store.Devices.Insert(deviceId, AttestationKind.SymmetricKey, key, null, _hubHost) ?? throw new DeviceAlreadyExistsException(deviceId);
        _log($"operator: device '{deviceId}' created directly (symmetric key)");
        return (ToInfo(row), key);
    });

    /// <summary>Creates a hub device directly that authenticates with an X.509 certificate of this thumbprint.</summary>
    /// <exception cref="ArgumentException">The id breaks IoT Hub's device id rules.</exception>
    /// <exception cref="DeviceAlreadyExistsException">A device with this id exists.</exception>
    public Task<DeviceInfo> CreateX509DeviceAsync(string deviceId, string thumbprint) => Task.Run(() =>
    {
        CheckDeviceId(deviceId);
        var row = _store.Devices.Insert(deviceId, AttestationKind.X509, null, Normalize(thumbprint), _hubHost) ?? throw new DeviceAlreadyExistsException(deviceId);
        _log($"operator: device '{deviceId}' created directly (X.509)");
        return ToInfo(row);
    });

    static void CheckDeviceId(string deviceId)
    {
        if (!Limits.IsValidDeviceId(deviceId))
            throw new ArgumentException("device id must be 1..128 ASCII letters, digits or - . % _ * ? ! ( ) , : = @ $ ' + # ; (IoT Hub's device id rules)", nameof(deviceId));
    }

    DeviceInfo ToInfo(DeviceRow d) => new(d.DeviceId, d.EnrollmentId, d.Attestation, d.ModelId, d.AssignedHub, d.Created, d.LastUpdated,
        _hub.Connections.IsConnected(d.DeviceId), d.LastConnected, d.LastDisconnected, d.Payload);

    /// <summary>All hub devices with their connection state.</summary>
    public Task<IReadOnlyList<DeviceInfo>> ListDevicesAsync() => Task.Run(() => (IReadOnlyList<DeviceInfo>)_store.Devices.List().Select(ToInfo).ToList());

    /// <summary>One device, or null.</summary>
    public Task<DeviceInfo?> GetDeviceAsync(string deviceId) => Task.Run(() => _store.Devices.Get(deviceId) is { } d ? ToInfo(d) : null);

    /// <summary>True while the device has an MQTT connection open.</summary>
    public bool IsConnected(string deviceId) => _hub.Connections.IsConnected(deviceId);

    // ---------------- telemetry ----------------

    /// <summary>Stored telemetry with <see cref="TelemetryMessage.Id"/> greater than <paramref name="afterId"/>, oldest first.
    /// Waits for messages already received to be committed first, so a read right after a PUBACK sees the message.</summary>
    public async Task<IReadOnlyList<TelemetryMessage>> GetTelemetryAsync(string? deviceId = null, long afterId = 0, int limit = 1000)
    {
        await _store.Telemetry.FlushAsync().ConfigureAwait(false);
        return await Task.Run(() => _store.Telemetry.List(deviceId, afterId, Math.Clamp(limit, 1, 100_000))).ConfigureAwait(false);
    }

    /// <summary>The newest <paramref name="limit"/> stored messages of a device (or of all devices), oldest first.</summary>
    public async Task<IReadOnlyList<TelemetryMessage>> GetRecentTelemetryAsync(string? deviceId, int limit = 500)
    {
        await _store.Telemetry.FlushAsync().ConfigureAwait(false);
        return await Task.Run(() => _store.Telemetry.ListRecent(deviceId, Math.Clamp(limit, 1, 100_000))).ConfigureAwait(false);
    }

    /// <summary>Number of stored telemetry messages of one device (all devices when null). Like
    /// <see cref="GetTelemetryAsync"/> it first waits for messages already received to be committed, so a count taken
    /// right after the last PUBACK includes that message.</summary>
    public async Task<long> CountTelemetryAsync(string? deviceId = null)
    {
        await _store.Telemetry.FlushAsync().ConfigureAwait(false);
        return await Task.Run(() => _store.Telemetry.Count(deviceId)).ConfigureAwait(false);
    }

    /// <summary>Number of telemetry rows committed so far (since start).</summary>
    public long PersistedTelemetryCount => _store.Telemetry.PersistedCount;

    internal (long Commits, TimeSpan Busy, TimeSpan CommitOnly) TelemetryWriterStats => _store.Telemetry.WriterStats;

    // ---------------- twins ----------------

    /// <summary>The device's twin, or null when the device does not exist.</summary>
    public Task<TwinDocument?> GetTwinAsync(string deviceId) => Task.Run(() => _store.Twins.Get(deviceId));

    /// <summary>Merges a desired-properties patch (JSON object; null values remove) and pushes it to the device if it listens.</summary>
    /// <returns>The new desired <c>$version</c>.</returns>
    /// <exception cref="ArgumentException">The patch is not a JSON object.</exception>
    /// <exception cref="KeyNotFoundException">No such device.</exception>
    public async Task<long> SetDesiredPropertiesAsync(string deviceId, string patchJson)
    {
        var patch = TwinJson.TryParseObject(patchJson) ?? throw new ArgumentException("desired patch must be a JSON object of valid Unicode text", nameof(patchJson));
        var names = SettingNames(patch).ToList();
        var version = await _hub.Twin.SetDesiredAsync(deviceId, patch).ConfigureAwait(false);
        await Task.Run(() => _store.Twins.RecordDesiredVersions(deviceId, names, version)).ConfigureAwait(false);
        return version;
    }

    /// <summary>The settings a desired patch sets: top-level names, and <c>component*name</c> inside IoT Central
    /// components (objects marked <c>"__t":"c"</c>).</summary>
    static IEnumerable<string> SettingNames(JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (name.StartsWith('$')) continue;
            if (value is JsonObject o && o["__t"] is JsonValue t && t.TryGetValue<string>(out var marker) && marker == "c")
            {
                foreach (var (inner, _) in o)
                    if (inner != "__t" && !inner.StartsWith('$')) yield return name + "*" + inner;
            }
            else
            {
                yield return name;
            }
        }
    }

    /// <summary>The desired <c>$version</c> at which each setting was last set through this operator (what Azure keeps
    /// as <c>$metadata.{name}.$lastUpdatedVersion</c>); a setting is acknowledged once the reported <c>av</c> reaches it.
    /// Component settings are named <c>component*name</c>.</summary>
    public Task<IReadOnlyDictionary<string, long>> GetDesiredPropertyVersionsAsync(string deviceId) =>
        Task.Run(() => (IReadOnlyDictionary<string, long>)_store.Twins.GetDesiredVersions(deviceId));

    // ---------------- commands ----------------

    /// <summary>Invokes a direct method and waits for the device's answer. Status 404 when the device is offline or not
    /// subscribed to methods, 504 when it does not answer within <paramref name="timeout"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such device.</exception>
    /// <exception cref="ArgumentException">Invalid command name or payload that is not JSON.</exception>
    public async Task<CommandResult> InvokeCommandAsync(string deviceId, string commandName, string? payloadJson, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // The name becomes a topic level ($iothub/methods/POST/{name}/): MQTT wildcards, separators and control characters cannot travel.
        if (string.IsNullOrEmpty(commandName) || commandName.Length > 128 || !Limits.IsWellFormed(commandName) || commandName.Any(c => c is '/' or '?' or '#' or '+' || char.IsControl(c)))
            throw new ArgumentException("invalid command name (1..128 characters, none of / ? # + or control characters)", nameof(commandName));
        if (payloadJson is not null)
        {
            if (!Limits.IsWellFormed(payloadJson)) throw new ArgumentException("payload must be JSON", nameof(payloadJson));
            if (Encoding.UTF8.GetByteCount(payloadJson) > Limits.MethodPayloadBytes) throw new PayloadTooLargeException($"command payload is above IoT Hub's {Limits.MethodPayloadBytes / 1024} KB limit");
            try { JsonNode.Parse(payloadJson); }
            catch (System.Text.Json.JsonException) { throw new ArgumentException("payload must be JSON", nameof(payloadJson)); }
        }
        if (await GetDeviceAsync(deviceId).ConfigureAwait(false) is null) throw new KeyNotFoundException($"device '{deviceId}' not found");
        return await _hub.Methods.InvokeAsync(deviceId, commandName, payloadJson, timeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Recent command invocations, newest first.</summary>
    public Task<IReadOnlyList<CommandInvocation>> ListCommandsAsync(string? deviceId = null, int limit = 100) =>
        Task.Run(() => (IReadOnlyList<CommandInvocation>)_store.Commands.List(deviceId, limit));

    // ---------------- C2D ----------------

    /// <summary>IoT Hub's default time to live of a C2D message.</summary>
    public static readonly TimeSpan DefaultC2dTimeToLive = TimeSpan.FromHours(1);

    /// <summary>IoT Hub's maximum time to live of a C2D message.</summary>
    public static readonly TimeSpan MaxC2dTimeToLive = TimeSpan.FromHours(48);

    /// <summary>Enqueues a cloud-to-device message; it is delivered now if the device is subscribed, else when it is.
    /// It stays pending until the device acknowledges it (PUBACK), is sent again after a reconnect, and expires after
    /// <paramref name="timeToLive"/> (default 1 h, at most 48 h) unless completed first.</summary>
    /// <returns>The queue id (also sent as <c>$.mid</c>).</returns>
    /// <exception cref="KeyNotFoundException">No such device.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The time to live is not positive or above 48 h.</exception>
    /// <exception cref="DeviceQueueFullException">The device already has 50 pending messages.</exception>
    public async Task<long> SendC2dAsync(string deviceId, string payload, IReadOnlyDictionary<string, string?>? properties = null, TimeSpan? timeToLive = null)
    {
        var ttl = timeToLive ?? DefaultC2dTimeToLive;
        if (ttl <= TimeSpan.Zero || ttl > MaxC2dTimeToLive) throw new ArgumentOutOfRangeException(nameof(timeToLive), "C2D time to live must be more than 0 and at most 48 hours");
        if (!Limits.IsWellFormed(payload)) throw new ArgumentException("payload is not valid Unicode text", nameof(payload));
        if (Encoding.UTF8.GetByteCount(payload) > Limits.C2dBytes) throw new PayloadTooLargeException($"C2D payload is above IoT Hub's {Limits.C2dBytes / 1024} KB limit");
        foreach (var (k, v) in properties ?? new Dictionary<string, string?>())
            if (!Limits.IsWellFormed(k) || (v is not null && !Limits.IsWellFormed(v))) throw new ArgumentException("property names and values must be valid Unicode text", nameof(properties));
        if (await GetDeviceAsync(deviceId).ConfigureAwait(false) is null) throw new KeyNotFoundException($"device '{deviceId}' not found");
        return await _hub.C2d.SendAsync(deviceId, Encoding.UTF8.GetBytes(payload), properties ?? new Dictionary<string, string?>(), ttl).ConfigureAwait(false);
    }

    /// <summary>The C2D queue (all states, with delivery counts) of a device, or of all devices when null.</summary>
    public Task<IReadOnlyList<C2dMessageInfo>> ListC2dAsync(string? deviceId = null) => Task.Run(() => (IReadOnlyList<C2dMessageInfo>)_store.C2d.List(deviceId));

    // ---------------- fault injection ----------------

    /// <summary>Drops the device's MQTT connection now. False when it was not connected.</summary>
    public Task<bool> DropConnectionAsync(string deviceId) => _hub.Connections.DropAsync(deviceId);

    /// <summary>Refuses every MQTT CONNECT with "server unavailable" (CONNACK 3) for this long.</summary>
    public void RefuseConnects(TimeSpan duration)
    {
        _faults.RefuseConnects(duration);
        _log($"operator: fault: refusing hub connects for {duration.TotalSeconds:0.#} s");
    }

    /// <summary>Answers the next <paramref name="requests"/> DPS requests with 429 and this Retry-After.</summary>
    public void ThrottleDps(int requests, int retryAfterSeconds = 5)
    {
        _faults.ThrottleDps(requests, retryAfterSeconds);
        _log($"operator: fault: DPS answers 429 to the next {requests} requests (Retry-After {retryAfterSeconds} s)");
    }

    /// <summary>New DPS registrations stay "assigning" for this many status polls before they are assigned.</summary>
    public void KeepDpsAssigning(int polls)
    {
        _faults.KeepAssigning(polls);
        _log($"operator: fault: new DPS registrations stay assigning for {polls} polls");
    }

    /// <summary>Delays the PUBACK of each QoS 1 publish from this device (null or zero clears).</summary>
    public void DelayPubAcks(string deviceId, TimeSpan? delay)
    {
        if (delay is { } d && d > TimeSpan.Zero) _faults.PubAckDelays[deviceId] = d; else _faults.PubAckDelays.TryRemove(deviceId, out _);
        _log($"operator: fault: PUBACK delay for '{deviceId}' = {(delay?.TotalMilliseconds ?? 0):0} ms");
    }

    /// <summary>Withholds (never sends) PUBACKs to this device while on; messages are still stored.</summary>
    public void WithholdPubAcks(string deviceId, bool withhold = true)
    {
        if (withhold) _faults.PubAckWithheld[deviceId] = true; else _faults.PubAckWithheld.TryRemove(deviceId, out _);
        _hub.UpdateOutboundInterception();
        _log($"operator: fault: PUBACKs to '{deviceId}' {(withhold ? "withheld" : "sent again")}");
    }

    /// <summary>Caps hub sessions to this lifetime from CONNECT, whatever the token's expiry (null clears). Applies to new connections.</summary>
    public void CapTokenLifetime(TimeSpan? maxLifetime)
    {
        _faults.TokenLifetimeCap = maxLifetime;
        _log($"operator: fault: hub session lifetime cap = {(maxLifetime is null ? "none" : maxLifetime.Value.TotalSeconds + " s")}");
    }

    /// <summary>Pushes a desired patch that is not valid JSON to the device (nothing stored). False when it is not listening.</summary>
    public Task<bool> PushMalformedDesiredPatchAsync(string deviceId) => _hub.Twin.PushMalformedDesiredAsync(deviceId);

    /// <summary>Clears every fault.</summary>
    public void ClearFaults()
    {
        _faults.Clear();
        _hub.UpdateOutboundInterception();
        _log("operator: faults cleared");
    }

    /// <summary>The current fault settings (for display).</summary>
    public object GetFaults() => _faults.Snapshot();
}
