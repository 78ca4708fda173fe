// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Builds the MQTT topics and the CONNECT user name IoT Hub expects from a device (Learn: "Communicate with an IoT
    /// hub using the MQTT protocol"; Azure SDK for C <c>az_iot_hub_client.c</c>, <c>az_iot_hub_client_twin.c</c>,
    /// <c>az_iot_hub_client_methods.c</c>, <c>az_iot_hub_client_telemetry.c</c>).
    /// </summary>
    internal static class HubTopics
    {
        /// <summary>The IoT Hub MQTT API version this SDK speaks.</summary>
        public const string ApiVersion = "2021-04-12";

        /// <summary>Subscription filter for direct method (command) requests.</summary>
        public const string MethodsSubscription = "$iothub/methods/POST/#";

        /// <summary>Subscription filter for twin responses (GET and reported-patch results).</summary>
        public const string TwinResponseSubscription = "$iothub/twin/res/#";

        /// <summary>Subscription filter for desired-property patches.</summary>
        public const string DesiredPatchSubscription = "$iothub/twin/PATCH/properties/desired/#";

        /// <summary>Content type system property sent with JSON telemetry by default (<c>$.ct</c>).</summary>
        public const string JsonContentType = "application/json";

        /// <summary>Content encoding system property sent by default (<c>$.ce</c>).</summary>
        public const string Utf8ContentEncoding = "utf-8";

        /// <summary>
        /// The message's creation time on the device, IoT Hub's <c>iothub-creation-time-utc</c> system property; on the MQTT
        /// wire it is <c>$.ctime</c> (Microsoft.Azure.Devices.Client's MQTT adapter maps the two; the Azure SDK for C names
        /// <c>$.ctime</c> <c>AZ_IOT_MSG_PROP_CREATION_TIME</c>).
        /// </summary>
        public const string CreationTimeProperty = "$.ctime";

        /// <summary>What <see cref="WithCreationTime"/> adds to a topic, in bytes: <c>&amp;$.ctime=</c> and the encoded 28-character time.</summary>
        internal const int CreationTimeBytes = 41;

        /// <summary>
        /// The CONNECT user name: <c>{hub}/{deviceId}/?api-version=2021-04-12[&amp;model-id={dtmi}][&amp;DeviceClientType={ua}]</c>,
        /// with the optional values URL-encoded.
        /// </summary>
        /// <param name="hubHostName">The assigned hub host name, e.g. <c>myhub.azure-devices.net</c>.</param>
        /// <param name="deviceId">The device id.</param>
        /// <param name="modelId">The PnP model id (DTMI), or null/empty to omit.</param>
        /// <param name="deviceClientType">A client type / user agent string, or null/empty to omit.</param>
        /// <returns>The user name.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="hubHostName"/> or <paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or invalid.</exception>
        public static string Username(string hubHostName, string deviceId, string modelId, string deviceClientType)
        {
            if (hubHostName == null)
            {
                throw new ArgumentNullException("hubHostName");
            }

            if (hubHostName.Length == 0 || hubHostName.IndexOf('/') >= 0)
            {
                throw new ArgumentException("The hub host name must be a non-empty host name.", "hubHostName");
            }

            Validation.ValidateDeviceId(deviceId, "deviceId");
            StringBuffer buffer = new StringBuffer(hubHostName.Length + deviceId.Length + 64);
            buffer.Append(hubHostName).Append('/').Append(deviceId).Append("/?api-version=").Append(ApiVersion);
            if (modelId != null && modelId.Length > 0)
            {
                buffer.Append("&model-id=").Append(UrlEncoding.Encode(modelId));
            }

            if (deviceClientType != null && deviceClientType.Length > 0)
            {
                buffer.Append("&DeviceClientType=").Append(UrlEncoding.Encode(deviceClientType));
            }

            return buffer.ToString();
        }

        /// <summary>The telemetry topic with the default JSON system properties: <c>devices/{id}/messages/events/$.ct=application%2Fjson&amp;$.ce=utf-8</c>.</summary>
        /// <param name="deviceId">The device id.</param>
        /// <returns>The topic.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="deviceId"/> is invalid.</exception>
        public static string Telemetry(string deviceId)
        {
            return Telemetry(deviceId, null, null, null);
        }

        /// <summary>The telemetry topic with the default JSON system properties followed by <paramref name="properties"/>.</summary>
        /// <param name="deviceId">The device id.</param>
        /// <param name="properties">User (application) properties, or null.</param>
        /// <returns>The topic.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="deviceId"/> is invalid.</exception>
        public static string Telemetry(string deviceId, PropertyBag properties)
        {
            return Telemetry(deviceId, properties, null, null);
        }

        /// <summary>
        /// The telemetry topic: <c>devices/{id}/messages/events/</c> followed by the property bag
        /// <c>$.ct=application%2Fjson&amp;$.ce=utf-8[&amp;$.sub={component}][&amp;$.mid={messageId}][&amp;{user properties}]</c>,
        /// every name and value URL-encoded.
        /// </summary>
        /// <param name="deviceId">The device id.</param>
        /// <param name="properties">User (application) properties, or null.</param>
        /// <param name="componentName">The PnP component (<c>$.sub</c>), or null/empty to omit.</param>
        /// <param name="messageId">The message id (<c>$.mid</c>), or null/empty to omit.</param>
        /// <returns>The topic.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="deviceId"/> is invalid.</exception>
        public static string Telemetry(string deviceId, PropertyBag properties, string componentName, string messageId)
        {
            Validation.ValidateDeviceId(deviceId, "deviceId");
            // A system property the application's bag sets itself is the application's: one $.ct, never two.
            PropertyBag system = new PropertyBag();
            if (properties == null || !properties.Contains("$.ct"))
            {
                system.Add("$.ct", JsonContentType);
            }

            if (properties == null || !properties.Contains("$.ce"))
            {
                system.Add("$.ce", Utf8ContentEncoding);
            }

            if (componentName != null && componentName.Length > 0)
            {
                system.Add("$.sub", componentName);
            }

            if (messageId != null && messageId.Length > 0)
            {
                system.Add("$.mid", messageId);
            }

            StringBuffer buffer = new StringBuffer(96);
            buffer.Append("devices/").Append(deviceId).Append("/messages/events/");
            system.AppendEncoded(buffer);
            if (properties != null && properties.Count > 0)
            {
                if (system.Count > 0)
                {
                    buffer.Append('&');
                }

                properties.AppendEncoded(buffer);
            }

            return buffer.ToString();
        }

        /// <summary>
        /// <paramref name="telemetryTopic"/> (which always ends in a property bag) with the creation time appended:
        /// <c>&amp;$.ctime=2026-12-08T00%3A05%3A09.1230000Z</c>, the form .NET's round-trip format writes.
        /// </summary>
        /// <param name="telemetryTopic">A topic made by <see cref="Telemetry(string, PropertyBag, string, string)"/>.</param>
        /// <param name="unixMilliseconds">When the message was created.</param>
        /// <returns>The topic with the time.</returns>
        internal static string WithCreationTime(string telemetryTopic, long unixMilliseconds)
        {
            return string.Concat(telemetryTopic, "&$.ctime=", UrlEncoding.Encode(Iso8601.FormatUtc(unixMilliseconds)));
        }

        /// <summary>The C2D subscription filter: <c>devices/{id}/messages/devicebound/#</c>.</summary>
        /// <param name="deviceId">The device id.</param>
        /// <returns>The filter.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="deviceId"/> is invalid.</exception>
        public static string CloudToDeviceSubscription(string deviceId)
        {
            Validation.ValidateDeviceId(deviceId, "deviceId");
            return string.Concat("devices/", deviceId, "/messages/devicebound/#");
        }

        /// <summary>
        /// The four subscriptions a device needs, in this order: C2D, methods, twin responses, desired patches
        /// (IoT Hub allows at most 5 per connection).
        /// </summary>
        /// <param name="deviceId">The device id.</param>
        /// <returns>A new array of topic filters.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="deviceId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="deviceId"/> is invalid.</exception>
        public static string[] Subscriptions(string deviceId)
        {
            return new string[] { CloudToDeviceSubscription(deviceId), MethodsSubscription, TwinResponseSubscription, DesiredPatchSubscription };
        }

        /// <summary>The twin GET request topic: <c>$iothub/twin/GET/?$rid={rid}</c> (publish an empty payload).</summary>
        /// <param name="requestId">The request id (URL-encoded into the topic).</param>
        /// <returns>The topic.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="requestId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty.</exception>
        public static string TwinGet(string requestId)
        {
            return string.Concat("$iothub/twin/GET/?$rid=", EncodeRequestId(requestId));
        }

        /// <summary>The reported-properties patch topic: <c>$iothub/twin/PATCH/properties/reported/?$rid={rid}</c>.</summary>
        /// <param name="requestId">The request id (URL-encoded into the topic).</param>
        /// <returns>The topic.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="requestId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty.</exception>
        public static string TwinPatchReported(string requestId)
        {
            return string.Concat("$iothub/twin/PATCH/properties/reported/?$rid=", EncodeRequestId(requestId));
        }

        /// <summary>The method response topic: <c>$iothub/methods/res/{status}/?$rid={rid}</c>.</summary>
        /// <param name="status">The response status (0–65535 in the Azure SDK for C; e.g. 200, 501).</param>
        /// <param name="requestId">The <c>$rid</c> of the request being answered.</param>
        /// <returns>The topic.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="requestId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="requestId"/> is empty.</exception>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is negative.</exception>
        public static string MethodResponse(int status, string requestId)
        {
            if (status < 0)
            {
                throw new ArgumentOutOfRangeException("status");
            }

            string rid = EncodeRequestId(requestId);
            StringBuffer buffer = new StringBuffer(32 + rid.Length);
            buffer.Append("$iothub/methods/res/").Append(status).Append("/?$rid=").Append(rid);
            return buffer.ToString();
        }

        private static string EncodeRequestId(string requestId)
        {
            if (requestId == null)
            {
                throw new ArgumentNullException("requestId");
            }

            if (requestId.Length == 0)
            {
                throw new ArgumentException("A request id cannot be empty.", "requestId");
            }

            return UrlEncoding.Encode(requestId);
        }
    }
}
