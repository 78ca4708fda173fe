using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator.Bench;

/// <summary>
/// The emulator's ingestion bench (<c>dotnet run -c Release --project bench/emulator</c>): QoS 1 telemetry from N
/// MQTTnet clients over TLS on loopback, against the emulator (auth, topic rules, property-bag parsing, SQLite
/// persistence) and against a bare MQTTnet TLS server with no interception or persistence.
/// Both servers and both client sets stay up for the whole run and the load alternates between them in short rounds
/// (ABBA order), so a burst of load from elsewhere on a shared machine hits both sides alike; the verdict uses the median
/// round of each side. The emulator's rate is what SQLite committed during the measured window (the store's commit
/// counter, cross-checked against <c>SELECT COUNT(*)</c> at the end), not what was acked.
/// </summary>
internal static class EmulatorBench
{
    const double WarmupSeconds = 0.75;
    const double TargetPersisted = 10_000;
    const double TargetRatio = 0.5;

    public static async Task<int> RunAsync(TextWriter o, int seconds, int devices, int inflight, double roundSeconds, CancellationToken ct)
    {
        seconds = Math.Max(1, seconds);
        devices = Math.Clamp(devices, 1, 2000);
        inflight = Math.Clamp(inflight, 1, 256);
        roundSeconds = Math.Clamp(roundSeconds, 0.5, 60);
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emulator-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var proc = Process.GetCurrentProcess();
        o.WriteLine($"bench: {devices} devices per side, {inflight} QoS 1 publishes in flight each, TLS on loopback; alternating rounds of "
            + $"{WarmupSeconds:0.##} s warm-up + {roundSeconds:0.##} s measured for ~{seconds} s (after one unmeasured warm-up pair)");
        var memStart = Memory(proc);
        o.WriteLine($"memory at start:            {memStart}");
        List<IMqttClient>? emuClients = null, bareClients = null;
        MqttServer? bareServer = null;
        CertificateSet? certs = null;
        try
        {
            await using var host = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                DataDirectory = dir, DpsPort = 0, MqttPort = 0, CreateDemoEnrollment = false, Log = _ => { },
            }, ct);
            var keys = new List<(string Id, string? User, string? Password)>();
            for (var i = 0; i < devices; i++)
            {
                var (dev, key) = await host.Operator.CreateDeviceAsync($"bench-{i:D4}");
                keys.Add((dev.DeviceId, $"{host.HubHostName}/{dev.DeviceId}/?api-version=2021-04-12",
                    SasHelper.CreateToken($"{host.HubHostName}/devices/{dev.DeviceId}", key, DateTimeOffset.UtcNow.AddHours(2))));
            }
            emuClients = await ConnectAllAsync(host.CaCertificate, host.MqttPort, keys, ct);

            // Bare MQTTnet server with the same certificate, no interception, no persistence.
            certs = CertificateSet.LoadOrCreate(dir, "localhost");
            var port = Ports.FindFree(false);
            bareServer = new MqttServerFactory().CreateMqttServer(new MqttServerOptionsBuilder().WithoutDefaultEndpoint().WithEncryptedEndpoint()
                .WithEncryptedEndpointBoundIPAddress(IPAddress.Loopback).WithEncryptedEndpointBoundIPV6Address(IPAddress.None)
                .WithEncryptedEndpointPort(port).WithEncryptionCertificate(certs.Server)
                .WithEncryptionSslProtocol(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13).Build());
            await bareServer.StartAsync();
            bareClients = await ConnectAllAsync(certs.Ca, port, keys.Select(k => (k.Id, (string?)null, (string?)null)).ToList(), ct);

            long emuAckedTotal = 0;
            async Task<RoundResult> EmulatorRound(double measure)
            {
                var r = await RoundAsync(emuClients, inflight, measure, () => host.Operator.PersistedTelemetryCount, ct);
                emuAckedTotal += r.AckedTotal;
                // Drain the writer before the next round so its backlog never runs on the bare side's time.
                var sw = Stopwatch.StartNew();
                await host.Operator.GetTelemetryAsync(limit: 1); // returns once everything received is committed
                return r with { FlushSeconds = sw.Elapsed.TotalSeconds };
            }
            Task<RoundResult> BareRound(double measure) => RoundAsync(bareClients, inflight, measure, null, ct);

            // One unmeasured pair: JIT tiering, connection buffers, SQLite page cache. Memory is always sampled right
            // after an emulator round has been drained, so every sample sees the process in the same state.
            await BareRound(Math.Min(1, roundSeconds));
            await EmulatorRound(Math.Min(1, roundSeconds));
            var memBase = Memory(proc);
            o.WriteLine($"memory after warm-up pair:  {memBase}");

            var emu = new List<double>();
            var emuAcked = new List<double>();
            var bare = new List<double>();
            var emuCpu = new List<double>();
            var bareCpu = new List<double>();
            var samples = new List<MemorySample> { memBase };
            var run = Stopwatch.StartNew();
            for (var pair = 1; run.Elapsed.TotalSeconds < seconds; pair++)
            {
                // ABBA: the side that runs first alternates, so neither always follows the other's GC or flush.
                RoundResult e, b;
                MemorySample m;
                if (pair % 2 == 1) { e = await EmulatorRound(roundSeconds); m = Memory(proc); b = await BareRound(roundSeconds); }
                else { b = await BareRound(roundSeconds); e = await EmulatorRound(roundSeconds); m = Memory(proc); }
                emuCpu.Add(e.CpuMicrosPerMessage);
                bareCpu.Add(b.CpuMicrosPerMessage);
                emu.Add(e.PersistedPerSecond);
                emuAcked.Add(e.AckedPerSecond);
                bare.Add(b.AckedPerSecond);
                samples.Add(m);
                o.WriteLine($"round {pair,2}: emulator {e.PersistedPerSecond,8:N0} msgs/s persisted ({e.AckedPerSecond,8:N0} acked, flush {e.FlushSeconds * 1000,4:0} ms, CPU {e.CpuMicrosPerMessage,3:0} µs/msg) | bare {b.AckedPerSecond,8:N0} msgs/s acked (CPU {b.CpuMicrosPerMessage,3:0} µs/msg) | {m}");
            }

            var memEnd = samples[^1];
            var runSeconds = run.Elapsed.TotalSeconds;
            await DisconnectAllAsync(emuClients);
            emuClients = null;
            var persisted = host.Operator.PersistedTelemetryCount;
            var rows = CountRows(Path.Combine(dir, "emulator.db"));
            if (rows != persisted || rows < emuAckedTotal)
            {
                throw new InvalidOperationException($"SQLite holds {rows:N0} telemetry rows, the store counted {persisted:N0} commits and clients saw {emuAckedTotal:N0} PUBACKs: acked messages are missing");
            }
            var w = host.Operator.TelemetryWriterStats;
            o.WriteLine($"writer: {w.Commits:N0} commits, {persisted / (double)Math.Max(1, w.Commits):N0} messages per commit on average; busy {w.Busy.TotalSeconds:0.0} s "
                + $"({w.Busy.TotalMilliseconds / Math.Max(1, w.Commits):0.00} ms per commit, of which COMMIT {w.CommitOnly.TotalMilliseconds / Math.Max(1, w.Commits):0.00} ms)");
            o.WriteLine($"SQLite: {rows:N0} telemetry rows = {emuAckedTotal:N0} acked by the emulator's clients (+{rows - emuAckedTotal:N0} persisted whose PUBACK was cut off at round ends)");

            var emuMedian = Median(emu);
            var bareMedian = Median(bare);
            var ratio = emuMedian / bareMedian;
            o.WriteLine($"median of {emu.Count} rounds: emulator {emuMedian:N0} msgs/s persisted (acked {Median(emuAcked):N0}; rounds {emu.Min():N0}..{emu.Max():N0}), "
                + $"bare {bareMedian:N0} msgs/s (rounds {bare.Min():N0}..{bare.Max():N0})");
            o.WriteLine($"ratio of medians emulator(persisted)/bare: {ratio:0.00}x; per-round ratios (pair order): {string.Join(" ", emu.Zip(bare, (x, y) => (x / y).ToString("0.00")))}");
            o.WriteLine($"process CPU per message (median): emulator {Median(emuCpu):0} µs (rounds {emuCpu.Min():0}..{emuCpu.Max():0}), bare {Median(bareCpu):0} µs "
                + $"(rounds {bareCpu.Min():0}..{bareCpu.Max():0}); bare/emulator {Median(bareCpu) / Median(emuCpu):0.00}x");

            o.WriteLine($"memory at end of rounds:    {memEnd}");
            // Flat = live managed data and working set do not keep growing once warm (the warm-up pair, which fills
            // caches once, is the baseline). Growth = median of the later half of the samples minus median of the
            // earlier half: a leak shows in every late sample, a one-off spike in one sample does not.
            var half = samples.Count / 2;
            var early = samples.Take(samples.Count - half).ToList();
            var late = samples.Skip(samples.Count - half).ToList();
            var heapGrowth = Median(late.Select(x => x.HeapMiB).ToList()) - Median(early.Select(x => x.HeapMiB).ToList());
            var wsGrowth = Median(late.Select(x => x.WorkingSetMiB).ToList()) - Median(early.Select(x => x.WorkingSetMiB).ToList());
            var heapTolerance = Math.Max(4, memBase.HeapMiB * 0.10);
            var wsTolerance = Math.Max(32, memBase.WorkingSetMiB * 0.15);
            var flat = heapGrowth <= heapTolerance && wsGrowth <= wsTolerance;
            o.WriteLine($"memory samples (after each emulator round) heap MiB: {string.Join(" ", samples.Select(x => x.HeapMiB.ToString("0.0")))}; working set MiB: {string.Join(" ", samples.Select(x => x.WorkingSetMiB.ToString("0")))}");
            o.WriteLine($"memory over {runSeconds:0} s (later vs earlier half of the samples): managed heap {Math.Round(heapGrowth, 1):+0.0;-0.0;0.0} MiB (tolerance {heapTolerance:0.0}), "
                + $"working set {Math.Round(wsGrowth, 1):+0.0;-0.0;0.0} MiB (tolerance {wsTolerance:0}) -> {(flat ? "flat" : "NOT flat")}");

            var okRate = emuMedian >= TargetPersisted;
            var okRatio = ratio >= TargetRatio;
            var pass = okRate && okRatio && flat;
            o.WriteLine($"{(pass ? "PASS" : "FAIL")}: persisted {emuMedian:N0} msgs/s {(okRate ? ">=" : "<")} {TargetPersisted:N0}; "
                + $"ratio {ratio:0.00}x {(okRatio ? ">=" : "<")} {TargetRatio:0.0}x; memory {(flat ? "flat" : "not flat")}");
            return pass ? 0 : 1;
        }
        finally
        {
            if (emuClients is not null) await DisconnectAllAsync(emuClients);
            if (bareClients is not null) await DisconnectAllAsync(bareClients);
            if (bareServer is not null)
            {
                await bareServer.StopAsync(new MqttServerStopOptions());
                bareServer.Dispose();
            }
            certs?.Dispose();
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    static long CountRows(string dbPath)
    {
        using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={dbPath};Mode=ReadOnly;Pooling=False");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM telemetry";
        return (long)cmd.ExecuteScalar()!;
    }

    static double Median(List<double> values)
    {
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }

    readonly record struct MemorySample(double HeapMiB, double WorkingSetMiB)
    {
        public override string ToString() => $"managed heap {HeapMiB:0.0} MiB, working set {WorkingSetMiB:0.0} MiB";
    }

    static MemorySample Memory(Process p)
    {
        // Live data only: a full blocking collection first, so the heap figure is not the allocation rate in disguise.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        p.Refresh();
        return new MemorySample(GC.GetTotalMemory(false) / 1048576.0, p.WorkingSet64 / 1048576.0);
    }

    static async Task<List<IMqttClient>> ConnectAllAsync(X509Certificate2 ca, int port, List<(string Id, string? User, string? Password)> devices, CancellationToken ct)
    {
        var factory = new MqttClientFactory();
        var clients = new List<IMqttClient>();
        // Connect in small waves: 100 TLS handshakes at once on 2 cores only slow each other down.
        foreach (var wave in devices.Chunk(10))
        {
            await Task.WhenAll(wave.Select(async d =>
            {
                var c = factory.CreateMqttClient();
                // Keep-alive off: a client idles for a whole round while the other side runs.
                var b = new MqttClientOptionsBuilder().WithTcpServer("localhost", port).WithProtocolVersion(MqttProtocolVersion.V311)
                    .WithClientId(d.Id).WithCleanSession().WithTimeout(TimeSpan.FromSeconds(30)).WithKeepAlivePeriod(TimeSpan.Zero)
                    .WithTlsOptions(t => t.UseTls().WithTargetHost("localhost").WithCertificateValidationHandler(a => Trust.IsTrusted(ca, a.Certificate, a.SslPolicyErrors)));
                if (d.User is not null) b.WithCredentials(d.User, d.Password);
                var r = await c.ConnectAsync(b.Build(), ct);
                if (r.ResultCode != MqttClientConnectResultCode.Success) throw new InvalidOperationException($"bench client {d.Id} refused: {r.ResultCode}");
                lock (clients) clients.Add(c);
            }));
        }
        return clients;
    }

    static async Task DisconnectAllAsync(List<IMqttClient> clients)
    {
        foreach (var c in clients)
        {
            try { await c.DisconnectAsync(); } catch { /* already gone */ }
            c.Dispose();
        }
    }

    /// <summary>One measured round of one side.</summary>
    /// <param name="AckedPerSecond">PUBACKs per second in the measured window.</param>
    /// <param name="PersistedPerSecond">Messages committed to SQLite per second in the measured window (0 for the bare server).</param>
    /// <param name="AckedTotal">PUBACKs seen in the whole round, warm-up included (all must end up in SQLite).</param>
    /// <param name="FlushSeconds">Time the writer needed to drain after the round.</param>
    /// <param name="CpuMicrosPerMessage">Process CPU time in the measured window per message (persisted for the emulator,
    /// acked for the bare server): clients, TLS on both ends and the server, so a busy machine slows it less than the rate.</param>
    sealed record RoundResult(double AckedPerSecond, double PersistedPerSecond, long AckedTotal, double FlushSeconds, double CpuMicrosPerMessage);

    /// <summary>All clients publish for a warm-up, then for <paramref name="measure"/> seconds; the rates are taken over
    /// that window only. <paramref name="committed"/> reads the store's commit counter (null for the bare server).</summary>
    static async Task<RoundResult> RoundAsync(List<IMqttClient> clients, int inflight, double measure, Func<long>? committed, CancellationToken ct)
    {
        long acked = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var payload = System.Text.Encoding.UTF8.GetBytes("{\"temperature\":21.5,\"humidity\":48,\"seq\":0}");
        var workers = new List<Task>(clients.Count * inflight);
        foreach (var c in clients)
        {
            var topic = $"devices/{c.Options.ClientId}/messages/events/$.ct=application%2Fjson&$.ce=utf-8";
            var msg = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
            for (var i = 0; i < inflight; i++)
            {
                workers.Add(Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested)
                    {
                        try { await c.PublishAsync(msg, stop.Token); }
                        catch (OperationCanceledException) { return; }
                        catch (MQTTnet.Exceptions.MqttCommunicationTimedOutException) { return; }
                        Interlocked.Increment(ref acked);
                    }
                }));
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(WarmupSeconds), ct);
        var a0 = Interlocked.Read(ref acked);
        var p0 = committed?.Invoke() ?? 0;
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(measure), ct);
        var a1 = Interlocked.Read(ref acked);
        var p1 = committed?.Invoke() ?? 0;
        var cpu1 = Process.GetCurrentProcess().TotalProcessorTime;
        var elapsed = sw.Elapsed.TotalSeconds;
        stop.Cancel();
        try { await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(15)); } catch (Exception) { /* stragglers cancelled */ }
        return new RoundResult((a1 - a0) / elapsed, (p1 - p0) / elapsed, Interlocked.Read(ref acked), 0,
            (cpu1 - cpu0).TotalMicroseconds / Math.Max(1, committed is null ? a1 - a0 : p1 - p0));
    }
}
