using Microsoft.Data.Sqlite;
using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>All persistent state, in one SQLite file (WAL): creates and migrates the schema, then holds one object per
/// table. Telemetry goes through a batching background writer (<see cref="TelemetryTable"/>).</summary>
internal sealed class Store : IAsyncDisposable
{
    public Store(string path, Action<string> log)
    {
        var db = new Database(path);
        using (var c = db.Open())
        {
            Exec(c, "PRAGMA journal_mode=WAL;");
            foreach (var schema in new[] { MetaTable.Schema, EnrollmentsTable.Schema, DevicesTable.Schema, TwinsTable.Schema, TelemetryTable.Schema, CommandsTable.Schema, C2dTable.Schema })
            {
                Exec(c, schema);
            }
            C2dTable.AddMissingColumns(c);
            // IoT Hub device ids are case-sensitive (https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-identity-registry);
            // data folders from before kept devices and twins case-insensitive.
            foreach (var table in new[] { "devices", "twins", "desired_versions" }) DropNoCase(c, table);
            Exec(c, DpsOperationsTable.Schema);
            Exec(c, SessionsTable.Schema);
        }
        Meta = new MetaTable(db);
        Enrollments = new EnrollmentsTable(db);
        Devices = new DevicesTable(db);
        Twins = new TwinsTable(db);
        Telemetry = new TelemetryTable(db, log);
        Commands = new CommandsTable(db);
        C2d = new C2dTable(db);
        Sessions = new SessionsTable(db);
        DpsOperations = new DpsOperationsTable(db);
    }

    public MetaTable Meta { get; }
    public EnrollmentsTable Enrollments { get; }
    public DevicesTable Devices { get; }
    public TwinsTable Twins { get; }
    public TelemetryTable Telemetry { get; }
    public CommandsTable Commands { get; }
    public C2dTable C2d { get; }
    public SessionsTable Sessions { get; }
    public DpsOperationsTable DpsOperations { get; }

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

    public async ValueTask DisposeAsync()
    {
        await Telemetry.DisposeAsync().ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
    }
}
