using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;

namespace NfLint
{
    /// <summary>
    /// nf-lint [--exclude NAME]... FOLDER...   lints every *.cs under the folders (bin/ and obj/ always skipped);
    ///                                          prints "path:line:col: NF00x message" and exits 1 when anything is found.
    /// nf-lint --self-test [CASES]             lints cases/ and checks that bad.cs gives exactly the findings its
    ///                                          "/* expect: NF00x */" comments name, and that good.cs gives none.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args)
        {
            string mscorlib = Path.Combine(AppContext.BaseDirectory, "nf", "mscorlib.dll");
            if (!File.Exists(mscorlib))
            {
                Console.Error.WriteLine($"nf-lint: {mscorlib} is missing (it is copied from nanoFramework.CoreLibrary at build)");
                return 2;
            }

            if (args.Length > 0 && args[0] == "--self-test")
            {
                return SelfTest(args.Length > 1 ? args[1] : Path.Combine(ProjectDir(), "cases"), mscorlib);
            }

            var excludes = new List<string> { "bin", "obj" };
            var folders = new List<string>();
            for (int i = 0; i < args.Length; i++)
            {
                if (args[i] == "--exclude" && i + 1 < args.Length)
                {
                    excludes.Add(args[++i].Trim('/'));
                }
                else if (!args[i].StartsWith("-", StringComparison.Ordinal) && Directory.Exists(args[i]))
                {
                    folders.Add(Path.GetFullPath(args[i]));
                }
                else
                {
                    Console.Error.WriteLine($"nf-lint: bad argument '{args[i]}'. Usage: nf-lint [--exclude DIR]... FOLDER... | --self-test [CASES]");
                    return 2;
                }
            }

            if (folders.Count == 0)
            {
                Console.Error.WriteLine("nf-lint: no folder given. Usage: nf-lint [--exclude DIR]... FOLDER... | --self-test [CASES]");
                return 2;
            }

            // An exclude is a path relative to a linted folder (e.g. "Board", "bin" also matches nested bin/).
            var files = folders.SelectMany(root => Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
                    .Where(f => !Excluded(Path.GetRelativePath(root, f).Replace('\\', '/'), excludes)))
                .Distinct().OrderBy(f => f, StringComparer.Ordinal).ToList();
            List<Finding> findings = Linter.Run(files, mscorlib, Display, out Dictionary<string, Diagnostic[]> errors);
            foreach (Finding f in findings)
            {
                Console.WriteLine(f);
            }

            // Unresolved types make rules miss (never misfire); say so, build/nf-check owns compile errors.
            foreach (var (file, list) in errors.Where(e => !e.Key.Replace('\\', '/').Contains("/Board/")))
            {
                Console.Error.WriteLine($"nf-lint: note: {Display(file)} has {list.Length} compile error(s) against the device mscorlib (first: {list[0].GetMessage()}); findings there may be incomplete");
            }

            Console.WriteLine(findings.Count == 0
                ? $"nf-lint: no findings in {files.Count} files"
                : $"nf-lint: {findings.Count} finding(s) in {findings.Select(f => f.Path).Distinct().Count()} of {files.Count} files");
            return findings.Count == 0 ? 0 : 1;
        }

        private static bool Excluded(string relative, List<string> excludes) =>
            excludes.Any(x => relative.StartsWith(x + "/", StringComparison.Ordinal)
                || (!x.Contains('/') && relative.Split('/').SkipLast(1).Contains(x)));

        private static string Display(string path) => Path.GetRelativePath(Environment.CurrentDirectory, path);

        // The project folder, recorded at build time (csproj AssemblyMetadata), so the default cases/ is the source copy.
        private static string ProjectDir() =>
            typeof(Program).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "NfLintProjectDir").Value!;

        private static int SelfTest(string cases, string mscorlib)
        {
            string bad = Path.GetFullPath(Path.Combine(cases, "bad.cs")), good = Path.GetFullPath(Path.Combine(cases, "good.cs"));
            List<Finding> findings = Linter.Run(new[] { bad, good }, mscorlib, Display, out Dictionary<string, Diagnostic[]> errors);

            // "/* expect: NF001 NF002 */" on a line of bad.cs: those findings (one per id named) on that line.
            var expected = new List<string>();
            string[] lines = File.ReadAllLines(bad);
            for (int i = 0; i < lines.Length; i++)
            {
                foreach (Match m in Regex.Matches(lines[i], @"/\*\s*expect:([^*]*)\*/"))
                {
                    expected.AddRange(Regex.Matches(m.Groups[1].Value, @"NF\d{3}").Select(id => $"{Display(bad)}:{i + 1} {id.Value}"));
                }
            }

            var actual = findings.Select(f => $"{f.Path}:{f.Line} {f.Id}").ToList();
            var missing = Subtract(expected, actual);
            var extra = Subtract(actual, expected);
            foreach (string s in missing)
            {
                Console.WriteLine($"self-test: expected but not reported: {s}");
            }

            foreach (Finding f in findings.Where(f => extra.Contains($"{f.Path}:{f.Line} {f.Id}")))
            {
                Console.WriteLine($"self-test: reported but not expected: {f}");
            }

            // The cases must compile cleanly, or the type-based rules would be tested on unresolved types.
            foreach (Diagnostic d in errors.Values.SelectMany(list => list))
            {
                Console.WriteLine($"self-test: compile error against the device mscorlib: {d}");
            }

            bool ok = missing.Count == 0 && extra.Count == 0 && errors.Count == 0 && expected.Count > 0;
            Console.WriteLine(ok
                ? $"nf-lint self-test: ok ({expected.Count} expected findings in bad.cs, rules {string.Join(" ", findings.Select(f => f.Id).Distinct().OrderBy(x => x))}; none in good.cs)"
                : "nf-lint self-test: FAILED");
            return ok ? 0 : 1;
        }

        // Multiset difference a - b.
        private static List<string> Subtract(List<string> a, List<string> b)
        {
            var left = new List<string>(b);
            return a.Where(x => !left.Remove(x)).ToList();
        }
    }
}
