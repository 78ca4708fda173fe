// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The log shared by the pump's parts, at the level and to the sink of <see cref="DeviceOptions"/> (read at each line:
    /// both may change at any time). Logging never changes what the pump does: a sink that throws is ignored for that
    /// line, so a message is never sent twice or refused because a log line failed.
    /// </summary>
    internal sealed class Logger
    {
        private readonly DeviceOptions _options;

        internal Logger(DeviceOptions options)
        {
            _options = options;
        }

        /// <summary>True when lines of <paramref name="level"/> are written: per-message lines check first, so a quiet device builds no strings.</summary>
        internal bool Logs(IotLogLevel level)
        {
            IotLogLevel configured = _options.LogLevel;
            return configured != IotLogLevel.Disabled && (level != IotLogLevel.All || configured == IotLogLevel.All);
        }

        internal void Log(IotLogLevel level, string line)
        {
            if (!Logs(level))
            {
                return;
            }

            string text = "[iotc] " + line;
            try
            {
                IotcLogSink sink = _options.LogSink;
                if (sink != null)
                {
                    sink(text);
                }
                else
                {
                    Console.WriteLine(text);
                }
            }
            catch (Exception)
            {
                // The application's sink failed: drop the line, never the work.
            }
        }
    }
}
