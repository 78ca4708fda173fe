namespace IotcEmulator;

/// <summary>A payload above one of IoT Hub's size limits (twin section 32 KB, C2D 64 KB, method payload 128 KB).</summary>
public sealed class PayloadTooLargeException : ArgumentException
{
    /// <summary>Creates the exception with a message naming the limit.</summary>
    public PayloadTooLargeException(string message) : base(message) { }
}
