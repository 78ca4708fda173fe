using Microsoft.Data.Sqlite;

namespace IotcEmulator;

/// <summary>The SQLite file the store's tables share: pooled connections with the emulator's pragmas, and the small
/// command helpers every table uses.</summary>
internal sealed class Database(string path)
{
    readonly string _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString();

    public SqliteConnection Open()
    {
        var c = new SqliteConnection(_connectionString);
        c.Open();
        // NORMAL is durable in WAL mode except for power loss, which is fine for a desktop emulator and much faster.
        Exec(c, "PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;");
        return c;
    }

    /// <summary>Runs <paramref name="sql"/> with named parameters; returns the number of rows it changed.</summary>
    internal static int Exec(SqliteConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        return cmd.ExecuteNonQuery();
    }

    internal static T? Scalar<T>(SqliteConnection c, string sql, params (string, object?)[] args)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
        var r = cmd.ExecuteScalar();
        if (r is null || r is DBNull) return default;
        var t = Nullable.GetUnderlyingType(typeof(T)) ?? typeof(T);
        return (T)Convert.ChangeType(r, t, System.Globalization.CultureInfo.InvariantCulture);
    }

    internal static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    internal static DateTimeOffset Ms(long v) => DateTimeOffset.FromUnixTimeMilliseconds(v);
    internal static DateTimeOffset? Ms(object v) => v is DBNull or null ? null : DateTimeOffset.FromUnixTimeMilliseconds(Convert.ToInt64(v, System.Globalization.CultureInfo.InvariantCulture));
    internal static string? Str(SqliteDataReader r, int i) => r.IsDBNull(i) ? null : r.GetString(i);
}
