// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;

namespace Iotc.Bench
{
    /// <summary>
    /// device-figures: what a board pays for the SDK's own work, per operation — a hub SAS token, a 4 KB twin parse, and one
    /// telemetry message through the whole pump (SendTelemetry, DoNext, PUBACK, MessageSent) over the no-op transport.
    /// mscorlib only (DateTime ticks), so the same file runs on nanoCLR (bench/nf) and on .NET (bench --only device-figures).
    /// </summary>
    public static class DeviceFigures
    {
        // Test-only key (base64 of bytes 0..31); never a real credential.
        private const string Key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        private static int _sink;
        private static int _confirmed;

        /// <summary>Runs every case for at least <paramref name="budgetMs"/> ms each.</summary>
        public static void Run(int budgetMs, TextScaling.Printer print)
        {
            long expiry = 1900000000;
            long sas = TextScaling.NanosecondsPer(budgetMs, () => _sink += SasToken.ForHub(NoopTransport.Hub, "bench-device", Key, expiry++).Length);
            print("device-figures sas-token: " + TextScaling.Micro(sas) + " us/op");

            string twin = TwinDocument(4096);
            long parse = TextScaling.NanosecondsPer(budgetMs, () => _sink += TwinProtocol.ParseTwinGet(twin).Count);
            print("device-figures twin-parse " + Utf8.GetByteCount(twin) + " B: " + TextScaling.Micro(parse) + " us/op");

            NoopTransport transport = new NoopTransport();
            Device device = new Device("0ne00BENCH0", Key, transport.DeviceId, IotConnectType.SymmetricKey);
            device.SetTransportFactory(transport);
            device.On(IotcEvents.MessageSent, info => _confirmed++);
            device.Connect();
            device.DoNext();
            device.DoNext();
            int before = _confirmed;
            long ns = TextScaling.NanosecondsPer(budgetMs, () =>
            {
                device.SendTelemetry("{\"temp\":21.5,\"humidity\":40}");
                device.DoNext();
            });
            device.DoNext();
            print("device-figures pump-telemetry: " + TextScaling.Micro(ns) + " us/msg (" + (_confirmed - before) + " confirmed, " + device.PendingMessages + " pending)");
            device.Dispose();
            if (_sink == 42)
            {
                print(string.Empty);
            }
        }

        /// <summary>A twin GET answer of about <paramref name="bytes"/> bytes: desired properties with numbers and strings.</summary>
        public static string TwinDocument(int bytes)
        {
            StringBuffer b = new StringBuffer(bytes + 128).Append("{\"desired\":{");
            int i = 0;
            while (b.Length < bytes - 64)
            {
                b.Append("\"setting").Append(i).Append("\":{\"value\":").Append(i).Append(",\"unit\":\"C\"},");
                i++;
            }

            return b.Append("\"$version\":7},\"reported\":{\"$version\":3}}").ToString();
        }
    }
}
