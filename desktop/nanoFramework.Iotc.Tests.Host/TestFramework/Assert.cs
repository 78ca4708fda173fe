// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Host-side Assert with the nanoFramework.TestFramework 3.x surface: per-type AreEqual/AreNotEqual overloads
// (no delta overload), non-generic ThrowsException(Type, Action) with an exact type match, string asserts,
// SkipTest. Anything the device framework lacks is deliberately absent, so tests cannot depend on it; the file itself
// uses mscorlib only, so build/nf-check-tests can compile the shared tests against the device's mscorlib with it.
// Like the real one, a message left out is the caller's argument text ([CallerArgumentExpression]): those literals land
// in the test assembly's string table, so build/nf-string-table sees the size the board build will have.

using System;
using System.Collections;
using System.Runtime.CompilerServices;

namespace nanoFramework.TestFramework
{
    /// <summary>Assertions, spelled as in nanoFramework.TestFramework.</summary>
    public static class Assert
    {
        /// <summary>Fails unless <paramref name="condition"/> is true.</summary>
        public static void IsTrue(bool condition, [CallerArgumentExpression("condition")] string message = "") { if (!condition) Fail("Assert.IsTrue", message); }

        /// <summary>Fails unless <paramref name="condition"/> is false.</summary>
        public static void IsFalse(bool condition, [CallerArgumentExpression("condition")] string message = "") { if (condition) Fail("Assert.IsFalse", message); }

        /// <summary>Fails unless <paramref name="value"/> is null.</summary>
        public static void IsNull(object value, [CallerArgumentExpression("value")] string message = "") { if (value != null) Fail("Assert.IsNull", message + " Actual:<" + value + ">"); }

        /// <summary>Fails if <paramref name="value"/> is null.</summary>
        public static void IsNotNull(object value, [CallerArgumentExpression("value")] string message = "") { if (value == null) Fail("Assert.IsNotNull", message); }

        /// <summary>Fails unless both refer to the same object.</summary>
        public static void AreSame(object expected, object actual, [CallerArgumentExpression("actual")] string message = "") { if (!ReferenceEquals(expected, actual)) Fail("Assert.AreSame", message); }

        /// <summary>Fails if both refer to the same object.</summary>
        public static void AreNotSame(object notExpected, object actual, [CallerArgumentExpression("actual")] string message = "") { if (ReferenceEquals(notExpected, actual)) Fail("Assert.AreNotSame", message); }

        /// <summary>Fails unless <paramref name="value"/> is exactly of type <paramref name="expected"/>.</summary>
        public static void IsInstanceOfType(object value, Type expected, [CallerArgumentExpression("value")] string message = "")
        {
            if (value == null || value.GetType() != expected)
            {
                Fail("Assert.IsInstanceOfType", "Expected type:<" + expected + ">. Actual type:<" + (value == null ? "(null)" : value.GetType().ToString()) + ">. " + message);
            }
        }

        /// <summary>Fails unless <paramref name="other"/> contains <paramref name="expected"/>.</summary>
        public static void Contains(string expected, string other, [CallerArgumentExpression("other")] string message = "")
        {
            if (expected == null || other == null || IndexOfOrdinal(other, expected) < 0)
            {
                Fail("Assert.Contains", Show(other) + " does not contain " + Show(expected) + ". " + message);
            }
        }

        /// <summary>Fails if <paramref name="other"/> contains <paramref name="expected"/>.</summary>
        public static void DoesNotContains(string expected, string other, [CallerArgumentExpression("other")] string message = "")
        {
            if (expected == null || other == null || IndexOfOrdinal(other, expected) >= 0)
            {
                Fail("Assert.DoesNotContains", "the text should not contain " + Show(expected) + ". " + message);
            }
        }

        /// <summary>Fails unless <paramref name="other"/> starts with <paramref name="expected"/>.</summary>
        public static void StartsWith(string expected, string other, [CallerArgumentExpression("other")] string message = "")
        {
            if (expected == null || other == null || (expected.Length > other.Length || IndexOfOrdinal(other.Substring(0, expected.Length), expected) != 0))
            {
                Fail("Assert.StartsWith", Show(other) + " does not start with " + Show(expected) + ". " + message);
            }
        }

        /// <summary>Fails unless <paramref name="other"/> ends with <paramref name="expected"/>.</summary>
        public static void EndsWith(string expected, string other, [CallerArgumentExpression("other")] string message = "")
        {
            if (expected == null || other == null || (expected.Length > other.Length || IndexOfOrdinal(other.Substring(other.Length - expected.Length), expected) != 0))
            {
                Fail("Assert.EndsWith", Show(other) + " does not end with " + Show(expected) + ". " + message);
            }
        }

        /// <summary>Fails unless <paramref name="action"/> throws exactly <paramref name="exceptionType"/> (not a derived type).</summary>
        public static void ThrowsException(Type exceptionType, Action action, [CallerArgumentExpression("action")] string message = "")
        {
            if (action == null)
            {
                throw new ArgumentNullException(nameof(action));
            }

            try
            {
                action();
            }
            catch (Exception ex)
            {
                if (ex.GetType() == exceptionType)
                {
                    return;
                }

                Fail("Assert.ThrowsException", "Threw " + ex.GetType().Name + " (" + ex.Message + "), but " + exceptionType.Name + " was expected. " + message);
            }

            Fail("Assert.ThrowsException", "No exception thrown. " + exceptionType.Name + " was expected. " + message);
        }

        /// <summary>Ends the test as skipped.</summary>
        public static void SkipTest(string message = null)
        {
            throw new SkipTestException(message);
        }

        // AreEqual / AreNotEqual: one overload per type, as the device framework has them (it has no generics to lean on).
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(bool expected, bool actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(char expected, char actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(sbyte expected, sbyte actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(byte expected, byte actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(short expected, short actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(ushort expected, ushort actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(int expected, int actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(uint expected, uint actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(long expected, long actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(ulong expected, ulong actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(float expected, float actual, [CallerArgumentExpression("actual")] string message = "") { if (!expected.Equals(actual)) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal.</summary>
        public static void AreEqual(double expected, double actual, [CallerArgumentExpression("actual")] string message = "") { if (!expected.Equals(actual)) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal (ordinal).</summary>
        public static void AreEqual(string expected, string actual, [CallerArgumentExpression("actual")] string message = "") { if (expected != actual) NotEqual(expected, actual, message); }
        /// <summary>Fails unless equal by <see cref="object.Equals(object)"/>.</summary>
        public static void AreEqual(object expected, object actual, [CallerArgumentExpression("actual")] string message = "") { if (!Equals(expected, actual)) NotEqual(expected, actual, message); }

        /// <summary>Fails if equal.</summary>
        public static void AreNotEqual(bool notExpected, bool actual, [CallerArgumentExpression("actual")] string message = "") { if (notExpected == actual) Same(actual, message); }
        /// <summary>Fails if equal.</summary>
        public static void AreNotEqual(int notExpected, int actual, [CallerArgumentExpression("actual")] string message = "") { if (notExpected == actual) Same(actual, message); }
        /// <summary>Fails if equal.</summary>
        public static void AreNotEqual(long notExpected, long actual, [CallerArgumentExpression("actual")] string message = "") { if (notExpected == actual) Same(actual, message); }
        /// <summary>Fails if equal.</summary>
        public static void AreNotEqual(double notExpected, double actual, [CallerArgumentExpression("actual")] string message = "") { if (notExpected.Equals(actual)) Same(actual, message); }
        /// <summary>Fails if equal (ordinal).</summary>
        public static void AreNotEqual(string notExpected, string actual, [CallerArgumentExpression("actual")] string message = "") { if (notExpected == actual) Same(actual, message); }
        /// <summary>Fails if equal by <see cref="object.Equals(object)"/>.</summary>
        public static void AreNotEqual(object notExpected, object actual, [CallerArgumentExpression("actual")] string message = "") { if (Equals(notExpected, actual)) Same(actual, message); }

        private static void NotEqual(object expected, object actual, string message)
        {
            Fail("Assert.AreEqual", "Expected:<" + Show(expected) + ">. Actual:<" + Show(actual) + ">. " + message);
        }

        private static void Same(object actual, string message)
        {
            Fail("Assert.AreNotEqual", "Both values are <" + Show(actual) + ">. " + message);
        }

        // Ordinal search: .NET's IndexOf(string) is culture-sensitive, and the device's mscorlib has no StringComparison.
        private static int IndexOfOrdinal(string text, string value)
        {
            for (int i = 0; i + value.Length <= text.Length; i++)
            {
                int j = 0;
                while (j < value.Length && text[i + j] == value[j])
                {
                    j++;
                }

                if (j == value.Length)
                {
                    return i;
                }
            }

            return -1;
        }

        internal static string Show(object value)
        {
            return value == null ? "(null)" : value.ToString();
        }

        internal static void Fail(string assertion, string message)
        {
            throw new AssertFailedException(assertion + " failed. " + message);
        }
    }

    /// <summary>Collection assertions, spelled as in nanoFramework.TestFramework.</summary>
    public static class CollectionAssert
    {
        /// <summary>Fails unless the collection has no element.</summary>
        public static void Empty(ICollection collection, string message = "") { if (collection == null || collection.Count != 0) Assert.Fail("CollectionAssert.Empty", message); }

        /// <summary>Fails if the collection has no element.</summary>
        public static void NotEmpty(ICollection collection, string message = "") { if (collection == null || collection.Count == 0) Assert.Fail("CollectionAssert.NotEmpty", message); }

        /// <summary>Fails unless both collections hold equal elements in the same order.</summary>
        public static void AreEqual(ICollection expected, ICollection actual, string message = "")
        {
            if (expected == null || actual == null)
            {
                if (expected != actual) Assert.Fail("CollectionAssert.AreEqual", "one collection is null. " + message);
                return;
            }

            if (expected.Count != actual.Count)
            {
                Assert.Fail("CollectionAssert.AreEqual", "Expected " + expected.Count + " elements, got " + actual.Count + ". " + message);
            }

            IEnumerator e = expected.GetEnumerator();
            IEnumerator a = actual.GetEnumerator();
            int index = 0;
            while (e.MoveNext() && a.MoveNext())
            {
                if (!Equals(e.Current, a.Current))
                {
                    Assert.Fail("CollectionAssert.AreEqual", "Element " + index + ": expected <" + Assert.Show(e.Current) + ">, got <" + Assert.Show(a.Current) + ">. " + message);
                }

                index++;
            }
        }
    }
}
