// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Protocol
{
    /// <summary>
    /// One DPS HTTP answer, as parsed by <see cref="DpsProtocol.ParseResponse"/>. Unknown fields are ignored; a body that
    /// is not the expected JSON gives <see cref="IsMalformed"/> instead of an exception.
    /// </summary>
    internal sealed class DpsResult
    {
        /// <summary>Registration status <c>assigning</c>.</summary>
        public const string StatusAssigning = "assigning";

        /// <summary>Registration status <c>assigned</c>.</summary>
        public const string StatusAssigned = "assigned";

        /// <summary>Registration status <c>failed</c>.</summary>
        public const string StatusFailed = "failed";

        /// <summary>Registration status <c>disabled</c>.</summary>
        public const string StatusDisabled = "disabled";

        /// <summary>Registration status <c>unassigned</c>.</summary>
        public const string StatusUnassigned = "unassigned";

        internal DpsResult()
        {
        }

        /// <summary>The HTTP status of the response.</summary>
        public int HttpStatus { get; internal set; }

        /// <summary>
        /// The operation's <c>status</c> (<c>assigning</c>, <c>assigned</c>, <c>failed</c>, <c>disabled</c>, <c>unassigned</c>),
        /// falling back to <c>registrationState.status</c>; null for error bodies and malformed answers.
        /// </summary>
        public string Status { get; internal set; }

        /// <summary>The <c>operationId</c> to poll while assigning; null when absent.</summary>
        public string OperationId { get; internal set; }

        /// <summary><c>registrationState.assignedHub</c>, e.g. <c>contoso.azure-devices.net</c>; null when absent.</summary>
        public string AssignedHub { get; internal set; }

        /// <summary><c>registrationState.deviceId</c>; null when absent.</summary>
        public string DeviceId { get; internal set; }

        /// <summary><c>registrationState.substatus</c> (e.g. <c>initialAssignment</c>); null when absent.</summary>
        public string Substatus { get; internal set; }

        /// <summary>
        /// The service error code: top-level <c>errorCode</c> of an error body (its first three digits are the HTTP
        /// status, e.g. 401002) or <c>registrationState.errorCode</c> of a failed registration; 0 when none.
        /// </summary>
        public int ErrorCode { get; internal set; }

        /// <summary>The error text (<c>message</c>, or <c>registrationState.errorMessage</c>); null when none.</summary>
        public string Message { get; internal set; }

        /// <summary>The <c>trackingId</c> to quote to Azure support; null when absent.</summary>
        public string TrackingId { get; internal set; }

        /// <summary>True when the body was not a JSON object of the expected shape (a proxy page, truncated text…).</summary>
        public bool IsMalformed { get; internal set; }

        /// <summary>True when DPS is still working: 2xx with status <c>assigning</c>; poll again after Retry-After.</summary>
        public bool IsAssigning
        {
            get { return !IsMalformed && HttpStatus >= 200 && HttpStatus < 300 && Status == StatusAssigning; }
        }

        /// <summary>True when the device is assigned and <see cref="AssignedHub"/> and <see cref="DeviceId"/> are both present.</summary>
        public bool IsAssigned
        {
            get
            {
                return !IsMalformed && HttpStatus >= 200 && HttpStatus < 300 && Status == StatusAssigned
                    && AssignedHub != null && AssignedHub.Length > 0 && DeviceId != null && DeviceId.Length > 0;
            }
        }
    }
}
