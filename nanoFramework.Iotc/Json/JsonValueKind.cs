// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

namespace nanoFramework.Iotc.Json
{
    /// <summary>The kind of a parsed JSON value.</summary>
    internal enum JsonValueKind
    {
        /// <summary>An object: <c>{…}</c>.</summary>
        Object = 1,

        /// <summary>An array: <c>[…]</c>.</summary>
        Array = 2,

        /// <summary>A string.</summary>
        String = 3,

        /// <summary>A number (its source text is kept).</summary>
        Number = 4,

        /// <summary>The literal <c>true</c>.</summary>
        True = 5,

        /// <summary>The literal <c>false</c>.</summary>
        False = 6,

        /// <summary>The literal <c>null</c>.</summary>
        Null = 7,
    }
}
