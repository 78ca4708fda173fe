using Microsoft.Data.Sqlite;
using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>twins</c> table (desired and reported documents with their versions) and <c>desired_versions</c> (the version at which each desired property was last set).</summary>
internal sealed class TwinsTable(Database db)
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS twins(
            device_id TEXT PRIMARY KEY, desired TEXT NOT NULL, desired_version INTEGER NOT NULL,
            reported TEXT NOT NULL, reported_version INTEGER NOT NULL)
        """;

    public TwinDocument? Get(string deviceId)
    {
        using var c = db.Open();
        return Get(c, deviceId);
    }

    static TwinDocument? Get(SqliteConnection c, string deviceId, SqliteTransaction? tx = null)
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

    /// <summary>Merges a patch (JSON merge-patch semantics: null removes) into desired or reported and returns the new
    /// version; nothing changes when the section would exceed <see cref="Limits.TwinSectionBytes"/> (IoT Hub "rejects
    /// with an error all operations that would increase the size … above the limit").</summary>
    public TwinPatchResult Patch(string deviceId, bool desired, System.Text.Json.Nodes.JsonObject patch)
    {
        using var c = db.Open();
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

    // Desired-property versions: the dashboard's "pending until acknowledged".
    const string DesiredVersionsSchema = "CREATE TABLE IF NOT EXISTS desired_versions(device_id TEXT NOT NULL, name TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY(device_id, name))";

    /// <summary>Remembers that the desired properties <paramref name="names"/> were last set at <paramref name="version"/>
    /// (Azure keeps this as <c>$metadata.{name}.$lastUpdatedVersion</c>).</summary>
    public void RecordDesiredVersions(string deviceId, IEnumerable<string> names, long version)
    {
        using var c = db.Open();
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
        using var c = db.Open();
        Exec(c, DesiredVersionsSchema);
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name, version FROM desired_versions WHERE device_id=$d";
        cmd.Parameters.AddWithValue("$d", deviceId);
        using var r = cmd.ExecuteReader();
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        while (r.Read()) map[r.GetString(0)] = r.GetInt64(1);
        return map;
    }
}
