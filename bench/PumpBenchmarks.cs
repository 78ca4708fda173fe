// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using System.Text.Json;
using JsonNode = System.Text.Json.Nodes.JsonNode;
using nanoFramework.Iotc;
using JsonValue = nanoFramework.Iotc.Json.JsonValue;

namespace Iotc.Bench
{
    /// <summary>The Device pump over <see cref="NoopTransport"/>, and the portable JSON parser against System.Text.Json.</summary>
    public static partial class Program
    {
        // Test-only key (base64 of bytes 0..31); never a real credential.
        private const string BenchKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

        private const string TelemetryPayload = "{\"temperature\":21.5,\"humidity\":48,\"pressure\":1013.2}";

        // What IoT Central's twin GET answers for a thermostat with a component, a few writable properties already
        // acknowledged and a device-info block: 1-2 KB, nested three levels, strings, numbers, booleans.
        private const string TwinDocument =
            "{\"desired\":{\"targetTemperature\":{\"value\":22.5},\"fanSpeed\":3,\"mode\":\"auto\",\"schedule\":{\"enabled\":true,"
            + "\"weekdays\":[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],\"start\":\"07:30\",\"end\":\"18:00\"},"
            + "\"thermostat1\":{\"__t\":\"c\",\"targetTemperature\":21.0},\"$version\":17},"
            + "\"reported\":{\"targetTemperature\":{\"value\":22.5,\"ac\":200,\"ad\":\"completed\",\"av\":16},\"fanSpeed\":{\"value\":3,\"ac\":200,\"ad\":\"completed\",\"av\":15},"
            + "\"maxTempSinceLastReboot\":28.75,\"serialNumber\":\"SN-000-1234-ABCD\",\"firmware\":\"1.4.2\",\"lastBoot\":\"2026-01-12T08:15:30.000Z\","
            + "\"deviceInformation\":{\"__t\":\"c\",\"manufacturer\":\"Contoso\",\"model\":\"TH-100\",\"swVersion\":\"1.4.2\",\"osName\":\"nanoFramework\","
            + "\"processorArchitecture\":\"Xtensa\",\"processorManufacturer\":\"Espressif\",\"totalStorage\":4096,\"totalMemory\":520},"
            + "\"thermostat1\":{\"__t\":\"c\",\"targetTemperature\":{\"value\":21.0,\"ac\":200,\"ad\":\"completed\",\"av\":17},\"maxTempSinceLastReboot\":27.1},"
            + "\"$version\":42}}";

        private static long _messagesSent;
        private static long _commandsHandled;

        // Connects a Device to a NoopTransport with the real clock (token renewal is an hour away).
        private static Device NewConnectedDevice(NoopTransport transport)
        {
            Device device = new Device("0ne00BENCH0", BenchKey, transport.DeviceId, IotConnectType.SymmetricKey);
            device.SetTransportFactory(transport);
            device.On(IotcEvents.MessageSent, info => _messagesSent++);
            device.On(IotcEvents.Command, info =>
            {
                _commandsHandled++;
                info.SetResponse(200, "{\"done\":true}");
            });
            device.Connect();
            device.DoNext(); // takes the twin GET answer and the PUBACKs of the connect
            device.DoNext();
            if (!device.IsConnected)
            {
                throw new InvalidOperationException("bench device did not connect");
            }

            return device;
        }

        // (a) One telemetry message through the whole pump per iteration: SendTelemetry queues it, DoNext publishes it
        // (the no-op transport acknowledges at once) and, one DoNext later, takes the PUBACK and raises MessageSent. In
        // steady state each DoNext completes the previous message and publishes the current one.
        private static void PumpTelemetry()
        {
            NoopTransport transport = new NoopTransport();
            using (Device device = NewConnectedDevice(transport))
            {
                long publishedBefore = transport.TelemetryPublishes;
                long sentBefore = _messagesSent;
                long sends = 0;
                Action op = () =>
                {
                    device.SendTelemetry(TelemetryPayload);
                    device.DoNext();
                    sends++;
                };
                double ns = MedianNanosecondsPerOp(op)[0];
                double bytes = BytesPerOp(op);
                device.DoNext(); // confirms the last one
                if (transport.TelemetryPublishes - publishedBefore != sends || _messagesSent - sentBefore != sends || device.PendingMessages != 0)
                {
                    throw new InvalidOperationException(Format(
                        "pump lost messages: {0} sent, {1} published, {2} MessageSent, {3} pending",
                        sends, transport.TelemetryPublishes - publishedBefore, _messagesSent - sentBefore, device.PendingMessages));
                }

                Console.WriteLine(Format(
                    "pump telemetry (SendTelemetry->DoNext->PUBACK->MessageSent, {0}B JSON): {1:N0} msgs/s, {2:F2} us/msg, {3:F0} B allocated/msg",
                    TelemetryPayload.Length, 1e9 / ns, ns / 1000, bytes));
            }
        }

        // (b) One direct-method request per iteration: the transport hands it over, DoNext raises Command (the handler
        // sets a JSON response) and publishes $iothub/methods/res/200; the response's PUBACK is taken in the next DoNext.
        // Request ids cycle through a precomputed set so the benchmark's own string building is not measured.
        private static void PumpCommands()
        {
            NoopTransport transport = new NoopTransport();
            string[] topics = new string[256];
            for (int i = 0; i < topics.Length; i++)
            {
                topics[i] = "$iothub/methods/POST/thermostat*reboot/?$rid=" + i.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
            }

            byte[] request = System.Text.Encoding.UTF8.GetBytes("{\"delay\":5}");
            using (Device device = NewConnectedDevice(transport))
            {
                long responsesBefore = transport.CommandResponses200;
                long handledBefore = _commandsHandled;
                long requests = 0;
                Action op = () =>
                {
                    transport.Deliver(topics[requests & 255], request);
                    device.DoNext();
                    requests++;
                };
                double ns = MedianNanosecondsPerOp(op)[0];
                double bytes = BytesPerOp(op);
                device.DoNext();
                if (transport.CommandResponses200 - responsesBefore != requests || _commandsHandled - handledBefore != requests || device.PendingMessages != 0)
                {
                    throw new InvalidOperationException(Format(
                        "pump lost commands: {0} requests, {1} handled, {2} responses, {3} pending",
                        requests, _commandsHandled - handledBefore, transport.CommandResponses200 - responsesBefore, device.PendingMessages));
                }

                Console.WriteLine(Format(
                    "pump commands (method request->Command callback->response publish): {0:N0} commands/s, {1:F2} us/command, {2:F0} B allocated/command",
                    1e9 / ns, ns / 1000, bytes));
            }
        }

        // (c) Parsing a typical twin GET document: the portable JsonValue.Parse (validates the whole text and builds an
        // index of values over it; strings are decoded only when read) against System.Text.Json's JsonDocument.Parse
        // (the same idea: validate and index, decode lazily), and, for scale, JsonNode.Parse (a fully built DOM).
        // Each side reads one nested value so both have done what a caller would need.
        private static void JsonTwinParse()
        {
            if (JsonValue.Parse(TwinDocument).GetMember("reported").GetMember("$version").GetInt64(-1) != 42
                || JsonDocument.Parse(TwinDocument).RootElement.GetProperty("reported").GetProperty("$version").GetInt64() != 42)
            {
                throw new InvalidOperationException("twin document read differently; not benchmarking a wrong result");
            }

            Action managedOp = () => _sink += (int)JsonValue.Parse(TwinDocument).GetMember("desired").GetMember("$version").GetInt64(0);
            Action documentOp = () =>
            {
                using (JsonDocument d = JsonDocument.Parse(TwinDocument))
                {
                    _sink += (int)d.RootElement.GetProperty("desired").GetProperty("$version").GetInt64();
                }
            };
            Action nodeOp = () => _sink += (int)JsonNode.Parse(TwinDocument)["desired"]["$version"].GetValue<long>();

            double[] ns = MedianNanosecondsPerOp(managedOp, documentOp, nodeOp);
            double managed = ns[0];
            double document = ns[1];
            double node = ns[2];
            double managedBytes = BytesPerOp(managedOp);
            double documentBytes = BytesPerOp(documentOp);
            double nodeBytes = BytesPerOp(nodeOp);
            Console.WriteLine(Format(
                "json twin parse ({0}B): JsonValue {1:F2} us ({2:F0} B), JsonDocument {3:F2} us ({4:F0} B), ratio {5:F1}x; JsonNode {6:F2} us ({7:F0} B), ratio {8:F1}x",
                TwinDocument.Length, managed / 1000, managedBytes, document / 1000, documentBytes, managed / document, node / 1000, nodeBytes, managed / node));
        }
    }
}
