namespace IotcEmulator;

/// <summary>Per-device facts for the device list that the device table does not keep: today's message count and when a
/// message last arrived. Both are read from the telemetry table, only the rows added since the last look (an id range),
/// so a message costs the hot ingest path nothing here and nothing is held in memory between looks.</summary>
internal sealed class DashboardStats(Store store)
{
    readonly SemaphoreSlim _sync = new(1, 1);
    readonly Dictionary<string, long> _today = new(StringComparer.Ordinal);
    readonly Dictionary<string, DateTimeOffset> _lastMessage = new(StringComparer.Ordinal);
    DateOnly _day;
    long _seenMaxId;

    /// <summary>Brings the counts up to everything committed so far (rows with ids above the last look).</summary>
    async Task RefreshAsync(EmulatorOperator op)
    {
        await op.GetTelemetryAsync(limit: 1).ConfigureAwait(false); // flushes what has arrived
        var day = DateOnly.FromDateTime(DateTime.UtcNow);
        if (day != _day)
        {
            // Rows up to the last look arrived before it, so on another day none of them counts; later rows may.
            _today.Clear();
            _day = day;
        }
        var dayStart = new DateTimeOffset(day.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var after = _seenMaxId;
        var rows = await Task.Run(() => store.Telemetry.ActivitySince(after, dayStart)).ConfigureAwait(false);
        foreach (var r in rows)
        {
            if (r.Today > 0) _today[r.DeviceId] = _today.GetValueOrDefault(r.DeviceId) + r.Today;
            if (!_lastMessage.TryGetValue(r.DeviceId, out var t) || r.LastArrivedUtc > t) _lastMessage[r.DeviceId] = r.LastArrivedUtc;
            _seenMaxId = Math.Max(_seenMaxId, r.MaxId);
        }
    }

    public async Task<object> OverviewAsync(EmulatorOperator op)
    {
        await _sync.WaitAsync().ConfigureAwait(false);
        try
        {
            await RefreshAsync(op).ConfigureAwait(false);
            return await OverviewLockedAsync(op).ConfigureAwait(false);
        }
        finally
        {
            _sync.Release();
        }
    }

    async Task<object> OverviewLockedAsync(EmulatorOperator op)
    {
        var today = _today;
        var enrollments = (await op.ListEnrollmentsAsync().ConfigureAwait(false)).ToDictionary(e => e.Id, StringComparer.OrdinalIgnoreCase);
        var devices = await op.ListDevicesAsync().ConfigureAwait(false);
        return devices.Select(d =>
        {
            var e = d.EnrollmentId is null ? null : enrollments.GetValueOrDefault(d.EnrollmentId);
            var enrollment = d.EnrollmentId is null ? "direct (no DPS)"
                : e is null ? "enrollment revoked"
                : (e.IsGroup ? "group" : "individual") + (d.Attestation == AttestationKind.X509 ? ", X.509" : ", symmetric key");
            DateTimeOffset? lastSeen = d.Connected ? DateTimeOffset.UtcNow : Max(Max(d.LastConnectedUtc, d.LastDisconnectedUtc), _lastMessage.TryGetValue(d.DeviceId, out var t) ? t : null);
            return new
            {
                deviceId = d.DeviceId,
                connected = d.Connected,
                lastSeenUtc = lastSeen,
                modelId = d.ModelId,
                enrollmentId = d.EnrollmentId,
                enrollment,
                attestation = d.Attestation,
                messagesToday = today.GetValueOrDefault(d.DeviceId),
            };
        }).ToList();
    }

    static DateTimeOffset? Max(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}
