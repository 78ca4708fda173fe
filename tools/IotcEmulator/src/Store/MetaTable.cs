using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>meta</c> table: the emulator's own settings (ID scope, hub name, ...) as key/value text.</summary>
internal sealed class MetaTable(Database db)
{
    internal const string Schema = "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)";

    public string? Get(string key)
    {
        using var c = db.Open();
        return Scalar<string>(c, "SELECT value FROM meta WHERE key=$k", ("$k", key));
    }

    public void Set(string key, string value)
    {
        using var c = db.Open();
        Exec(c, "INSERT INTO meta(key,value) VALUES($k,$v) ON CONFLICT(key) DO UPDATE SET value=$v", ("$k", key), ("$v", value));
    }
}
