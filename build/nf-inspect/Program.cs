// Copyright (c) nanoFramework.Iotc contributors. Licensed under the MIT license; see LICENSE.
using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text.RegularExpressions;
using System.Xml.Linq;

return args switch
{
    ["cases", var dll] => Cases(dll),
    ["natives", var dll, var pdbx, var cpp] => Natives(dll, pdbx, cpp),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: NfInspect cases <NFUnitTest.dll> | natives <Lib.dll> <Lib.pdbx> <native.cpp>");
    return 2;
}

// One line per [TestClass] method that the nanoFramework UnitTestLauncher reports: "<Class.FullName> <Method> <n> <kind>",
// kind "setup" for a [Setup] method (a skipped setup skips the rest of its class), else "test"; n counts its [Setup], [TestMethod], [DataRow] and [Cleanup] attributes ([TestMethod] is dropped when the
// method has [DataRow]s, as the launcher's Helper.RemoveTestMethodIfDataRowExists does). The launcher only looks at
// public methods (Type.GetMethods()).
static int Cases(string dll)
{
    using var stream = File.OpenRead(dll);
    using var pe = new PEReader(stream);
    var md = pe.GetMetadataReader();
    foreach (var th in md.TypeDefinitions)
    {
        var type = md.GetTypeDefinition(th);
        if (!HasAttribute(md, type.GetCustomAttributes(), "TestClassAttribute")) continue;
        var className = FullName(md, type);
        foreach (var mh in type.GetMethods())
        {
            var method = md.GetMethodDefinition(mh);
            if ((method.Attributes & MethodAttributes.MemberAccessMask) != MethodAttributes.Public) continue;
            int rows = 0, plain = 0;
            bool setup = false;
            foreach (var ah in method.GetCustomAttributes())
            {
                switch (AttributeName(md, md.GetCustomAttribute(ah)))
                {
                    case "DataRowAttribute": rows++; break;
                    case "SetupAttribute": setup = true; plain++; break;
                    case "TestMethodAttribute": case "CleanupAttribute": plain++; break;
                }
            }
            int testMethod = HasAttribute(md, method.GetCustomAttributes(), "TestMethodAttribute") ? 1 : 0;
            int count = rows > 0 ? rows + plain - testMethod : plain;
            if (count > 0) Console.WriteLine($"{className} {md.GetString(method.Name)} {count} {(setup ? "setup" : "test")}");
        }
    }
    return 0;
}

// nanoCLR calls native method i of an assembly through entry i of the native method_lookup table, i being the method's
// index in the .pe (MetadataProcessor's order, read from the .pdbx). A matching checksum does not prove the order.
static int Natives(string dll, string pdbx, string cpp)
{
    using var stream = File.OpenRead(dll);
    using var pe = new PEReader(stream);
    var md = pe.GetMetadataReader();
    var byIndex = new Dictionary<int, (string Type, string Method, bool Native)>();
    foreach (var method in XDocument.Load(pdbx).Descendants("Method"))
    {
        var token = method.Element("Token");
        if (token == null) continue;
        int clr = Convert.ToInt32(token.Element("CLR")!.Value, 16), nano = Convert.ToInt32(token.Element("nanoCLR")!.Value, 16);
        var def = md.GetMethodDefinition(MetadataTokens.MethodDefinitionHandle(clr & 0xFFFFFF));
        var type = md.GetTypeDefinition(def.GetDeclaringType());
        bool native = (def.ImplAttributes & MethodImplAttributes.InternalCall) != 0 || def.RelativeVirtualAddress == 0 &&
            (def.Attributes & MethodAttributes.Abstract) == 0 && (def.ImplAttributes & MethodImplAttributes.Runtime) == 0;
        byIndex[nano & 0xFFFFFF] = (FullName(md, type), md.GetString(def.Name), native);
    }
    var text = File.ReadAllText(cpp);
    var table = Regex.Match(text, @"method_lookup\[\]\s*=\s*\{(.*?)\};", RegexOptions.Singleline);
    if (!table.Success) { Console.Error.WriteLine($"{cpp}: no method_lookup table"); return 1; }
    var entries = Regex.Replace(table.Groups[1].Value, @"//[^\n]*", "").Split(',').Select(e => e.Trim()).Where(e => e.Length > 0).ToArray();
    var problems = new List<string>();
    if (entries.Length != byIndex.Count) problems.Add($"native table has {entries.Length} entries, the managed assembly {byIndex.Count} methods");
    int natives = 0;
    for (int i = 0; i < Math.Max(entries.Length, byIndex.Count); i++)
    {
        var entry = i < entries.Length ? entries[i] : "NULL";
        bool hasNative = entry != "NULL" && entry != "nullptr";
        byIndex.TryGetValue(i, out var managed);
        if (hasNative) natives++;
        if (managed.Method == null) { if (hasNative) problems.Add($"entry {i} ({entry}): no managed method with this index"); continue; }
        if (!hasNative) { if (managed.Native) problems.Add($"entry {i}: managed {managed.Type}::{managed.Method} is extern, native entry is NULL"); continue; }
        // Library_<assembly>_<Namespace_Type>::<Method with . as _>___<signature>
        var m = Regex.Match(entry, @"^Library_\w+::(\w+?)___");
        var typePart = entry.Split("::")[0];
        var wantType = managed.Type.Replace("+", "__").Replace(".", "_");
        if (!m.Success || m.Groups[1].Value != managed.Method.Replace('.', '_') || !typePart.EndsWith("_" + wantType))
            problems.Add($"entry {i}: native {entry} vs managed {managed.Type}::{managed.Method}");
    }
    Console.WriteLine($"{Path.GetFileName(dll)}: {byIndex.Count} methods, {natives} natives, " +
        (problems.Count == 0 ? "every native index lines up" : $"{problems.Count} mismatches"));
    foreach (var p in problems.Take(10)) Console.WriteLine("  " + p);
    return problems.Count == 0 ? 0 : 1;
}

static string FullName(MetadataReader md, TypeDefinition type)
{
    var name = md.GetString(type.Name);
    if (type.IsNested) return FullName(md, md.GetTypeDefinition(type.GetDeclaringType())) + "+" + name;
    var ns = md.GetString(type.Namespace);
    return ns.Length == 0 ? name : ns + "." + name;
}

static bool HasAttribute(MetadataReader md, CustomAttributeHandleCollection attrs, string name) =>
    attrs.Any(h => AttributeName(md, md.GetCustomAttribute(h)) == name);

static string AttributeName(MetadataReader md, CustomAttribute attr)
{
    EntityHandle type = attr.Constructor.Kind switch
    {
        HandleKind.MemberReference => md.GetMemberReference((MemberReferenceHandle)attr.Constructor).Parent,
        HandleKind.MethodDefinition => md.GetMethodDefinition((MethodDefinitionHandle)attr.Constructor).GetDeclaringType(),
        _ => default,
    };
    return type.Kind switch
    {
        HandleKind.TypeReference => md.GetString(md.GetTypeReference((TypeReferenceHandle)type).Name),
        HandleKind.TypeDefinition => md.GetString(md.GetTypeDefinition((TypeDefinitionHandle)type).Name),
        _ => "",
    };
}
