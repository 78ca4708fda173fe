using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>dps_operations</c> table: DPS registration operations, so that an operation id handed out before a restart still answers.</summary>
internal sealed class DpsOperationsTable(Database db)
{
    // Kept in SQLite so that an operation id handed out before a restart still answers; bounded: an operation is
    // forgotten a day after it was created, and a registration keeps only its newest few.
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS dps_operations(
            id TEXT PRIMARY KEY, registration_id TEXT NOT NULL COLLATE NOCASE, enrollment_id TEXT, attestation TEXT NOT NULL,
            primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, model_id TEXT, payload TEXT,
            polls_left INTEGER NOT NULL, created INTEGER NOT NULL)
        """;

    /// <summary>How long DPS operation ids answer. DPS documents no retention; a day covers every polling client.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    /// <summary>Operations kept per registration id (older ones are forgotten when a new one starts).</summary>
    public const int PerRegistration = 4;

    public void Add(DpsOperation o)
    {
        using var c = db.Open();
        using var tx = c.BeginTransaction(deferred: false);
        void Run(string sql, params (string, object?)[] args)
        {
            using var cmd = c.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = sql;
            foreach (var (n, v) in args) cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
            cmd.ExecuteNonQuery();
        }
        Run("DELETE FROM dps_operations WHERE created<$t", ("$t", Now() - (long)Lifetime.TotalMilliseconds));
        Run("DELETE FROM dps_operations WHERE registration_id=$r AND id NOT IN (SELECT id FROM dps_operations WHERE registration_id=$r ORDER BY created DESC LIMIT $k)",
            ("$r", o.RegistrationId), ("$k", PerRegistration - 1));
        Run("""
            INSERT INTO dps_operations(id,registration_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,polls_left,created)
            VALUES($i,$r,$e,$a,$pk,$sk,$tp,$ca,$m,$p,$n,$t)
            """, ("$i", o.Id), ("$r", o.RegistrationId), ("$e", o.EnrollmentId), ("$a", o.Attestation.ToString()), ("$pk", o.PrimaryKey), ("$sk", o.SecondaryKey),
            ("$tp", o.Thumbprint), ("$ca", o.CaPem), ("$m", o.ModelId), ("$p", o.Payload), ("$n", o.PollsLeft), ("$t", o.Created.ToUnixTimeMilliseconds()));
        tx.Commit();
    }

    /// <summary>The operation (null when unknown or older than <see cref="Lifetime"/>).</summary>
    public DpsOperation? Get(string id)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id,registration_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,polls_left,created FROM dps_operations WHERE id=$i AND created>=$t";
        cmd.Parameters.AddWithValue("$i", id);
        cmd.Parameters.AddWithValue("$t", Now() - (long)Lifetime.TotalMilliseconds);
        using var r = cmd.ExecuteReader();
        if (!r.Read()) return null;
        return new DpsOperation(r.GetString(0), r.GetString(1), Str(r, 2), Enum.Parse<AttestationKind>(r.GetString(3)), Str(r, 4), Str(r, 5), Str(r, 6), Str(r, 7),
            Str(r, 8), Str(r, 9), r.GetInt32(10), Ms(r.GetInt64(11)));
    }

    /// <summary>Takes one "still assigning" poll; false when none is left.</summary>
    public bool TakePoll(string id)
    {
        using var c = db.Open();
        return Exec(c, "UPDATE dps_operations SET polls_left=polls_left-1 WHERE id=$i AND polls_left>0", ("$i", id)) > 0;
    }

    public long Count()
    {
        using var c = db.Open();
        return Scalar<long>(c, "SELECT COUNT(*) FROM dps_operations");
    }
}
