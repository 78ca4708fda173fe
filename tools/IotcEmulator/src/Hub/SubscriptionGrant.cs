namespace IotcEmulator;

/// <summary>What a subscription filter gives the device.</summary>
internal enum SubscriptionGrant { Refused, Harmless, Methods, TwinResponses, Desired, C2d }
