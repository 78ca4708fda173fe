using System.Text.Json;
using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>mqtt_sessions</c> table: the subscriptions of clean-session-0 sessions, so that a restart does not lose them (IoT Hub keeps sessions).</summary>
internal sealed class SessionsTable(Database db)
{
    internal const string Schema = "CREATE TABLE IF NOT EXISTS mqtt_sessions(client_id TEXT PRIMARY KEY, filters TEXT NOT NULL, updated INTEGER NOT NULL)";

    public void Save(string clientId, IReadOnlyDictionary<string, int> filters)
    {
        using var c = db.Open();
        Exec(c, "INSERT INTO mqtt_sessions(client_id,filters,updated) VALUES($c,$f,$t) ON CONFLICT(client_id) DO UPDATE SET filters=$f, updated=$t",
            ("$c", clientId), ("$f", JsonSerializer.Serialize(filters.ToDictionary(p => p.Key, p => p.Value), JsonCtx.Default.DictionaryStringInt32)), ("$t", Now()));
    }

    public void Delete(string clientId)
    {
        using var c = db.Open();
        Exec(c, "DELETE FROM mqtt_sessions WHERE client_id=$c", ("$c", clientId));
    }

    public Dictionary<string, IReadOnlyDictionary<string, int>> Load()
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT client_id, filters FROM mqtt_sessions";
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, IReadOnlyDictionary<string, int>>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = JsonSerializer.Deserialize(r.GetString(1), JsonCtx.Default.DictionaryStringInt32) ?? new();
        return map;
    }
}
