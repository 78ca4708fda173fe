namespace IotcEmulator;

/// <summary>A device twin: desired and reported documents, each JSON text including its <c>$version</c>.</summary>
/// <param name="DeviceId">Device id.</param>
/// <param name="DesiredJson">Desired properties JSON with <c>$version</c>.</param>
/// <param name="DesiredVersion">Desired <c>$version</c>.</param>
/// <param name="ReportedJson">Reported properties JSON with <c>$version</c>.</param>
/// <param name="ReportedVersion">Reported <c>$version</c>.</param>
public sealed record TwinDocument(string DeviceId, string DesiredJson, long DesiredVersion, string ReportedJson, long ReportedVersion)
{
    /// <summary>The twin as a device sees it on a twin GET: <c>{"desired":{…},"reported":{…}}</c>.</summary>
    public string ToDeviceJson() => "{\"desired\":" + DesiredJson + ",\"reported\":" + ReportedJson + "}";
}
