namespace IotcEmulator;

/// <summary>A fixed port of the emulator is taken by another process.</summary>
public sealed class PortInUseException : IOException
{
    /// <summary>Creates the exception for the port, what it serves and the CLI option that changes it.</summary>
    public PortInUseException(int port, string what, string option, Exception inner)
        : base($"port {port} for {what} is already in use by another process; stop it or pick another port with {option} <port> ({option} 0 picks a free one)", inner)
    {
        Port = port;
        Option = option;
    }

    /// <summary>The busy port.</summary>
    public int Port { get; }

    /// <summary>The command line option that chooses this port.</summary>
    public string Option { get; }
}
