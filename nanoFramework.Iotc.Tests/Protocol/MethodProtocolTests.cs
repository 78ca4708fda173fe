// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class MethodProtocolTests
    {
        [TestMethod]
        public void NoHandlerBody_IsEscapedJson()
        {
            Assert.AreEqual("{\"message\":\"no handler for command 'reboot'\"}", MethodProtocol.NoHandlerBody("reboot"));
            string hostile = "x\"}, \"evil\":1, \"y\\\n";
            string body = MethodProtocol.NoHandlerBody(hostile);
            JsonValue parsed = JsonValue.Parse(body);
            Assert.AreEqual(1, parsed.Count);
            Assert.AreEqual("no handler for command '" + hostile + "'", parsed.GetMemberString("message", null));
            Assert.AreEqual("{\"message\":\"no handler for command ''\"}", MethodProtocol.NoHandlerBody(null));
            Assert.AreEqual(501, MethodProtocol.NoHandlerStatus);
            Assert.AreEqual("{}", MethodProtocol.EmptyBody);
        }

        [TestMethod]
        public void SplitCommandName_ComponentStarCommand()
        {
            string component;
            string command;
            MethodProtocol.SplitCommandName("thermostat1*getMaxMinReport", out component, out command);
            Assert.AreEqual("thermostat1", component);
            Assert.AreEqual("getMaxMinReport", command);

            MethodProtocol.SplitCommandName("reboot", out component, out command);
            Assert.IsNull(component);
            Assert.AreEqual("reboot", command);

            MethodProtocol.SplitCommandName("*x", out component, out command);
            Assert.IsNull(component);
            Assert.AreEqual("*x", command);

            MethodProtocol.SplitCommandName("a*b*c", out component, out command);
            Assert.AreEqual("a", component);
            Assert.AreEqual("b*c", command);
            Assert.ThrowsException(typeof(ArgumentNullException), () => MethodProtocol.SplitCommandName(null, out component, out command));
        }
    }
}
