using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace NfLint
{
    internal sealed record Finding(string Path, int Line, int Column, string Id, string Message)
    {
        public override string ToString() => $"{Path}:{Line}:{Column}: {Id} {Message}";
    }

    /// <summary>
    /// The rules. nanoCLR stores strings as UTF-8: s[i] and s.Length walk the string from its start on every call,
    /// the indexer returns the high surrogate at both positions of a pair, and U+0000 ends a string.
    /// Every rule asks the semantic model (compiled against the device's mscorlib) whether a thing is a System.String,
    /// so a char[] or byte[] with the same shape of code is never flagged.
    /// </summary>
    internal static class Linter
    {
        internal static readonly Dictionary<string, string> Rules = new()
        {
            ["NF000"] = "malformed or unused '// nf-lint: allow' comment",
            ["NF001"] = "string indexer s[i] in a loop",
            ["NF002"] = "string.Length in a loop",
            ["NF003"] = "U+0000 in a string",
            ["NF004"] = "foreach over a string",
            ["NF005"] = "lone surrogate in a string, or surrogate char given to a string member",
        };

        // "// nf-lint: allow NF001 [NF002...] reason"
        private static readonly Regex Allow = new(@"^//\s*nf-lint\s*:\s*allow\b(?<rest>.*)$", RegexOptions.IgnoreCase);
        private static readonly Regex Ids = new(@"^\s*(?<id>NF\d{3})\s*,?");

        /// <summary>Lints <paramref name="files"/> (full paths); <paramref name="errors"/> gets each file's compile errors.</summary>
        internal static List<Finding> Run(IReadOnlyList<string> files, string mscorlib, Func<string, string> display, out Dictionary<string, Diagnostic[]> errors)
        {
            // The same dialect as build/nf-check: C# 7.3, the nanoFramework symbol, mscorlib only.
            var parse = new CSharpParseOptions(LanguageVersion.CSharp7_3, preprocessorSymbols: new[] { "NANOFRAMEWORK_1_0" });
            var trees = files.Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, f)).ToList();
            var compilation = CSharpCompilation.Create("nf-lint", trees, new[] { MetadataReference.CreateFromFile(mscorlib) },
                new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

            errors = new Dictionary<string, Diagnostic[]>();
            var findings = new List<Finding>();
            foreach (SyntaxTree tree in trees)
            {
                SemanticModel model = compilation.GetSemanticModel(tree);
                Diagnostic[] fileErrors = model.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToArray();
                if (fileErrors.Length > 0)
                {
                    errors[tree.FilePath] = fileErrors;
                }

                var raw = new List<(Location Where, string Id, string Message)>();
                CheckNodes(tree, model, raw);
                CheckLiterals(tree, raw);
                ApplyAllows(tree, raw, findings, display(tree.FilePath));
            }

            return findings.OrderBy(f => f.Path, StringComparer.Ordinal).ThenBy(f => f.Line).ThenBy(f => f.Column).ToList();
        }

        private static void CheckNodes(SyntaxTree tree, SemanticModel model, List<(Location, string, string)> raw)
        {
            foreach (SyntaxNode node in tree.GetRoot().DescendantNodes())
            {
                switch (node)
                {
                    // NF001: s[i]. (s?[i] and s?.Length need Nullable<T>, which the device mscorlib lacks.)
                    case ElementAccessExpressionSyntax
                        when IsStringMember(model, node, indexer: true) && InLoop(node):
                        raw.Add((node.GetLocation(), "NF001", "string indexer in a loop: on nanoCLR each s[i] walks the UTF-8 string from its start (quadratic) and gives the high surrogate for both halves of a pair; scan one ToCharArray() instead"));
                        break;

                    // NF002: s.Length.
                    case MemberAccessExpressionSyntax { Name.Identifier.ValueText: "Length" }
                        when IsStringMember(model, node, indexer: false) && InLoop(node):
                        raw.Add((node.GetLocation(), "NF002", "string.Length in a loop: on nanoCLR each call counts the UTF-8 string from its start; take it once before the loop, or use the char[]'s Length"));
                        break;

                    // NF004: Roslyn lowers foreach over a string to get_Chars/get_Length per iteration (checked on the emitted IL).
                    case ForEachStatementSyntax loop when IsString(model.GetTypeInfo(loop.Expression).Type):
                        raw.Add((loop.ForEachKeyword.GetLocation(), "NF004", "foreach over a string compiles to s[i] and s.Length per iteration (quadratic on nanoCLR, surrogate pairs broken); iterate s.ToCharArray()"));
                        break;

                    // NF003/NF005: a constant char that ends up inside a string or is handed to a string member.
                    case BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } add when IsString(model.GetTypeInfo(add).Type):
                        CheckChar(model, add.Left, "string concatenation", raw, surrogate: false);
                        CheckChar(model, add.Right, "string concatenation", raw, surrogate: false);
                        break;
                    case AssignmentExpressionSyntax { RawKind: (int)SyntaxKind.AddAssignmentExpression } add when IsString(model.GetTypeInfo(add.Left).Type):
                        CheckChar(model, add.Right, "string concatenation", raw, surrogate: false);
                        break;
                    case InterpolationSyntax hole:
                        CheckChar(model, hole.Expression, "an interpolated string", raw, surrogate: false);
                        break;
                    case InvocationExpressionSyntax or ObjectCreationExpressionSyntax
                        when model.GetSymbolInfo(node).Symbol is IMethodSymbol { ContainingType.SpecialType: SpecialType.System_String } method:
                        ArgumentListSyntax? args = node is InvocationExpressionSyntax call ? call.ArgumentList : ((ObjectCreationExpressionSyntax)node).ArgumentList;
                        foreach (ArgumentSyntax arg in args?.Arguments ?? default)
                        {
                            string what = "string." + (method.MethodKind == MethodKind.Constructor ? "ctor" : method.Name);
                            CheckChar(model, arg.Expression, what, raw, surrogate: true);
                        }

                        break;
                }
            }
        }

        // A constant char U+0000 put into a string (NF003), or a surrogate constant given to a string member (NF005).
        private static void CheckChar(SemanticModel model, ExpressionSyntax e, string where, List<(Location, string, string)> raw, bool surrogate)
        {
            if (model.GetTypeInfo(e).Type?.SpecialType != SpecialType.System_Char || model.GetConstantValue(e) is not { HasValue: true, Value: char c })
            {
                return;
            }

            if (c == '\0')
            {
                raw.Add((e.GetLocation(), "NF003", $"U+0000 char in {where}: nanoCLR strings end at U+0000, so it cannot be held or found"));
            }
            else if (surrogate && char.IsSurrogate(c))
            {
                raw.Add((e.GetLocation(), "NF005", $"surrogate U+{(int)c:X4} given to {where}: nanoCLR strings are UTF-8, where a lone surrogate cannot be stored or found"));
            }
        }

        // NF003/NF005 on the literal's value (escapes resolved), so "\\u0000" (a backslash and text) is not flagged.
        private static void CheckLiterals(SyntaxTree tree, List<(Location, string, string)> raw)
        {
            foreach (SyntaxToken token in tree.GetRoot().DescendantTokens())
            {
                if (!token.IsKind(SyntaxKind.StringLiteralToken) && !token.IsKind(SyntaxKind.InterpolatedStringTextToken))
                {
                    continue;
                }

                string value = token.ValueText;
                if (value.IndexOf('\0') >= 0)
                {
                    raw.Add((token.GetLocation(), "NF003", "string literal holds U+0000: nanoCLR strings end there, so the text is cut short"));
                }

                for (int i = 0; i < value.Length; i++)
                {
                    if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                    {
                        i++;
                    }
                    else if (char.IsSurrogate(value[i]))
                    {
                        raw.Add((token.GetLocation(), "NF005", $"string literal holds a lone surrogate U+{(int)value[i]:X4}: it cannot be stored in nanoCLR's UTF-8 strings"));
                        break;
                    }
                }
            }
        }

        private static bool IsString(ITypeSymbol? type) => type?.SpecialType == SpecialType.System_String;

        private static bool IsStringMember(SemanticModel model, SyntaxNode node, bool indexer) =>
            model.GetSymbolInfo(node).Symbol is IPropertySymbol p && p.ContainingType.SpecialType == SpecialType.System_String
            && (indexer ? p.IsIndexer : p.Name == "Length");

        /// <summary>
        /// True when <paramref name="node"/> runs once per iteration of a loop in its own method: a loop body, a for's
        /// condition or incrementors, a while/do condition. A for's initializer and a foreach's collection run once; a
        /// lambda or local function is a boundary (it runs when called, not per iteration).
        /// </summary>
        private static bool InLoop(SyntaxNode node)
        {
            for (SyntaxNode child = node, parent = node.Parent!; parent != null; child = parent, parent = parent.Parent!)
            {
                switch (parent)
                {
                    case AnonymousFunctionExpressionSyntax or LocalFunctionStatementSyntax or MemberDeclarationSyntax:
                        return false;
                    case ForStatementSyntax f when child == f.Condition || child == f.Statement || (child is ExpressionSyntax e && f.Incrementors.Contains(e)):
                    case CommonForEachStatementSyntax fe when child == fe.Statement:
                    case WhileStatementSyntax or DoStatementSyntax:
                        return true;
                }
            }

            return false;
        }

        /// <summary>
        /// "// nf-lint: allow NF00x reason" on the flagged line, or alone on the line above, suppresses that rule there.
        /// The reason is required, and an allow that suppresses nothing is reported, so allows stay few and current.
        /// </summary>
        private static void ApplyAllows(SyntaxTree tree, List<(Location Where, string Id, string Message)> raw, List<Finding> findings, string path)
        {
            var allows = new List<(int Line, HashSet<string> Ids, Location Where, HashSet<string> Used)>();
            foreach (SyntaxTrivia trivia in tree.GetRoot().DescendantTrivia())
            {
                Match m;
                if (!trivia.IsKind(SyntaxKind.SingleLineCommentTrivia) || !(m = Allow.Match(trivia.ToString())).Success)
                {
                    continue;
                }

                FileLinePositionSpan span = trivia.GetLocation().GetLineSpan();
                string rest = m.Groups["rest"].Value;
                var ids = new HashSet<string>();
                for (Match id; (id = Ids.Match(rest)).Success; rest = rest.Substring(id.Length))
                {
                    ids.Add(id.Groups["id"].Value.ToUpperInvariant());
                }

                string? problem = ids.Count == 0 ? "names no rule (NF001...)"
                    : ids.FirstOrDefault(i => !Rules.ContainsKey(i) || i == "NF000") is string bad ? $"names unknown rule {bad}"
                    : !rest.Any(char.IsLetter) ? "gives no reason" : null;
                if (problem != null)
                {
                    raw.Add((trivia.GetLocation(), "NF000", $"nf-lint allow {problem}; write '// nf-lint: allow NF00x why this case is safe'"));
                    continue;
                }

                // Alone on its line: it covers the next line; after code: its own line.
                string before = tree.GetText().Lines[span.StartLinePosition.Line].ToString().Substring(0, span.StartLinePosition.Character);
                allows.Add((span.StartLinePosition.Line + (before.Trim().Length == 0 ? 1 : 0), ids, trivia.GetLocation(), new HashSet<string>()));
            }

            foreach ((Location where, string id, string message) in raw)
            {
                FileLinePositionSpan span = where.GetLineSpan();
                int index = allows.FindIndex(a => a.Ids.Contains(id) && a.Line == span.StartLinePosition.Line);
                if (index >= 0)
                {
                    allows[index].Used.Add(id);
                    continue;
                }

                findings.Add(new Finding(path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1, id, message));
            }

            foreach (var allow in allows.Where(a => a.Used.Count < a.Ids.Count))
            {
                FileLinePositionSpan span = allow.Where.GetLineSpan();
                findings.Add(new Finding(path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1, "NF000",
                    $"nf-lint allow {string.Join(",", allow.Ids.Except(allow.Used).OrderBy(i => i))} suppresses nothing here; remove it"));
            }
        }
    }
}
