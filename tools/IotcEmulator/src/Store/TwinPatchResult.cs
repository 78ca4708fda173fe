namespace IotcEmulator;

/// <summary>Outcome of <see cref="TwinsTable.Patch"/>: the new version, or why nothing changed.</summary>
internal readonly record struct TwinPatchResult(long? Version, bool NoSuchDevice, bool TooLarge);
