using System.CommandLine;
using IotcEmulator.Bench;

// The emulator's ingestion bench; what it measures is in the header of EmulatorBench.cs.
//   dotnet run -c Release --project bench/emulator -- [--seconds 30] [--round 2] [--devices 100] [--inflight 8]
// Exit code 1 when the verdict (last line) is FAIL.
var seconds = new Option<int>("--seconds") { Description = "Seconds of alternating emulator/bare rounds (after a warm-up pair); 60 for a 1-minute memory run.", DefaultValueFactory = _ => 30 };
var round = new Option<double>("--round") { Description = "Measured seconds per round and side (each after a short warm-up).", DefaultValueFactory = _ => 2 };
var devices = new Option<int>("--devices") { Description = "Simulated devices (MQTTnet clients).", DefaultValueFactory = _ => 100 };
var inflight = new Option<int>("--inflight") { Description = "QoS 1 publishes in flight per device.", DefaultValueFactory = _ => 8 };
var root = new RootCommand("QoS 1 telemetry throughput: emulator (ingest + SQLite) vs a bare MQTTnet server, on loopback over TLS.") { seconds, devices, inflight, round };
root.SetAction(async (pr, ct) => await EmulatorBench.RunAsync(Console.Out, pr.GetValue(seconds), pr.GetValue(devices), pr.GetValue(inflight), pr.GetValue(round), ct));
return await root.Parse(args).InvokeAsync();
