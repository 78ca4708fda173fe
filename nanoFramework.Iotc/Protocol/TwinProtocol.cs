// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Twin documents and writable-property acknowledgements (Learn: "Understand and use device twins in IoT Hub",
    /// "IoT Plug and Play conventions" — writable properties; Azure SDK for C <c>az_iot_hub_client_properties.c</c>).
    /// </summary>
    internal static class TwinProtocol
    {
        /// <summary>Ack code: the desired value was applied.</summary>
        public const int AckCompleted = 200;

        /// <summary>Ack description used when the application gave none.</summary>
        public const string AckCompletedDescription = "completed";

        /// <summary>
        /// Parses a twin GET response body <c>{"desired":{…,"$version":n},"reported":{…}}</c> into the desired properties.
        /// Never throws: bad JSON or a missing <c>desired</c> object gives <see cref="DesiredProperties.IsMalformed"/>.
        /// </summary>
        /// <param name="body">The response payload.</param>
        /// <returns>The desired properties and <c>desired.$version</c> (-1 when missing).</returns>
        public static DesiredProperties ParseTwinGet(string body)
        {
            JsonValue root;
            if (body == null || !JsonValue.TryParseTolerant(body, out root) || root.Kind != JsonValueKind.Object)
            {
                return new DesiredProperties(-1, true);
            }

            JsonValue desired = root.GetMember("desired");
            if (desired == null || desired.Kind != JsonValueKind.Object)
            {
                return new DesiredProperties(-1, true);
            }

            return Collect(desired);
        }

        /// <summary>
        /// Parses a desired patch body <c>{…,"$version":n}</c>. Never throws: bad JSON or a non-object gives
        /// <see cref="DesiredProperties.IsMalformed"/>.
        /// </summary>
        /// <param name="body">The patch payload.</param>
        /// <returns>The patched properties and the top-level <c>$version</c> (-1 when missing).</returns>
        public static DesiredProperties ParseDesiredPatch(string body)
        {
            JsonValue root;
            if (body == null || !JsonValue.TryParseTolerant(body, out root) || root.Kind != JsonValueKind.Object)
            {
                return new DesiredProperties(-1, true);
            }

            return Collect(root);
        }

        /// <summary>
        /// Builds the reported patch that acknowledges one writable property. PnP / current IoT Central form:
        /// <c>{"name":{"value":v,"ac":code,"ad":"description","av":version}}</c>; legacy iotc form (<paramref name="legacy"/>):
        /// <c>{"name":{"value":v,"statusCode":code,"status":"description","desiredVersion":version}}</c>.
        /// </summary>
        /// <param name="name">The property name.</param>
        /// <param name="rawValue">The value as JSON text (e.g. the desired value's raw text, or the value actually applied).</param>
        /// <param name="code">The ack code (200 applied, 202 in progress, 400 rejected, 500 error…).</param>
        /// <param name="description">The description; null omits it.</param>
        /// <param name="version">The desired <c>$version</c> being acknowledged.</param>
        /// <param name="legacy">True for the legacy iotc field names.</param>
        /// <returns>The JSON patch.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="name"/> or <paramref name="rawValue"/> is null.</exception>
        /// <exception cref="JsonException"><paramref name="rawValue"/> is not one valid JSON value.</exception>
        public static string BuildAck(string name, string rawValue, int code, string description, long version, bool legacy)
        {
            CheckName(name, "name");
            JsonWriter writer = new JsonWriter(new StringBuffer(rawValue == null ? 64 : rawValue.Length + 80));
            writer.BeginObject().Name(name);
            WriteAckBody(writer, rawValue, code, description, version, legacy);
            writer.EndObject();
            return writer.ToString();
        }

        /// <summary>
        /// Builds the PnP reported patch acknowledging a property of a component:
        /// <c>{"component":{"__t":"c","name":{"value":v,"ac":code,"ad":"description","av":version}}}</c>.
        /// </summary>
        /// <param name="component">The component name.</param>
        /// <param name="name">The property name inside the component.</param>
        /// <param name="rawValue">The value as JSON text.</param>
        /// <param name="code">The ack code.</param>
        /// <param name="description">The description; null omits it.</param>
        /// <param name="version">The desired <c>$version</c> being acknowledged.</param>
        /// <returns>The JSON patch.</returns>
        /// <exception cref="ArgumentNullException">A name or <paramref name="rawValue"/> is null.</exception>
        /// <exception cref="JsonException"><paramref name="rawValue"/> is not one valid JSON value.</exception>
        public static string BuildComponentAck(string component, string name, string rawValue, int code, string description, long version)
        {
            CheckName(component, "component");
            CheckName(name, "name");
            JsonWriter writer = new JsonWriter(new StringBuffer(rawValue == null ? 96 : rawValue.Length + 112));
            writer.BeginObject().Name(component).BeginObject().Name("__t").String("c").Name(name);
            WriteAckBody(writer, rawValue, code, description, version, false);
            writer.EndObject().EndObject();
            return writer.ToString();
        }

        /// <summary>
        /// Writes one ack object. The value is the desired value's own JSON text (never re-formatted). Legacy iotc form:
        /// a desired <c>{"value":v}</c> is answered with <c>v</c> (as the Python SDK does), not wrapped twice. A desired
        /// <c>null</c> (the operator removed the setting) is acknowledged without <c>value</c>: in a merge patch
        /// <c>"value":null</c> would delete the member instead of saying anything.
        /// </summary>
        internal static void WriteAckBody(JsonWriter writer, string rawValue, int code, string description, long version, bool legacy)
        {
            if (rawValue == null)
            {
                throw new ArgumentNullException("rawValue");
            }

            JsonValue parsed = JsonValue.Parse(rawValue);
            if (legacy && parsed.Kind == JsonValueKind.Object && parsed.GetMember("value") != null)
            {
                parsed = parsed.GetMember("value");
            }

            writer.BeginObject();
            if (!parsed.IsNull)
            {
                writer.Name("value").RawValue(parsed.RawText);
            }

            writer.Name(legacy ? "statusCode" : "ac").Number(code);
            if (description != null)
            {
                writer.Name(legacy ? "status" : "ad").String(description);
            }

            writer.Name(legacy ? "desiredVersion" : "av").Number(version);
            writer.EndObject();
        }

        private static DesiredProperties Collect(JsonValue desired)
        {
            JsonValue versionValue = desired.GetMember("$version");
            long version = versionValue == null ? -1 : versionValue.GetInt64(-1);
            DesiredProperties result = new DesiredProperties(version < 0 ? -1 : version, false);
            for (int i = 0; i < desired.Count; i++)
            {
                string name = desired.IsNameFlawed(i) ? null : desired.GetName(i);
                if (name != null && IsServiceName(name))
                {
                    // $version, $metadata and other service metadata are not settings.
                    continue;
                }

                JsonValue value = desired.GetValue(i);
                if (name == null || (value.IsFlawed && !IsComponentObject(value)))
                {
                    // A name with an escaped U+0000 (a device string cannot hold it), or a value that cannot be read
                    // (a lone surrogate, a 300-digit number): only this setting is skipped, the others still count.
                    // A component keeps its readable properties (TwinSync skips the flawed ones).
                    result.Skip(name);
                    continue;
                }

                result.Add(name, value);
            }

            return result;
        }

        /// <summary>An IoT Plug and Play component: an object with <c>"__t":"c"</c>.</summary>
        internal static bool IsComponentObject(JsonValue value)
        {
            return value.Kind == JsonValueKind.Object && value.GetMemberString("__t", null) == "c";
        }

        /// <summary>Empty names and <c>$</c> names (<c>$version</c>, <c>$metadata</c>…) are the service's, not settings.</summary>
        internal static bool IsServiceName(string name)
        {
            return name.Length == 0 || name.IndexOf('$') == 0;
        }

        private static void CheckName(string name, string paramName)
        {
            if (name == null)
            {
                throw new ArgumentNullException(paramName);
            }

            if (name.Length == 0)
            {
                throw new ArgumentException("A property name cannot be empty.", paramName);
            }
        }
    }
}
