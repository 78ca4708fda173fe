// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Direct method (command) helpers (Learn: "Communicate with an IoT hub using the MQTT protocol" — respond to a direct
    /// method; "IoT Plug and Play conventions" — component commands are named <c>{component}*{command}</c>).
    /// </summary>
    internal static class MethodProtocol
    {
        /// <summary>Status sent when the application handled the command without setting a response.</summary>
        public const int DefaultStatus = 200;

        /// <summary>Body sent when the application handled the command without setting a response.</summary>
        public const string EmptyBody = "{}";

        /// <summary>Status sent for a command no handler is registered for.</summary>
        public const int NoHandlerStatus = 501;

        /// <summary>Separator between component and command in a PnP command name.</summary>
        public const char ComponentSeparator = '*';

        /// <summary>The 501 body for an unhandled command: <c>{"message":"no handler for command 'name'"}</c>, JSON-escaped.</summary>
        /// <param name="commandName">The command name as received (null is shown as empty).</param>
        /// <returns>The JSON body.</returns>
        public static string NoHandlerBody(string commandName)
        {
            return MessageBody(string.Concat("no handler for command '", commandName ?? string.Empty, "'"));
        }

        /// <summary>A JSON error/status body <c>{"message":"…"}</c> with <paramref name="message"/> escaped.</summary>
        /// <param name="message">The message text.</param>
        /// <returns>The JSON body.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
        public static string MessageBody(string message)
        {
            if (message == null)
            {
                throw new ArgumentNullException("message");
            }

            JsonWriter writer = new JsonWriter(new StringBuffer(message.Length + 16));
            writer.BeginObject().Name("message").String(message).EndObject();
            return writer.ToString();
        }

        /// <summary>
        /// Splits a PnP command name <c>component*command</c> at the first <c>*</c>. Without a <c>*</c> (or with an empty
        /// part) the whole name is the command and the component is null.
        /// </summary>
        /// <param name="methodName">The method name from the topic.</param>
        /// <param name="component">The component name, or null.</param>
        /// <param name="command">The command name.</param>
        /// <exception cref="ArgumentNullException"><paramref name="methodName"/> is null.</exception>
        public static void SplitCommandName(string methodName, out string component, out string command)
        {
            if (methodName == null)
            {
                throw new ArgumentNullException("methodName");
            }

            int star = methodName.IndexOf(ComponentSeparator);
            if (star <= 0 || star == methodName.Length - 1)
            {
                component = null;
                command = methodName;
                return;
            }

            component = methodName.Substring(0, star);
            command = methodName.Substring(star + 1);
        }
    }
}
