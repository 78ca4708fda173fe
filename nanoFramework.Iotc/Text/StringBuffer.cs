// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;

namespace nanoFramework.Iotc.Text
{
    /// <summary>
    /// A growable character buffer: the device's mscorlib has no <c>StringBuilder</c>. Capacity doubles when full.
    /// Numbers are written with ASCII digits and '-' regardless of the current culture.
    /// </summary>
    internal sealed class StringBuffer
    {
        private char[] _chars;
        private int _length;

        /// <summary>Creates an empty buffer with a capacity of 64 characters.</summary>
        public StringBuffer() : this(64)
        {
        }

        /// <summary>Creates an empty buffer.</summary>
        /// <param name="capacity">Initial capacity in characters (0 or more).</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="capacity"/> is negative.</exception>
        public StringBuffer(int capacity)
        {
            if (capacity < 0)
            {
                throw new ArgumentOutOfRangeException("capacity");
            }

            _chars = new char[capacity];
        }

        /// <summary>Number of characters written so far.</summary>
        public int Length
        {
            get { return _length; }
        }

        /// <summary>Current capacity in characters.</summary>
        public int Capacity
        {
            get { return _chars.Length; }
        }

        /// <summary>Returns the character at <paramref name="index"/>.</summary>
        /// <param name="index">Zero-based position, less than <see cref="Length"/>.</param>
        /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is outside the written text.</exception>
        public char this[int index]
        {
            get
            {
                if (index < 0 || index >= _length)
                {
                    throw new ArgumentOutOfRangeException("index");
                }

                return _chars[index];
            }
        }

        /// <summary>Appends a string; null appends nothing.</summary>
        /// <param name="value">The text to append.</param>
        /// <returns>This buffer.</returns>
        public StringBuffer Append(string value)
        {
            if (value == null)
            {
                return this;
            }

            return Append(value, 0, value.Length);
        }

        /// <summary>Appends <paramref name="count"/> characters of <paramref name="value"/> starting at <paramref name="start"/>.</summary>
        /// <param name="value">The source text.</param>
        /// <param name="start">Index of the first character to copy.</param>
        /// <param name="count">Number of characters to copy.</param>
        /// <returns>This buffer.</returns>
        /// <exception cref="ArgumentNullException"><paramref name="value"/> is null.</exception>
        /// <exception cref="ArgumentOutOfRangeException">The range lies outside <paramref name="value"/>.</exception>
        public StringBuffer Append(string value, int start, int count)
        {
            if (value == null)
            {
                throw new ArgumentNullException("value");
            }

            if (start < 0 || count < 0 || start > value.Length - count)
            {
                throw new ArgumentOutOfRangeException("start");
            }

            EnsureRoom(count);
#if NANOFRAMEWORK_1_0
            // One native copy (see Chars: indexing a device string in a loop is quadratic and breaks emoji).
            Array.Copy(value.ToCharArray(start, count), 0, _chars, _length, count);
#else
            value.CopyTo(start, _chars, _length, count);
#endif
            _length += count;
            return this;
        }

        /// <summary>Appends one character.</summary>
        /// <param name="value">The character.</param>
        /// <returns>This buffer.</returns>
        public StringBuffer Append(char value)
        {
            EnsureRoom(1);
            _chars[_length++] = value;
            return this;
        }

        /// <summary>Appends the decimal form of <paramref name="value"/> (culture-invariant).</summary>
        /// <param name="value">The number.</param>
        /// <returns>This buffer.</returns>
        public StringBuffer Append(int value)
        {
            return Append((long)value);
        }

        /// <summary>Appends the decimal form of <paramref name="value"/> (culture-invariant).</summary>
        /// <param name="value">The number.</param>
        /// <returns>This buffer.</returns>
        public StringBuffer Append(long value)
        {
            // Digits are produced from the negative magnitude so long.MinValue needs no special case.
            char[] digits = new char[20];
            int n = 0;
            long v = value < 0 ? value : -value;
            do
            {
                digits[n++] = (char)('0' - (int)(v % 10));
                v /= 10;
            }
            while (v != 0);

            EnsureRoom(n + 1);
            if (value < 0)
            {
                _chars[_length++] = '-';
            }

            while (n > 0)
            {
                _chars[_length++] = digits[--n];
            }

            return this;
        }

        /// <summary>Empties the buffer, keeping its capacity.</summary>
        public void Clear()
        {
            _length = 0;
        }

        /// <summary>Returns the text written so far.</summary>
        /// <returns>A new string.</returns>
        public override string ToString()
        {
            return new string(_chars, 0, _length);
        }

        private void EnsureRoom(int extra)
        {
            int needed = _length + extra;
            if (needed <= _chars.Length)
            {
                return;
            }

            int capacity = _chars.Length < 8 ? 16 : _chars.Length * 2;
            while (capacity < needed)
            {
                capacity *= 2;
            }

            char[] grown = new char[capacity];
            Array.Copy(_chars, grown, _length);
            _chars = grown;
        }
    }
}
