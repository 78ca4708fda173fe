// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System.Collections;
using nanoFramework.Iotc.Protocol;
using nanoFramework.Iotc.Pump;
using nanoFramework.Iotc.Transport;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Pump
{
    /// <summary>
    /// DPS as pump states: one HTTP exchange per Step, register then poll the operation, 429 and 5xx retried after a
    /// bounded Retry-After, 4xx and final DPS states refused with their status, the deadline and the request limit hold.
    /// </summary>
    [TestClass]
    public class DpsRegistrationTests
    {
        private const string Assigning = "{\"operationId\":\"op-7\",\"status\":\"assigning\"}";
        private const string Assigned = "{\"operationId\":\"op-7\",\"status\":\"assigned\",\"registrationState\":{\"registrationId\":\"dev-1\",\"assignedHub\":\"hub-1.azure-devices.net\",\"deviceId\":\"dev-1\",\"status\":\"assigned\"}}";

        private static ArrayList _log;

        private static DpsRegistration New(FakeTransport t, FakeClock clock, string key, long maxWaitMs)
        {
            DeviceOptions options = new DeviceOptions();
            options.LogLevel = IotLogLevel.ApiOnly;
            _log = new ArrayList();
            options.LogSink = line => _log.Add(line.Substring(7));
            options.ServiceHost = "dps.example.com";
            options.ServicePort = 443;
            options.ScopeId = "0ne00000001";
            options.DeviceId = "dev-1";
            options.DeviceKey = key;
            options.TokenLifetimeSeconds = 3600;
            options.TimeoutMilliseconds = 10000;
            options.ProvisioningTimeoutMilliseconds = maxWaitMs;
            return new DpsRegistration(options, t, clock, new Logger(options));
        }

        private static string Refused(string body)
        {
            FakeTransport t = new FakeTransport();
            t.AddHttp(200, body, -1);
            return StepExpectingRefusal(New(t, new FakeClock(), DeviceTests.Key, 120000)).Message;
        }

        private static IotcException StepExpectingRefusal(DpsRegistration dps)
        {
            try
            {
                dps.Step();
            }
            catch (IotcException ex)
            {
                return ex;
            }

            Assert.IsTrue(false, "Step() was expected to throw IotcException");
            return null;
        }

        [TestMethod]
        public void Register_ThenPoll_OneRequestPerStep_WaitingAsDpsSays()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            t.AddHttp(202, Assigning, 2);
            t.AddHttp(200, Assigned, -1);
            DpsRegistration dps = New(t, clock, DeviceTests.Key, 120000);
            long start = clock.Now;
            Assert.IsNull(dps.Step(), "still assigning");
            Assert.AreEqual(1, t.HttpRequests.Count);
            Assert.AreEqual("PUT", t.Http(0).Method);
            Assert.AreEqual("dps.example.com", t.Http(0).Host);
            Assert.AreEqual(443, t.Http(0).Port);
            Assert.IsNotNull(t.Http(0).Body);
            Assert.StartsWith("SharedAccessSignature ", t.Http(0).Authorization);
            Assert.AreEqual(start + 2000, dps.NextRequestAtMs, "Retry-After 2 s");
            clock.Now += 2000;
            DpsResult result = dps.Step();
            Assert.IsNotNull(result);
            Assert.AreEqual("hub-1.azure-devices.net", result.AssignedHub);
            Assert.AreEqual("dev-1", result.DeviceId);
            Assert.AreEqual("GET", t.Http(1).Method);
            Assert.Contains("op-7", t.Http(1).PathAndQuery);
            Assert.AreEqual(4, _log.Count);
            Assert.AreEqual("DPS: PUT dps.example.com:443" + t.Http(0).PathAndQuery, (string)_log[0]);
            Assert.AreEqual("DPS: assigning (operation op-7)", (string)_log[1]);
            Assert.AreEqual("DPS: GET dps.example.com:443" + t.Http(1).PathAndQuery, (string)_log[2]);
            Assert.AreEqual("DPS: assigned to hub-1.azure-devices.net as 'dev-1'", (string)_log[3]);
        }

        [TestMethod]
        public void X509_SendsNoSasToken()
        {
            FakeTransport t = new FakeTransport();
            t.AddHttp(200, Assigned, -1);
            Assert.IsNotNull(New(t, new FakeClock(), null, 120000).Step());
            Assert.IsNull(t.Http(0).Authorization);
        }

        [TestMethod]
        public void Register_SleepsThroughRetryAfter_ForTheBlockingConnect()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            t.AddHttp(202, Assigning, 4);
            t.AddHttp(202, Assigning, 1);
            t.AddHttp(200, Assigned, -1);
            DpsResult result = New(t, clock, DeviceTests.Key, 120000).Register();
            Assert.IsNotNull(result);
            Assert.AreEqual(3, t.HttpRequests.Count);
            Assert.AreEqual(5000, (int)clock.Slept, "slept 4 s then 1 s");
        }

        [TestMethod]
        [DataRow(500)]
        [DataRow(503)]
        [DataRow(429)]
        public void ThrottlingAndServerFaults_AreRetried(int status)
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            t.AddHttp(status, "{\"message\":\"busy\"}", 5);
            t.AddHttp(200, Assigned, -1);
            DpsRegistration dps = New(t, clock, DeviceTests.Key, 120000);
            Assert.IsNull(dps.Step(), "not a refusal");
            Assert.AreEqual("DPS answered " + status + (status == 429 ? " (throttled)" : " (service error)") + "; retrying", (string)_log[1]);
            Assert.AreEqual(clock.Now + 5000, dps.NextRequestAtMs);
            clock.Now += 5000;
            Assert.IsNotNull(dps.Step());
            Assert.AreEqual("PUT", t.Http(1).Method, "the registration is sent again");
        }

        [TestMethod]
        [DataRow(400)]
        [DataRow(401)]
        [DataRow(403)]
        [DataRow(404)]
        [DataRow(412)]
        public void ClientErrors_AreRefusals_WithTheirStatus(int status)
        {
            FakeTransport t = new FakeTransport();
            t.AddHttp(status, "{\"errorCode\":" + status + "002,\"trackingId\":\"tr-1\",\"message\":\"no\"}", -1);
            IotcException ex = StepExpectingRefusal(New(t, new FakeClock(), DeviceTests.Key, 120000));
            Assert.AreEqual(status, ex.StatusCode);
            Assert.AreEqual("DPS refused the registration [" + status + " errorCode " + status + "002]: no (trackingId tr-1)", ex.Message);
        }

        [TestMethod]
        public void ARefusal_ShowsOnlyWhatDpsSaid_AndAtMost256CharactersOfIt()
        {
            FakeTransport bare = new FakeTransport();
            bare.AddHttp(403, "{}", -1);
            Assert.AreEqual("DPS refused the registration [403]", StepExpectingRefusal(New(bare, new FakeClock(), DeviceTests.Key, 120000)).Message);

            FakeTransport chatty = new FakeTransport();
            chatty.AddHttp(400, "{\"message\":\"" + new string('m', 300) + "\"}", -1);
            Assert.AreEqual("DPS refused the registration [400]: " + new string('m', 256) + "…", StepExpectingRefusal(New(chatty, new FakeClock(), DeviceTests.Key, 120000)).Message);

            FakeTransport exact = new FakeTransport();
            exact.AddHttp(400, "{\"message\":\"" + new string('m', 256) + "\"}", -1);
            Assert.AreEqual("DPS refused the registration [400]: " + new string('m', 256), StepExpectingRefusal(New(exact, new FakeClock(), DeviceTests.Key, 120000)).Message);
        }

        [TestMethod]
        public void RetryAfter_IsBoundedToOneSecondAndOneMinute_AndDefaultsToThree()
        {
            int[] given = new int[] { -1, 0, 1, 60, 61, 3600 };
            int[] expected = new int[] { 3, 1, 1, 60, 60, 60 };
            for (int i = 0; i < given.Length; i++)
            {
                FakeTransport t = new FakeTransport();
                FakeClock clock = new FakeClock();
                t.AddHttp(202, Assigning, given[i]);
                DpsRegistration dps = New(t, clock, DeviceTests.Key, 600000);
                Assert.IsNull(dps.Step());
                Assert.AreEqual(clock.Now + expected[i] * 1000L, dps.NextRequestAtMs, "Retry-After " + given[i]);
            }
        }

        [TestMethod]
        public void Deadline_EndsTheRegistration_WithTheBusyStatusOr408()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            t.AddHttp(202, Assigning, 5);
            t.AddHttp(202, Assigning, 5);
            DpsRegistration dps = New(t, clock, DeviceTests.Key, 10000);
            Assert.IsNull(dps.Step(), "5 s of 10 s");
            clock.Now += 5000;
            Assert.IsNull(dps.Step(), "exactly at the deadline is still in time");
            clock.Now += 1;
            t.AddHttp(202, Assigning, 5);
            IotcException late = StepExpectingRefusal(dps);
            Assert.AreEqual(408, late.StatusCode, "past the deadline while assigning");
            Assert.AreEqual("DPS did not assign the device within 10 s [408]", late.Message);

            FakeTransport busy = new FakeTransport();
            busy.AddHttp(503, "{}", 30);
            Assert.AreEqual(503, StepExpectingRefusal(New(busy, new FakeClock(), DeviceTests.Key, 10000)).StatusCode, "past the deadline while busy");
        }

        [TestMethod]
        public void AfterTwentyRequests_TheRegistrationEnds()
        {
            FakeTransport t = new FakeTransport();
            FakeClock clock = new FakeClock();
            DpsRegistration dps = New(t, clock, DeviceTests.Key, 10000000);
            for (int i = 0; i < RetryPolicy.MaxDpsRequests; i++)
            {
                t.AddHttp(202, Assigning, 1);
                Assert.IsNull(dps.Step(), "request " + (i + 1));
                clock.Now += 1000;
            }

            t.AddHttp(200, Assigned, -1);
            IotcException ex = StepExpectingRefusal(dps);
            Assert.AreEqual(408, ex.StatusCode);
            Assert.AreEqual("DPS did not assign the device after 20 requests", ex.Message);
            Assert.AreEqual(RetryPolicy.MaxDpsRequests, t.HttpRequests.Count, "no 21st request");
        }

        [TestMethod]
        public void FinalStates_AreRefusals_WithTheStatusOfTheirErrorCode()
        {
            FakeTransport t = new FakeTransport();
            t.AddHttp(200, "{\"operationId\":\"op-7\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"dev-1\",\"status\":\"failed\",\"errorCode\":401002,\"errorMessage\":\"bad\"}}", -1);
            IotcException ex = StepExpectingRefusal(New(t, new FakeClock(), DeviceTests.Key, 120000));
            Assert.AreEqual(401, ex.StatusCode);
            Assert.AreEqual("DPS registration ended with status 'failed' [401 errorCode 401002]: bad", ex.Message);

            // An errorCode too short to carry an HTTP status: 400.
            FakeTransport small = new FakeTransport();
            small.AddHttp(200, "{\"operationId\":\"op-7\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"dev-1\",\"status\":\"failed\",\"errorCode\":99999}}", -1);
            Assert.AreEqual(400, StepExpectingRefusal(New(small, new FakeClock(), DeviceTests.Key, 120000)).StatusCode);
            FakeTransport least = new FakeTransport();
            least.AddHttp(200, "{\"operationId\":\"op-7\",\"status\":\"failed\",\"registrationState\":{\"registrationId\":\"dev-1\",\"status\":\"failed\",\"errorCode\":100000}}", -1);
            Assert.AreEqual(100, StepExpectingRefusal(New(least, new FakeClock(), DeviceTests.Key, 120000)).StatusCode);

            FakeTransport disabled = new FakeTransport();
            disabled.AddHttp(200, "{\"operationId\":\"op-7\",\"status\":\"disabled\"}", -1);
            Assert.AreEqual(400, StepExpectingRefusal(New(disabled, new FakeClock(), DeviceTests.Key, 120000)).StatusCode);
        }

        [TestMethod]
        public void UnusableAnswers_AreProtocolErrors()
        {
            string[] bodies = new string[]
            {
                "{\"status\":\"assigning\"}",
                "{\"operationId\":\"op-7\",\"status\":\"assigned\",\"registrationState\":{\"assignedHub\":\"bad host/x\",\"deviceId\":\"dev-1\"}}",
                "{\"operationId\":\"op-7\",\"status\":\"assigned\"}",
                "not json",
            };
            string[] messages = new string[]
            {
                "DPS answered 'assigning' without an operationId [-5]",
                "DPS assigned a hub or device id that cannot be used [-5]",
                "DPS sent a response that could not be read [-5]",
                "DPS sent a response that could not be read [-5]",
            };
            for (int i = 0; i < bodies.Length; i++)
            {
                FakeTransport t = new FakeTransport();
                t.AddHttp(200, bodies[i], -1);
                IotcException ex = StepExpectingRefusal(New(t, new FakeClock(), DeviceTests.Key, 120000));
                Assert.AreEqual(IotcStatus.ProtocolError, ex.StatusCode, "body " + i);
                Assert.StartsWith(messages[i], ex.Message);
            }
        }

        [TestMethod]
        public void AnUnreachableService_IsANetworkError()
        {
            FakeTransport t = new FakeTransport();
            IotcException ex = StepExpectingRefusal(New(t, new FakeClock(), DeviceTests.Key, 120000));
            Assert.AreEqual(IotcStatus.NetworkError, ex.StatusCode);
            Assert.AreEqual("DPS dps.example.com:443 unreachable: no scripted DPS answer left", ex.Message);

            FakeTransport silent = new FakeTransport();
            silent.HttpResponses.Add(null);
            ex = StepExpectingRefusal(New(silent, new FakeClock(), DeviceTests.Key, 120000));
            Assert.AreEqual(IotcStatus.NetworkError, ex.StatusCode);
            Assert.AreEqual("DPS dps.example.com:443: the transport returned no response", ex.Message);
        }
    }
}
