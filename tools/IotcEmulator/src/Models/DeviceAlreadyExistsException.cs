namespace IotcEmulator;

/// <summary>A device with this id exists already (IoT Hub: 409 Conflict, error 409001 DeviceAlreadyExists).</summary>
public sealed class DeviceAlreadyExistsException : InvalidOperationException
{
    /// <summary>Creates the exception for the device id.</summary>
    public DeviceAlreadyExistsException(string deviceId) : base($"A device with id '{deviceId}' already exists") { }
}
