using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;

namespace IotcEmulator;

/// <summary>All persistent state, in one SQLite file (WAL). Telemetry goes through a batching background writer.</summary>
internal sealed class Store : IAsyncDisposable
{
    readonly string _connectionString;
    // Bounded so a writer that falls behind slows publishers down (their PUBACKs wait) instead of growing memory.
    readonly Channel<object> _telemetry = Channel.CreateBounded<object>(new BoundedChannelOptions(50_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    readonly Task _writer;
    readonly Action<string> _log;
    long _lastTelemetryId;
    long _persisted;

    sealed record Flush(TaskCompletionSource Done);

    sealed class Pending(TelemetryMessage message, string propertiesJson)
    {
        public TelemetryMessage Message { get; } = message;
        public string PropertiesJson { get; } = propertiesJson;
        public volatile int State; // 0 queued, 1 committed, 2 failed
    }

    // Completed (and replaced) after every batch commit; waiters then look at their own item's State.
    TaskCompletionSource _batchDone = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Store(string path, Action<string> log)
    {
        _log = log;
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();
        using (var c = Open())
        {
            Exec(c, """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
                CREATE TABLE IF NOT EXISTS enrollments(
                    id TEXT PRIMARY KEY COLLATE NOCASE, is_group INTEGER NOT NULL, attestation TEXT NOT NULL,
                    primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, created INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS devices(
                    device_id TEXT PRIMARY KEY, enrollment_id TEXT, attestation TEXT NOT NULL,
                    primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, model_id TEXT, payload TEXT,
                    assigned_hub TEXT NOT NULL, created INTEGER NOT NULL, last_updated INTEGER NOT NULL, etag TEXT NOT NULL,
                    last_connected INTEGER, last_disconnected INTEGER);
                CREATE TABLE IF NOT EXISTS twins(
                    device_id TEXT PRIMARY KEY, desired TEXT NOT NULL, desired_version INTEGER NOT NULL,
                    reported TEXT NOT NULL, reported_version INTEGER NOT NULL);
                CREATE TABLE IF NOT EXISTS telemetry(
                    id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
                    properties TEXT NOT NULL, arrived INTEGER NOT NULL);
                -- No secondary index on telemetry: it would slow the hot insert path, and tailing reads by id range.
                CREATE TABLE IF NOT EXISTS commands(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, name TEXT NOT NULL, request TEXT,
                    requested INTEGER NOT NULL, status INTEGER, response TEXT, responded INTEGER, outcome TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS c2d(
                    id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, payload BLOB NOT NULL, properties TEXT NOT NULL,
                    enqueued INTEGER NOT NULL, state TEXT NOT NULL, delivered INTEGER,
                    delivery_count INTEGER NOT NULL DEFAULT 0, expires INTEGER, completed INTEGER);
                """);
            // Data folders from before the C2D lifecycle lack its columns.
            var c2dColumns = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = "SELECT name FROM pragma_table_info('c2d')";
                using var r = cmd.ExecuteReader();
                while (r.Read()) c2dColumns.Add(r.GetString(0));
            }
            if (!c2dColumns.Contains("delivery_count")) Exec(c, "ALTER TABLE c2d ADD COLUMN delivery_count INTEGER NOT NULL DEFAULT 0");
            if (!c2dColumns.Contains("expires")) Exec(c, "ALTER TABLE c2d ADD COLUMN expires INTEGER");
            if (!c2dColumns.Contains("completed")) Exec(c, "ALTER TABLE c2d ADD COLUMN completed INTEGER");
            // IoT Hub device ids are case-sensitive (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry);
            // data folders from before kept devices and twins case-insensitive.
            foreach (var table in new[] { "devices", "twins", "desired_versions" }) DropNoCase(c, table);
            Exec(c, DpsOperationsSchema);
            Exec(c, SessionsSchema);
            _lastTelemetryId = Scalar<long?>(c, "SELECT MAX(id) FROM telemetry") ?? 0;
        }
        _writer = Task.Run(WriteTelemetryLoopAsync);
    }

    /// <summary>Rebuilds <paramref name="table"/> without <c>COLLATE NOCASE</c> when an older data folder has it.</summary>
    static void DropNoCase(SqliteConnection c, string table)
    {
        var sql = Scalar<string>(c, "SELECT sql FROM sqlite_master WHERE type='table' AND name=$n", ("$n", table));
        if (sql is null || !sql.Contains("COLLATE NOCASE", StringComparison.OrdinalIgnoreCase)) return;
        var open = sql.IndexOf('(');
        var create = $"CREATE TABLE {table}_cs" + sql[open..].Replace(" COLLATE NOCASE", "", StringComparison.OrdinalIgnoreCase);
        using var tx = c.BeginTransaction();
        foreach (var step in new[] { create, $"INSERT INTO {table}_cs SELECT * FROM {table}", $"DROP TABLE {table}", $"ALTER TABLE {table}_cs RENAME TO {table}" })
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = step;
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    public long PersistedTelemetryCount => Interlocked.Read(ref _persisted);

    /// <summary>Telemetry transactions committed, and the time the writer spent in them (inserts + commit); the bench
    /// reports messages per commit from these.</summary>
    public (long Commits, TimeSpan Busy, TimeSpan CommitOnly) TelemetryWriterStats => (Interlocked.Read(ref _commits), TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks)));
    long _commits, _busyTicks, _commitTicks;

    SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // NORMAL is durable in WAL mode except for power loss, which is fine for a desktop emulator and much faster.
        Exec(c, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
        return c;
    }

    static void Exec(SqliteConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        cmd.ExecuteNonQuery();
    }

    static T? Scalar<T>(SqliteConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        var r = cmd.ExecuteScalar();
        if (r is null || r is DBNull) return default;
        var t = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(r, t, System.Globalization.CultureInfo.InvariantCulture);
    }

    static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    static DateTimeOffset Ms(long v) => DateTimeOffset.FromUnixTimeMilliseconds(v);
    static DateTimeOffset? Ms(object v) => v is DBNull or null ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture));
    static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);

    // ---------- meta ----------
    public string? GetMeta(string key)
    {
        using var c = Open();
        return Scalar<string>(c, "SELECT value FROM meta WHERE key=$k", ("$k", key));
    }

    public void SetMeta(string key, string value)
    {
        using var c = Open();
        Exec(c, "INSERT INTO meta(key,value) VALUES($k,$v) ON CONFLICT(key) DO UPDATE SET value=$v", ("$k", key), ("$v", value));
    }

    // ---------- enrollments ----------
    public void UpsertEnrollment(EnrollmentInfo e)
    {
        using var c = Open();
        Exec(c, """
            INSERT INTO enrollments(id,is_group,attestation,primary_key,secondary_key,thumbprint,ca_pem,created)
            VALUES($id,$g,$a,$pk,$sk,$tp,$ca,$cr)
            ON CONFLICT(id) DO UPDATE SET is_group=$g, attestation=$a, primary_key=$pk, secondary_key=$sk, thumbprint=$tp, ca_pem=$ca
            """,
            ("$id", e.Id), ("$g", e.IsGroup ? 1 : 0), ("$a", e.Attestation.ToString()), ("$pk", e.PrimaryKey), ("$sk", e.SecondaryKey),
            ("$tp", e.Thumbprint), ("$ca", e.CaPem), ("$cr", e.CreatedUtc.ToUnixTimeMilliseconds()));
    }

    public bool DeleteEnrollment(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "DELETE FROM enrollments WHERE id=$id";
        cmd.Parameters.AddWithValue("$id", id);
        return cmd.ExecuteNonQuery() > 0;
    }

    public List<EnrollmentInfo> ListEnrollments(string? id = null, bool? group = null)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,is_group,attestation,primary_key,secondary_key,thumbprint,ca_pem,created FROM enrollments WHERE ($id IS NULL OR id=$id) AND ($g IS NULL OR is_group=$g) ORDER BY created, id";
        cmd.Parameters.AddWithValue("$id", (object?)id ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$g", group is null ? DBNull.Value : group.Value ? 1 : 0);
        using var r = cmd.ExecuteReader();
        var list = new List<EnrollmentInfo>();
        while (r.Read())
        {
            list.Add(new EnrollmentInfo(r.GetString(0), r.GetInt64(1) != 0, Enum.Parse<AttestationKind>(r.GetString(2)), Str(r, 3), Str(r, 4), Str(r, 5), Str(r, 6), Ms(r.GetInt64(7))));
        }
        return list;
    }

    // ---------- devices ----------
    internal sealed record DeviceRow(string DeviceId, string? EnrollmentId, AttestationKind Attestation, string? PrimaryKey, string? SecondaryKey,
        string? Thumbprint, string? CaPem, string? ModelId, string? Payload, string AssignedHub, DateTimeOffset Created, DateTimeOffset LastUpdated,
        string Etag, DateTimeOffset? LastConnected, DateTimeOffset? LastDisconnected);

    public DeviceRow UpsertDevice(string deviceId, string? enrollmentId, AttestationKind att, string? pk, string? sk, string? thumbprint, string? caPem,
        string? modelId, string? payload, string hub)
    {
        using var c = Open();
        var now = Now();
        Exec(c, """
            INSERT INTO devices(device_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,assigned_hub,created,last_updated,etag)
            VALUES($d,$e,$a,$pk,$sk,$tp,$ca,$m,$p,$h,$now,$now,$etag)
            ON CONFLICT(device_id) DO UPDATE SET enrollment_id=$e, attestation=$a, primary_key=$pk, secondary_key=$sk, thumbprint=$tp, ca_pem=$ca,
              model_id=COALESCE($m, model_id), payload=COALESCE($p, payload), assigned_hub=$h, last_updated=$now, etag=$etag
            """,
            ("$d", deviceId), ("$e", enrollmentId), ("$a", att.ToString()), ("$pk", pk), ("$sk", sk), ("$tp", thumbprint), ("$ca", caPem),
            ("$m", modelId), ("$p", payload), ("$h", hub), ("$now", now), ("$etag", Convert.ToBase64String(Guid.NewGuid().ToByteArray())[..12]));
        Exec(c, "INSERT OR IGNORE INTO twins(device_id,desired,desired_version,reported,reported_version) VALUES($d,'{}',1,'{}',1)", ("$d", deviceId));
        return GetDevice(deviceId)!;
    }

    /// <summary>Creates a device; null when one with this id exists already (IoT Hub answers 409001 DeviceAlreadyExists).</summary>
    public DeviceRow? InsertDevice(string deviceId, AttestationKind att, string? pk, string? thumbprint, string hub)
    {
        using var c = Open();
        var now = Now();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO devices(device_id,enrollment_id,attestation,primary_key,thumbprint,assigned_hub,created,last_updated,etag) "
                + "VALUES($d,NULL,$a,$pk,$tp,$h,$now,$now,$etag) ON CONFLICT(device_id) DO NOTHING";
            foreach (var (n, v) in new (string, object?)[] { ("$d", deviceId), ("$a", att.ToString()), ("$pk", pk), ("$tp", thumbprint), ("$h", hub), ("$now", now),
                ("$etag", Convert.ToBase64String(Guid.NewGuid().ToByteArray())[..12]) })
                cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
            if (cmd.ExecuteNonQuery() == 0) return null;
        }
        Exec(c, "INSERT OR IGNORE INTO twins(device_id,desired,desired_version,reported,reported_version) VALUES($d,'{}',1,'{}',1)", ("$d", deviceId));
        return GetDevice(deviceId);
    }

    public DeviceRow? GetDevice(string deviceId) => ListDevices(deviceId).FirstOrDefault();

    public List<DeviceRow> ListDevices(string? deviceId = null)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT device_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,assigned_hub,created,last_updated,etag,last_connected,last_disconnected FROM devices WHERE ($d IS NULL OR device_id=$d) ORDER BY device_id";
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var list = new List<DeviceRow>();
        while (r.Read())
        {
            list.Add(new DeviceRow(r.GetString(0), Str(r, 1), Enum.Parse<AttestationKind>(r.GetString(2)), Str(r, 3), Str(r, 4), Str(r, 5), Str(r, 6),
                Str(r, 7), Str(r, 8), r.GetString(9), Ms(r.GetInt64(10)), Ms(r.GetInt64(11)), r.GetString(12), Ms(r.GetValue(13)), Ms(r.GetValue(14))));
        }
        return list;
    }

    public void MarkConnection(string deviceId, bool connected, string? modelId)
    {
        using var c = Open();
        if (connected)
            Exec(c, "UPDATE devices SET last_connected=$t, model_id=COALESCE($m, model_id) WHERE device_id=$d", ("$t", Now()), ("$d", deviceId), ("$m", modelId));
        else
            Exec(c, "UPDATE devices SET last_disconnected=$t WHERE device_id=$d", ("$t", Now()), ("$d", deviceId));
    }

    // ---------- twins ----------
    public TwinDocument? GetTwin(string deviceId)
    {
        using var c = Open();
        return GetTwin(c, deviceId);
    }

    static TwinDocument? GetTwin(SqliteConnection c, string deviceId, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT device_id,desired,desired_version,reported,reported_version FROM twins WHERE device_id=$d";
        cmd.Parameters.AddWithValue("$d", deviceId);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        var dv = r.GetInt64(2);
        var rv = r.GetInt64(4);
        return new TwinDocument(r.GetString(0), TwinJson.WithVersion(r.GetString(1), dv), dv, TwinJson.WithVersion(r.GetString(3), rv), rv);
    }

    /// <summary>Outcome of <see cref="PatchTwin"/>: the new version, or why nothing changed.</summary>
    internal readonly record struct TwinPatchResult(long? Version, bool NoSuchDevice, bool TooLarge);

    /// <summary>Merges a patch (JSON merge-patch semantics: null removes) into desired or reported and returns the new
    /// version; nothing changes when the section would exceed <see cref="Limits.TwinSectionBytes"/> (IoT Hub "rejects
    /// with an error all operations that would increase the size … above the limit").</summary>
    public TwinPatchResult PatchTwin(string deviceId, bool desired, System.Text.Json.Nodes.JsonObject patch)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: false);
        var col = desired ? "desired" : "reported";
        string? current;
        long version;
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT {col},{col}_version FROM twins WHERE device_id=$d";
            cmd.Parameters.AddWithValue("$d", deviceId);
            using var r = cmd.ExecuteReader();
            if (!r.Read()) return new TwinPatchResult(null, true, false);
            current = r.GetString(0);
            version = r.GetInt64(1);
        }
        var merged = TwinJson.Merge(current, patch);
        if (TwinJson.SectionBytes(merged) > Limits.TwinSectionBytes && TwinJson.SectionBytes(merged) > TwinJson.SectionBytes(current)) return new TwinPatchResult(null, false, true);
        version++;
        using (var cmd = c.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = $"UPDATE twins SET {col}=$j, {col}_version=$v WHERE device_id=$d";
            cmd.Parameters.AddWithValue("$d", deviceId);
            cmd.Parameters.AddWithValue("$j", merged);
            cmd.Parameters.AddWithValue("$v", version);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        return new TwinPatchResult(version, false, false);
    }

    // ---------- desired-property versions (the dashboard's "pending until acknowledged") ----------
    const string DesiredVersionsSchema = "CREATE TABLE IF NOT EXISTS desired_versions(device_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY(device_id, name))";

    /// <summary>Remembers that the desired properties <paramref name="names"/> were last set at <paramref name="version"/>
    /// (Azure keeps this as <c>$metadata.{name}.$lastUpdatedVersion</c>).</summary>
    public void RecordDesiredVersions(string deviceId, IEnumerable<string> names, long version)
    {
        using var c = Open();
        Exec(c, DesiredVersionsSchema);
        using var tx = c.BeginTransaction();
        foreach (var n in names)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "INSERT INTO desired_versions(device_id,name,version) VALUES($d,$n,$v) ON CONFLICT(device_id,name) DO UPDATE SET version=$v";
            cmd.Parameters.AddWithValue("$d", deviceId);
            cmd.Parameters.AddWithValue("$n", n);
            cmd.Parameters.AddWithValue("$v", version);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>The desired <c>$version</c> at which each property was last set (names as recorded, e.g. <c>comp.prop</c>).</summary>
    public Dictionary<string, long> GetDesiredVersions(string deviceId)
    {
        using var c = Open();
        Exec(c, DesiredVersionsSchema);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name, version FROM desired_versions WHERE device_id=$d";
        cmd.Parameters.AddWithValue("$d", deviceId);
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = r.GetInt64(1);
        return map;
    }

    // ---------- telemetry ----------
    /// <summary>Queues one telemetry message for the batching writer; waits while its bounded queue is full (back-pressure).</summary>
    /// <param name="deviceId">The sending device.</param>
    /// <param name="topic">The topic it was published on.</param>
    /// <param name="payload">The payload bytes.</param>
    /// <param name="props">The decoded property bag.</param>
    /// <param name="propsJson">The same properties as JSON (callers cache it per distinct property bag).</param>
    /// <param name="ct">Cancels the wait for room in the queue.</param>
    /// <param name="untilCommitted">Return only once the message is committed to SQLite (for a QoS 1 publish, whose
    /// PUBACK must not promise more than is stored); throws <see cref="IOException"/> when the commit failed.</param>
    public async ValueTask<TelemetryMessage> EnqueueTelemetryAsync(string deviceId, string topic, byte[] payload, IReadOnlyDictionary<string, string?> props, string propsJson,
        CancellationToken ct, bool untilCommitted = false)
    {
        var msg = new TelemetryMessage(Interlocked.Increment(ref _lastTelemetryId), deviceId, topic, payload, props, DateTimeOffset.UtcNow);
        var item = new Pending(msg, propsJson);
        if (!_telemetry.Writer.TryWrite(item)) await _telemetry.Writer.WriteAsync(item, ct).ConfigureAwait(false);
        while (untilCommitted)
        {
            var done = Volatile.Read(ref _batchDone);
            if (item.State == 1) break;
            if (item.State == 2) throw new IOException("the telemetry message could not be committed to SQLite");
            // No cancellation here: the writer completes every batch (committed or failed) promptly, and a cancellable
            // wait costs a registration and a promise per message.
            await done.Task.ConfigureAwait(false);
        }
        return msg;
    }

    public static string PropertiesJson(IReadOnlyDictionary<string, string?> props) =>
        props.Count == 0 ? "{}" : JsonSerializer.Serialize(props, JsonCtx.Default.IReadOnlyDictionaryStringString);

    /// <summary>Completes once every telemetry message queued before the call is committed.</summary>
    public async Task FlushTelemetryAsync()
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        try { await _telemetry.Writer.WriteAsync(new Flush(tcs)).ConfigureAwait(false); }
        catch (ChannelClosedException) { return; }
        await tcs.Task.ConfigureAwait(false);
    }

    /// <summary>One prepared multi-row INSERT: a statement per row costs more in Microsoft.Data.Sqlite's execute path
    /// than SQLite spends storing the row, so rows go in groups (sizes <see cref="InsertGroupSizes"/>).</summary>
    sealed class TelemetryInsert
    {
        readonly SqliteCommand _cmd;
        readonly SqliteParameter[] _p;
        public int Rows { get; }

        public TelemetryInsert(SqliteConnection c, int rows)
        {
            Rows = rows;
            _cmd = c.CreateCommand();
            _p = new SqliteParameter[rows * 6];
            var sql = new System.Text.StringBuilder("INSERT INTO telemetry(id,device_id,topic,payload,properties,arrived) VALUES");
            for (var r = 0; r < rows; r++)
            {
                sql.Append(r == 0 ? "" : ",").Append($"($i{r},$d{r},$t{r},$p{r},$r{r},$a{r})");
                _p[r * 6] = _cmd.Parameters.Add($"$i{r}", SqliteType.Integer);
                _p[r * 6 + 1] = _cmd.Parameters.Add($"$d{r}", SqliteType.Text);
                _p[r * 6 + 2] = _cmd.Parameters.Add($"$t{r}", SqliteType.Text);
                _p[r * 6 + 3] = _cmd.Parameters.Add($"$p{r}", SqliteType.Blob);
                _p[r * 6 + 4] = _cmd.Parameters.Add($"$r{r}", SqliteType.Text);
                _p[r * 6 + 5] = _cmd.Parameters.Add($"$a{r}", SqliteType.Integer);
            }
            _cmd.CommandText = sql.ToString();
        }

        public void Run(SqliteTransaction tx, List<Pending> batch, int from)
        {
            _cmd.Transaction = tx;
            for (var r = 0; r < Rows; r++)
            {
                var (m, json) = (batch[from + r].Message, batch[from + r].PropertiesJson);
                _p[r * 6].Value = m.Id;
                _p[r * 6 + 1].Value = m.DeviceId;
                _p[r * 6 + 2].Value = m.Topic;
                _p[r * 6 + 3].Value = m.Payload;
                _p[r * 6 + 4].Value = json;
                _p[r * 6 + 5].Value = m.ArrivedUtc.ToUnixTimeMilliseconds();
            }
            _cmd.ExecuteNonQuery();
        }
    }

    static readonly int[] InsertGroupSizes = [64, 8, 1];

    async Task WriteTelemetryLoopAsync()
    {
        using var c = Open();
        var inserts = InsertGroupSizes.Select(n => new TelemetryInsert(c, n)).ToArray();
        var batch = new List<Pending>(4096);
        var flushes = new List<Flush>();
        var reader = _telemetry.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            // Group commit: one transaction for everything queued, and every message waiting for its PUBACK shares
            // that commit. (Yielding to the thread pool to gather more before committing was tried: ~2x the messages
            // per commit, but each yield waits behind the whole queue on a busy machine, and the PUBACKs with it.)
            while (batch.Count < 8192 && reader.TryRead(out var item))
            {
                if (item is Pending m) batch.Add(m);
                else if (item is Flush f) flushes.Add(f);
            }
            if (batch.Count > 0)
            {
                try
                {
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    using var tx = c.BeginTransaction();
                    var done = 0;
                    foreach (var insert in inserts)
                    {
                        for (; batch.Count - done >= insert.Rows; done += insert.Rows) insert.Run(tx, batch, done);
                    }
                    var commitStart = System.Diagnostics.Stopwatch.GetTimestamp();
                    tx.Commit();
                    Interlocked.Add(ref _busyTicks, System.Diagnostics.Stopwatch.GetElapsedTime(started).Ticks);
                    Interlocked.Add(ref _commitTicks, System.Diagnostics.Stopwatch.GetElapsedTime(commitStart).Ticks);
                    Interlocked.Increment(ref _commits);
                    Interlocked.Add(ref _persisted, batch.Count);
                    foreach (var p in batch) p.State = 1;
                }
                catch (Exception ex)
                {
                    foreach (var p in batch) p.State = 2;
                    _log($"storage: failed to persist {batch.Count} telemetry messages: {ex.GetType().Name}: {ex.Message}");
                }
                batch.Clear();
                Interlocked.Exchange(ref _batchDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            }
            foreach (var f in flushes) f.Done.TrySetResult();
            flushes.Clear();
        }
    }

    public List<TelemetryMessage> ListTelemetry(string? deviceId, long afterId, int limit)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,device_id,topic,payload,properties,arrived FROM telemetry WHERE id>$a AND ($d IS NULL OR device_id=$d) ORDER BY id LIMIT $l";
        cmd.Parameters.AddWithValue("$a", afterId);
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$l", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<TelemetryMessage>();
        while (r.Read())
        {
            var props = JsonSerializer.Deserialize(r.GetString(4), JsonCtx.Default.DictionaryStringString) ?? new();
            list.Add(new TelemetryMessage(r.GetInt64(0), r.GetString(1), r.GetString(2), (byte[])r.GetValue(3), props, Ms(r.GetInt64(5))));
        }
        return list;
    }

    /// <summary>The newest <paramref name="limit"/> messages of one device (or all), oldest first.</summary>
    public List<TelemetryMessage> ListRecentTelemetry(string? deviceId, int limit)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM telemetry WHERE ($d IS NULL OR device_id=$d) ORDER BY id DESC LIMIT 1 OFFSET $o";
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$o", Math.Max(0, limit - 1));
        var first = cmd.ExecuteScalar();
        return ListTelemetry(deviceId, first is long id ? id - 1 : 0, limit);
    }

    /// <summary>Per device, over the rows with ids above <paramref name="afterId"/>: how many arrived at or after
    /// <paramref name="dayStart"/>, when the last one arrived, and the highest id (an id range scan, no index needed).</summary>
    public List<(string DeviceId, long Today, DateTimeOffset LastArrivedUtc, long MaxId)> TelemetryActivitySince(long afterId, DateTimeOffset dayStart)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT device_id, SUM(arrived >= $t), MAX(arrived), MAX(id) FROM telemetry WHERE id > $a GROUP BY device_id";
        cmd.Parameters.AddWithValue("$t", dayStart.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$a", afterId);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, long, DateTimeOffset, long)>();
        while (r.Read()) list.Add((r.GetString(0), r.GetInt64(1), Ms(r.GetInt64(2)), r.GetInt64(3)));
        return list;
    }

    public long CountTelemetry(string? deviceId = null)
    {
        using var c = Open();
        return Scalar<long>(c, "SELECT COUNT(*) FROM telemetry WHERE $d IS NULL OR device_id=$d", ("$d", deviceId));
    }

    // ---------- commands ----------
    public long AddCommand(string deviceId, string name, string? request)
    {
        using var c = Open();
        return Scalar<long>(c, "INSERT INTO commands(device_id,name,request,requested,outcome) VALUES($d,$n,$r,$t,'pending') RETURNING id",
            ("$d", deviceId), ("$n", name), ("$r", request), ("$t", Now()));
    }

    public void CompleteCommand(long id, int? status, string? response, string outcome)
    {
        using var c = Open();
        Exec(c, "UPDATE commands SET status=$s, response=$r, responded=$t, outcome=$o WHERE id=$i",
            ("$s", status), ("$r", response), ("$t", outcome == "completed" ? Now() : null), ("$o", outcome), ("$i", id));
    }

    public List<CommandInvocation> ListCommands(string? deviceId, int limit)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,device_id,name,request,requested,status,response,responded,outcome FROM commands WHERE ($d IS NULL OR device_id=$d) ORDER BY id DESC LIMIT $l";
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$l", limit);
        using var r = cmd.ExecuteReader();
        var list = new List<CommandInvocation>();
        while (r.Read())
        {
            list.Add(new CommandInvocation(r.GetInt64(0), r.GetString(1), r.GetString(2), Str(r, 3), Ms(r.GetInt64(4)),
                r.IsDBNull(5) ? null : r.GetInt32(5), Str(r, 6), Ms(r.GetValue(7)), r.GetString(8)));
        }
        return list;
    }

    // ---------- MQTT sessions ----------
    // The subscriptions of clean-session-0 sessions, so that a restart does not lose them (IoT Hub keeps sessions).
    const string SessionsSchema = "CREATE TABLE IF NOT EXISTS mqtt_sessions(client_id TEXT PRIMARY KEY, filters TEXT NOT NULL, updated INTEGER NOT NULL)";

    public void SaveSession(string clientId, IReadOnlyDictionary<string, int> filters)
    {
        using var c = Open();
        Exec(c, "INSERT INTO mqtt_sessions(client_id,filters,updated) VALUES($c,$f,$t) ON CONFLICT(client_id) DO UPDATE SET filters=$f, updated=$t",
            ("$c", clientId), ("$f", JsonSerializer.Serialize(filters.ToDictionary(p => p.Key, p => p.Value), JsonCtx.Default.DictionaryStringInt32)), ("$t", Now()));
    }

    public void DeleteSession(string clientId)
    {
        using var c = Open();
        Exec(c, "DELETE FROM mqtt_sessions WHERE client_id=$c", ("$c", clientId));
    }

    public Dictionary<string, IReadOnlyDictionary<string, int>> LoadSessions()
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT client_id, filters FROM mqtt_sessions";
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = JsonSerializer.Deserialize(r.GetString(1), JsonCtx.Default.DictionaryStringInt32) ?? new();
        return map;
    }

    // ---------- DPS operations ----------
    // Kept in SQLite so that an operation id handed out before a restart still answers; bounded: an operation is
    // forgotten a day after it was created, and a registration keeps only its newest few.
    const string DpsOperationsSchema = """
        CREATE TABLE IF NOT EXISTS dps_operations(
            id TEXT PRIMARY KEY, registration_id TEXT NOT NULL COLLATE NOCASE, enrollment_id TEXT, attestation TEXT NOT NULL,
            primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, model_id TEXT, payload TEXT,
            polls_left INTEGER NOT NULL, created INTEGER NOT NULL)
        """;

    /// <summary>How long DPS operation ids answer. DPS documents no retention; a day covers every polling client.</summary>
    public static readonly TimeSpan DpsOperationLifetime = TimeSpan.FromDays(1);

    /// <summary>Operations kept per registration id (older ones are forgotten when a new one starts).</summary>
    public const int DpsOperationsPerRegistration = 4;

    internal sealed record DpsOperation(string Id, string RegistrationId, string? EnrollmentId, AttestationKind Attestation, string? PrimaryKey,
        string? SecondaryKey, string? Thumbprint, string? CaPem, string? ModelId, string? Payload, int PollsLeft, DateTimeOffset Created);

    public void AddDpsOperation(DpsOperation o)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: false);
        void Run(string sql, params (string, object?)[] args)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }
        Run("DELETE FROM dps_operations WHERE created<$t", ("$t", Now() - (long)DpsOperationLifetime.TotalMilliseconds));
        Run("DELETE FROM dps_operations WHERE registration_id=$r AND id NOT IN (SELECT id FROM dps_operations WHERE registration_id=$r ORDER BY created DESC LIMIT $k)",
            ("$r", o.RegistrationId), ("$k", DpsOperationsPerRegistration - 1));
        Run("""
            INSERT INTO dps_operations(id,registration_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,polls_left,created)
            VALUES($i,$r,$e,$a,$pk,$sk,$tp,$ca,$m,$p,$n,$t)
            """, ("$i", o.Id), ("$r", o.RegistrationId), ("$e", o.EnrollmentId), ("$a", o.Attestation.ToString()), ("$pk", o.PrimaryKey), ("$sk", o.SecondaryKey),
            ("$tp", o.Thumbprint), ("$ca", o.CaPem), ("$m", o.ModelId), ("$p", o.Payload), ("$n", o.PollsLeft), ("$t", o.Created.ToUnixTimeMilliseconds()));
        tx.Commit();
    }

    /// <summary>The operation (null when unknown or older than <see cref="DpsOperationLifetime"/>).</summary>
    public DpsOperation? GetDpsOperation(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,registration_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,polls_left,created FROM dps_operations WHERE id=$i AND created>=$t";
        cmd.Parameters.AddWithValue("$i", id);
        cmd.Parameters.AddWithValue("$t", Now() - (long)DpsOperationLifetime.TotalMilliseconds);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return new DpsOperation(r.GetString(0), r.GetString(1), Str(r, 2), Enum.Parse<AttestationKind>(r.GetString(3)), Str(r, 4), Str(r, 5), Str(r, 6), Str(r, 7),
            Str(r, 8), Str(r, 9), r.GetInt32(10), Ms(r.GetInt64(11)));
    }

    /// <summary>Takes one "still assigning" poll; false when none is left.</summary>
    public bool TakeDpsPoll(string id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE dps_operations SET polls_left=polls_left-1 WHERE id=$i AND polls_left>0";
        cmd.Parameters.AddWithValue("$i", id);
        return cmd.ExecuteNonQuery() > 0;
    }

    public long CountDpsOperations()
    {
        using var c = Open();
        return Scalar<long>(c, "SELECT COUNT(*) FROM dps_operations");
    }

    // ---------- C2D ----------
    /// <summary>IoT Hub's limit of messages in one device queue (enqueued or delivered and not yet completed).</summary>
    public const int C2dQueueDepth = 50;

    /// <summary>Messages still in the device queue: waiting, or sent and not acknowledged yet.</summary>
    const string PendingC2dState = "state IN ('queued','delivered')";

    /// <summary>Moves pending messages whose time to live has passed to <c>expired</c>.</summary>
    static void ExpireC2d(SqliteConnection c, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"UPDATE c2d SET state='expired' WHERE {PendingC2dState} AND expires IS NOT NULL AND expires<=$now";
        cmd.Parameters.AddWithValue("$now", Now());
        cmd.ExecuteNonQuery();
    }

    /// <summary>Enqueues a message; null when the device queue already holds <see cref="C2dQueueDepth"/> pending messages.</summary>
    public long? AddC2d(string deviceId, byte[] payload, IReadOnlyDictionary<string, string?> props, TimeSpan ttl)
    {
        using var c = Open();
        using var tx = c.BeginTransaction(deferred: false);
        ExpireC2d(c, tx);
        using (var count = c.CreateCommand())
        {
            count.Transaction = tx;
            count.CommandText = $"SELECT COUNT(*) FROM c2d WHERE device_id=$d AND {PendingC2dState}";
            count.Parameters.AddWithValue("$d", deviceId);
            if (Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) >= C2dQueueDepth) return null;
        }
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        var now = Now();
        cmd.CommandText = "INSERT INTO c2d(device_id,payload,properties,enqueued,state,expires) VALUES($d,$p,$pr,$t,'queued',$e) RETURNING id";
        cmd.Parameters.AddWithValue("$d", deviceId);
        cmd.Parameters.AddWithValue("$p", payload);
        cmd.Parameters.AddWithValue("$pr", JsonSerializer.Serialize(props, JsonCtx.Default.IReadOnlyDictionaryStringString));
        cmd.Parameters.AddWithValue("$t", now);
        cmd.Parameters.AddWithValue("$e", now + (long)ttl.TotalMilliseconds);
        var id = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        tx.Commit();
        return id;
    }

    /// <summary>One more delivery: <c>delivered</c> (awaiting the device's PUBACK), or <c>completed</c> at once for QoS 0.</summary>
    public void MarkC2dDelivered(long id, bool completed)
    {
        using var c = Open();
        Exec(c, "UPDATE c2d SET state=$s, delivered=$t, delivery_count=delivery_count+1, completed=$ct WHERE id=$i",
            ("$s", completed ? "completed" : "delivered"), ("$t", Now()), ("$ct", completed ? Now() : null), ("$i", id));
    }

    /// <summary>Counts one more delivery of messages sent again as they were (a resumed session's unacknowledged ones).</summary>
    public void CountC2dRedelivery(IEnumerable<long> ids)
    {
        using var c = Open();
        using var tx = c.BeginTransaction();
        foreach (var id in ids)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = "UPDATE c2d SET delivered=$t, delivery_count=delivery_count+1 WHERE id=$i AND state='delivered'";
            cmd.Parameters.AddWithValue("$t", Now());
            cmd.Parameters.AddWithValue("$i", id);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }

    /// <summary>The device acknowledged a delivered message. False when it was not awaiting acknowledgement (already
    /// completed, expired, or not this device's).</summary>
    public bool CompleteC2d(string deviceId, long id)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE c2d SET state='completed', completed=$t WHERE id=$i AND device_id=$d AND state='delivered'";
        cmd.Parameters.AddWithValue("$t", Now());
        cmd.Parameters.AddWithValue("$i", id);
        cmd.Parameters.AddWithValue("$d", deviceId);
        return cmd.ExecuteNonQuery() > 0;
    }

    /// <summary>
    /// A clean-session CONNECT: the device's enqueued messages (never delivered) leave the queue as <c>purged</c>;
    /// returns how many. The Azure SDK for C documents IoT Hub's behaviour (sdk/docs/iot/mqtt_state_machine.md, "MQTT
    /// Clean Session"): "Connecting with Clean Session true will remove all enqueued C2D messages." A message delivered
    /// and not acknowledged is in IoT Hub's other state (invisible, not enqueued): it stays and is sent again.
    /// </summary>
    public int PurgeC2d(string deviceId)
    {
        using var c = Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "UPDATE c2d SET state='purged' WHERE device_id=$d AND state='queued'";
        cmd.Parameters.AddWithValue("$d", deviceId);
        return cmd.ExecuteNonQuery();
    }

    public void DeadLetterC2d(long id)
    {
        using var c = Open();
        Exec(c, "UPDATE c2d SET state='deadlettered' WHERE id=$i", ("$i", id));
    }

    /// <summary>The device's pending messages (after expiring old ones), oldest first.</summary>
    public List<C2dMessageInfo> PendingC2d(string deviceId) => ListC2d(deviceId, pendingOnly: true);

    public List<C2dMessageInfo> ListC2d(string? deviceId, bool pendingOnly = false)
    {
        using var c = Open();
        ExpireC2d(c);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT id,device_id,payload,properties,enqueued,state,delivered,delivery_count,expires,completed FROM c2d WHERE ($d IS NULL OR device_id=$d) AND ($q=0 OR {PendingC2dState}) ORDER BY id";
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$q", pendingOnly ? 1 : 0);
        using var r = cmd.ExecuteReader();
        var list = new List<C2dMessageInfo>();
        while (r.Read())
        {
            var props = JsonSerializer.Deserialize(r.GetString(3), JsonCtx.Default.DictionaryStringString) ?? new();
            list.Add(new C2dMessageInfo(r.GetInt64(0), r.GetString(1), (byte[])r.GetValue(2), props, Ms(r.GetInt64(4)), r.GetString(5), Ms(r.GetValue(6)),
                r.GetInt32(7), Ms(r.GetValue(8)), Ms(r.GetValue(9))));
        }
        return list;
    }

    public async ValueTask DisposeAsync()
    {
        _telemetry.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
    }
}
