// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc
{
    /// <summary>Time as the SDK sees it: wall clock for token expiry, and waiting. Replaceable so tests need not sleep.</summary>
    public interface IClock
    {
        /// <summary>Current UTC time in milliseconds since the Unix epoch. Tokens need a synced clock (SNTP on a board).</summary>
        long NowMilliseconds { get; }

        /// <summary>Blocks the calling thread for <paramref name="milliseconds"/>.</summary>
        /// <param name="milliseconds">How long.</param>
        void Sleep(int milliseconds);
    }
}
