// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>The shared log: levels filter lines, lines carry the prefix, and a throwing sink changes nothing.</summary>
    [TestClass]
    public class LoggerTests
    {
        private static string _last;
        private static int _lines;

        private static void Record(string line)
        {
            _last = line;
            _lines++;
        }

        [TestMethod]
        public void Logs_FollowsTheLevel()
        {
            DeviceOptions options = new DeviceOptions();
            Logger log = new Logger(options);
            Assert.AreEqual((int)IotLogLevel.Disabled, (int)options.LogLevel, "quiet by default");
            Assert.IsFalse(log.Logs(IotLogLevel.ApiOnly));
            Assert.IsFalse(log.Logs(IotLogLevel.All));
            options.LogLevel = IotLogLevel.ApiOnly;
            Assert.IsTrue(log.Logs(IotLogLevel.ApiOnly));
            Assert.IsFalse(log.Logs(IotLogLevel.All), "per-message lines only at All");
            options.LogLevel = IotLogLevel.All;
            Assert.IsTrue(log.Logs(IotLogLevel.ApiOnly));
            Assert.IsTrue(log.Logs(IotLogLevel.All));
        }

        [TestMethod]
        public void Log_WritesPrefixedLinesOfItsLevel_ToTheSink()
        {
            DeviceOptions options = new DeviceOptions();
            Logger log = new Logger(options);
            options.LogSink = Record;
            Assert.IsNotNull(options.LogSink);
            _lines = 0;
            log.Log(IotLogLevel.ApiOnly, "quiet");
            Assert.AreEqual(0, _lines, "disabled: nothing written");
            options.LogLevel = IotLogLevel.ApiOnly;
            log.Log(IotLogLevel.ApiOnly, "connected");
            Assert.AreEqual(1, _lines);
            Assert.AreEqual("[iotc] connected", _last);
            log.Log(IotLogLevel.All, "published 1");
            Assert.AreEqual(1, _lines, "an All line is not written at ApiOnly");
            options.LogLevel = IotLogLevel.All;
            log.Log(IotLogLevel.All, "published 2");
            Assert.AreEqual(2, _lines);
            Assert.AreEqual("[iotc] published 2", _last);
        }

        [TestMethod]
        public void AThrowingSink_IsIgnored()
        {
            DeviceOptions options = new DeviceOptions();
            Logger log = new Logger(options);
            options.LogLevel = IotLogLevel.All;
            int calls = 0;
            options.LogSink = line =>
            {
                calls++;
                throw new InvalidOperationException("sink broke");
            };
            log.Log(IotLogLevel.ApiOnly, "one");
            log.Log(IotLogLevel.All, "two");
            Assert.AreEqual(2, calls, "each line reached the sink; neither threw out");
        }
    }
}
