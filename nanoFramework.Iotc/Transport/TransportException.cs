// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Transport
{
    /// <summary>A network, TLS or time-out failure below the protocol. Messages never contain secrets.</summary>
    public class TransportException : Exception
    {
        /// <summary>Creates the exception.</summary>
        /// <param name="message">What failed.</param>
        public TransportException(string message) : base(message)
        {
        }

        /// <summary>Creates the exception with its cause.</summary>
        /// <param name="message">What failed.</param>
        /// <param name="innerException">The platform's exception.</param>
        public TransportException(string message, Exception innerException) : base(message, innerException)
        {
        }
    }
}
