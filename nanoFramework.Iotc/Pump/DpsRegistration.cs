// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Security;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// One DPS registration as pump states (Azure SDK for C: register sent, wait until T, poll): <see cref="Step"/>
    /// performs at most one HTTP exchange and says when the next one is due, so DoNext() never sleeps through a
    /// Retry-After. <see cref="Register"/> runs the same states to the end for the blocking Connect().
    /// </summary>
    internal sealed class DpsRegistration
    {
        internal const string UserAgent = "nanoFramework.Iotc/0.1";

        private readonly IHttpTransport _http;
        private readonly IClock _clock;
        private readonly Logger _log;
        private readonly string _host;
        private readonly int _port;
        private readonly string _idScope;
        private readonly string _registrationId;
        private readonly string _deviceKey;
        private readonly string _modelId;
        private readonly TlsSettings _tls;
        private readonly int _tokenLifetimeSeconds;
        private readonly int _timeoutMilliseconds;
        private readonly long _deadline;
        private readonly long _maxWaitMilliseconds;
        private string _operationId;
        private int _requests;
        private long _nextRequestAtMs;

        /// <summary>A registration with the settings as they are now: DPS endpoint, ID scope, device id (the registration id), key (none for X.509), model id, TLS, token lifetime, time-outs.</summary>
        internal DpsRegistration(DeviceOptions options, IHttpTransport http, IClock clock, Logger log)
        {
            _http = http;
            _clock = clock;
            _log = log;
            _host = options.ServiceHost;
            _port = options.ServicePort;
            _idScope = options.ScopeId;
            _registrationId = options.DeviceId;
            _deviceKey = options.CredType == IotConnectType.X509Certificate ? null : options.DeviceKey;
            _modelId = options.ModelId;
            _tls = options.Tls();
            _tokenLifetimeSeconds = options.TokenLifetimeSeconds;
            _timeoutMilliseconds = options.TimeoutMilliseconds;
            _maxWaitMilliseconds = options.ProvisioningTimeoutMilliseconds;
            _deadline = clock.NowMilliseconds + _maxWaitMilliseconds;
        }

        /// <summary>When the next request may be sent (DPS's Retry-After).</summary>
        internal long NextRequestAtMs
        {
            get { return _nextRequestAtMs; }
        }

        /// <summary>Closes the transport's connection when it keeps one open between requests (it is <see cref="IDisposable"/>).</summary>
        internal void Close()
        {
            IDisposable connection = _http as IDisposable;
            if (connection != null)
            {
                connection.Dispose();
            }
        }

        /// <summary>Runs the registration to its end, sleeping through Retry-After (the blocking Connect()).</summary>
        internal DpsResult Register()
        {
            while (true)
            {
                long wait = _nextRequestAtMs - _clock.NowMilliseconds;
                if (wait > 0)
                {
                    _clock.Sleep((int)wait);
                }

                DpsResult result = Step();
                if (result != null)
                {
                    return result;
                }
            }
        }

        /// <summary>
        /// One request: the registration (PUT) or a poll of its operation (GET). Returns the result once assigned, null
        /// while DPS is still assigning or busy (then <see cref="NextRequestAtMs"/> is set); throws IotcException on a
        /// refusal or when the link fails.
        /// </summary>
        internal DpsResult Step()
        {
            HttpRequest http = NextRequest();
            HttpResponse response = null;
            Exception failure = null;
            try
            {
                response = _http.Send(http);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            return OnResponse(response, failure);
        }

        /// <summary>The transport the requests go through (a background attempt sends on it from a worker).</summary>
        internal IHttpTransport Http
        {
            get { return _http; }
        }

        /// <summary>The next request (registration or poll), logged; throws IotcException when there have been too many.</summary>
        internal HttpRequest NextRequest()
        {
            if (!RetryPolicy.MayTryAgain(_requests, RetryPolicy.MaxDpsRequests))
            {
                throw new IotcException("DPS did not assign the device after " + RetryPolicy.MaxDpsRequests + " requests", 408, 0, null, null);
            }

            _requests++;

            HttpRequest http = new HttpRequest();
            http.Host = _host;
            http.Port = _port;
            http.Tls = _tls;
            http.UserAgent = UserAgent;
            http.TimeoutMilliseconds = _timeoutMilliseconds;
            if (_deviceKey != null)
            {
                // A fresh token per request: polling can outlast a short token lifetime.
                http.Authorization = SasToken.ForDps(_idScope, _registrationId, _deviceKey, Session.TokenExpiry(_clock.NowMilliseconds, _tokenLifetimeSeconds));
            }

            if (_operationId == null)
            {
                http.Method = "PUT";
                http.PathAndQuery = DpsProtocol.RegisterPath(_idScope, _registrationId);
                http.Body = DpsProtocol.RegisterBody(_registrationId, _modelId);
            }
            else
            {
                http.Method = "GET";
                http.PathAndQuery = DpsProtocol.OperationStatusPath(_idScope, _registrationId, _operationId);
            }

            _log.Log(IotLogLevel.ApiOnly, "DPS: " + http.Method + " " + _host + ":" + _port + http.PathAndQuery);
            return http;
        }

        /// <summary>
        /// Handles the answer to <see cref="NextRequest"/> (or the exception sending it threw): the result once assigned,
        /// null while DPS is still assigning or busy; throws IotcException on a refusal or when the link failed.
        /// </summary>
        internal DpsResult OnResponse(HttpResponse response, Exception failure)
        {
            if (failure is TransportException)
            {
                throw new IotcException("DPS " + _host + ":" + _port + " unreachable: " + failure.Message, IotcStatus.NetworkError, 0, null, failure);
            }

            if (failure != null)
            {
                throw Session.UnusableSettings("DPS " + _host + ":" + _port, failure);
            }

            if (response == null)
            {
                throw new IotcException("DPS " + _host + ":" + _port + ": the transport returned no response", IotcStatus.NetworkError, 0, null, null);
            }

            DpsResult result = DpsProtocol.ParseResponse(response.StatusCode, response.Body);
            int status = response.StatusCode;
            bool serverBusy = RetryPolicy.IsRetriable(status);
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
                if (!Validation.IsHostName(result.AssignedHub) || !Validation.IsValidDeviceId(result.DeviceId))
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
                    _operationId = result.OperationId;
                }

                if (_operationId == null)
                {
                    throw Refusal("DPS answered 'assigning' without an operationId", IotcStatus.ProtocolError, result);
                }

                _log.Log(IotLogLevel.ApiOnly, "DPS: assigning (operation " + _operationId + ")");
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
            int wait = RetryPolicy.RetryAfterSeconds(response.RetryAfterSeconds);
            long now = _clock.NowMilliseconds;
            if (now + wait * 1000L > _deadline)
            {
                throw Refusal("DPS did not assign the device within " + (_maxWaitMilliseconds / 1000) + " s", serverBusy ? status : 408, result);
            }

            _nextRequestAtMs = now + wait * 1000L;
            return null;
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
