using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>telemetry</c> table, written by a batching background writer (group commit: every message waiting
/// for its PUBACK shares one transaction).</summary>
internal sealed class TelemetryTable : IAsyncDisposable
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS telemetry(
            id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL,
            properties TEXT NOT NULL, arrived INTEGER NOT NULL);
        -- No secondary index on telemetry: it would slow the hot insert path, and tailing reads by id range.
        """;

    readonly Database _db;
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

    public TelemetryTable(Database db, Action<string> log)
    {
        _db = db;
        _log = log;
        using (var c = db.Open()) _lastTelemetryId = Scalar<long?>(c, "SELECT MAX(id) FROM telemetry") ?? 0;
        _writer = Task.Run(WriteLoopAsync);
    }

    public long PersistedCount => Interlocked.Read(ref _persisted);

    /// <summary>Telemetry transactions committed, and the time the writer spent in them (inserts + commit); the bench
    /// reports messages per commit from these.</summary>
    public (long Commits, TimeSpan Busy, TimeSpan CommitOnly) WriterStats => (Interlocked.Read(ref _commits), TimeSpan.FromTicks(Interlocked.Read(ref _busyTicks)), TimeSpan.FromTicks(Interlocked.Read(ref _commitTicks)));
    long _commits, _busyTicks, _commitTicks;

    /// <summary>Queues one telemetry message for the batching writer; waits while its bounded queue is full (back-pressure).</summary>
    /// <param name="deviceId">The sending device.</param>
    /// <param name="topic">The topic it was published on.</param>
    /// <param name="payload">The payload bytes.</param>
    /// <param name="props">The decoded property bag.</param>
    /// <param name="propsJson">The same properties as JSON (callers cache it per distinct property bag).</param>
    /// <param name="ct">Cancels the wait for room in the queue.</param>
    /// <param name="untilCommitted">Return only once the message is committed to SQLite (for a QoS 1 publish, whose
    /// PUBACK must not promise more than is stored); throws <see cref="IOException"/> when the commit failed.</param>
    public async ValueTask<TelemetryMessage> EnqueueAsync(string deviceId, string topic, byte[] payload, IReadOnlyDictionary<string, string?> props, string propsJson,
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
    public async Task FlushAsync()
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

    async Task WriteLoopAsync()
    {
        using var c = _db.Open();
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

    public List<TelemetryMessage> List(string? deviceId, long afterId, int limit)
    {
        using var c = _db.Open();
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
    public List<TelemetryMessage> ListRecent(string? deviceId, int limit)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id FROM telemetry WHERE ($d IS NULL OR device_id=$d) ORDER BY id DESC LIMIT 1 OFFSET $o";
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        cmd.Parameters.AddWithValue("$o", Math.Max(0, limit - 1));
        var first = cmd.ExecuteScalar();
        return List(deviceId, first is long id ? id - 1 : 0, limit);
    }

    /// <summary>Per device, over the rows with ids above <paramref name="afterId"/>: how many arrived at or after
    /// <paramref name="dayStart"/>, when the last one arrived, and the highest id (an id range scan, no index needed).</summary>
    public List<(string DeviceId, long Today, DateTimeOffset LastArrivedUtc, long MaxId)> ActivitySince(long afterId, DateTimeOffset dayStart)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT device_id, SUM(arrived >= $t), MAX(arrived), MAX(id) FROM telemetry WHERE id > $a GROUP BY device_id";
        cmd.Parameters.AddWithValue("$t", dayStart.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$a", afterId);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, long, DateTimeOffset, long)>();
        while (r.Read()) list.Add((r.GetString(0), r.GetInt64(1), Ms(r.GetInt64(2)), r.GetInt64(3)));
        return list;
    }

    public long Count(string? deviceId = null)
    {
        using var c = _db.Open();
        return Scalar<long>(c, "SELECT COUNT(*) FROM telemetry WHERE $d IS NULL OR device_id=$d", ("$d", deviceId));
    }

    public async ValueTask DisposeAsync()
    {
        _telemetry.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }
}
