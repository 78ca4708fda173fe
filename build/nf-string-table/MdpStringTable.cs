using System.Collections.Immutable;
using System.Reflection;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;
using System.Text;

namespace NfStringTable;

/// <summary>
/// Predicts the string table that nanoFramework's MetadataProcessor (MDP: nanoframework/metadata-processor v3.0.100,
/// MetadataProcessor.Shared/) writes into an assembly's .pe. MDP converts twice: a first pass collects everything,
/// then Minimize() (nanoAssemblyBuilder.cs) keeps what is reachable from the types not excluded, resets the string
/// table (nanoStringTable.RemoveUnusedItems) and writes again. The second pass stores, each distinct string once
/// (ordinal), as UTF-8 plus a NUL (nanoBinaryWriter.WriteString):
///  - "" first, and the assembly name (nanoStringTable constructor; nanoAssemblyBuilder.GetTables)
///  - names of the kept AssemblyRefs; namespaces and names of the kept TypeRefs (*ReferenceTable.AllocateStrings)
///  - MemberRef names: every MemberRef whose declaring type's full name is a substring of a kept TypeRef's
///    (RemoveUnusedItems), and the kept ones on generic instances (nanoField/MethodReferenceTable)
///  - kept TypeDefs' namespaces and names, the names of all their methods and instance fields, and of the kept
///    static fields that are not constants (RemoveUnusedItems; nanoTypeDefinitionTable.WriteClassFields)
///  - the ldstr literals (#US heap) of kept methods (BuildDependencyList; CodeWriter; ByteCodeTable.UpdateStringTable)
///  - from the attributes MDP keeps on types, non-const fields and methods: string arguments, typeof() names and
///    named-argument names (nanoSignaturesTable.GetSignature(CustomAttribute))
///  - embedded resources as Name.nanoresources (nanoResourceFileTable.AddResourceFile)
/// minus any string nanoCLR has built in (BuiltinStrings.txt): GetOrCreateStringId finds those in
/// nanoStringsConstants and uses an id counted down from 0xFFFF instead. Never stored: parameter, property and
/// event names, signatures (a table of their own), assembly- and module-level attributes, literals of dropped code.
/// "Kept" replays BuildDependencyList, quirks included (it stops at TypeSpecs and MethodSpecs and skips
/// primitives, string, object and void), on Mono.Cecil's view of types, which is what MDP reads assemblies with.
/// </summary>
sealed class MdpStringTable
{
    public static (int Size, List<string> Strings) Compute(string path, IReadOnlySet<string> builtins, EnumIndex enums)
    {
        using var pe = new PEReader(File.OpenRead(path));
        return new MdpStringTable(pe, builtins, enums).Run();
    }

    // TypeDefs named by MDP's default exclusions (nanoTablesContext.SetDefaultTypesToExclude) plus [ExcludeType].
    readonly HashSet<string> classNamesToExclude =
        ["ThisAssembly", "System.Runtime.CompilerServices.RefSafetyRulesAttribute", "System.Runtime.CompilerServices.AccessedThroughPropertyAttribute"];

    // nanoTablesContext.IgnoringAttributes (plus the three defaults above, which its constructor adds).
    readonly HashSet<string> ignoringAttributes =
    [
        "System.Reflection.AssemblyFileVersionAttribute", "System.Runtime.InteropServices.ComVisibleAttribute",
        "System.Runtime.InteropServices.GuidAttribute", "System.ParamArrayAttribute", "System.SerializableAttribute",
        "System.NonSerializedAttribute", "System.Runtime.InteropServices.StructLayoutAttribute",
        "System.Runtime.InteropServices.LayoutKind", "System.Runtime.InteropServices.OutAttribute",
        "System.Runtime.CompilerServices.ExtensionAttribute", "System.Runtime.CompilerServices.MethodImplAttribute",
        "System.Runtime.CompilerServices.NullableAttribute", "System.Runtime.CompilerServices.NullableContextAttribute",
        "System.Runtime.CompilerServices.InternalsVisibleToAttribute", "System.Runtime.CompilerServices.IndexerNameAttribute",
        "System.Runtime.CompilerServices.MethodImplOptions", "System.Runtime.CompilerServices.RefSafetyRulesAttribute",
        "System.Reflection.FieldNoReflectionAttribute", "System.Diagnostics.DebuggableAttribute",
        "System.Diagnostics.DebuggerBrowsableAttribute", "System.Diagnostics.DebuggerBrowsableState",
        "System.Diagnostics.DebuggerHiddenAttribute", "System.Diagnostics.DebuggerNonUserCodeAttribute",
        "System.Diagnostics.DebuggerStepThroughAttribute", "System.Diagnostics.DebuggerDisplayAttribute",
        "System.AttributeUsageAttribute", "System.CLSCompliantAttribute", "System.FlagsAttribute", "System.ObsoleteAttribute",
        "System.Diagnostics.ConditionalAttribute", "System.ComponentModel.EditorBrowsableAttribute",
        "System.Reflection.DefaultMemberAttribute", "System.MTAThreadAttribute", "System.STAThreadAttribute",
        "ThisAssembly", "System.Runtime.CompilerServices.AccessedThroughPropertyAttribute",
    ];

    static readonly HashSet<string> PrimitiveNames = [.. Enum.GetNames<PrimitiveTypeCode>()];

    // IL operand kinds, from the BCL's own opcode table.
    static readonly Dictionary<ushort, OperandType> Operands = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => (ushort)o.Value, o => o.OperandType);

    readonly PEReader pe;
    readonly MetadataReader md;
    readonly IReadOnlySet<string> builtins;
    readonly EnumIndex enums;
    readonly TyProvider provider;
    readonly bool isCoreLibrary;
    readonly HashSet<EntityHandle> kept = [];
    readonly Stack<EntityHandle> work = new();
    readonly HashSet<MemberReferenceHandle> refTables = []; // MDP's Field/MethodReferencesTable candidates
    readonly HashSet<string> strings = new(StringComparer.Ordinal);
    readonly HashSet<EntityHandle> valueTypeRefs = [];

    MdpStringTable(PEReader pe, IReadOnlySet<string> builtins, EnumIndex enums)
    {
        this.pe = pe;
        md = pe.GetMetadataReader();
        this.builtins = builtins;
        this.enums = enums;
        provider = new TyProvider(valueTypeRefs);
        // Cecil's IsCoreLibrary: mscorlib (or the like) without assembly references.
        isCoreLibrary = md.AssemblyReferences.Count == 0
            && md.GetString(md.GetAssemblyDefinition().Name) is "mscorlib" or "System.Runtime" or "System.Private.CoreLib" or "netstandard";
    }

    (int, List<string>) Run()
    {
        DecodeAllSignatures();

        // Candidates for MDP's Field/MethodReferencesTable (nanoTablesContext constructor).
        var typeRefNames = md.TypeReferences.Select(h => FullName(h)).ToHashSet(StringComparer.Ordinal);
        foreach (var h in md.MemberReferences)
        {
            var parent = md.GetMemberReference(h).Parent;
            // Declared on a TypeRef's name, on a generic instance, on an array of a primitive, or generic itself.
            bool candidate = parent.Kind switch
            {
                HandleKind.TypeReference or HandleKind.TypeDefinition => typeRefNames.Contains(FullName(parent)) || MemberSigHasGenericParam(h),
                HandleKind.TypeSpecification => Spec(parent) is var spec && (spec.Kind == Kind.GenericInst
                    || IsPrimitive(ElementOf(spec)) || ContainsGenericParam(spec) || MemberSigHasGenericParam(h)),
                _ => false,
            };
            if (candidate) refTables.Add(h);
        }

        // [ExcludeType] types join the exclusions (nanoTablesContext.ProcessTypesToExclude).
        foreach (var h in md.TypeDefinitions)
            if (md.GetTypeDefinition(h).GetCustomAttributes().Any(a => AttributeTypeName(md.GetCustomAttribute(a)) == "System.Runtime.CompilerServices.ExcludeTypeAttribute"))
                classNamesToExclude.Add(FullName(h));

        // Minimize(): start from every type not excluded, close over BuildDependencyList.
        foreach (var h in md.TypeDefinitions)
        {
            var d = md.GetTypeDefinition(h);
            var declaring = d.GetDeclaringType();
            bool excluded = classNamesToExclude.Contains(FullName(h)) || classNamesToExclude.Contains(md.GetString(d.Name))
                || (!declaring.IsNil && classNamesToExclude.Contains(FullName(declaring)));
            if (FullName(h) != "<Module>" && !excluded) Keep(h);
        }
        while (work.Count > 0) Dependencies(work.Pop());

        // The table: see the class summary for where each part comes from.
        Add("");
        Add(md.GetString(md.GetAssemblyDefinition().Name));
        foreach (var h in md.AssemblyReferences) if (kept.Contains(h)) Add(md.GetString(md.GetAssemblyReference(h).Name));
        var keptTypeRefNames = new List<string>();
        foreach (var h in md.TypeReferences)
        {
            if (!kept.Contains(h)) continue;
            var r = md.GetTypeReference(h);
            Add(md.GetString(r.Namespace));
            Add(md.GetString(r.Name));
            keptTypeRefNames.Add(FullName(h));
        }
        foreach (var h in md.MemberReferences)
        {
            var m = md.GetMemberReference(h);
            // RemoveUnusedItems keeps the name of any MemberRef whose declaring type's full name is a substring
            // of a kept TypeRef's (string.Contains there); the ReferencesTables add the kept generic ones.
            bool onKeptType = m.Parent.Kind is HandleKind.TypeReference or HandleKind.TypeDefinition
                && keptTypeRefNames.Any(n => n.Contains(FullName(m.Parent), StringComparison.Ordinal));
            if (onKeptType || (refTables.Contains(h) && kept.Contains(h))) Add(md.GetString(m.Name));
        }
        foreach (var h in md.TypeDefinitions)
        {
            var d = md.GetTypeDefinition(h);
            bool typeKept = kept.Contains(h);
            if (typeKept)
            {
                Add(md.GetString(d.Namespace));
                Add(md.GetString(d.Name));
            }
            foreach (var f in d.GetFields())
            {
                bool isStatic = (md.GetFieldDefinition(f).Attributes & FieldAttributes.Static) != 0;
                if ((typeKept && !isStatic) || kept.Contains(f)) Add(md.GetString(md.GetFieldDefinition(f).Name));
            }
            // Literals: MDP scans the kept methods, and (CodeWriter.PreProcessMethod) every method of the nested
            // types of a kept type, kept or not.
            var declaring = d.GetDeclaringType();
            bool scanAll = !typeKept && !declaring.IsNil && kept.Contains(declaring);
            foreach (var m in d.GetMethods())
            {
                if (typeKept || kept.Contains(m)) Add(md.GetString(md.GetMethodDefinition(m).Name));
                if (scanAll || kept.Contains(m)) foreach (var s in Literals(m)) Add(s);
            }
        }
        AttributeStrings();
        foreach (var h in md.ManifestResources)
        {
            var r = md.GetManifestResource(h);
            if (r.Implementation.IsNil) Add(Path.ChangeExtension(md.GetString(r.Name), ".nanoresources"));
        }

        var list = strings.ToList();
        return (list.Sum(s => Encoding.UTF8.GetByteCount(s) + 1), list);
    }

    void Add(string s)
    {
        if (!builtins.Contains(s)) strings.Add(s);
    }

    void Keep(EntityHandle h)
    {
        if (!h.IsNil && kept.Add(h)) work.Push(h);
    }

    // Cecil gives TypeSpecs, primitives and generic parameters tokens MDP's walk never follows: only named
    // types (TypeDef/TypeRef) matter.
    void Keep(Ty t)
    {
        if (t.Kind == Kind.Named) Keep(t.Handle);
    }

    // MDP's array rule: keep the element type unless it is void/string/object or primitive.
    void KeepElement(Ty t)
    {
        var e = ElementOf(t);
        if (!IsVoidStringObject(e) && !IsPrimitive(e)) Keep(e);
    }

    // A nested type: MDP resolves it and keeps it if an enum, else its declaring type. Unresolvable
    // (external) ones keep both, which never under-counts.
    void KeepNested(Ty t, EntityHandle declaring)
    {
        var named = ElementOf(t);
        if (named.Handle.Kind == HandleKind.TypeDefinition) { if (IsEnum((TypeDefinitionHandle)named.Handle)) Keep(t); else Keep(declaring); }
        else { Keep(t); Keep(declaring); }
    }

    /// <summary>nanoAssemblyBuilder.BuildDependencyList, for the tokens that lead to strings.</summary>
    void Dependencies(EntityHandle h)
    {
        switch (h.Kind)
        {
            case HandleKind.TypeReference:
                var scope = md.GetTypeReference((TypeReferenceHandle)h).ResolutionScope;
                if (scope.Kind is HandleKind.TypeReference or HandleKind.AssemblyReference) Keep(scope);
                break;

            case HandleKind.MemberReference:
                if (!refTables.Contains((MemberReferenceHandle)h)) break; // MDP finds no entry: nothing follows
                var mr = md.GetMemberReference((MemberReferenceHandle)h);
                if (mr.Parent.Kind is HandleKind.TypeReference or HandleKind.TypeDefinition) Keep(mr.Parent);
                if (mr.GetKind() == MemberReferenceKind.Method)
                {
                    var sig = mr.DecodeMethodSignature(provider, null);
                    var rt = sig.ReturnType;
                    if (IsValueType(rt) && !IsPrimitive(rt)) Keep(rt);
                    else if (rt.Kind == Kind.Array) KeepElement(rt);
                    else if (IsClass(rt)) Keep(rt);
                    foreach (var p in sig.ParameterTypes)
                    {
                        var declaring = DeclaringType(p);
                        if (!declaring.IsNil) KeepNested(p, declaring);
                        if (IsClass(p)) Keep(p);
                        if (IsValueType(p) && !IsPrimitive(p)) Keep(p);
                        if (p.Kind == Kind.GenericInst) Keep(ElementOf(p));
                    }
                }
                else
                {
                    var ft = mr.DecodeFieldSignature(provider, null);
                    if (IsClass(ft)) Keep(ft);
                    else if (!IsPrimitive(ft) && IsValueType(ft) && !IsVoidStringObject(ft)) Keep(ft);
                    else if (ft.Kind == Kind.Array) KeepElement(ft);
                    else if (!DeclaringType(ft).IsNil) Keep(DeclaringType(ft));
                }
                break;

            case HandleKind.TypeDefinition:
                var td = md.GetTypeDefinition((TypeDefinitionHandle)h);
                if (td.BaseType.Kind is HandleKind.TypeReference or HandleKind.TypeDefinition) Keep(td.BaseType);
                Keep(td.GetDeclaringType());
                KeepAttributes(td.GetCustomAttributes());
                if (!classNamesToExclude.Contains(FullName(h)))
                {
                    foreach (var f in td.GetFields())
                        if ((md.GetFieldDefinition(f).Attributes & FieldAttributes.Literal) == 0) Keep(f);
                    foreach (var m in td.GetMethods()) Keep(m);
                }
                foreach (var ii in td.GetInterfaceImplementations())
                {
                    var itf = md.GetInterfaceImplementation(ii).Interface;
                    if (!classNamesToExclude.Contains(FullName(itf)) && itf.Kind is HandleKind.TypeReference or HandleKind.TypeDefinition)
                        Keep(itf); // MDP keeps the InterfaceImpl, which keeps the interface type
                }
                break;

            case HandleKind.FieldDefinition:
                var fd = md.GetFieldDefinition((FieldDefinitionHandle)h);
                var t = fd.DecodeSignature(provider, null);
                if (IsValueType(t) && !IsPrimitive(t)) Keep(t);
                else if (t.Kind == Kind.GenericInst) Keep(ElementOf(t));
                else if (t.Kind == Kind.Array) KeepElement(t);
                else if (!IsValueType(t) && !IsPrimitive(t) && !IsVoidStringObject(t)) Keep(t);
                KeepAttributes(fd.GetCustomAttributes());
                break;

            case HandleKind.MethodDefinition:
                MethodDependencies((MethodDefinitionHandle)h);
                break;
        }
    }

    void MethodDependencies(MethodDefinitionHandle h)
    {
        var m = md.GetMethodDefinition(h);
        var sig = m.DecodeSignature(provider, null);
        var rt = sig.ReturnType;
        if (IsValueType(rt) && !IsPrimitive(rt)) Keep(rt);
        else if (rt.Kind == Kind.Array) KeepElement(rt);
        else if (!IsValueType(rt) && !IsPrimitive(rt) && rt.Kind != Kind.ByRef && !IsVoidStringObject(rt)) Keep(rt);
        foreach (var p0 in sig.ParameterTypes)
        {
            var p = p0.Kind == Kind.ByRef ? p0.Elem! : p0;
            if (p.Kind == Kind.Array) KeepElement(p);
            else if (IsClass(p)) Keep(p);
            else if (IsValueType(p) && !IsPrimitive(p)) Keep(p);
            else if (p.Kind == Kind.GenericInst) Keep(ElementOf(p));
            else if (!IsValueType(p) && !IsPrimitive(p) && !IsVoidStringObject(p)) Keep(p);
        }
        KeepAttributes(m.GetCustomAttributes());
        if (m.RelativeVirtualAddress == 0) return;

        var body = Body(m);
        if (!body.LocalSignature.IsNil)
        {
            foreach (var v in md.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(provider, null))
            {
                var declaring = DeclaringType(v);
                if (!declaring.IsNil) KeepNested(v, declaring);
                else if (IsClass(v)) Keep(v);
                else if (v.Kind == Kind.Array) KeepElement(v);
                else if (IsValueType(v) && !IsPrimitive(v)) Keep(v);
                else if (v.Kind == Kind.GenericInst) Keep(ElementOf(v));
            }
        }
        foreach (var (kind, token) in Instructions(body))
        {
            if (kind == OperandType.InlineString) continue; // literals are collected per kept method
            var target = MetadataTokens.EntityHandle(token);
            // MethodSpec and TypeSpec operands lead MDP nowhere (no table entry during Minimize).
            if (target.Kind is HandleKind.MethodDefinition or HandleKind.MemberReference or HandleKind.FieldDefinition
                or HandleKind.TypeDefinition or HandleKind.TypeReference)
                Keep(target);
        }
        foreach (var region in body.ExceptionRegions)
            if (region.Kind != ExceptionRegionKind.Filter && region.CatchType.Kind is HandleKind.TypeReference or HandleKind.TypeDefinition)
                Keep(region.CatchType);
    }

    // BuildDependencyList keeps an attribute's constructor unless its type is excluded or ignored
    // (TypeReferenceExtensions.IsToInclude, which also drops System.Diagnostics.CodeAnalysis.*).
    void KeepAttributes(CustomAttributeHandleCollection attributes)
    {
        foreach (var a in attributes)
        {
            var ca = md.GetCustomAttribute(a);
            var name = AttributeTypeName(ca);
            if (!classNamesToExclude.Contains(name) && !ignoringAttributes.Contains(name)
                && !name.StartsWith("System.Diagnostics.CodeAnalysis", StringComparison.Ordinal))
                Keep(ca.Constructor);
        }
    }

    // The attributes table: attributes on all types, non-const fields and methods, minus ignored ones
    // (nanoTablesContext.IsAttribute), kept when their constructor was (nanoAttributesTable.RemoveUnusedItems).
    void AttributeStrings()
    {
        var owners = new List<CustomAttributeHandleCollection>();
        foreach (var h in md.TypeDefinitions)
        {
            var d = md.GetTypeDefinition(h);
            owners.Add(d.GetCustomAttributes());
            foreach (var f in d.GetFields())
                if (md.GetFieldDefinition(f).GetDefaultValue().IsNil) owners.Add(md.GetFieldDefinition(f).GetCustomAttributes());
            foreach (var m in d.GetMethods()) owners.Add(md.GetMethodDefinition(m).GetCustomAttributes());
        }
        foreach (var a in owners.SelectMany(o => o))
        {
            var ca = md.GetCustomAttribute(a);
            var type = AttributeType(ca);
            var declaring = type.Kind is HandleKind.TypeDefinition or HandleKind.TypeReference ? DeclaringType(new Ty(Kind.Named, type)) : default;
            if (ignoringAttributes.Contains(FullName(type)) || (!declaring.IsNil && ignoringAttributes.Contains(FullName(declaring)))) continue;
            if (kept.Contains(ca.Constructor)) AttributeArguments(ca);
        }
    }

    // nanoSignaturesTable.GetSignature(CustomAttribute)/WriteAttributeArgumentValue: strings and typeof() names
    // of arguments typed string or Type, the same inside object[] arguments, and every named argument's name.
    // Other arrays and enums store no string; an argument typed object makes MDP fail ("Unsupported type").
    void AttributeArguments(CustomAttribute ca)
    {
        var parameters = ca.Constructor.Kind == HandleKind.MethodDefinition
            ? md.GetMethodDefinition((MethodDefinitionHandle)ca.Constructor).DecodeSignature(provider, null).ParameterTypes
            : md.GetMemberReference((MemberReferenceHandle)ca.Constructor).DecodeMethodSignature(provider, null).ParameterTypes;
        var blob = md.GetBlobReader(ca.Value);
        if (blob.ReadUInt16() != 1) return; // prolog
        foreach (var p in parameters) ArgumentValue(ref blob, SerializedType(p), written: true);
        int named = blob.ReadUInt16();
        for (int i = 0; i < named; i++)
        {
            blob.ReadByte(); // field or property
            var type = ReadSerializedType(ref blob);
            if (blob.ReadSerializedString() is { } name) Add(name);
            ArgumentValue(ref blob, type, written: true);
        }
    }

    void ArgumentValue(ref BlobReader blob, SerType t, bool written)
    {
        switch (t.Code)
        {
            case SerializationTypeCode.String:
                if (blob.ReadSerializedString() is { } s && written) Add(s);
                break;
            case SerializationTypeCode.Type:
                if (blob.ReadSerializedString() is { } type && written) Add(CecilTypeName(type));
                break;
            case SerializationTypeCode.TaggedObject:
                ArgumentValue(ref blob, ReadSerializedType(ref blob), written: false);
                break;
            case SerializationTypeCode.SZArray:
                uint count = blob.ReadUInt32();
                if (count == uint.MaxValue) break; // null array
                for (uint i = 0; i < count; i++)
                {
                    if (t.Element!.Code == SerializationTypeCode.TaggedObject)
                        ArgumentValue(ref blob, ReadSerializedType(ref blob), written); // object[]: elements are written
                    else
                        ArgumentValue(ref blob, t.Element, written: false);
                }
                break;
            default:
                blob.Offset += t.Size;
                break;
        }
    }

    sealed record SerType(SerializationTypeCode Code, int Size = 0, SerType? Element = null);

    static int PrimitiveSize(PrimitiveTypeCode c) => c switch
    {
        PrimitiveTypeCode.Boolean or PrimitiveTypeCode.SByte or PrimitiveTypeCode.Byte => 1,
        PrimitiveTypeCode.Char or PrimitiveTypeCode.Int16 or PrimitiveTypeCode.UInt16 => 2,
        PrimitiveTypeCode.Int64 or PrimitiveTypeCode.UInt64 or PrimitiveTypeCode.Double => 8,
        _ => 4,
    };

    SerType SerializedType(Ty t)
    {
        if (Etype(t) is { } c)
            return c switch
            {
                PrimitiveTypeCode.String => new(SerializationTypeCode.String),
                PrimitiveTypeCode.Object => new(SerializationTypeCode.TaggedObject),
                _ => new(SerializationTypeCode.Int32, PrimitiveSize(c)), // code unused: only the size matters
            };
        if (t.Kind == Kind.Array) return new(SerializationTypeCode.SZArray, Element: SerializedType(t.Elem!));
        if (FullName(t) == "System.Type") return new(SerializationTypeCode.Type);
        return new(SerializationTypeCode.Enum, EnumSize(t)); // any other named type in an attribute is an enum
    }

    SerType ReadSerializedType(ref BlobReader blob)
    {
        var code = blob.ReadSerializationTypeCode();
        return code switch
        {
            SerializationTypeCode.SZArray => new(code, Element: ReadSerializedType(ref blob)),
            SerializationTypeCode.Enum => new(code, enums.Size(CecilTypeName(blob.ReadSerializedString() ?? ""), LocalEnumSize)),
            SerializationTypeCode.Boolean or SerializationTypeCode.SByte or SerializationTypeCode.Byte => new(code, 1),
            SerializationTypeCode.Char or SerializationTypeCode.Int16 or SerializationTypeCode.UInt16 => new(code, 2),
            SerializationTypeCode.Int64 or SerializationTypeCode.UInt64 or SerializationTypeCode.Double => new(code, 8),
            _ => new(code, 4),
        };
    }

    int EnumSize(Ty t) => t.Handle.Kind == HandleKind.TypeDefinition
        ? LocalEnumSize(FullName(t)) ?? 4
        : enums.Size(FullName(t), LocalEnumSize);

    int? LocalEnumSize(string fullName)
    {
        foreach (var h in md.TypeDefinitions)
            if (FullName(h) == fullName) return EnumIndex.UnderlyingSize(md, md.GetTypeDefinition(h));
        return null;
    }

    bool IsEnum(TypeDefinitionHandle h)
    {
        var b = md.GetTypeDefinition(h).BaseType;
        return !b.IsNil && FullName(b) == "System.Enum";
    }

    IEnumerable<string> Literals(MethodDefinitionHandle h)
    {
        var m = md.GetMethodDefinition(h);
        if (m.RelativeVirtualAddress == 0) yield break;
        foreach (var (kind, token) in Instructions(Body(m)))
            if (kind == OperandType.InlineString)
                yield return md.GetUserString(MetadataTokens.UserStringHandle(token & 0xFFFFFF));
    }

    MethodBodyBlock Body(MethodDefinition m) => pe.GetMethodBody(m.RelativeVirtualAddress);

    /// <summary>(operand kind, token) of every instruction with a metadata token or string operand.</summary>
    static List<(OperandType, int)> Instructions(MethodBodyBlock body)
    {
        var result = new List<(OperandType, int)>();
        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            int b = il.ReadByte();
            ushort code = b == 0xFE ? (ushort)(0xFE00 | il.ReadByte()) : (ushort)b;
            switch (Operands[code])
            {
                case OperandType.InlineNone: break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar: il.Offset += 1; break;
                case OperandType.InlineVar: il.Offset += 2; break;
                case OperandType.InlineI8 or OperandType.InlineR: il.Offset += 8; break;
                case OperandType.InlineSwitch: int targets = il.ReadInt32(); il.Offset += 4 * targets; break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.ShortInlineR or OperandType.InlineSig: il.Offset += 4; break;
                case var k: result.Add((k, il.ReadInt32())); break; // InlineField/Method/Type/Tok/String
            }
        }
        return result;
    }

    // ---- Cecil's view of types --------------------------------------------------------------------------------

    // Cecil marks a TypeRef a value type once any signature uses it as VALUETYPE (KnownValueType); MDP has read
    // every signature by the time it minimizes, so decide from all of them up front.
    void DecodeAllSignatures()
    {
        foreach (var h in md.MemberReferences)
        {
            var m = md.GetMemberReference(h);
            if (m.GetKind() == MemberReferenceKind.Method) m.DecodeMethodSignature(provider, null); else m.DecodeFieldSignature(provider, null);
        }
        foreach (var h in md.FieldDefinitions) md.GetFieldDefinition(h).DecodeSignature(provider, null);
        foreach (var h in md.MethodDefinitions) md.GetMethodDefinition(h).DecodeSignature(provider, null);
        for (int i = 1; i <= md.GetTableRowCount(TableIndex.TypeSpec); i++) Spec(MetadataTokens.TypeSpecificationHandle(i));
        for (int i = 1; i <= md.GetTableRowCount(TableIndex.MethodSpec); i++)
            md.GetMethodSpecification(MetadataTokens.MethodSpecificationHandle(i)).DecodeSignature(provider, null);
        for (int i = 1; i <= md.GetTableRowCount(TableIndex.StandAloneSig); i++)
        {
            var sig = md.GetStandaloneSignature(MetadataTokens.StandaloneSignatureHandle(i));
            if (sig.GetKind() == StandaloneSignatureKind.LocalVariables) sig.DecodeLocalSignature(provider, null); else sig.DecodeMethodSignature(provider, null);
        }
    }

    Ty Spec(EntityHandle h) => provider.GetTypeFromSpecification(md, null, (TypeSpecificationHandle)h, 0);

    bool MemberSigHasGenericParam(MemberReferenceHandle h)
    {
        var m = md.GetMemberReference(h);
        return m.GetKind() == MemberReferenceKind.Method
            ? m.DecodeMethodSignature(provider, null) is var s && (ContainsGenericParam(s.ReturnType) || s.ParameterTypes.Any(ContainsGenericParam))
            : ContainsGenericParam(m.DecodeFieldSignature(provider, null));
    }

    static bool ContainsGenericParam(Ty t) => t.Kind == Kind.GenericParam
        || (t.Elem is { } e && ContainsGenericParam(e)) || (!t.Args.IsDefault && t.Args.Any(ContainsGenericParam));

    // Cecil's ElementType for primitives: from signature codes, or a System.X TypeRef into another assembly
    // (MetadataSystem.TryProcessPrimitiveTypeReference), or in the core library the System.X TypeDef itself.
    PrimitiveTypeCode? Etype(Ty t)
    {
        if (t.Kind == Kind.Prim) return t.Code;
        if (t.Kind != Kind.Named) return null;
        string ns, name;
        if (t.Handle.Kind == HandleKind.TypeReference)
        {
            var r = md.GetTypeReference((TypeReferenceHandle)t.Handle);
            if (r.ResolutionScope.Kind != HandleKind.AssemblyReference) return null;
            (ns, name) = (md.GetString(r.Namespace), md.GetString(r.Name));
        }
        else
        {
            if (!isCoreLibrary) return null;
            var d = md.GetTypeDefinition((TypeDefinitionHandle)t.Handle);
            if (!d.GetDeclaringType().IsNil) return null;
            (ns, name) = (md.GetString(d.Namespace), md.GetString(d.Name));
        }
        return ns == "System" && PrimitiveNames.Contains(name) ? Enum.Parse<PrimitiveTypeCode>(name) : null;
    }

    static bool IsReferenceEtype(PrimitiveTypeCode c) =>
        c is PrimitiveTypeCode.String or PrimitiveTypeCode.Object or PrimitiveTypeCode.Void or PrimitiveTypeCode.TypedReference;

    bool IsPrimitive(Ty t) => Etype(t) is { } c && !IsReferenceEtype(c);

    bool IsValueType(Ty t)
    {
        if (Etype(t) is { } c) return !IsReferenceEtype(c);
        return t.Kind switch
        {
            Kind.Named when t.Handle.Kind == HandleKind.TypeReference => valueTypeRefs.Contains(t.Handle),
            Kind.Named => md.GetTypeDefinition((TypeDefinitionHandle)t.Handle).BaseType is var b && !b.IsNil
                && (FullName(b) == "System.Enum" || (FullName(b) == "System.ValueType" && FullName(t) != "System.Enum")),
            Kind.GenericInst => IsValueType(t.Elem!),
            _ => false,
        };
    }

    // Cecil's MetadataType.Class: a named type that is neither primitive-like nor a value type.
    bool IsClass(Ty t) => t.Kind == Kind.Named && Etype(t) == null && !IsValueType(t);

    bool IsVoidStringObject(Ty t) => FullName(t) is "System.Void" or "System.String" or "System.Object";

    // Cecil's GetElementType(): through arrays, by-refs, modifiers and generic instances to the named type.
    static Ty ElementOf(Ty t) => t.Elem is { } e && t.Kind is not Kind.FnPtr ? ElementOf(e) : t;

    EntityHandle DeclaringType(Ty t) => t.Kind switch
    {
        Kind.Named when t.Handle.Kind == HandleKind.TypeDefinition => md.GetTypeDefinition((TypeDefinitionHandle)t.Handle).GetDeclaringType(),
        Kind.Named => md.GetTypeReference((TypeReferenceHandle)t.Handle).ResolutionScope is var s && s.Kind == HandleKind.TypeReference ? s : default,
        Kind.GenericInst => DeclaringType(t.Elem!),
        _ => default,
    };

    EntityHandle AttributeType(CustomAttribute ca) => ca.Constructor.Kind == HandleKind.MethodDefinition
        ? md.GetMethodDefinition((MethodDefinitionHandle)ca.Constructor).GetDeclaringType()
        : md.GetMemberReference((MemberReferenceHandle)ca.Constructor).Parent;

    string AttributeTypeName(CustomAttribute ca) => FullName(AttributeType(ca));

    readonly Dictionary<EntityHandle, string> fullNames = [];

    /// <summary>Cecil's FullName: Namespace.Name, nested types as Outer/Inner.</summary>
    string FullName(EntityHandle h)
    {
        if (fullNames.TryGetValue(h, out var name)) return name;
        name = h.Kind switch
        {
            HandleKind.TypeDefinition => md.GetTypeDefinition((TypeDefinitionHandle)h) is var d && !d.GetDeclaringType().IsNil
                ? FullName(d.GetDeclaringType()) + "/" + md.GetString(d.Name) : Join(md.GetString(d.Namespace), md.GetString(d.Name)),
            HandleKind.TypeReference => md.GetTypeReference((TypeReferenceHandle)h) is var r && r.ResolutionScope.Kind == HandleKind.TypeReference && !r.ResolutionScope.IsNil
                ? FullName(r.ResolutionScope) + "/" + md.GetString(r.Name) : Join(md.GetString(r.Namespace), md.GetString(r.Name)),
            HandleKind.TypeSpecification => FullName(Spec(h)),
            _ => "",
        };
        return fullNames[h] = name;
    }

    static string Join(string ns, string name) => ns.Length == 0 ? name : ns + "." + name;

    string FullName(Ty t) => t.Kind switch
    {
        Kind.Named => FullName(t.Handle),
        Kind.Prim => "System." + t.Code,
        Kind.GenericInst => FullName(t.Elem!) + "<" + string.Join(",", t.Args.Select(FullName)) + ">",
        Kind.Array => FullName(t.Elem!) + (t.Rank == 1 ? "[]" : "[" + new string(',', t.Rank - 1) + "]"),
        Kind.ByRef => FullName(t.Elem!) + "&",
        Kind.Pointer => FullName(t.Elem!) + "*",
        Kind.Modified => FullName(t.Elem!) + " mod(" + FullName(t.Args[0]) + ")",
        Kind.Pinned => FullName(t.Elem!),
        Kind.GenericParam => t.Name!,
        _ => "method",
    };

    /// <summary>Cecil's FullName for a serialized type name ("A.B+C`1[[D, asm]], asm" is "A.B/C`1&lt;D&gt;").</summary>
    internal static string CecilTypeName(string s)
    {
        int i = 0;
        return ParseTypeName(s, ref i);
    }

    static string ParseTypeName(string s, ref int i)
    {
        var sb = new StringBuilder();
        while (i < s.Length && s[i] == ' ') i++;
        for (; i < s.Length && s[i] is not (',' or '[' or ']' or '&' or '*'); i++)
        {
            if (s[i] == '\\' && i + 1 < s.Length) i++;
            sb.Append(s[i] == '+' && (i == 0 || s[i - 1] != '\\') ? '/' : s[i]);
        }
        if (i + 1 < s.Length && s[i] == '[' && s[i + 1] is not (']' or ',' or '*'))
        {
            i++;
            var args = new List<string>();
            while (i < s.Length)
            {
                bool bracketed = s[i] == '[';
                if (bracketed) i++;
                args.Add(ParseTypeName(s, ref i));
                if (bracketed) { while (i < s.Length && s[i] != ']') i++; i++; } // skip ", assembly"
                while (i < s.Length && s[i] == ' ') i++;
                if (i < s.Length && s[i] == ',') { i++; continue; }
                i++; // ']'
                break;
            }
            sb.Append('<').Append(string.Join(",", args)).Append('>');
        }
        while (i < s.Length)
        {
            if (s[i] == '[') { int close = s.IndexOf(']', i); if (close < 0) break; sb.Append(s, i, close - i + 1); i = close + 1; }
            else if (s[i] is '&' or '*') sb.Append(s[i++]);
            else break;
        }
        return sb.ToString();
    }

    enum Kind { Named, Prim, GenericInst, Array, ByRef, Pointer, GenericParam, Modified, Pinned, FnPtr }

    /// <summary>A type as a signature spells it. Named: a TypeDef/TypeRef handle; Elem: what an array,
    /// by-ref, pointer, modifier or pin wraps, or a generic instance's type; Args: generic arguments.</summary>
    sealed record Ty(Kind Kind, EntityHandle Handle = default, PrimitiveTypeCode Code = default, Ty? Elem = null,
        ImmutableArray<Ty> Args = default, int Rank = 1, string? Name = null);

    sealed class TyProvider(HashSet<EntityHandle> valueTypeRefs) : ISignatureTypeProvider<Ty, object?>
    {
        readonly Dictionary<TypeSpecificationHandle, Ty> specs = [];

        public Ty GetPrimitiveType(PrimitiveTypeCode c) => new(Kind.Prim, Code: c);
        public Ty GetTypeFromDefinition(MetadataReader r, TypeDefinitionHandle h, byte raw) => new(Kind.Named, h);
        public Ty GetTypeFromReference(MetadataReader r, TypeReferenceHandle h, byte raw)
        {
            if (raw == (byte)SignatureTypeKind.ValueType) valueTypeRefs.Add(h);
            return new(Kind.Named, h);
        }
        public Ty GetTypeFromSpecification(MetadataReader r, object? c, TypeSpecificationHandle h, byte raw)
        {
            if (!specs.TryGetValue(h, out var t)) specs[h] = t = r.GetTypeSpecification(h).DecodeSignature(this, c);
            return t;
        }
        public Ty GetSZArrayType(Ty e) => new(Kind.Array, Elem: e);
        public Ty GetArrayType(Ty e, ArrayShape shape) => new(Kind.Array, Elem: e, Rank: Math.Max(shape.Rank, 2));
        public Ty GetByReferenceType(Ty e) => new(Kind.ByRef, Elem: e);
        public Ty GetPointerType(Ty e) => new(Kind.Pointer, Elem: e);
        public Ty GetPinnedType(Ty e) => new(Kind.Pinned, Elem: e);
        public Ty GetModifiedType(Ty modifier, Ty unmodified, bool isRequired) => new(Kind.Modified, Elem: unmodified, Args: [modifier]);
        public Ty GetFunctionPointerType(MethodSignature<Ty> s) => new(Kind.FnPtr);
        public Ty GetGenericInstantiation(Ty generic, ImmutableArray<Ty> args) => new(Kind.GenericInst, Elem: generic, Args: args);
        public Ty GetGenericMethodParameter(object? c, int i) => new(Kind.GenericParam, Name: "!!" + i);
        public Ty GetGenericTypeParameter(object? c, int i) => new(Kind.GenericParam, Name: "!" + i);
    }
}
