// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The log shared by the pump's parts. Logging never changes what the pump does: a sink that throws is
    /// ignored for that line, so a message is never sent twice or refused because a log line failed.
    /// </summary>
    internal sealed class Logger
    {
        private IotLogLevel _level = IotLogLevel.Disabled;
        private IotcLogSink _sink;

        internal IotLogLevel Level
        {
            get { return _level; }
            set { _level = value; }
        }

        internal IotcLogSink Sink
        {
            get { return _sink; }
            set { _sink = value; }
        }

        /// <summary>True when lines of <paramref name="level"/> are written: per-message lines check first, so a quiet device builds no strings.</summary>
        internal bool Logs(IotLogLevel level)
        {
            return _level != IotLogLevel.Disabled && (level != IotLogLevel.All || _level == IotLogLevel.All);
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
                IotcLogSink sink = _sink;
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
