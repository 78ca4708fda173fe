// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Protocol
{
    [TestClass]
    public class DpsProtocolTests
    {
        // Values from sdk/tests/iot/provisioning/test_az_iot_provisioning_client_parser.c (Azure SDK for C).
        private const string OperationId = "4.d0a671905ea5b2c8.42d78160-4c78-479e-8be7-61d5e55dac0d";

        [TestMethod]
        public void Paths_UseApiVersion20210601_AndEncodeSegments()
        {
            Assert.AreEqual("/0neFEEDC0DE/registrations/myRegistrationId/register?api-version=2021-06-01", DpsProtocol.RegisterPath("0neFEEDC0DE", "myRegistrationId"));
            Assert.AreEqual(
                "/0neFEEDC0DE/registrations/my-reg%3A1/operations/" + OperationId + "?api-version=2021-06-01",
                DpsProtocol.OperationStatusPath("0neFEEDC0DE", "my-reg:1", OperationId));
            Assert.AreEqual("/0ne/registrations/a%3Ab/operations/x%2Fy%20z?api-version=2021-06-01", DpsProtocol.OperationStatusPath("0ne", "a:b", "x/y z"));
        }

        [TestMethod]
        public void RegisterBody_WithAndWithoutModelId()
        {
            Assert.AreEqual("{\"registrationId\":\"myRegistrationId\"}", DpsProtocol.RegisterBody("myRegistrationId", null));
            Assert.AreEqual(
                "{\"registrationId\":\"dev1\",\"payload\":{\"modelId\":\"dtmi:com:example:Thermostat;1\"}}",
                DpsProtocol.RegisterBody("dev1", "dtmi:com:example:Thermostat;1"));
            Assert.AreEqual("{\"registrationId\":\"dev1\",\"payload\":{\"modelId\":\"a\\\"b\"}}", DpsProtocol.RegisterBody("dev1", "a\"b"));
        }

        [TestMethod]
        public void Arguments_AreCheckedByName()
        {
            Assert.ThrowsException(typeof(ArgumentNullException), () => DpsProtocol.RegisterPath(null, "r"));
            Assert.ThrowsException(typeof(ArgumentException), () => DpsProtocol.RegisterPath(string.Empty, "r"));
            Assert.ThrowsException(typeof(ArgumentNullException), () => DpsProtocol.RegisterPath("s", null));
            Assert.ThrowsException(typeof(ArgumentException), () => DpsProtocol.RegisterPath("s", "has space"));
            Assert.ThrowsException(typeof(ArgumentException), () => DpsProtocol.RegisterBody(new string('a', 129), null));
            Assert.ThrowsException(typeof(ArgumentNullException), () => DpsProtocol.OperationStatusPath("s", "r", null));
            Assert.ThrowsException(typeof(ArgumentException), () => DpsProtocol.OperationStatusPath("s", "r", string.Empty));
            try
            {
                DpsProtocol.RegisterBody("bad/id", null);
                Assert.IsTrue(false, "expected ArgumentException");
            }
            catch (ArgumentException ex)
            {
                Assert.AreEqual("registrationId", ex.ParamName);
            }
        }

        [TestMethod]
        public void Parse_Assigning()
        {
            DpsResult r = DpsProtocol.ParseResponse(202, "{\"operationId\":\"" + OperationId + "\",\"status\":\"assigning\"}");
            Assert.IsFalse(r.IsMalformed);
            Assert.IsTrue(r.IsAssigning);
            Assert.IsFalse(r.IsAssigned);
            Assert.AreEqual(OperationId, r.OperationId);
            Assert.AreEqual(DpsResult.StatusAssigning, r.Status);
            Assert.AreEqual(202, r.HttpStatus);
        }

        [TestMethod]
        public void Parse_Assigned_FromAzureSdkForC()
        {
            string body = "{\"operationId\":\"" + OperationId + "\",\"status\":\"assigned\",\"registrationState\":{"
                + "\"x509\":{},\"registrationId\":\"myRegistrationId\",\"createdDateTimeUtc\":\"2020-04-10T03:11:13.0276997Z\","
                + "\"assignedHub\":\"contoso.azure-devices.net\",\"deviceId\":\"my-device-id1\",\"status\":\"assigned\","
                + "\"substatus\":\"initialAssignment\",\"lastUpdatedDateTimeUtc\":\"2020-04-10T03:11:13.2096201Z\","
                + "\"etag\":\"IjYxMDA4ZDQ2LTAwMDAtMDEwMC0wMDAwLTVlOGZlM2QxMDAwMCI=\"}}";
            DpsResult r = DpsProtocol.ParseResponse(200, body);
            Assert.IsTrue(r.IsAssigned);
            Assert.IsFalse(r.IsAssigning);
            Assert.AreEqual("contoso.azure-devices.net", r.AssignedHub);
            Assert.AreEqual("my-device-id1", r.DeviceId);
            Assert.AreEqual("initialAssignment", r.Substatus);
            Assert.AreEqual(0, r.ErrorCode);
            Assert.IsNull(r.Message);
        }

        [TestMethod]
        public void Parse_ErrorBody_FromAzureSdkForC()
        {
            string body = "{\"errorCode\":401002,\"trackingId\":\"8ad0463c-6427-4479-9dfa-3e8bb7003e9b\",\"message\":\"Invalid certificate.\",\"timestampUtc\":\"2020-04-10T05:24:22.4718526Z\"}";
            DpsResult r = DpsProtocol.ParseResponse(401, body);
            Assert.IsFalse(r.IsMalformed);
            Assert.IsFalse(r.IsAssigned);
            Assert.IsFalse(RetryPolicy.IsRetriable(r.HttpStatus));
            Assert.AreEqual(401002, r.ErrorCode);
            Assert.AreEqual("8ad0463c-6427-4479-9dfa-3e8bb7003e9b", r.TrackingId);
            Assert.AreEqual("Invalid certificate.", r.Message);
            Assert.IsNull(r.Status);
        }

        [TestMethod]
        public void Parse_FailedAllocation_FromAzureSdkForC()
        {
            string body = "{\"operationId\":\"" + OperationId + "\",\"status\":\"failed\",\"registrationState\":{"
                + "\"registrationId\":\"myRegistrationId\",\"createdDateTimeUtc\":\"2020-04-10T03:11:13.0276997Z\","
                + "\"status\":\"failed\",\"errorCode\":400207,\"errorMessage\":\"Custom allocation failed with status code: 400\","
                + "\"lastUpdatedDateTimeUtc\":\"2020-04-10T05:24:22.4718526Z\",\"etag\":\"IjYxMDA4ZDQ2LTAwMDAtMDEwMC0wMDAwLTVlOGZlM2QxMDAwMCI=\"}}";
            DpsResult r = DpsProtocol.ParseResponse(200, body);
            Assert.IsFalse(r.IsMalformed);
            Assert.IsFalse(r.IsAssigned);
            Assert.AreEqual(DpsResult.StatusFailed, r.Status);
            Assert.AreEqual(400207, r.ErrorCode);
            Assert.AreEqual("Custom allocation failed with status code: 400", r.Message);
        }

        [TestMethod]
        public void Parse_Disabled_FromAzureSdkForC()
        {
            DpsResult r = DpsProtocol.ParseResponse(200, "{\"operationId\":\"\",\"status\":\"disabled\",\"registrationState\":{\"registrationId\":\"myRegistrationId\",\"status\":\"disabled\"}}");
            Assert.AreEqual(DpsResult.StatusDisabled, r.Status);
            Assert.AreEqual(string.Empty, r.OperationId);
            Assert.IsFalse(r.IsAssigned);
            Assert.IsFalse(r.IsMalformed);
        }

        [TestMethod]
        public void Parse_Throttled_IsRetriable()
        {
            DpsResult r = DpsProtocol.ParseResponse(429, "{\"errorCode\":429001,\"trackingId\":\"t\",\"message\":\"Operations are being throttled.\"}");
            Assert.IsTrue(RetryPolicy.IsRetriable(r.HttpStatus));
            Assert.AreEqual(429001, r.ErrorCode);
            Assert.IsTrue(RetryPolicy.IsRetriable(DpsProtocol.ParseResponse(503, string.Empty).HttpStatus));
        }

        [TestMethod]
        public void Parse_AssignedWithoutHub_IsNotAssigned()
        {
            Assert.IsFalse(DpsProtocol.ParseResponse(200, "{\"status\":\"assigned\",\"registrationState\":{\"deviceId\":\"d\"}}").IsAssigned);
            Assert.IsFalse(DpsProtocol.ParseResponse(200, "{\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":7,\"deviceId\":\"d\"}}").IsAssigned);
        }

        [TestMethod]
        [DataRow(200, "")]
        [DataRow(200, "<html>Bad gateway</html>")]
        [DataRow(200, "{\"status\":\"assigned\"")]
        [DataRow(200, "[]")]
        [DataRow(200, "\"assigned\"")]
        [DataRow(200, "{}")]
        [DataRow(200, "{\"status\":5}")]
        [DataRow(202, "{\"operationId\":7,\"status\":[\"assigning\"]}")]
        [DataRow(401, "{}")]
        [DataRow(500, "{\"errorCode\":\"x\"}")]
        [DataRow(200, "{\"status\":\"assigned\"}garbage")]
        public void Parse_MalformedBodies_NeverThrow(int status, string body)
        {
            DpsResult r = DpsProtocol.ParseResponse(status, body);
            Assert.IsTrue(r.IsMalformed, body);
            Assert.IsFalse(r.IsAssigned);
            Assert.IsFalse(r.IsAssigning);
            Assert.AreEqual(status, r.HttpStatus);
        }

        [TestMethod]
        public void Parse_NullBody_IsMalformed()
        {
            Assert.IsTrue(DpsProtocol.ParseResponse(200, null).IsMalformed);
            Assert.IsTrue(DpsProtocol.ParseResponse(200, new string('[', 5000)).IsMalformed);
            Assert.AreEqual(0, DpsProtocol.ParseResponse(400, "{\"errorCode\":99999999999,\"message\":\"m\"}").ErrorCode);
        }

        [TestMethod]
        public void RegisterBody_IsValidJson()
        {
            JsonValue body = JsonValue.Parse(DpsProtocol.RegisterBody("r-1", "dtmi:x;1"));
            Assert.AreEqual("r-1", body.GetMemberString("registrationId", null));
            Assert.AreEqual("dtmi:x;1", body.GetMember("payload").GetMemberString("modelId", null));
        }
    }
}
