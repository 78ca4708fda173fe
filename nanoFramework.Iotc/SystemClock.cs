// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Threading;

namespace nanoFramework.Iotc
{
    /// <summary>The real clock: <see cref="DateTime.UtcNow"/> and <see cref="Thread.Sleep(int)"/>.</summary>
    public class SystemClock : IClock
    {
        // DateTime ticks at 1970-01-01T00:00:00Z (the device's DateTime has no DateTimeKind constructor).
        private const long EpochTicks = 621355968000000000L;

        /// <inheritdoc/>
        public long NowMilliseconds
        {
            get { return (DateTime.UtcNow.Ticks - EpochTicks) / TimeSpan.TicksPerMillisecond; }
        }

        /// <inheritdoc/>
        public void Sleep(int milliseconds)
        {
            if (milliseconds > 0)
            {
                Thread.Sleep(milliseconds);
            }
        }
    }
}
