using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>commands</c> table: direct method invocations and their outcome.</summary>
internal sealed class CommandsTable(Database db)
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS commands(
            id INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, name TEXT NOT NULL, request TEXT,
            requested INTEGER NOT NULL, status INTEGER, response TEXT, responded INTEGER, outcome TEXT NOT NULL)
        """;

    public long Add(string deviceId, string name, string? request)
    {
        using var c = db.Open();
        return Scalar<long>(c, "INSERT INTO commands(device_id,name,request,requested,outcome) VALUES($d,$n,$r,$t,'pending') RETURNING id",
            ("$d", deviceId), ("$n", name), ("$r", request), ("$t", Now()));
    }

    public void Complete(long id, int? status, string? response, string outcome)
    {
        using var c = db.Open();
        Exec(c, "UPDATE commands SET status=$s, response=$r, responded=$t, outcome=$o WHERE id=$i",
            ("$s", status), ("$r", response), ("$t", outcome == "completed" ? Now() : null), ("$o", outcome), ("$i", id));
    }

    public List<CommandInvocation> List(string? deviceId, int limit)
    {
        using var c = db.Open();
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
}
