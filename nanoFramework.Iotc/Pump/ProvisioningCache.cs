// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;

namespace nanoFramework.Iotc.Pump
{
    /// <summary>
    /// The rules for the stored DPS assignment, in one place:
    /// <list type="bullet">
    /// <item>a connect with no hub known uses the stored assignment when it was made for the same ID scope,
    /// registration id and DPS endpoint;</item>
    /// <item>a refusal of a stored hub (any CONNACK refusal) or a failure to reach it on the first attempt forgets it,
    /// and DPS is asked at once;</item>
    /// <item>every assignment DPS gives is stored.</item>
    /// </list>
    /// A store that throws is logged and treated as empty: it never stops a connect.
    /// </summary>
    internal sealed class ProvisioningCache
    {
        private readonly DeviceOptions _options;
        private readonly Logger _log;

        internal ProvisioningCache(DeviceOptions options, Logger log)
        {
            _options = options;
            _log = log;
        }

        /// <summary>The stored hub host name and device id for these options, or null.</summary>
        internal string[] Load()
        {
            IProvisioningStore store = _options.ProvisioningStore;
            if (store == null)
            {
                return null;
            }

            string text;
            try
            {
                text = store.Load();
            }
            catch (Exception ex)
            {
                _log.Log(IotLogLevel.ApiOnly, "provisioning store: Load() threw " + ex.GetType().Name + "; provisioning through DPS");
                return null;
            }

            if (text == null)
            {
                return null;
            }

            JsonValue record;
            if (!JsonValue.TryParse(text, out record) || record.Kind != JsonValueKind.Object)
            {
                _log.Log(IotLogLevel.ApiOnly, "provisioning store: the stored record is not readable; provisioning through DPS");
                return null;
            }

            string hub = record.GetMemberString("hub", null);
            string deviceId = record.GetMemberString("deviceId", null);
            if (hub == null || hub.Length == 0 || deviceId == null || deviceId.Length == 0
                || record.GetMemberString("scope", null) != _options.ScopeId
                || record.GetMemberString("registrationId", null) != _options.DeviceId
                || record.GetMemberString("dps", null) != Endpoint())
            {
                _log.Log(IotLogLevel.ApiOnly, "provisioning store: the stored assignment is for another scope, device or DPS endpoint; provisioning through DPS");
                return null;
            }

            _log.Log(IotLogLevel.ApiOnly, "provisioning store: using the stored assignment (hub " + hub + ", device '" + deviceId + "'); DPS is asked only if that hub refuses the device");
            return new string[] { hub, deviceId };
        }

        /// <summary>Stores what DPS assigned.</summary>
        internal void Save(string hub, string deviceId)
        {
            IProvisioningStore store = _options.ProvisioningStore;
            if (store == null)
            {
                return;
            }

            string record = new JsonWriter().BeginObject()
                .Name("scope").String(_options.ScopeId)
                .Name("registrationId").String(_options.DeviceId)
                .Name("dps").String(Endpoint())
                .Name("hub").String(hub)
                .Name("deviceId").String(deviceId)
                .EndObject().ToString();
            try
            {
                store.Save(record);
                _log.Log(IotLogLevel.ApiOnly, "provisioning store: saved the assignment (hub " + hub + ")");
            }
            catch (Exception ex)
            {
                _log.Log(IotLogLevel.ApiOnly, "provisioning store: Save() threw " + ex.GetType().Name + "; the next start provisions through DPS again");
            }
        }

        /// <summary>Forgets the stored assignment: its hub refused the device or could not be reached.</summary>
        internal void Forget(string reason)
        {
            IProvisioningStore store = _options.ProvisioningStore;
            if (store == null)
            {
                return;
            }

            _log.Log(IotLogLevel.ApiOnly, "provisioning store: forgetting the stored assignment (" + reason + "); provisioning through DPS");
            try
            {
                store.Clear();
            }
            catch (Exception ex)
            {
                _log.Log(IotLogLevel.ApiOnly, "provisioning store: Clear() threw " + ex.GetType().Name);
            }
        }

        private string Endpoint()
        {
            return _options.ServiceHost + ":" + _options.ServicePort;
        }
    }
}
