namespace IotcEmulator;

internal static class Bench
{
    public static Task<int> RunAsync(TextWriter o, int seconds, int devices, int inflight, CancellationToken ct) => Task.FromResult(0);
}
