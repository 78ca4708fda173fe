// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Host-side stand-ins for the nanoFramework.TestFramework attributes, so the shared test sources compile
// unchanged on .NET. Only what nanoFramework.TestFramework 3.x defines, spelled the same way.

using System;

namespace nanoFramework.TestFramework
{
    /// <summary>Marks a class that holds test methods.</summary>
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class TestClassAttribute : Attribute
    {
    }

    /// <summary>Marks a test method.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class TestMethodAttribute : Attribute
    {
    }

    /// <summary>Marks a method run once before the tests of its class.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class SetupAttribute : Attribute
    {
    }

    /// <summary>Marks a method run once after the tests of its class.</summary>
    [AttributeUsage(AttributeTargets.Method)]
    public sealed class CleanupAttribute : Attribute
    {
    }

    /// <summary>Runs a test method once per row, with the row's values as arguments.</summary>
    [AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
    public sealed class DataRowAttribute : Attribute
    {
        /// <summary>Creates a row.</summary>
        public DataRowAttribute(params object[] methodParameters)
        {
            MethodParameters = methodParameters;
        }

        /// <summary>The row's values.</summary>
        public object[] MethodParameters { get; }
    }

    /// <summary>Raised by a failing assertion.</summary>
    public class AssertFailedException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public AssertFailedException(string message) : base(message)
        {
        }
    }

    /// <summary>Raised by <see cref="Assert.SkipTest"/>.</summary>
    public class SkipTestException : Exception
    {
        /// <summary>Creates the exception.</summary>
        public SkipTestException(string message) : base(message)
        {
        }
    }

    /// <summary>Writes a line to the test output.</summary>
    public static class OutputHelper
    {
        /// <summary>Writes a line to the test output.</summary>
        public static void WriteLine(string message)
        {
            Console.WriteLine(message);
        }

        /// <summary>Writes text to the test output.</summary>
        public static void Write(string message)
        {
            Console.Write(message);
        }
    }
}
