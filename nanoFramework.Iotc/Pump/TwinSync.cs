// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// Settings (writable properties): the twin GET after every connect, desired patches, which <c>$version</c> was
    /// delivered, and the acknowledgements. Invariants: a patch is raised when it is newer than every document queued
    /// so far; a twin GET answer is reconciled setting by setting against what was raised or queued (a patch can
    /// overtake a GET, so its version says nothing about the settings it carries): a setting is raised unless it was
    /// already raised or queued with a version at least as new (a newer GET raises an unchanged setting again, so its
    /// ack names the newer version, as before); a full GET is authoritative (after a twin
    /// reset its lower version is delivered too); every raised setting with a version is acknowledged until the hub
    /// accepts the ack (acks wait here, never dropped for a full outbox, and go out coalesced into patches that fit; a
    /// newer ack for the same property replaces an older one).
    /// Every twin request is asked here: the GET, and the reported patches (the application's and the acks), which wait
    /// in the <see cref="Publisher"/>'s outbox owned by this part: each attempt gets a new <c>$rid</c> before it is
    /// published, is confirmed by its twin response, and is sent again when that response is lost or says "later".
    /// </summary>
    internal sealed class TwinSync : ICallbackOwner, IOutboxOwner
    {
        /// <summary>Largest coalesced ack patch; a single larger ack still goes out alone.</summary>
        internal const int MaxAckPatchBytes = 8192;

        /// <summary>How long a reported patch waits for its twin response before it is sent again.</summary>
        internal const int TwinResponseTimeoutMs = 30000;

        private readonly DeviceOptions _options;
        private readonly CallbackQueue _callbacks;
        private readonly Logger _log;
        private readonly Publisher _publisher;
        private readonly Backoff _backoff;

        // Acks not yet accepted by the hub: AckEntry, in the order they were raised.
        private readonly ArrayList _acks = new ArrayList();

        // Per setting: the version last raised and last queued (KnownSetting), for reconciling GET answers.
        private readonly ArrayList _known = new ArrayList();

        // The reported patches in the outbox (OutboundMessage, owned by this part), in the order they were queued: the
        // $rid table (each one's TwinRequestId is that of its current attempt; null until it is published again).
        private readonly ArrayList _requests = new ArrayList();

        private int _nextRequestId;
        private string _getRequestId;
        private int _getAttempts;
        private long _getRetryAtMs;
        private long _deliveredVersion = -1;

        // The newest version queued for raising (delivered or about to be), and whether a patch came after the twin
        // GET was asked for: a GET answer older than such a patch is stale, not a twin reset.
        private long _queuedVersion = -1;
        private bool _patchSinceGet;

        internal TwinSync(DeviceOptions options, CallbackQueue callbacks, Logger log, Publisher publisher, Backoff backoff)
        {
            _options = options;
            _callbacks = callbacks;
            _log = log;
            _publisher = publisher;
            _backoff = backoff;
        }

        /// <summary>Acks waiting to be sent or confirmed.</summary>
        internal int PendingAcks
        {
            get { return _acks.Count; }
        }

        /// <summary>A twin GET is asked and not answered yet, or waits for its retry.</summary>
        internal bool IsFetching
        {
            get { return _getRequestId != null || _getRetryAtMs != 0; }
        }

        /// <summary>The last desired <c>$version</c> fully delivered to the application (-1: none).</summary>
        internal long DeliveredVersion
        {
            get { return _deliveredVersion; }
        }

        /// <summary>
        /// A new connection: ask for the whole twin (settings changed while offline). Acks already in a patch stay
        /// with it: the patch is still in the outbox and the Publisher sends it again; marking them unsent here would
        /// put a second copy of the same patch in the outbox on every reconnect.
        /// </summary>
        internal void OnConnected(IMqttTransport mqtt)
        {
            _getAttempts = 0;

            // What was queued but not raised (the application disconnected first) comes again with this GET.
            _queuedVersion = _deliveredVersion;
            for (int i = 0; i < _known.Count; i++)
            {
                ((KnownSetting)_known[i]).QueuedVersion = -1;
            }

            RequestTwin(mqtt);
        }

        /// <summary>
        /// Once per DoNext while connected, before the Publisher publishes: a due twin GET retry, acks into the outbox as
        /// room allows, then the reported patches: one whose twin response is overdue is sent again or given up, and each
        /// one waiting to be published gets the <c>$rid</c> of its next attempt.
        /// </summary>
        internal void Step(IMqttTransport mqtt, long now)
        {
            if (_getRetryAtMs != 0 && now >= _getRetryAtMs)
            {
                RequestTwin(mqtt);
            }

            QueueAcks();
            for (int i = 0; i < _requests.Count; i++)
            {
                OutboundMessage m = (OutboundMessage)_requests[i];
                if (m.InFlight && now - m.SentAtMs >= TwinResponseTimeoutMs)
                {
                    // Confirmed only by its twin response: if that never comes (lost by the service), the patch goes
                    // again under a new $rid, a few times; then it is reported as timed out (408).
                    if (!RetryPolicy.MayTryAgain(m.Attempts, RetryPolicy.MaxTwinAttempts))
                    {
                        // Out of the table here, not only through OnConfirmed: this loop must not depend on the call back.
                        _requests.RemoveAt(i);
                        i--;
                        _publisher.Complete(m, 408);
                        continue;
                    }

                    _log.Log(IotLogLevel.ApiOnly, "no twin response for $rid " + m.TwinRequestId + " after " + (TwinResponseTimeoutMs / 1000) + " s: sending the patch again");
                    Resend(m, 0);
                }

                if (m.TwinRequestId == null)
                {
                    m.TwinRequestId = NextRequestId();
                    m.Topic = HubTopics.TwinPatchReported(m.TwinRequestId);
                }
            }
        }

        /// <summary>The application's reported patch, accepted into the outbox: from now on its twin requests are this part's.</summary>
        internal void Own(OutboundMessage m)
        {
            m.Owner = this;
            _requests.Add(m);
        }

        internal void OnDesiredPatch(string body, long topicVersion)
        {
            Deliver(TwinProtocol.ParseDesiredPatch(body), topicVersion, false);
        }

        /// <summary>A twin response: the GET, an ack patch, or the application's reported patch. False if the $rid is unknown.</summary>
        internal void OnTwinResponse(int status, string rid, string body, long now)
        {
            if (rid == null)
            {
                return;
            }

            if (rid == _getRequestId)
            {
                _getRequestId = null;
                if (status == 200)
                {
                    Deliver(TwinProtocol.ParseTwinGet(body), -1, true);
                }
                else if (RetryPolicy.IsRetriable(status))
                {
                    // Throttled or a service fault: the settings changed while offline still have to arrive, so the GET
                    // is asked again as long as the link is up, the back-off growing to its maximum.
                    int delay = _backoff.Delay(_getAttempts);
                    _getRetryAtMs = now + delay;
                    _log.Log(IotLogLevel.ApiOnly, "twin GET answered " + status + "; asking again in " + delay + " ms");
                }
                else
                {
                    _log.Log(IotLogLevel.ApiOnly, "twin GET answered " + status + "; desired properties arrive with the next change or reconnect");
                }

                return;
            }

            OutboundMessage m = FindRequest(rid);
            if (m == null)
            {
                _log.Log(IotLogLevel.All, "twin response for an unknown $rid ignored");
                return;
            }

            if (RetryPolicy.IsRetriable(status) && RetryPolicy.MayTryAgain(m.Attempts, RetryPolicy.MaxTwinAttempts))
            {
                // Throttled or a service fault: the same patch again, after a back-off (not at once: 429 means slow down).
                int delay = _backoff.Delay(m.Attempts);
                _log.Log(IotLogLevel.ApiOnly, "reported patch answered " + status + "; sending it again in " + delay + " ms");
                Resend(m, now + delay);
                return;
            }

            // Anything but 2xx is a refusal; a status that is not HTTP-like (e.g. 0) must not read as success.
            bool accepted = status >= 200 && status < 300;
            _publisher.Complete(m, accepted ? IotcStatus.Connected : (status >= 100 && status < 600 ? status : IotcStatus.ProtocolError));
        }

        // A setting arrived acknowledged, so a lost link does not cancel it; after Disconnect()/Dispose() it is not
        // raised: its version then stays undelivered and the next Connect()'s twin GET brings it again.
        bool ICallbackOwner.MayRaise(IotcCallbackInfo c, bool stopped)
        {
            return !stopped;
        }

        void ICallbackOwner.OnRaised(IotcCallbackInfo c, bool handled)
        {
            OnSettingRaised(c);
        }

        /// <summary>After the SettingsUpdated callback ran: records the ack and, at a document's end, its version.</summary>
        internal void OnSettingRaised(IotcCallbackInfo c)
        {
            if (c.Answer.EndsDocument && c.DesiredVersion > _deliveredVersion)
            {
                _deliveredVersion = c.DesiredVersion;
            }

            if (c.DesiredVersion < 0 || c.Answer.Name == null)
            {
                return;
            }

            KnownSetting known = Known(c.Answer.Component, c.Answer.Name, true);
            if (c.DesiredVersion > known.RaisedVersion)
            {
                known.RaisedVersion = c.DesiredVersion;
            }

            AckEntry ack = new AckEntry();
            ack.Component = c.Answer.Component;
            ack.Name = c.Answer.Name;
            ack.RawValue = c.Payload;
            ack.Version = c.DesiredVersion;
            ack.Cost = c.Payload.Length + c.Answer.Name.Length + 96;
            ack.Code = c.HasResponse ? c.ResponseCode : TwinProtocol.AckCompleted;
            ack.Description = c.HasResponse ? c.ResponseMessage : TwinProtocol.AckCompletedDescription;
            for (int i = 0; i < _acks.Count; i++)
            {
                AckEntry old = (AckEntry)_acks[i];
                if (!old.InFlight && old.Name == ack.Name && old.Component == ack.Component)
                {
                    // Not sent yet: the newer answer replaces it (the hub only keeps the last one anyway).
                    _acks.RemoveAt(i);
                    break;
                }
            }

            _acks.Add(ack);
        }

        /// <summary>
        /// The Publisher's hook: a reported patch left the outbox (accepted, refused for good, timed out, or refused by the
        /// transport). An ack patch's acks are then done (dropped with a log line when it was refused).
        /// </summary>
        public void OnConfirmed(OutboundMessage m, int status)
        {
            _requests.Remove(m);
            if (m.Kind != OutboundMessage.SettingAck)
            {
                return;
            }

            for (int i = 0; i < _acks.Count; i++)
            {
                AckEntry ack = (AckEntry)_acks[i];
                if (ack.Patch == m)
                {
                    _acks.RemoveAt(i);
                    i--;
                }
            }

            if (status != IotcStatus.Connected)
            {
                _log.Log(IotLogLevel.ApiOnly, "the hub refused a settings acknowledgement (status " + status + "): " + m.AckedNames.Length + " ack(s) dropped");
            }
        }

        /// <summary>
        /// A lost link: the GET is forgotten (a new one follows the reconnect); the reported patches stay in the outbox
        /// and go again after the reconnect, each under a new $rid (no answer to the old one can come).
        /// </summary>
        internal void OnLinkLost()
        {
            _getRequestId = null;
            _getRetryAtMs = 0;
            for (int i = 0; i < _requests.Count; i++)
            {
                ((OutboundMessage)_requests[i]).TwinRequestId = null;
            }
        }

        /// <summary>A new request id (GET or reported patch): distinct on this device until it wraps at int.MaxValue.</summary>
        internal string NextRequestId()
        {
            _nextRequestId = _nextRequestId == int.MaxValue ? 1 : _nextRequestId + 1;
            return _nextRequestId.ToString();
        }

        /// <summary>The reported patch in flight under <paramref name="rid"/>; null if none.</summary>
        private OutboundMessage FindRequest(string rid)
        {
            for (int i = 0; i < _requests.Count; i++)
            {
                OutboundMessage m = (OutboundMessage)_requests[i];
                if (m.InFlight && m.TwinRequestId == rid)
                {
                    return m;
                }
            }

            return null;
        }

        /// <summary>Publishes <paramref name="m"/> again, under a new $rid, not before <paramref name="notBeforeMs"/>.</summary>
        private void Resend(OutboundMessage m, long notBeforeMs)
        {
            _publisher.Retry(m, notBeforeMs);
            m.TwinRequestId = null;
        }

        private void RequestTwin(IMqttTransport mqtt)
        {
            _getRetryAtMs = 0;
            _getAttempts++;
            _getRequestId = NextRequestId();
            _patchSinceGet = false;
            mqtt.Publish(HubTopics.TwinGet(_getRequestId), new byte[0], 0);
        }

        private void Deliver(DesiredProperties desired, long topicVersion, bool fromGet)
        {
            if (desired == null || desired.IsMalformed)
            {
                _log.Log(IotLogLevel.ApiOnly, "ignored a malformed desired-properties document");
                return;
            }

            for (int i = 0; i < desired.SkippedCount; i++)
            {
                string skipped = desired.GetSkippedName(i);
                _log.Log(IotLogLevel.ApiOnly, "setting " + (skipped == null ? "with an unreadable name" : "'" + skipped + "'") + " skipped: its value cannot be read (a lone surrogate, or a number longer than 256 characters); the others are raised");
            }

            // The hub always sends the body's $version; the topic's is the fallback.
            long version = desired.Version >= 0 ? desired.Version : topicVersion;

            // A patch is compared with what is delivered or already waiting to be raised (a GET answer and a patch of the
            // same version can arrive in one DoNext); a GET answer is reconciled setting by setting below.
            long known = _queuedVersion;
            bool reset = false;
            if (version >= 0 && !fromGet)
            {
                if (version <= known)
                {
                    return;
                }

                _patchSinceGet = true;
            }
            else if (version >= 0 && version < known && !_patchSinceGet)
            {
                // A GET with a LOWER version and no patch since it was asked for is a twin reset (re-created device,
                // another hub): the GET is authoritative, so everything in it is delivered and counted from its version.
                reset = true;
                _known.Clear();
                _deliveredVersion = -1;
            }

            if (version > _queuedVersion || reset)
            {
                _queuedVersion = version;
            }

            if (version < 0)
            {
                // The values are still the operator's wish, so deliver them; but an ack must name the version it
                // answers (IoT Central matches "av"), and "av":-1 would be a false claim. So: no ack, and say so.
                _log.Log(IotLogLevel.ApiOnly, "desired properties without a $version: delivered to SettingsUpdated (DesiredVersion -1) but not acknowledged");
            }

            // A GET answer with a version: only its settings not yet raised or queued with a version as new.
            bool reconcile = fromGet && version >= 0 && !reset;
            IotcCallbackInfo last = null;
            for (int i = 0; i < desired.Count; i++)
            {
                if (!desired.IsComponent(i))
                {
                    if (!reconcile || !IsRaisedOrQueued(null, desired.GetName(i), version))
                    {
                        last = Queue(null, desired.GetName(i), desired.GetRawValue(i), version);
                    }

                    continue;
                }

                // A Plug and Play component: {"comp":{"__t":"c","prop":v}} raises "comp*prop", like component commands.
                JsonValue component = desired.GetValue(i);
                for (int j = 0; j < component.Count; j++)
                {
                    string name = component.IsNameFlawed(j) ? null : component.GetName(j);
                    if (name != null && component.GetValue(j).IsFlawed)
                    {
                        _log.Log(IotLogLevel.ApiOnly, "setting '" + desired.GetName(i) + MethodProtocol.ComponentSeparator + name + "' skipped: its value cannot be read; the others are raised");
                        continue;
                    }

                    if (name != null && !TwinProtocol.IsServiceName(name) && name != "__t" && (!reconcile || !IsRaisedOrQueued(desired.GetName(i), name, version)))
                    {
                        last = Queue(desired.GetName(i), name, component.GetValue(j).RawText, version);
                    }
                }
            }

            if (last != null)
            {
                last.Answer.EndsDocument = true;
            }
            else if (version > _deliveredVersion)
            {
                // Nothing to raise (e.g. only $version, or a GET that repeats what was raised): the version is delivered.
                _deliveredVersion = version;
            }
        }

        /// <summary>
        /// True when this setting was raised or queued with a version at least <paramref name="version"/>: a GET answer
        /// then has nothing new for it (and an older GET must not roll it back).
        /// </summary>
        private bool IsRaisedOrQueued(string component, string name, long version)
        {
            KnownSetting known = Known(component, name, false);
            return known != null && (known.RaisedVersion >= version || known.QueuedVersion >= version);
        }

        /// <summary>The record of one setting; made when <paramref name="create"/> and missing, else null.</summary>
        private KnownSetting Known(string component, string name, bool create)
        {
            for (int i = 0; i < _known.Count; i++)
            {
                KnownSetting k = (KnownSetting)_known[i];
                if (k.Name == name && k.Component == component)
                {
                    return k;
                }
            }

            if (!create)
            {
                return null;
            }

            KnownSetting added = new KnownSetting();
            added.Component = component;
            added.Name = name;
            _known.Add(added);
            return added;
        }

        private IotcCallbackInfo Queue(string component, string name, string rawValue, long version)
        {
            IotcCallbackInfo c = new IotcCallbackInfo(IotcEvents.SettingsUpdated);
            c.Kind = PendingCallback.Setting;
            c.Owner = this;
            c.Answer = new PendingCallback();
            c.Answer.Component = component;
            c.Answer.Name = name;
            c.Tag = component == null ? name : component + MethodProtocol.ComponentSeparator + name;
            c.Payload = rawValue;
            c.DesiredVersion = version;
            _callbacks.Add(c);
            if (version >= 0)
            {
                KnownSetting known = Known(component, name, true);
                if (version > known.QueuedVersion)
                {
                    known.QueuedVersion = version;
                }
            }

            return c;
        }

        /// <summary>Coalesces waiting acks into reported patches that fit, as long as the outbox has room.</summary>
        private void QueueAcks()
        {
            // The common case, every DoNext: nothing waiting, nothing to build.
            if (!HasUnsentAck())
            {
                return;
            }

            while (true)
            {
                JsonWriter writer = new JsonWriter(new StringBuffer(256));
                writer.BeginObject();
                ArrayList taken = new ArrayList();
                string openComponent = null;
                for (int i = 0; i < _acks.Count; i++)
                {
                    AckEntry ack = (AckEntry)_acks[i];
                    if (ack.InFlight || (taken.Count > 0 && writer.Buffer.Length + ack.Cost > MaxAckPatchBytes))
                    {
                        continue;
                    }

                    // One patch holds a property once; a second ack for it (a newer version in flight) waits its turn.
                    if (Contains(taken, ack))
                    {
                        continue;
                    }

                    if (ack.Component != openComponent)
                    {
                        if (openComponent != null)
                        {
                            writer.EndObject();
                        }

                        if (ack.Component != null && ContainsComponent(taken, ack.Component))
                        {
                            // A component's object appears once per patch; its later acks go in the next patch.
                            openComponent = null;
                            continue;
                        }

                        openComponent = ack.Component;
                        if (openComponent != null)
                        {
                            writer.Name(openComponent).BeginObject().Name("__t").String("c");
                        }
                    }

                    writer.Name(ack.Name);
                    TwinProtocol.WriteAckBody(writer, ack.RawValue, ack.Code, ack.Description, ack.Version, _options.LegacyAcks && ack.Component == null);
                    taken.Add(ack);
                }

                if (taken.Count == 0)
                {
                    return;
                }

                if (openComponent != null)
                {
                    writer.EndObject();
                }

                writer.EndObject();
                OutboundMessage m = new OutboundMessage();
                m.Kind = OutboundMessage.SettingAck;
                m.Payload = Utf8.GetBytes(writer.ToString());
                m.Qos = 1;
                m.AckedNames = new string[taken.Count];
                if (!_publisher.TryAddAutomatic(m))
                {
                    // The outbox is busy: the acks stay here and go out on a later DoNext.
                    return;
                }

                Own(m);

                for (int i = 0; i < taken.Count; i++)
                {
                    AckEntry ack = (AckEntry)taken[i];
                    ack.InFlight = true;
                    ack.Patch = m;
                    m.AckedNames[i] = ack.Name;
                }
            }
        }

        private bool HasUnsentAck()
        {
            for (int i = 0; i < _acks.Count; i++)
            {
                if (!((AckEntry)_acks[i]).InFlight)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool Contains(ArrayList taken, AckEntry ack)
        {
            for (int i = 0; i < taken.Count; i++)
            {
                AckEntry other = (AckEntry)taken[i];
                if (other.Name == ack.Name && other.Component == ack.Component)
                {
                    return true;
                }
            }

            return false;
        }

        private static bool ContainsComponent(ArrayList taken, string component)
        {
            for (int i = 0; i < taken.Count; i++)
            {
                if (((AckEntry)taken[i]).Component == component)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The versions one setting was last raised and last queued with (-1: not yet).</summary>
        private sealed class KnownSetting
        {
            internal string Component;
            internal string Name;
            internal long RaisedVersion = -1;
            internal long QueuedVersion = -1;
        }

        private sealed class AckEntry
        {
            internal string Component;
            internal string Name;
            internal string RawValue;
            internal long Version;
            internal int Cost;
            internal int Code;
            internal string Description;
            internal bool InFlight;
            internal OutboundMessage Patch;
        }
    }
}
