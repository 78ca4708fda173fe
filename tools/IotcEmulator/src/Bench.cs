using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace IotcEmulator;

/// <summary>
/// <c>bench</c>: QoS 1 telemetry from N MQTTnet clients over TLS on loopback, first against the emulator (auth, topic
/// rules, property-bag parsing, SQLite persistence), then against a bare MQTTnet TLS server with no interception or
/// persistence; prints both rates, the ratio and memory.
/// </summary>
internal static class Bench
{
    public static async Task<int> RunAsync(TextWriter o, int seconds, int devices, int inflight, CancellationToken ct)
    {
        seconds = Math.Max(1, seconds);
        devices = Math.Clamp(devices, 1, 2000);
        inflight = Math.Clamp(inflight, 1, 256);
        var dir = Path.Combine(Path.GetTempPath(), "iotc-emulator-bench-" + Guid.NewGuid().ToString("N")[..8]);
        var proc = Process.GetCurrentProcess();
        o.WriteLine($"bench: {devices} devices, {inflight} QoS 1 publishes in flight each, {seconds} s measured per phase (+2 s warm-up), TLS on loopback");
        var memStart = Memory(proc);
        o.WriteLine($"memory at start: {memStart}");
        try
        {
            // ---------- phase 1: the emulator ----------
            double persistedRate;
            long persisted;
            LoadResult emu;
            string emuMemory;
            await using (var host = await EmulatorHost.StartAsync(new EmulatorOptions
            {
                DataDirectory = dir, DpsPort = 0, MqttPort = 0, CreateDemoEnrollment = false, Log = _ => { },
            }, ct))
            {
                var keys = new List<(string Id, string Key)>();
                for (var i = 0; i < devices; i++)
                {
                    var (dev, key) = await host.Operator.CreateDeviceAsync($"bench-{i:D4}");
                    keys.Add((dev.DeviceId, key));
                }
                var clients = await ConnectAllAsync(host.CaCertificate, host.MqttPort, keys.Select(k => (k.Id,
                    (string?)$"{host.HubHostName}/{k.Id}/?api-version=2021-04-12",
                    (string?)SasHelper.CreateToken($"{host.HubHostName}/devices/{k.Id}", k.Key, DateTimeOffset.UtcNow.AddHours(2)))).ToList(), ct);
                var before = host.Operator.PersistedTelemetryCount;
                emu = await LoadAsync("emulator", clients, inflight, seconds, ct);
                var sw = Stopwatch.StartNew();
                await host.Operator.GetTelemetryAsync(limit: 1); // waits until everything received is committed
                var flush = sw.Elapsed.TotalSeconds;
                persisted = host.Operator.PersistedTelemetryCount;
                // Everything acked in the window is on disk once the flush returns; the rate also charges the flush time.
                if (persisted - before < emu.WarmupAcked + emu.Acked) throw new InvalidOperationException("acked messages missing from SQLite");
                persistedRate = emu.Acked / (emu.Seconds + flush);
                emuMemory = Memory(proc);
                await DisconnectAllAsync(clients);
                o.WriteLine($"emulator: {emu.AckedPerSecond,10:N0} msgs/s acked (QoS 1), {persistedRate,10:N0} msgs/s persisted to SQLite (incl. {flush * 1000:0} ms final flush); {persisted:N0} rows in total");
                o.WriteLine($"memory after emulator phase: {emuMemory}");
            }

            // ---------- phase 2: bare MQTTnet server, same TLS certificate, no persistence ----------
            LoadResult bare;
            using (var certs = CertificateSet.LoadOrCreate(dir, "localhost"))
            {
                var port = Ports.FindFree(false);
                var options = new MqttServerOptionsBuilder().WithoutDefaultEndpoint().WithEncryptedEndpoint()
                    .WithEncryptedEndpointBoundIPAddress(IPAddress.Loopback).WithEncryptedEndpointBoundIPV6Address(IPAddress.None)
                    .WithEncryptedEndpointPort(port).WithEncryptionCertificate(certs.Server)
                    .WithEncryptionSslProtocol(System.Security.Authentication.SslProtocols.Tls12 | System.Security.Authentication.SslProtocols.Tls13).Build();
                using var server = new MqttServerFactory().CreateMqttServer(options);
                await server.StartAsync();
                var clients = await ConnectAllAsync(certs.Ca, port, Enumerable.Range(0, devices).Select(i => ($"bench-{i:D4}", (string?)null, (string?)null)).ToList(), ct);
                bare = await LoadAsync("bare", clients, inflight, seconds, ct);
                await DisconnectAllAsync(clients);
                await server.StopAsync(new MqttServerStopOptions());
                o.WriteLine($"bare MQTTnet: {bare.AckedPerSecond,10:N0} msgs/s acked (QoS 1), no persistence");
            }

            var ratio = persistedRate / bare.AckedPerSecond;
            o.WriteLine($"ratio emulator(persisted)/bare: {ratio:0.00}x   (targets: >= 10,000 msgs/s persisted, >= 0.5x bare)");
            o.WriteLine($"memory at end: {Memory(proc)}");
            o.WriteLine(persistedRate >= 10_000 && ratio >= 0.5 ? "RESULT: targets met" : "RESULT: below target");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    static string Memory(Process p)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        p.Refresh();
        return $"managed heap {GC.GetTotalMemory(false) / 1048576.0:0.0} MiB, working set {p.WorkingSet64 / 1048576.0:0.0} MiB";
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
                var b = new MqttClientOptionsBuilder().WithTcpServer("localhost", port).WithProtocolVersion(MqttProtocolVersion.V311)
                    .WithClientId(d.Id).WithCleanSession().WithTimeout(TimeSpan.FromSeconds(30))
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

    sealed record LoadResult(string Name, double AckedPerSecond, long Acked, double Seconds, long WarmupAcked);

    static async Task<LoadResult> LoadAsync(string name, List<IMqttClient> clients, int inflight, int seconds, CancellationToken ct)
    {
        long acked = 0;
        long measuring = 0; // 0 warm-up, 1 measuring, 2 done
        long warmupAcked = 0;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var payload = System.Text.Encoding.UTF8.GetBytes("{\"temperature\":21.5,\"humidity\":48,\"seq\":0}");
        var workers = new List<Task>();
        foreach (var c in clients)
        {
            var topic = $"devices/{c.Options.ClientId}/messages/events/$.ct=application%2Fjson&$.ce=utf-8";
            for (var i = 0; i < inflight; i++)
            {
                workers.Add(Task.Run(async () =>
                {
                    var msg = new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build();
                    while (!stop.IsCancellationRequested)
                    {
                        try { await c.PublishAsync(msg, stop.Token); }
                        catch (OperationCanceledException) { return; }
                        catch (MQTTnet.Exceptions.MqttCommunicationTimedOutException) { return; }
                        var phase = Interlocked.Read(ref measuring);
                        if (phase == 1) Interlocked.Increment(ref acked);
                        else if (phase == 0) Interlocked.Increment(ref warmupAcked);
                    }
                }));
            }
        }
        await Task.Delay(TimeSpan.FromSeconds(2), ct);
        var sw = Stopwatch.StartNew();
        Interlocked.Exchange(ref measuring, 1);
        await Task.Delay(TimeSpan.FromSeconds(seconds), ct);
        Interlocked.Exchange(ref measuring, 2);
        var elapsed = sw.Elapsed.TotalSeconds;
        var total = Interlocked.Read(ref acked);
        stop.Cancel();
        try { await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(15)); } catch (Exception) { /* stragglers cancelled */ }
        return new LoadResult(name, total / elapsed, total, elapsed, Interlocked.Read(ref warmupAcked));
    }
}
