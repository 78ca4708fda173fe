namespace IotcEmulator;

internal static class Cli
{
    public static async Task<int> RunAsync(string[] args)
    {
        await using var host = await EmulatorHost.StartAsync(new EmulatorOptions());
        await Task.Delay(Timeout.Infinite);
        return 0;
    }
}
