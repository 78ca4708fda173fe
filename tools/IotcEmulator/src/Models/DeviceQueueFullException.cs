namespace IotcEmulator;

/// <summary>The device's C2D queue is full: IoT Hub keeps at most 50 messages per device (error 403004).</summary>
public sealed class DeviceQueueFullException : InvalidOperationException
{
    /// <summary>Creates the exception for a device and the queue depth it reached.</summary>
    public DeviceQueueFullException(string deviceId, int depth)
        : base($"The C2D queue of device '{deviceId}' already holds {depth} messages (IoT Hub's maximum)")
    {
        DeviceId = deviceId;
    }

    /// <summary>The device whose queue is full.</summary>
    public string DeviceId { get; }
}
