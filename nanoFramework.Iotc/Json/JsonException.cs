// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Json
{
    /// <summary>
    /// Thrown when JSON text is malformed, too deep or too long. The message never repeats the input text,
    /// only the reason and the character position.
    /// </summary>
    internal class JsonException : Exception
    {
        private readonly int _position;

        /// <summary>Creates the exception.</summary>
        /// <param name="message">Why the text was rejected.</param>
        /// <param name="position">Zero-based character offset where the problem was found.</param>
        public JsonException(string message, int position)
            : base(string.Concat(message, " (at position ", position.ToString(), ")"))
        {
            _position = position;
        }

        /// <summary>Zero-based character offset in the source text where the problem was found.</summary>
        public int Position
        {
            get { return _position; }
        }
    }
}
