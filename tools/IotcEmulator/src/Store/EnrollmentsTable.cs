using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>enrollments</c> table: DPS individual and group enrollments.</summary>
internal sealed class EnrollmentsTable(Database db)
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS enrollments(
            id TEXT PRIMARY KEY COLLATE NOCASE, is_group INTEGER NOT NULL, attestation TEXT NOT NULL,
            primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, created INTEGER NOT NULL)
        """;

    public void Upsert(EnrollmentInfo e)
    {
        using var c = db.Open();
        Exec(c, """
            INSERT INTO enrollments(id,is_group,attestation,primary_key,secondary_key,thumbprint,ca_pem,created)
            VALUES($id,$g,$a,$pk,$sk,$tp,$ca,$cr)
            ON CONFLICT(id) DO UPDATE SET is_group=$g, attestation=$a, primary_key=$pk, secondary_key=$sk, thumbprint=$tp, ca_pem=$ca
            """,
            ("$id", e.Id), ("$g", e.IsGroup ? 1 : 0), ("$a", e.Attestation.ToString()), ("$pk", e.PrimaryKey), ("$sk", e.SecondaryKey),
            ("$tp", e.Thumbprint), ("$ca", e.CaPem), ("$cr", e.CreatedUtc.ToUnixTimeMilliseconds()));
    }

    public bool Delete(string id)
    {
        using var c = db.Open();
        return Exec(c, "DELETE FROM enrollments WHERE id=$id", ("$id", id)) > 0;
    }

    public List<EnrollmentInfo> List(string? id = null, bool? group = null)
    {
        using var c = db.Open();
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
}
