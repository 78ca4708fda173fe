// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// Deterministic fuzzing (fixed seeds, printed in every failure): generated malformed and hostile server messages
    /// through the pump, DPS bodies through the parser and through Connect. Nothing may escape, nothing may grow without
    /// bound, and the device must still work afterwards.
    /// </summary>
    [TestClass]
    public class FuzzTests
    {
        // Test-only key (base64 of bytes 0..31); never a real credential.
        private const string Key = DeviceTests.Key;
        private const string Hub = DeviceTests.Hub;
        private const int PumpSeed = 60601;
        private const int DpsSeed = 60602;
        private const int PumpMessages = 1200;

        private static string _bigString;
        private static string _deepArray;

        [TestMethod]
        public void HostileServerMessages_NeverEscapeDoNext_AndTheDeviceStillWorks()
        {
            FakeTransport t = new FakeTransport();
            t.AddAssignment(Hub, "dev-1");
            Device device = new Device("0ne00000001", Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(t);
            device.SetClock(new FakeClock());

            // The "hub" here acknowledges only every 50 messages: a window of 16 keeps the application's sends flowing.
            device.SetInFlightWindow(16, 30000);

            // Level All, checked line by line (not kept: 1,200 messages of up to 100 KB would be too much for a board).
            int[] logStats = new int[3];
            device.SetLogLevel(IotLogLevel.All);
            device.SetLogSink(line =>
            {
                logStats[0]++;
                if (line.IndexOf(Key) >= 0 || line.IndexOf("SharedAccessSignature") >= 0)
                {
                    logStats[1]++;
                }

                if (line.IndexOf("could not be handled") >= 0)
                {
                    // The pump's last-resort catch: hostile input should be handled before it gets there.
                    logStats[2]++;
                }
            });

            Random r = new Random(PumpSeed);
            int[] calls = new int[5];
            device.On(IotcEvents.Command, info =>
            {
                calls[0]++;
                switch (r.Next(6))
                {
                    case 0: info.SetResponse(r.Next(3) - 1, null); break;
                    case 1: info.SetResponse(200, "not json {"); break;
                    case 2: info.SetResponse(int.MaxValue, "{\"ok\":true}"); break;
                    case 3: throw new InvalidOperationException("application bug");
                    default: break;
                }
            });
            device.On(IotcEvents.SettingsUpdated, info =>
            {
                calls[1]++;
                if (r.Next(3) == 0)
                {
                    info.SetResponse(r.Next(1000) - 500, r.Next(2) == 0 ? null : "\u0000\"\\");
                }
            });
            device.On(IotcEvents.MessageReceived, info => calls[2]++);
            device.On(IotcEvents.EnqueuedCommand, info => calls[3]++);
            device.On(IotcEvents.MessageSent, info => calls[4]++);
            device.Connect();

            int acked = 1;
            int maxPending = 0;
            for (int i = 0; i < PumpMessages; i++)
            {
                string what = "message " + i + " of seed " + PumpSeed;
                FakeMqtt mqtt = t.Current;
                string topic = Topic(r);
                mqtt.DeliverBytes(topic, Payload(r));
                if (r.Next(8) == 0)
                {
                    mqtt.Puback(r.Next(3) == 0 ? -r.Next(1000) : r.Next(100));
                }

                if (r.Next(10) == 0)
                {
                    device.SendTelemetry("{\"i\":" + i + "}");
                }

                Exception escaped = null;
                try
                {
                    device.DoNext();
                }
                catch (Exception ex)
                {
                    escaped = ex;
                }

                Assert.IsNull(escaped, what + " (topic " + Clip(topic) + "): " + (escaped == null ? string.Empty : escaped.GetType().Name + ": " + escaped.Message));
                Assert.IsTrue(device.IsConnected, what + ": still connected");
                Assert.AreSame(mqtt, t.Current, what + ": no reconnect");
                if (device.PendingMessages > maxPending)
                {
                    maxPending = device.PendingMessages;
                }

                // Every so often the "hub" catches up: PUBACKs and twin answers for what the device published.
                if (i % 50 == 49)
                {
                    acked = CatchUp(mqtt, acked);
                }
            }

            Assert.IsTrue(maxPending <= 40, "outbox bounded by 32 + the reserve of 8, was " + maxPending + " (seed " + PumpSeed + ")");
            Assert.AreEqual(0, logStats[1], "no secret in any log line (seed " + PumpSeed + ")");
            Assert.AreEqual(0, logStats[2], "no message needed the pump's last-resort catch (seed " + PumpSeed + ")");
            Assert.IsTrue(calls[0] > 50 && calls[1] > 10 && calls[2] > 10, "the fuzz reached the handlers (settings stop once a huge $version was seen, as they should): " + calls[0] + "/" + calls[1] + "/" + calls[2] + " (seed " + PumpSeed + ")");

            // Afterwards the device works: drain, then a telemetry round trip and a valid command.
            FakeMqtt last = t.Current;
            for (int round = 0; round < 20 && device.PendingMessages > 0; round++)
            {
                acked = CatchUp(last, acked);
                device.DoNext();
            }

            Assert.AreEqual(0, device.PendingMessages, "drained (seed " + PumpSeed + ")");
            int sentBefore = calls[4];
            int id = device.SendTelemetry("{\"after\":true}");
            device.DoNext();
            int index = last.Topics.Count - 1;
            Assert.AreEqual("{\"after\":true}", last.Text(index));
            last.Ack(index);
            device.DoNext();
            Assert.AreEqual(sentBefore + 1, calls[4], "MessageSent for the round trip (seed " + PumpSeed + ")");

            device.On(IotcEvents.Command, info => info.SetResponse(200, "{\"echo\":" + info.Payload + "}"));
            last.Deliver("$iothub/methods/POST/ping/?$rid=final", "{\"n\":1}");
            device.DoNext();
            Assert.AreEqual("$iothub/methods/res/200/?$rid=final", last.Topic(last.Topics.Count - 1));
            Assert.AreEqual("{\"echo\":{\"n\":1}}", last.Text(last.Topics.Count - 1));
            Assert.IsTrue(device.IsConnected);
            OutputHelper.WriteLine("fuzz seed " + PumpSeed + ": " + PumpMessages + " messages, " + logStats[0] + " log lines, handlers " + calls[0] + "/" + calls[1] + "/" + calls[2] + "/" + calls[3] + ", max pending " + maxPending);
        }

        [TestMethod]
        public void DpsParser_NeverThrows_OnGeneratedBodies()
        {
            Random r = new Random(DpsSeed);
            int assigned = 0;
            for (int i = 0; i < 1000; i++)
            {
                int status = StatusCode(r);
                string body = DpsBody(r);
                DpsResult result = null;
                Exception escaped = null;
                try
                {
                    result = DpsProtocol.ParseResponse(status, body);
                }
                catch (Exception ex)
                {
                    escaped = ex;
                }

                string what = "case " + i + " of seed " + DpsSeed + " (" + status + " " + Clip(body) + ")";
                Assert.IsNull(escaped, what);
                Assert.IsNotNull(result, what);
                if (result.IsAssigned)
                {
                    assigned++;
                    Assert.IsTrue(result.AssignedHub.Length > 0 && result.DeviceId.Length > 0, what);
                }

                Assert.IsFalse(result.IsMalformed && (result.IsAssigned || result.IsAssigning), what);
            }

            Assert.IsTrue(assigned > 0, "some generated bodies are valid assignments (seed " + DpsSeed + ")");
        }

        [TestMethod]
        public void Connect_WithMalformedDpsAnswers_EndsInIotcException_WithStatusMinus5()
        {
            string[] unreadable =
            {
                string.Empty, "null", "[]", "\"assigned\"", "{", "{\"status\":1}", "{\"status\":null}", "{\"operationId\":7}",
                "{\"status\":\"assigned\"}",
                "{\"status\":\"assigned\",\"registrationState\":\"x\"}",
                "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"\",\"deviceId\":\"dev-1\"}}",
                "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"evil/host\",\"deviceId\":\"dev-1\"}}",
                "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"a b\",\"deviceId\":\"dev-1\"}}",
                "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"hub.net\",\"deviceId\":\"a#b\"}}",
                "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"hub.net\",\"deviceId\":7}}",
                "{\"status\":\"assigning\"}", "{\"status\":\"assigning\",\"operationId\":\"\"}", "{\"status\":\"assigning\",\"operationId\":{}}",
                "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"hub.net\"" + Deep(40) + "}}",
                "\u0000", "{\"status\":\"assign\u0000ed\"}",
            };
            for (int i = 0; i < unreadable.Length; i++)
            {
                for (int http = 200; http <= 202; http += 2)
                {
                    IotcException error = ConnectWith(http, unreadable[i], "case " + i);
                    Assert.AreEqual(IotcStatus.ProtocolError, error.StatusCode, "case " + i + " (" + http + " " + Clip(unreadable[i]) + "): " + error.Message);
                }
            }

            // Mutations of a valid answer: either the device connects, or Connect throws IotcException — nothing else.
            Random r = new Random(DpsSeed + 1);
            string valid = "{\"operationId\":\"op\",\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"" + Hub + "\",\"deviceId\":\"dev-1\",\"status\":\"assigned\"}}";
            int connected = 0;
            for (int i = 0; i < 200; i++)
            {
                string body = Mutate(r, valid);
                FakeTransport t = new FakeTransport();
                t.AddHttp(r.Next(4) == 0 ? StatusCode(r) : 200, body, r.Next(3) - 1);
                Device device = NewDevice(t);
                try
                {
                    device.Connect();
                    connected++;
                    Assert.IsTrue(device.IsConnected);
                }
                catch (IotcException ex)
                {
                    Assert.DoesNotContains(Key, ex.Message);
                }
                catch (Exception ex)
                {
                    Assert.IsNull(ex, "mutation " + i + " of seed " + (DpsSeed + 1) + " (" + Clip(body) + "): " + ex.GetType().Name + ": " + ex.Message);
                }

                device.Dispose();
            }

            OutputHelper.WriteLine("DPS mutations (seed " + (DpsSeed + 1) + "): " + connected + " of 200 still valid");
        }

        // ---- helpers ------------------------------------------------------------------------------------------

        private static Device NewDevice(FakeTransport t)
        {
            Device device = new Device("0ne00000001", Key, "dev-1", IotConnectType.SymmetricKey);
            device.SetTransportFactory(t);
            device.SetClock(new FakeClock());
            return device;
        }

        private static IotcException ConnectWith(int http, string body, string what)
        {
            FakeTransport t = new FakeTransport();
            t.AddHttp(http, body, 1);
            Device device = NewDevice(t);
            IotcException error = null;
            try
            {
                device.Connect();
            }
            catch (IotcException ex)
            {
                error = ex;
            }
            catch (Exception ex)
            {
                Assert.IsNull(ex, what + ": " + ex.GetType().Name + ": " + ex.Message);
            }

            Assert.IsNotNull(error, what + ": Connect must fail");
            Assert.DoesNotContains(Key, error.Message);
            device.Dispose();
            return error;
        }

        /// <summary>Answers every PUBACK and reported-patch request published since <paramref name="from"/>.</summary>
        private static int CatchUp(FakeMqtt mqtt, int from)
        {
            const string Reported = "$iothub/twin/PATCH/properties/reported/?$rid=";
            for (int i = from; i < mqtt.Topics.Count; i++)
            {
                string topic = mqtt.Topic(i);
                if ((int)mqtt.PacketIds[i] != 0)
                {
                    mqtt.Ack(i);
                }

                if (topic.IndexOf(Reported) == 0)
                {
                    mqtt.Deliver("$iothub/twin/res/204/?$rid=" + topic.Substring(Reported.Length), string.Empty);
                }
            }

            return mqtt.Topics.Count;
        }

        private static string Topic(Random r)
        {
            switch (r.Next(12))
            {
                case 0:
                case 1:
                    return "$iothub/methods/POST/" + Name(r) + "/?$rid=" + Rid(r);
                case 2:
                    return Pick(r, new string[] { "$iothub/methods/POST/x/?", "$iothub/methods/POST/x", "$iothub/methods/POST//?$rid=1", "$iothub/methods/POST/x/?$rid=", "$iothub/methods/POST/x/?rid=1", "$iothub/methods/POST/" });
                case 3:
                case 4:
                    return "$iothub/twin/res/" + Status(r) + "/?$rid=" + Rid(r) + (r.Next(2) == 0 ? "&$version=" + Version(r) : string.Empty);
                case 5:
                    return Pick(r, new string[] { "$iothub/twin/res//?$rid=1", "$iothub/twin/res/abc/?$rid=1", "$iothub/twin/res/200/?$rid=&$rid=2", "$iothub/twin/res/200", "$iothub/twin/res/200/", "$iothub/twin/res/2000000/?$rid=1" });
                case 6:
                case 7:
                    return "$iothub/twin/PATCH/properties/desired/" + (r.Next(4) == 0 ? string.Empty : "?$version=" + Version(r));
                case 8:
                    return Pick(r, new string[] { "devices/dev-1/messages/devicebound/", "devices/other/messages/devicebound/a=b", "devices//messages/devicebound/", "devices/dev-1/messages/devicebound/%ZZ=%&&=x&method-name=" + Name(r) })
                        + (r.Next(2) == 0 ? "&k=" + Name(r) : string.Empty);
                case 9:
                    return Pick(r, new string[] { string.Empty, "$iothub/", "#", "/", "devices/dev-1", "$iothub/twin/PATCH/properties/reported/?$rid=1", "\u0000\uFFFF\uD800" });
                case 10:
                    return r.Next(20) == 0 ? "$iothub/methods/POST/" + new string('n', 20000) + "/?$rid=1" : RandomText(r, r.Next(60));
                default:
                    return Mutate(r, Pick(r, new string[] { "$iothub/methods/POST/m/?$rid=5", "$iothub/twin/res/200/?$rid=1&$version=3", "$iothub/twin/PATCH/properties/desired/?$version=9", "devices/dev-1/messages/devicebound/a=b" }));
            }
        }

        private static byte[] Payload(Random r)
        {
            string text;
            switch (r.Next(14))
            {
                case 0:
                    text = "{\"a\":" + r.Next() + ",\"$version\":" + Version(r) + "}";
                    break;
                case 1:
                    text = Pick(r, new string[] { "{\"$version\":\"x\",\"a\":1}", "{\"$version\":1e999,\"a\":1}", "{\"$version\":-3,\"a\":1}", "{\"$version\":null}", "{\"desired\":\"x\"}", "{\"desired\":{\"$version\":true,\"a\":[1,2]}}", "{\"desired\":{\"a\":1,\"$version\":99999999999999999999}}" });
                    break;
                case 2:
                    string doc = "{\"desired\":{\"a\":{\"b\":[1,2,{\"c\":\"d\"}]},\"$version\":4},\"reported\":{}}";
                    text = doc.Substring(0, r.Next(doc.Length));
                    break;
                case 3:
                    text = DeepArray();
                    break;
                case 4:
                    // Keep the very large documents rare: a board must not spend its heap on them.
                    text = r.Next(10) == 0 ? BigString() : "{\"a\":\"" + new string('x', 2000) + "\",\"$version\":" + r.Next(1000) + "}";
                    break;
                case 5:
                    byte[] raw = new byte[r.Next(64)];
                    r.NextBytes(raw);
                    return raw;
                case 6:
                    text = Pick(r, new string[] { "{\"a\u0000\":1,\"$version\":5}", "\u0000", "{\"a\":\"\u0000\"}", "{\"\u0000\":{\"__t\":\"c\",\"\u0000\":1}}" });
                    break;
                case 7:
                    text = Pick(r, new string[] { "1e999", "-0", "1e-999", "123456789012345678901234567890", "{\"a\":1e999,\"$version\":1e999}", "{\"a\":-1e999}" });
                    break;
                case 8:
                    text = string.Empty;
                    break;
                case 9:
                    text = "{\"c\":{\"__t\":\"c\",\"\":1,\"$x\":2,\"p\":3,\"__t\":\"c\"},\"" + Name(r) + "\":true,\"$version\":" + Version(r) + "}";
                    break;
                case 10:
                    text = Pick(r, new string[] { "{\"a\":\"\\uD800\"}", "{\"a\":\"\\u12\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\\", "{\"a\" 1}", "{,}", "{\"a\":1,}", "[1,]" });
                    break;
                case 11:
                    text = "{\"a\":" + Deep(r.Next(60)) + ",\"$version\":" + r.Next(1000) + "}";
                    break;
                default:
                    byte[] bytes = nanoFramework.Iotc.Text.Utf8.GetBytes("{\"setPoint\":21.5,\"fan\":{\"rpm\":9000},\"$version\":" + r.Next(1000) + "}");
                    int flips = 1 + r.Next(3);
                    for (int i = 0; i < flips; i++)
                    {
                        bytes[r.Next(bytes.Length)] = (byte)r.Next(256);
                    }

                    return bytes;
            }

            return nanoFramework.Iotc.Text.Utf8.GetBytes(text);
        }

        private static string DpsBody(Random r)
        {
            string hub = Pick(r, new string[] { Hub, string.Empty, "a/b", "x y", "h\u0000" });
            string id = Pick(r, new string[] { "dev-1", string.Empty, "a#b", "7" });
            string status = Pick(r, new string[] { "assigned", "assigning", "failed", "disabled", "unassigned", "ASSIGNED", string.Empty });
            string valid = "{\"operationId\":\"" + Name(r) + "\",\"status\":\"" + status + "\",\"registrationState\":{\"assignedHub\":\"" + hub + "\",\"deviceId\":\"" + id + "\",\"errorCode\":" + Version(r) + "}}";
            switch (r.Next(6))
            {
                case 0:
                    return valid;
                case 1:
                    return valid.Substring(0, r.Next(valid.Length));
                case 2:
                    return Mutate(r, valid);
                case 3:
                    // null is not an array element here: on nanoCLR an unassigned string[] slot is not == null.
                    int which = r.Next(7);
                    return which == 0 ? null : new string[] { string.Empty, "null", "[]", "{\"errorCode\":\"x\"}", "{\"errorCode\":1e999,\"message\":7}", "{\"registrationState\":[]}" }[which - 1];
                case 4:
                    return "{\"status\":\"assigned\",\"registrationState\":" + Deep(r.Next(100)) + "}";
                default:
                    return RandomText(r, r.Next(100));
            }
        }

        private static string Name(Random r)
        {
            return Pick(r, new string[] { "m", "reboot", "comp*cmd", "*", "a/b", "%41", "\u00E9", "n\u0000", "x y", "$rid", RandomText(r, r.Next(12)) });
        }

        private static string Rid(Random r)
        {
            return Pick(r, new string[] { r.Next(40).ToString(), "1", string.Empty, "%", "%ZZ", "$rid", "1&$rid=2", "a%00b", new string('9', 300), RandomText(r, r.Next(8)) });
        }

        private static string Status(Random r)
        {
            return Pick(r, new string[] { "0", "200", "204", "400", "429", "500", "999", "99999", "x", "-1", string.Empty, "2OO" });
        }

        private static string Version(Random r)
        {
            return Pick(r, new string[] { r.Next(100).ToString(), "99999999999999999999", "-5", "x", "1e999", string.Empty, "9223372036854775807", "1.5" });
        }

        private static int StatusCode(Random r)
        {
            int[] codes = { 0, 200, 201, 202, 204, 301, 400, 401, 404, 429, 500, 503, 999, -1 };
            return codes[r.Next(codes.Length)];
        }

        // A char array, not strings: on nanoFramework the string "\u0000" would be empty.
        private static readonly char[] MutationAlphabet = { '{', '}', '"', ':', ',', '/', '?', '&', '=', '%', '$', '\\', '\u0000', 'x', '9' };

        private static string Mutate(Random r, string text)
        {
            char[] chars = text.ToCharArray();
            int edits = 1 + r.Next(4);
            for (int i = 0; i < edits && chars.Length > 0; i++)
            {
                chars[r.Next(chars.Length)] = MutationAlphabet[r.Next(MutationAlphabet.Length)];
            }

            return new string(chars);
        }

        private static string RandomText(Random r, int length)
        {
            char[] chars = new char[length];
            for (int i = 0; i < length; i++)
            {
                chars[i] = r.Next(4) == 0 ? (char)r.Next(0x10000) : (char)r.Next(0x80);
            }

            return new string(chars);
        }

        private static string Pick(Random r, string[] choices)
        {
            return choices[r.Next(choices.Length)];
        }

        private static string Deep(int depth)
        {
            char[] chars = new char[(depth * 6) + 1];
            int n = 0;
            for (int i = 0; i < depth; i++)
            {
                chars[n++] = '{';
                chars[n++] = '"';
                chars[n++] = 'a';
                chars[n++] = '"';
                chars[n++] = ':';
            }

            chars[n++] = '1';
            for (int i = 0; i < depth; i++)
            {
                chars[n++] = '}';
            }

            return new string(chars, 0, n);
        }

        /// <summary>5,000 nested arrays (made once).</summary>
        private static string DeepArray()
        {
            if (_deepArray == null)
            {
                _deepArray = new string('[', 5000) + new string(']', 5000);
            }

            return _deepArray;
        }

        /// <summary>A desired patch with a 100 KB string value (made once).</summary>
        private static string BigString()
        {
            if (_bigString == null)
            {
                _bigString = "{\"big\":\"" + new string('x', 100 * 1024) + "\",\"$version\":7}";
            }

            return _bigString;
        }

        private static string Clip(string text)
        {
            if (text == null)
            {
                return "null";
            }

            return text.Length > 80 ? text.Substring(0, 80) + "…" : text;
        }
    }
}
