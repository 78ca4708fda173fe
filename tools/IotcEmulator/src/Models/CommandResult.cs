namespace IotcEmulator;

/// <summary>Result of a direct method (command) invocation.</summary>
/// <param name="InvocationId">Stored invocation id.</param>
/// <param name="Status">Device's status code, or 404 (device offline / not subscribed), 504 (timeout).</param>
/// <param name="PayloadJson">Device's response payload (text), or an error JSON.</param>
/// <param name="TimedOut">True when the device did not answer in time.</param>
public sealed record CommandResult(long InvocationId, int Status, string? PayloadJson, bool TimedOut);
