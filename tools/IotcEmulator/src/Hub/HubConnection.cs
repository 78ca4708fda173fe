using System.Net;

namespace IotcEmulator;

/// <summary>A device's open hub connection.</summary>
internal sealed class HubConnection
{
    /// <summary>Tells this connection from a later one of the same device (the session, and its items, may be shared).</summary>
    public required EndPoint? RemoteEndPoint { get; init; }
    public required string ClientId { get; init; }
    public required DateTimeOffset Expiry { get; init; }
    public required HubSession Session { get; init; }
    public CancellationTokenSource Cts { get; } = new();
}
