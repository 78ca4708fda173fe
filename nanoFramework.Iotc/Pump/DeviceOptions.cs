// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// Every setting of a device, in one place, and the one place they are validated: Device's setters forward here
    /// (refused once Connect() has started, <see cref="Frozen"/>), and the parts read them when they start. The log
    /// level and sink and the ack form may change at any time: the Logger and TwinSync read them at each use.
    /// </summary>
    internal sealed class DeviceOptions
    {
        internal string ScopeId;
        internal string DeviceId;
        internal string DeviceKey;
        internal IotConnectType CredType;
        internal string ClientCertificatePem;
        internal string ClientPrivateKeyPem;

        internal string ServiceHost = Device.DefaultServiceHost;
        internal int ServicePort = 443;
        internal int MqttPort = 8883;
        internal int Qos = 1;
        internal int TokenLifetimeSeconds = 3600;
        internal string ModelId;
        internal string RootCaPem;
        internal int KeepAliveSeconds = 60;
        internal int TimeoutMilliseconds = 30000;
        internal int BackoffMinMilliseconds = 1000;
        internal int BackoffMaxMilliseconds = 60000;
        internal int OutboxMaxMessages = 32;
        internal int OutboxMaxBytes = 32 * 1024;
        internal int InFlightWindow = Publisher.DefaultWindow;
        internal int InFlightTimeoutMilliseconds = Publisher.DefaultInFlightTimeoutMs;

        /// <summary>Settings acks in the legacy iotc form instead of Plug and Play's (may change at any time).</summary>
        internal bool LegacyAcks;

        /// <summary>How much is logged (may change at any time).</summary>
        internal IotLogLevel LogLevel = IotLogLevel.Disabled;

        /// <summary>Where log lines go; null: <c>Console.WriteLine</c> (may change at any time).</summary>
        internal IotcLogSink LogSink;

        /// <summary>A connection shorter than this does not reset the back-off (a hub closing it at once, a duplicate identity).</summary>
        internal int MinStableConnectionMilliseconds = 30000;

        /// <summary>How long one DPS registration (register plus polls) may take.</summary>
        internal long ProvisioningTimeoutMilliseconds = 120000;

        internal ITransportFactory Transports;
        internal IProvisioningStore ProvisioningStore;

        /// <summary>Connection attempts (DPS, TLS, CONNECT) run on a worker thread; the outcome is taken up by a later DoNext.</summary>
        internal bool ConnectInBackground;
        internal IClock Clock = new SystemClock();

        /// <summary>Set when Connect() starts: connection settings cannot change afterwards.</summary>
        internal bool Frozen;

        private static readonly char[] DtmiPrefix = "dtmi:".ToCharArray();

        internal TlsSettings Tls()
        {
            TlsSettings tls = new TlsSettings();
            tls.RootCaPem = RootCaPem;
            tls.ClientCertificatePem = ClientCertificatePem;
            tls.ClientPrivateKeyPem = ClientPrivateKeyPem;
            return tls;
        }

        internal void SetLogLevel(IotLogLevel logLevel)
        {
            if (logLevel != IotLogLevel.Disabled && logLevel != IotLogLevel.ApiOnly && logLevel != IotLogLevel.All)
            {
                throw new ArgumentOutOfRangeException("logLevel");
            }

            LogLevel = logLevel;
        }

        /// <summary><c>host</c>, <c>host:port</c>, <c>[IPv6]</c> or <c>[IPv6]:port</c> (default port 443).</summary>
        internal void SetServiceHost(string host)
        {
            NotNull(host, "host");
            int port = 443;
            string name = host.Trim();
            if (name.IndexOf("://") >= 0)
            {
                throw new ArgumentException("give a host name (optionally host:port), not a URL", "host");
            }

            // A bare IPv6 address is ambiguous with a port and refused.
            int colon = name.LastIndexOf(':');
            int bracket = name.LastIndexOf(']');
            if (colon >= 0 && bracket < colon)
            {
                long parsed = Ordinal.ParseDigits(name.Substring(colon + 1), 5);
                if (parsed < 1 || parsed > 65535)
                {
                    throw new ArgumentException("the port must be 1..65535", "host");
                }

                port = (int)parsed;
                name = name.Substring(0, colon);
            }

            if (!Validation.IsHostName(name))
            {
                throw new ArgumentException("not a host name (letters, digits, '-' and '.', or an IPv6 address in brackets), optionally with :port", "host");
            }

            ServiceHost = name;
            ServicePort = port;
        }

        internal void SetHubPort(int port)
        {
            InRange(port, 1, 65535, "port", null);
            MqttPort = port;
        }

        internal void SetQos(int qosLevel)
        {
            InRange(qosLevel, 0, 1, "qosLevel", "IoT Hub supports QoS 0 and 1");
            Qos = qosLevel;
        }

        internal void SetTokenLifetime(int seconds)
        {
            InRange(seconds, 10, 31536000, "seconds", "between 10 seconds and one year");
            TokenLifetimeSeconds = seconds;
        }

        internal void SetModelId(string modelId)
        {
            NotNull(modelId, "modelId");
            if (!IsModelId(modelId))
            {
                throw new ArgumentException("a DTDL model id looks like dtmi:com:example:Model;1", "modelId");
            }

            ModelId = modelId;
        }

        /// <summary>Root PEM(s); <paramref name="platformProblem"/>: what the platform found wrong reading them, or null.</summary>
        internal void SetRootCertificate(string pem, string platformProblem)
        {
            NotNull(pem, "pem");
            if (pem.IndexOf("-----BEGIN CERTIFICATE-----") < 0)
            {
                throw new ArgumentException("not a PEM certificate", "pem");
            }

            // Two PEMs glued without a line break read as fewer (or zero) certificates: every connection would then fail
            // with a generic "certificate rejected", far from the cause.
            if (pem.IndexOf("----------BEGIN") >= 0 || pem.IndexOf("-----END CERTIFICATE----------") >= 0)
            {
                throw new ArgumentException("two certificates are joined without a line break between -----END CERTIFICATE----- and -----BEGIN CERTIFICATE-----", "pem");
            }

            if (platformProblem != null)
            {
                throw new ArgumentException("the root certificate PEM cannot be used: " + platformProblem, "pem");
            }

            RootCaPem = pem;
        }

        internal void SetOutboxLimits(int maxMessages, int maxBytes)
        {
            InRange(maxMessages, 1, int.MaxValue, "maxMessages", null);
            InRange(maxBytes, 1, int.MaxValue, "maxBytes", null);
            OutboxMaxMessages = maxMessages;
            OutboxMaxBytes = maxBytes;
        }

        internal void SetInFlightWindow(int messages, int timeoutMilliseconds)
        {
            InRange(messages, 1, 1024, "messages", null);
            InRange(timeoutMilliseconds, 1000, 600000, "timeoutMilliseconds", null);
            InFlightWindow = messages;
            InFlightTimeoutMilliseconds = timeoutMilliseconds;
        }

        internal void SetBackoff(int minMilliseconds, int maxMilliseconds)
        {
            InRange(minMilliseconds, 1, int.MaxValue, "minMilliseconds", null);
            InRange(maxMilliseconds, minMilliseconds, int.MaxValue, "maxMilliseconds", null);
            BackoffMinMilliseconds = minMilliseconds;
            BackoffMaxMilliseconds = maxMilliseconds;
        }

        internal void SetTimeouts(int keepAliveSeconds, int timeoutMilliseconds)
        {
            InRange(keepAliveSeconds, 5, 1200, "keepAliveSeconds", null);
            InRange(timeoutMilliseconds, 500, 120000, "timeoutMilliseconds", null);
            KeepAliveSeconds = keepAliveSeconds;
            TimeoutMilliseconds = timeoutMilliseconds;
        }

        /// <summary>Other transports; their attempts run on the application's thread unless background is asked for after this.</summary>
        internal void SetTransports(ITransportFactory transports)
        {
            NotNull(transports, "transports");
            Transports = transports;
            ConnectInBackground = false;
        }

        internal void SetClock(IClock clock)
        {
            NotNull(clock, "clock");
            Clock = clock;
        }

        private static void NotNull(object value, string name)
        {
            if (value == null)
            {
                throw new ArgumentNullException(name);
            }
        }

        private static void InRange(int value, int min, int max, string name, string message)
        {
            if (value >= min && value <= max)
            {
                return;
            }

            if (message == null)
            {
                throw new ArgumentOutOfRangeException(name);
            }

            throw new ArgumentOutOfRangeException(name, message);
        }

        /// <summary>DTMI syntax (DTDL): <c>dtmi:</c>, segments of letters, digits and '_' separated by ':', then <c>;</c> and a version.</summary>
        private static bool IsModelId(string id)
        {
            char[] chars = Chars.Of(id);
            int semicolon = Chars.IndexOf(chars, ';', 0, chars.Length);
            if (chars.Length > 2048 || !Chars.At(chars, 0, chars.Length, DtmiPrefix) || semicolon <= 5 || semicolon == chars.Length - 1 || chars.Length - semicolon > 10)
            {
                return false;
            }

            for (int i = 5; i < chars.Length; i++)
            {
                char c = chars[i];
                bool ok = i > semicolon
                    ? c >= '0' && c <= '9'
                    : (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || (c == ':' && chars[i - 1] != ':' && i != 5 && i != semicolon - 1) || i == semicolon;
                if (!ok)
                {
                    return false;
                }
            }

            return true;
        }
    }
}
