using static IotcEmulator.Database;

namespace IotcEmulator;

/// <summary>The <c>devices</c> table: hub devices (a new one gets its twin row too), with their connection times.</summary>
internal sealed class DevicesTable(Database db)
{
    internal const string Schema = """
        CREATE TABLE IF NOT EXISTS devices(
            device_id TEXT PRIMARY KEY, enrollment_id TEXT, attestation TEXT NOT NULL,
            primary_key TEXT, secondary_key TEXT, thumbprint TEXT, ca_pem TEXT, model_id TEXT, payload TEXT,
            assigned_hub TEXT NOT NULL, created INTEGER NOT NULL, last_updated INTEGER NOT NULL, etag TEXT NOT NULL,
            last_connected INTEGER, last_disconnected INTEGER)
        """;

    public DeviceRow Upsert(string deviceId, string? enrollmentId, AttestationKind att, string? pk, string? sk, string? thumbprint, string? caPem,
        string? modelId, string? payload, string hub)
    {
        using var c = db.Open();
        var now = Now();
        Exec(c, """
            INSERT INTO devices(device_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,assigned_hub,created,last_updated,etag)
            VALUES($d,$e,$a,$pk,$sk,$tp,$ca,$m,$p,$h,$now,$now,$etag)
            ON CONFLICT(device_id) DO UPDATE SET enrollment_id=$e, attestation=$a, primary_key=$pk, secondary_key=$sk, thumbprint=$tp, ca_pem=$ca,
              model_id=COALESCE($m, model_id), payload=COALESCE($p, payload), assigned_hub=$h, last_updated=$now, etag=$etag
            """,
            ("$d", deviceId), ("$e", enrollmentId), ("$a", att.ToString()), ("$pk", pk), ("$sk", sk), ("$tp", thumbprint), ("$ca", caPem),
            ("$m", modelId), ("$p", payload), ("$h", hub), ("$now", now), ("$etag", Convert.ToBase64String(Guid.NewGuid().ToByteArray())[..12]));
        Exec(c, "INSERT OR IGNORE INTO twins(device_id,desired,desired_version,reported,reported_version) VALUES($d,'{}',1,'{}',1)", ("$d", deviceId));
        return Get(deviceId)!;
    }

    /// <summary>Creates a device; null when one with this id exists already (IoT Hub answers 409001 DeviceAlreadyExists).</summary>
    public DeviceRow? Insert(string deviceId, AttestationKind att, string? pk, string? thumbprint, string hub)
    {
        using var c = db.Open();
        var now = Now();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO devices(device_id,enrollment_id,attestation,primary_key,thumbprint,assigned_hub,created,last_updated,etag) "
                + "VALUES($d,NULL,$a,$pk,$tp,$h,$now,$now,$etag) ON CONFLICT(device_id) DO NOTHING";
            foreach (var (n, v) in new (string, object?)[] { ("$d", deviceId), ("$a", att.ToString()), ("$pk", pk), ("$tp", thumbprint), ("$h", hub), ("$now", now),
                ("$etag", Convert.ToBase64String(Guid.NewGuid().ToByteArray())[..12]) })
                cmd.Parameters.AddWithValue(n, v ?? DBNull.Value);
            if (cmd.ExecuteNonQuery() == 0) return null;
        }
        Exec(c, "INSERT OR IGNORE INTO twins(device_id,desired,desired_version,reported,reported_version) VALUES($d,'{}',1,'{}',1)", ("$d", deviceId));
        return Get(deviceId);
    }

    public DeviceRow? Get(string deviceId) => List(deviceId).FirstOrDefault();

    public List<DeviceRow> List(string? deviceId = null)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT device_id,enrollment_id,attestation,primary_key,secondary_key,thumbprint,ca_pem,model_id,payload,assigned_hub,created,last_updated,etag,last_connected,last_disconnected FROM devices WHERE ($d IS NULL OR device_id=$d) ORDER BY device_id";
        cmd.Parameters.AddWithValue("$d", (object?)deviceId ?? DBNull.Value);
        using var r = cmd.ExecuteReader();
        var list = new List<DeviceRow>();
        while (r.Read())
        {
            list.Add(new DeviceRow(r.GetString(0), Str(r, 1), Enum.Parse<AttestationKind>(r.GetString(2)), Str(r, 3), Str(r, 4), Str(r, 5), Str(r, 6),
                Str(r, 7), Str(r, 8), r.GetString(9), Ms(r.GetInt64(10)), Ms(r.GetInt64(11)), r.GetString(12), Ms(r.GetValue(13)), Ms(r.GetValue(14))));
        }
        return list;
    }

    public void MarkConnection(string deviceId, bool connected, string? modelId)
    {
        using var c = db.Open();
        if (connected)
            Exec(c, "UPDATE devices SET last_connected=$t, model_id=COALESCE($m, model_id) WHERE device_id=$d", ("$t", Now()), ("$d", deviceId), ("$m", modelId));
        else
            Exec(c, "UPDATE devices SET last_disconnected=$t WHERE device_id=$d", ("$t", Now()), ("$d", deviceId));
    }
}
