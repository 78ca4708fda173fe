namespace IotcEmulator;

/// <summary>A stored command invocation.</summary>
/// <param name="Id">Invocation id.</param>
/// <param name="DeviceId">Target device.</param>
/// <param name="Name">Method name.</param>
/// <param name="RequestJson">Request payload.</param>
/// <param name="RequestedUtc">When it was sent.</param>
/// <param name="Status">Response status (null while pending).</param>
/// <param name="ResponseJson">Response payload.</param>
/// <param name="RespondedUtc">When the device answered.</param>
/// <param name="Outcome">pending, completed, timeout, offline.</param>
public sealed record CommandInvocation(long Id, string DeviceId, string Name, string? RequestJson, DateTimeOffset RequestedUtc,
    int? Status, string? ResponseJson, DateTimeOffset? RespondedUtc, string Outcome);
