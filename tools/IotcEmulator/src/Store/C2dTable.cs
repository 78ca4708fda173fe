using System.Text.Json;
using Microsoft.Data.Sqlite;
using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>c2d</c> table: each device's cloud-to-device queue and every message's life cycle.</summary>
internal sealed class C2dTable(Database db)
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS c2d(
            id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, payload BLOB NOT NULL, properties TEXT NOT NULL,
            enqueued INTEGER NOT NULL, state TEXT NOT NULL, delivered INTEGER,
            delivery_count INTEGER NOT NULL DEFAULT 0, expires INTEGER, completed INTEGER)
        """;

    /// <summary>Data folders from before the C2D lifecycle lack its columns.</summary>
    internal static void AddMissingColumns(SqliteConnection c)
    {
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
    }

    /// <summary>IoT Hub's limit of messages in one device queue (enqueued or delivered and not yet completed).</summary>
    public const int QueueDepth = 50;

    /// <summary>Messages still in the device queue: waiting, or sent and not acknowledged yet.</summary>
    const string PendingState = "state IN ('queued','delivered')";

    /// <summary>Moves pending messages whose time to live has passed to <c>expired</c>.</summary>
    static void Expire(SqliteConnection c, SqliteTransaction? tx = null)
    {
        using var cmd = c.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"UPDATE c2d SET state='expired' WHERE {PendingState} AND expires IS NOT NULL AND expires<=$now";
        cmd.Parameters.AddWithValue("$now", Now());
        cmd.ExecuteNonQuery();
    }

    /// <summary>Enqueues a message; null when the device queue already holds <see cref="QueueDepth"/> pending messages.</summary>
    public long? Add(string deviceId, byte[] payload, IReadOnlyDictionary<string, string?> props, TimeSpan ttl)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        Expire(c, tx);
        using (var count = c.CreateCommand())
        {
            count.Transaction = tx;
            count.CommandText = $"SELECT COUNT(*) FROM c2d WHERE device_id=$d AND {PendingState}";
            count.Parameters.AddWithValue("$d", deviceId);
            if (Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) >= QueueDepth) return null;
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
    public void MarkDelivered(long id, bool completed)
    {
        using var c = db.Open();
        Exec(c, "UPDATE c2d SET state=$s, delivered=$t, delivery_count=delivery_count+1, completed=$ct WHERE id=$i",
            ("$s", completed ? "completed" : "delivered"), ("$t", Now()), ("$ct", completed ? Now() : null), ("$i", id));
    }

    /// <summary>Counts one more delivery of messages sent again as they were (a resumed session's unacknowledged ones).</summary>
    public void CountRedelivery(IEnumerable<long> ids)
    {
        using var c = db.Open();
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
    public bool Complete(string deviceId, long id)
    {
        using var c = db.Open();
        return Exec(c, "UPDATE c2d SET state='completed', completed=$t WHERE id=$i AND device_id=$d AND state='delivered'",
            ("$t", Now()), ("$i", id), ("$d", deviceId)) > 0;
    }

    /// <summary>
    /// A clean-session CONNECT: the device's enqueued messages (never delivered) leave the queue as <c>purged</c>;
    /// returns how many. The Azure SDK for C documents IoT Hub's behaviour (sdk/docs/iot/mqtt_state_machine.md, "MQTT
    /// Clean Session"): "Connecting with Clean Session true will remove all enqueued C2D messages." A message delivered
    /// and not acknowledged is in IoT Hub's other state (invisible, not enqueued): it stays and is sent again.
    /// </summary>
    public int Purge(string deviceId)
    {
        using var c = db.Open();
        return Exec(c, "UPDATE c2d SET state='purged' WHERE device_id=$d AND state='queued'", ("$d", deviceId));
    }

    public void DeadLetter(long id)
    {
        using var c = db.Open();
        Exec(c, "UPDATE c2d SET state='deadlettered' WHERE id=$i", ("$i", id));
    }

    /// <summary>The device's pending messages (after expiring old ones), oldest first.</summary>
    public List<C2dMessageInfo> Pending(string deviceId) => List(deviceId, pendingOnly: true);

    public List<C2dMessageInfo> List(string? deviceId, bool pendingOnly = false)
    {
        using var c = db.Open();
        Expire(c);
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT id,device_id,payload,properties,enqueued,state,delivered,delivery_count,expires,completed FROM c2d WHERE ($d IS NULL OR device_id=$d) AND ($q=0 OR {PendingState}) ORDER BY id";
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
}
