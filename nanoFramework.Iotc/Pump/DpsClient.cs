// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// DPS registration over HTTPS (Learn: "Use symmetric keys over HTTPS without an SDK"): PUT register, then GET the
    /// operation while it is "assigning", waiting as DPS says (Retry-After), bounded in attempts and time.
    /// </summary>
    internal class DpsClient
    {
        internal const string UserAgent = "nanoFramework.Iotc/0.1";

        /// <summary>Wait when DPS gives no Retry-After (the service's own default is 3 s).</summary>
        internal const int DefaultRetryAfterSeconds = 3;

        /// <summary>Never poll faster than this, whatever Retry-After says.</summary>
        internal const int MinRetryAfterSeconds = 1;

        /// <summary>Never wait longer than this between two requests.</summary>
        internal const int MaxRetryAfterSeconds = 60;

        /// <summary>Give up after this many requests (register + polls + throttled retries).</summary>
        internal const int MaxRequests = 20;

        private readonly IHttpTransport _http;
        private readonly IClock _clock;
        private readonly Device _log;

        internal DpsClient(IHttpTransport http, IClock clock, Device log)
        {
            _http = http;
            _clock = clock;
            _log = log;
        }

        /// <summary>Registers and returns the assignment; throws <see cref="IotcException"/> with DPS's status otherwise.</summary>
        internal DpsResult Register(string host, int port, string idScope, string registrationId, string deviceKey, string modelId, TlsSettings tls, int tokenLifetimeSeconds, int timeoutMilliseconds, long maxWaitMilliseconds)
        {
            long deadline = _clock.NowMilliseconds + maxWaitMilliseconds;
            string operationId = null;
            for (int request = 1; request <= MaxRequests; request++)
            {
                HttpRequest http = new HttpRequest();
                http.Host = host;
                http.Port = port;
                http.Tls = tls;
                http.UserAgent = UserAgent;
                http.TimeoutMilliseconds = timeoutMilliseconds;
                if (deviceKey != null)
                {
                    // A fresh token per request: polling can outlast a short token lifetime.
                    http.Authorization = SasToken.ForDps(idScope, registrationId, deviceKey, _clock.NowMilliseconds / 1000 + tokenLifetimeSeconds);
                }

                if (operationId == null)
                {
                    http.Method = "PUT";
                    http.PathAndQuery = DpsProtocol.RegisterPath(idScope, registrationId);
                    http.Body = DpsProtocol.RegisterBody(registrationId, modelId);
                }
                else
                {
                    http.Method = "GET";
                    http.PathAndQuery = DpsProtocol.OperationStatusPath(idScope, registrationId, operationId);
                }

                _log.Log(IotLogLevel.ApiOnly, "DPS: " + http.Method + " " + host + ":" + port + http.PathAndQuery);
                HttpResponse response;
                try
                {
                    response = _http.Send(http);
                }
                catch (TransportException ex)
                {
                    throw new IotcException("DPS " + host + ":" + port + " unreachable: " + ex.Message, IotcStatus.NetworkError, 0, null, ex);
                }

                if (response == null)
                {
                    throw new IotcException("DPS " + host + ":" + port + ": the transport returned no response", IotcStatus.NetworkError, 0, null, null);
                }

                DpsResult result = DpsProtocol.ParseResponse(response.StatusCode, response.Body);
                int status = response.StatusCode;
                bool serverBusy = status == 429 || status >= 500;
                if (serverBusy)
                {
                    _log.Log(IotLogLevel.ApiOnly, "DPS answered " + status + (status == 429 ? " (throttled)" : " (service error)") + "; retrying");
                }
                else if (status >= 400)
                {
                    throw Refusal("DPS refused the registration", status, result);
                }
                else if (result.IsAssigned)
                {
                    // Whatever DPS says goes into the MQTT user name, the SAS resource and topics: check it like user input.
                    if (!IsHostName(result.AssignedHub) || !Validation.IsValidDeviceId(result.DeviceId))
                    {
                        throw Refusal("DPS assigned a hub or device id that cannot be used", IotcStatus.ProtocolError, result);
                    }

                    _log.Log(IotLogLevel.ApiOnly, "DPS: assigned to " + result.AssignedHub + " as '" + result.DeviceId + "'");
                    return result;
                }
                else if (result.IsAssigning)
                {
                    if (!string.IsNullOrEmpty(result.OperationId))
                    {
                        operationId = result.OperationId;
                    }

                    if (operationId == null)
                    {
                        throw Refusal("DPS answered 'assigning' without an operationId", IotcStatus.ProtocolError, result);
                    }

                    _log.Log(IotLogLevel.ApiOnly, "DPS: assigning (operation " + operationId + ")");
                }
                else if (result.IsMalformed || result.Status == DpsResult.StatusAssigned)
                {
                    // "assigned" without a hub or device id is as unreadable as bad JSON.
                    throw Refusal("DPS sent a response that could not be read", IotcStatus.ProtocolError, result);
                }
                else
                {
                    // failed, disabled, unassigned: DPS has decided; retrying the same request will not change it.
                    int code = result.ErrorCode >= 100000 ? result.ErrorCode / 1000 : 400;
                    throw Refusal("DPS registration ended with status '" + result.Status + "'", code, result);
                }

                // Only a busy server or a registration still being assigned gets here: wait as DPS says, then ask again.
                int wait = response.RetryAfterSeconds < 0 ? DefaultRetryAfterSeconds : response.RetryAfterSeconds;
                if (wait < MinRetryAfterSeconds)
                {
                    wait = MinRetryAfterSeconds;
                }

                if (wait > MaxRetryAfterSeconds)
                {
                    wait = MaxRetryAfterSeconds;
                }

                if (_clock.NowMilliseconds + wait * 1000L > deadline)
                {
                    throw Refusal("DPS did not assign the device within " + (maxWaitMilliseconds / 1000) + " s", serverBusy ? status : 408, result);
                }

                _clock.Sleep(wait * 1000);
            }

            throw new IotcException("DPS did not assign the device after " + MaxRequests + " requests", 408, 0, null, null);
        }

        private static bool IsHostName(string host)
        {
            char[] chars = Chars.Of(host);
            if (chars.Length == 0 || chars.Length > 253)
            {
                return false;
            }

            for (int i = 0; i < chars.Length; i++)
            {
                char c = chars[i];
                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.'))
                {
                    return false;
                }
            }

            return true;
        }

        private static IotcException Refusal(string what, int status, DpsResult result)
        {
            // The server's text is shown, but a hostile or broken one cannot make the message huge.
            string message = result.Message != null && result.Message.Length > 256 ? result.Message.Substring(0, 256) + "…" : result.Message;
            string detail = message != null ? ": " + message : string.Empty;
            string tracking = result.TrackingId != null ? " (trackingId " + result.TrackingId + ")" : string.Empty;
            string code = result.ErrorCode != 0 ? " errorCode " + result.ErrorCode : string.Empty;
            return new IotcException(what + " [" + status + code + "]" + detail + tracking, status, result.ErrorCode, result.TrackingId, null);
        }
    }
}
