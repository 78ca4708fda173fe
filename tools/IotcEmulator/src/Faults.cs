using System.Collections.Concurrent;

namespace IotcEmulator;

/// <summary>Fault-injection switches shared by DPS and the hub. Thread-safe.</summary>
internal sealed class Faults
{
    long _refuseConnectsUntilTicks;
    int _dpsThrottleRemaining;
    int _dpsThrottleRetryAfter = 5;
    int _dpsAssigningPolls;
    long _tokenCapTicks; // 0 = no cap

    public ConcurrentDictionary<string, TimeSpan> PubAckDelays { get; } = new(StringComparer.Ordinal);
    public ConcurrentDictionary<string, bool> PubAckWithheld { get; } = new(StringComparer.Ordinal);

    public void RefuseConnects(TimeSpan d) => Interlocked.Exchange(ref _refuseConnectsUntilTicks, (DateTimeOffset.UtcNow + d).UtcTicks);

    public bool RefusingConnects => DateTimeOffset.UtcNow.UtcTicks < Interlocked.Read(ref _refuseConnectsUntilTicks);

    public void ThrottleDps(int requests, int retryAfterSeconds)
    {
        Volatile.Write(ref _dpsThrottleRetryAfter, Math.Max(1, retryAfterSeconds));
        Volatile.Write(ref _dpsThrottleRemaining, Math.Max(0, requests));
    }

    /// <summary>Consumes one throttled answer if any are left; returns its Retry-After seconds.</summary>
    public int? TakeDpsThrottle()
    {
        while (true)
        {
            var n = Volatile.Read(ref _dpsThrottleRemaining);
            if (n <= 0) return null;
            if (Interlocked.CompareExchange(ref _dpsThrottleRemaining, n - 1, n) == n) return Volatile.Read(ref _dpsThrottleRetryAfter);
        }
    }

    public void KeepAssigning(int polls) => Volatile.Write(ref _dpsAssigningPolls, Math.Max(0, polls));

    /// <summary>The number of extra "assigning" polls that a new registration gets.</summary>
    public int AssigningPolls => Volatile.Read(ref _dpsAssigningPolls);

    public TimeSpan? TokenLifetimeCap
    {
        get { var t = Interlocked.Read(ref _tokenCapTicks); return t <= 0 ? null : TimeSpan.FromTicks(t); }
        set => Interlocked.Exchange(ref _tokenCapTicks, value is { } v && v > TimeSpan.Zero ? v.Ticks : 0);
    }

    public void Clear()
    {
        Interlocked.Exchange(ref _refuseConnectsUntilTicks, 0);
        Volatile.Write(ref _dpsThrottleRemaining, 0);
        Volatile.Write(ref _dpsAssigningPolls, 0);
        Interlocked.Exchange(ref _tokenCapTicks, 0);
        PubAckDelays.Clear();
        PubAckWithheld.Clear();
    }

    public object Snapshot() => new
    {
        refuseConnectsUntilUtc = RefusingConnects ? new DateTimeOffset(Interlocked.Read(ref _refuseConnectsUntilTicks), TimeSpan.Zero) : (DateTimeOffset?)null,
        dpsThrottleRemaining = Volatile.Read(ref _dpsThrottleRemaining),
        dpsAssigningPolls = AssigningPolls,
        tokenLifetimeCapSeconds = TokenLifetimeCap?.TotalSeconds,
        pubAckDelaysMs = PubAckDelays.ToDictionary(k => k.Key, v => v.Value.TotalMilliseconds),
        pubAckWithheld = PubAckWithheld.Keys.ToArray(),
    };
}
