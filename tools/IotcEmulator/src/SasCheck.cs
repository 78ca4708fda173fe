namespace IotcEmulator;

/// <summary>Outcome of checking a shared access signature.</summary>
internal enum SasCheck
{
    Ok,
    Malformed,
    WrongResource,
    WrongKeyName,
    Expired,
    BadSignature,
}
