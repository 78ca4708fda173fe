// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc
{
    /// <summary>
    /// The outbox has no room for this message now: call <see cref="Device.DoNext"/> until <c>MessageSent</c> frees
    /// room, then send again. A retryable condition, unlike the other <see cref="InvalidOperationException"/>s
    /// (not connected, disconnected); <see cref="Device.CanSend"/> and <see cref="Device.TrySendTelemetry"/> avoid it.
    /// </summary>
    public class IotcOutboxFullException : InvalidOperationException
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">What was full, and what to do.</param>
        public IotcOutboxFullException(string message)
            : base(message)
        {
        }
    }
}
