// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Http;
using nanoFramework.Iotc.Text;
using nanoFramework.Iotc.Transport;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests.Http
{
    [TestClass]
    public class HttpRequestWriterTests
    {
        [TestMethod]
        public void Put_WithBody_ExactBytes()
        {
            HttpRequest request = Request("PUT", "/0ne/registrations/dev1/register?api-version=2021-06-01");
            request.Authorization = "SharedAccessSignature sr=x&sig=y";
            request.Body = "{\"registrationId\":\"d\u00E9v\"}";
            byte[] bytes = HttpRequestWriter.Write(request, false);
            string expected =
                "PUT /0ne/registrations/dev1/register?api-version=2021-06-01 HTTP/1.1\r\n" +
                "Host: global.azure-devices-provisioning.net\r\n" +
                "User-Agent: iotc/1\r\n" +
                "Accept: application/json\r\n" +
                "Connection: close\r\n" +
                "Authorization: SharedAccessSignature sr=x&sig=y\r\n" +
                "Content-Type: application/json; charset=utf-8\r\n" +
                "Content-Length: 25\r\n" +
                "\r\n" +
                "{\"registrationId\":\"d\u00E9v\"}";
            Assert.AreEqual(expected, Utf8.GetString(bytes));

            // Content-Length counts bytes: the é is two of them.
            Assert.AreEqual(Utf8.GetBytes(expected).Length, bytes.Length);
            Assert.AreEqual((byte)0xC3, bytes[bytes.Length - 5]);
        }

        [TestMethod]
        public void Get_KeptAlive_OnAnotherPort_ExactBytes()
        {
            HttpRequest request = Request("GET", "/s/registrations/r/operations/o?api-version=2021-06-01");
            request.Port = 8443;
            request.UserAgent = null;
            Assert.AreEqual(
                "GET /s/registrations/r/operations/o?api-version=2021-06-01 HTTP/1.1\r\nHost: global.azure-devices-provisioning.net:8443\r\nAccept: application/json\r\n\r\n",
                Utf8.GetString(HttpRequestWriter.Write(request, true)));
        }

        [TestMethod]
        public void PutOrPost_WithoutBody_SendContentLengthZero_GetDoesNot()
        {
            string[] methods = { "PUT", "POST", "GET", "HEAD" };
            bool[] expected = { true, true, false, false };
            for (int i = 0; i < methods.Length; i++)
            {
                string text = Utf8.GetString(HttpRequestWriter.Write(Request(methods[i], "/"), true));
                Assert.EndsWith(expected[i] ? "Accept: application/json\r\nContent-Length: 0\r\n\r\n" : "Accept: application/json\r\n\r\n", text, methods[i]);
            }
        }

        [TestMethod]
        public void Ipv6Host_IsBracketed()
        {
            HttpRequest request = Request("GET", "/");
            request.Host = "::1";
            request.Port = 4433;
            Assert.StartsWith("GET / HTTP/1.1\r\nHost: [::1]:4433\r\n", Utf8.GetString(HttpRequestWriter.Write(request, true)));
            request.Host = "[::1]";
            Assert.StartsWith("GET / HTTP/1.1\r\nHost: [::1]:4433\r\n", Utf8.GetString(HttpRequestWriter.Write(request, true)));
        }

        [TestMethod]
        public void HeaderInjection_AndMalformedRequestLines_AreRefused_WithoutTheSecretInTheMessage()
        {
            const string Secret = "SharedAccessSignature sig=SECRET";
            HttpRequest request = Request("GET", "/");
            request.Authorization = Secret + "\r\nX-Evil: 1";
            Throws.Exactly(typeof(ArgumentException), "request", "SECRET", () => HttpRequestWriter.Write(request, false));

            request = Request("GET", "/");
            request.UserAgent = "a\nb";
            Throws.Exactly(typeof(ArgumentException), "request", null, () => HttpRequestWriter.Write(request, false));

            string[] paths = { "relative", "/a b", "/a\r\nX: 1", string.Empty, null };
            for (int i = 0; i < paths.Length; i++)
            {
                HttpRequest bad = Request("GET", paths[i]);
                Throws.Exactly(typeof(ArgumentException), "request", null, () => HttpRequestWriter.Write(bad, false));
            }

            string[] hosts = { string.Empty, null, "a b", "a\r\nb" };
            for (int i = 0; i < hosts.Length; i++)
            {
                HttpRequest bad = Request("GET", "/");
                bad.Host = hosts[i];
                Throws.Exactly(typeof(ArgumentException), "request", null, () => HttpRequestWriter.Write(bad, false));
            }

            string[] methods = { "get", "GET /x", string.Empty, null, "G\r\nT" };
            for (int i = 0; i < methods.Length; i++)
            {
                HttpRequest bad = Request(methods[i], "/");
                Throws.Exactly(typeof(ArgumentException), "request", null, () => HttpRequestWriter.Write(bad, false));
            }

            Throws.Exactly(typeof(ArgumentNullException), "request", null, () => HttpRequestWriter.Write(null, false));
        }

        [TestMethod]
        public void ContentLength_CountsUtf8Bytes()
        {
            // Content-Length is the body's UTF-8 length: 4 bytes for the emoji, 12 in all.
            HttpRequest request = Request("PUT", "/r");
            request.Body = "{\"a\":\"\uD83D\uDE00\"}";
            byte[] bytes = HttpRequestWriter.Write(request, true);
            string text = Utf8.GetString(bytes);
            Assert.Contains("\r\nContent-Length: 12\r\n\r\n", text);
            Assert.AreEqual(request.Body, Utf8.GetString(bytes, bytes.Length - 12, 12));
        }

        private static HttpRequest Request(string method, string path)
        {
            HttpRequest request = new HttpRequest();
            request.Method = method;
            request.Host = "global.azure-devices-provisioning.net";
            request.PathAndQuery = path;
            request.UserAgent = "iotc/1";
            return request;
        }
    }
}
