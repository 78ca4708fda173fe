// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>Exponential back-off with jitter: min · 2^attempt, capped, then ±20 % so a fleet does not retry in step.</summary>
    internal class Backoff
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

        /// <summary>The delay before retry number <paramref name="attempt"/> (0 = first retry).</summary>
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

            // Jitter in [-20 %, +20 %].
            long jitter = delay / 5;
            if (jitter > 0)
            {
                delay += _random.Next((int)(2 * jitter + 1)) - jitter;
            }

            return (int)delay;
        }
    }
}
