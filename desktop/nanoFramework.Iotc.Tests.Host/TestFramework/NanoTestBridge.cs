// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
//
// Runs every [TestClass]/[TestMethod] (and each [DataRow]) of this assembly as one xunit test case, with the
// nanoFramework.TestFramework semantics: [Setup] once before a class's tests, [Cleanup] once after them, classes
// one after another, one shared instance per class.

using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using nanoFramework.TestFramework;
using Xunit;

namespace nanoFramework.Iotc.Tests.Host
{
    /// <summary>The xunit face of the nanoFramework-dialect tests.</summary>
    public sealed class NanoFrameworkTests : IClassFixture<NanoFrameworkTests.ClassLifetime>
    {
        private readonly ClassLifetime _lifetime;

        /// <summary>Created by xunit per test case; the fixture carries class state across cases.</summary>
        public NanoFrameworkTests(ClassLifetime lifetime)
        {
            _lifetime = lifetime;
        }

        /// <summary>All test cases, in declaration order, as "Class.Method" or "Class.Method[row]".</summary>
        public static IEnumerable<object[]> Cases()
        {
            foreach (Type type in TestClasses())
            {
                foreach (MethodInfo method in TestMethods(type))
                {
                    DataRowAttribute[] rows = method.GetCustomAttributes<DataRowAttribute>().ToArray();
                    if (rows.Length == 0)
                    {
                        yield return new object[] { type.Name + "." + method.Name };
                    }

                    for (int i = 0; i < rows.Length; i++)
                    {
                        yield return new object[] { type.Name + "." + method.Name + "[" + i + "]" };
                    }
                }
            }
        }

        /// <summary>Runs one nanoFramework-dialect test case.</summary>
        [SkippableTheory]
        [MemberData(nameof(Cases))]
        public void Run(string test)
        {
            string name = test;
            int row = -1;
            int bracket = test.IndexOf('[');
            if (bracket > 0)
            {
                row = int.Parse(test.Substring(bracket + 1, test.Length - bracket - 2));
                name = test.Substring(0, bracket);
            }

            int dot = name.LastIndexOf('.');
            Type type = TestClasses().Single(t => t.Name == name.Substring(0, dot));
            MethodInfo method = TestMethods(type).Single(m => m.Name == name.Substring(dot + 1));
            object instance = _lifetime.Enter(type);
            object[] args = row < 0 ? null : method.GetCustomAttributes<DataRowAttribute>().ElementAt(row).MethodParameters;

            try
            {
                method.Invoke(method.IsStatic ? null : instance, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is SkipTestException skip)
            {
                Skip.If(true, skip.Message ?? "skipped");
            }
            catch (TargetInvocationException ex)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
            }
        }

        /// <summary>
        /// The test classes; with IOTC_SKIP_HOSTONLY=1 in the environment, those of the HostOnly namespaces (emulator
        /// integration, crypto comparisons) are left out, so mutation runs (docs/mutation.md) take minutes, not hours.
        /// </summary>
        private static IEnumerable<Type> TestClasses()
        {
            bool skipHostOnly = Environment.GetEnvironmentVariable("IOTC_SKIP_HOSTONLY") == "1";
            return typeof(NanoFrameworkTests).Assembly.GetTypes()
                .Where(t => t.GetCustomAttribute<TestClassAttribute>() != null)
                .Where(t => !skipHostOnly || !(t.Namespace ?? string.Empty).EndsWith(".HostOnly", StringComparison.Ordinal))
                .OrderBy(t => t.FullName, StringComparer.Ordinal);
        }

        private static IEnumerable<MethodInfo> TestMethods(Type type)
        {
            return type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Where(m => m.GetCustomAttribute<TestMethodAttribute>() != null)
                .OrderBy(m => m.MetadataToken);
        }

        /// <summary>Tracks the class whose tests are running: Setup on entry, Cleanup when the next class starts or at the end.</summary>
        public sealed class ClassLifetime : IDisposable
        {
            private Type _current;
            private object _instance;
            private Exception _setupFailure;

            internal object Enter(Type type)
            {
                if (type != _current)
                {
                    Leave();
                    _current = type;
                    _instance = Activator.CreateInstance(type);
                    _setupFailure = null;
                    try
                    {
                        InvokeAll<SetupAttribute>(type, _instance);
                    }
                    catch (Exception ex)
                    {
                        _setupFailure = ex;
                    }
                }

                if (_setupFailure != null)
                {
                    throw new InvalidOperationException("[Setup] of " + type.Name + " failed", _setupFailure);
                }

                return _instance;
            }

            /// <summary>Runs the last class's Cleanup.</summary>
            public void Dispose()
            {
                Leave();
            }

            private void Leave()
            {
                if (_current != null && _setupFailure == null)
                {
                    InvokeAll<CleanupAttribute>(_current, _instance);
                }

                _current = null;
                _instance = null;
            }

            private static void InvokeAll<TAttribute>(Type type, object instance) where TAttribute : Attribute
            {
                foreach (MethodInfo m in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static).Where(m => m.GetCustomAttribute<TAttribute>() != null))
                {
                    try
                    {
                        m.Invoke(m.IsStatic ? null : instance, null);
                    }
                    catch (TargetInvocationException ex)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(ex.InnerException).Throw();
                    }
                }
            }
        }
    }
}
