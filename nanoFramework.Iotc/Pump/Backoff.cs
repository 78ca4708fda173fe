// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// A device's back-off: its jitter source and its bounds (<see cref="DeviceOptions"/>, read at Connect); the waits
    /// themselves are <see cref="RetryPolicy.Delay"/>'s. The jitter is seeded per device (its id and the boot clock), so
    /// a fleet that lost its hub at the same moment does not come back in lock-step.
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

        /// <summary>The wait after <paramref name="failures"/> failed tries in a row (1 = the first): see <see cref="RetryPolicy.Delay"/>.</summary>
        internal int Delay(int failures)
        {
            return RetryPolicy.Delay(failures, _minMilliseconds, _maxMilliseconds, _random);
        }
    }
}
