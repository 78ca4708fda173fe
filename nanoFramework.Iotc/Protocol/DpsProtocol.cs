// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.Iotc.Json;
using nanoFramework.Iotc.Text;

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// Device Provisioning Service over HTTPS: request paths, the register body and the response parser
    /// (Learn: "Use symmetric keys over HTTPS without an SDK" and the DPS device REST API "Runtime Registration";
    /// Azure SDK for C <c>az_iot_provisioning_client.c</c> for the JSON field names).
    /// </summary>
    internal static class DpsProtocol
    {
        /// <summary>The DPS REST API version used (≥ 2019-03-31 is needed for the <c>payload</c> member).</summary>
        public const string ApiVersion = "2021-06-01";

        /// <summary>The default global DPS endpoint host.</summary>
        public const string DefaultHost = "global.azure-devices-provisioning.net";

        /// <summary>Content type of the register request body.</summary>
        public const string ContentType = "application/json; charset=utf-8";

        /// <summary>The register request path: <c>/{idScope}/registrations/{registrationId}/register?api-version=2021-06-01</c> (PUT).</summary>
        /// <param name="idScope">The DPS ID scope, e.g. <c>0ne00000A0A</c>.</param>
        /// <param name="registrationId">The registration id.</param>
        /// <returns>The path and query, segments URL-encoded.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or invalid.</exception>
        public static string RegisterPath(string idScope, string registrationId)
        {
            CheckScope(idScope);
            Validation.ValidateRegistrationId(registrationId, "registrationId");
            return string.Concat(
                new string[] { "/", UrlEncoding.Encode(idScope), "/registrations/", UrlEncoding.Encode(registrationId), "/register?api-version=", ApiVersion });
        }

        /// <summary>The operation status path: <c>/{idScope}/registrations/{registrationId}/operations/{operationId}?api-version=2021-06-01</c> (GET).</summary>
        /// <param name="idScope">The DPS ID scope.</param>
        /// <param name="registrationId">The registration id.</param>
        /// <param name="operationId">The <c>operationId</c> from the register answer.</param>
        /// <returns>The path and query, segments URL-encoded.</returns>
        /// <exception cref="ArgumentNullException">An argument is null.</exception>
        /// <exception cref="ArgumentException">An argument is empty or invalid.</exception>
        public static string OperationStatusPath(string idScope, string registrationId, string operationId)
        {
            CheckScope(idScope);
            Validation.ValidateRegistrationId(registrationId, "registrationId");
            if (operationId == null)
            {
                throw new ArgumentNullException("operationId");
            }

            if (operationId.Length == 0)
            {
                throw new ArgumentException("The operation id cannot be empty.", "operationId");
            }

            return string.Concat(
                new string[]
                {
                    "/", UrlEncoding.Encode(idScope), "/registrations/", UrlEncoding.Encode(registrationId),
                    "/operations/", UrlEncoding.Encode(operationId), "?api-version=", ApiVersion,
                });
        }

        /// <summary>
        /// The register body: <c>{"registrationId":"…"}</c>, or <c>{"registrationId":"…","payload":{"modelId":"…"}}</c>
        /// when a model id is given (IoT Central reads <c>payload.modelId</c> to pick the device template).
        /// </summary>
        /// <param name="registrationId">The registration id.</param>
        /// <param name="modelId">The PnP model id (DTMI), or null/empty to omit the payload.</param>
        /// <returns>The JSON body.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="registrationId"/> is null.</exception>
        /// <exception cref="ArgumentException"><paramref name="registrationId"/> is invalid.</exception>
        public static string RegisterBody(string registrationId, string modelId)
        {
            Validation.ValidateRegistrationId(registrationId, "registrationId");
            JsonWriter writer = new JsonWriter(new StringBuffer(64));
            writer.BeginObject().Name("registrationId").String(registrationId);
            if (modelId != null && modelId.Length > 0)
            {
                writer.Name("payload").BeginObject().Name("modelId").String(modelId).EndObject();
            }

            writer.EndObject();
            return writer.ToString();
        }

        /// <summary>
        /// Parses a DPS answer. Operation bodies give <see cref="DpsResult.Status"/>, <see cref="DpsResult.OperationId"/> and
        /// the <c>registrationState</c> fields; error bodies (<c>{"errorCode":401002,"trackingId":…,"message":…}</c>) give
        /// the error fields. Never throws: a missing, non-JSON or wrongly shaped body gives <see cref="DpsResult.IsMalformed"/>.
        /// </summary>
        /// <param name="httpStatus">The HTTP status code.</param>
        /// <param name="body">The response body (null or empty allowed).</param>
        /// <returns>The result; never null.</returns>
        public static DpsResult ParseResponse(int httpStatus, string body)
        {
            DpsResult result = new DpsResult();
            result.HttpStatus = httpStatus;
            JsonValue root;
            if (body == null || !JsonValue.TryParse(body, out root) || root.Kind != JsonValueKind.Object)
            {
                result.IsMalformed = true;
                return result;
            }

            result.OperationId = root.GetMemberString("operationId", null);
            result.Status = root.GetMemberString("status", null);
            result.TrackingId = root.GetMemberString("trackingId", null);
            result.Message = root.GetMemberString("message", null);
            result.ErrorCode = ClampToInt(root.GetMemberInt64("errorCode", 0));

            JsonValue state = root.GetMember("registrationState");
            if (state != null && state.Kind == JsonValueKind.Object)
            {
                result.AssignedHub = state.GetMemberString("assignedHub", null);
                result.DeviceId = state.GetMemberString("deviceId", null);
                result.Substatus = state.GetMemberString("substatus", null);
                if (result.Status == null)
                {
                    result.Status = state.GetMemberString("status", null);
                }

                if (result.ErrorCode == 0)
                {
                    result.ErrorCode = ClampToInt(state.GetMemberInt64("errorCode", 0));
                }

                if (result.Message == null)
                {
                    result.Message = state.GetMemberString("errorMessage", null);
                }
            }

            // A success status must come with a status string; an error status with nothing recognisable is malformed too.
            bool success = httpStatus >= 200 && httpStatus < 300;
            if (success ? result.Status == null : (result.ErrorCode == 0 && result.Message == null && result.Status == null))
            {
                result.IsMalformed = true;
            }

            return result;
        }

        private static int ClampToInt(long value)
        {
            return value > int.MaxValue || value < int.MinValue ? 0 : (int)value;
        }

        private static void CheckScope(string idScope)
        {
            if (idScope == null)
            {
                throw new ArgumentNullException("idScope");
            }

            if (idScope.Length == 0)
            {
                throw new ArgumentException("The ID scope cannot be empty.", "idScope");
            }
        }
    }
}
