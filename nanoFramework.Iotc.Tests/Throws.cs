// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.

using System;
using nanoFramework.TestFramework;

namespace nanoFramework.Iotc.Tests
{
    /// <summary>
    /// Exception checks the TestFramework's ThrowsException cannot make (it returns nothing): the parameter an
    /// argument exception names, and that a secret never reaches the message.
    /// </summary>
    internal static class Throws
    {
        /// <summary>
        /// Runs <paramref name="action"/> and asserts it threw exactly <paramref name="type"/>; when
        /// <paramref name="paramName"/> is given, that the argument exception names it; when <paramref name="secret"/>
        /// is given, that the message does not contain it. Returns the exception for further checks.
        /// </summary>
        internal static Exception Exactly(Type type, string paramName, string secret, Action action)
        {
            Exception caught = null;
            try
            {
                action();
            }
            catch (Exception ex)
            {
                caught = ex;
            }

            Assert.IsNotNull(caught, "expected " + type.Name + (paramName == null ? string.Empty : " for " + paramName));
            Assert.IsTrue(caught.GetType() == type, "expected " + type.Name + " but got " + caught.GetType().Name + ": " + caught.Message);
            if (paramName != null)
            {
                Assert.AreEqual(paramName, ((ArgumentException)caught).ParamName);
                Assert.Contains(paramName, caught.Message);
            }

            if (secret != null && secret.Length > 0)
            {
                Assert.DoesNotContains(secret, caught.Message);
            }

            return caught;
        }
    }
}
