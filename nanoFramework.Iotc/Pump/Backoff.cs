// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The one retry policy: exponential back-off from a minimum to a maximum with ±20 % jitter, and which statuses
    /// are worth retrying. The jitter is seeded per device (its id and the boot clock), so a fleet that lost its
    /// hub at the same moment does not come back in lock-step.
    /// </summary>
    internal sealed class Backoff
    {
        private readonly Random _random;
        private readonly int _minMilliseconds;
        private readonly int _maxMilliseconds;

        internal Backoff(int minMilliseconds, int maxMilliseconds, int seed)
        {
            _minMilliseconds = minMilliseconds;
            _maxMilliseconds = maxMilliseconds;
            _random = new Random(seed);
        }

        internal int MinMilliseconds
        {
            get { return _minMilliseconds; }
        }

        internal int MaxMilliseconds
        {
            get { return _maxMilliseconds; }
        }

        /// <summary>A per-device seed: the same id on two boots, or two ids at the same moment, give different jitter.</summary>
        internal static int Seed(string deviceId, long nowMilliseconds)
        {
            return deviceId.GetHashCode() ^ (int)nowMilliseconds ^ (int)(nowMilliseconds >> 32);
        }

        /// <summary>Throttled (429) or a service fault (5xx): asking again later may succeed. Used for DPS and twin requests.</summary>
        internal static bool IsRetryable(int status)
        {
            return status == 429 || (status >= 500 && status < 600);
        }

        /// <summary>The wait before retry number <paramref name="attempt"/> (0 = first): min·2^attempt capped at max, ±20 %.</summary>
        internal int Delay(int attempt)
        {
            long delay = _minMilliseconds;
            for (int i = 0; i < attempt && delay < _maxMilliseconds; i++)
            {
                delay *= 2;
            }

            if (delay > _maxMilliseconds)
            {
                delay = _maxMilliseconds;
            }

            long jitter = delay / 5;
            if (jitter > 0)
            {
                delay += _random.Next((int)(2 * jitter + 1)) - jitter;
            }

            return (int)delay;
        }
    }
}
