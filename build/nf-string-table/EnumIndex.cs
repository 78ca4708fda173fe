using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace NfStringTable;

/// <summary>
/// Underlying sizes of enums defined in other assemblies. Only needed to step over an enum-typed custom
/// attribute argument (its value is stored at the enum's size and names no string); MDP resolves such enums
/// through its load hints. An enum found nowhere is taken as int-sized and reported on stderr.
/// </summary>
sealed class EnumIndex
{
    readonly Dictionary<string, int> sizes = new(StringComparer.Ordinal);
    readonly HashSet<string> reported = new(StringComparer.Ordinal);

    public EnumIndex(IEnumerable<string> assemblies)
    {
        foreach (var path in assemblies)
        {
            using var pe = new PEReader(File.OpenRead(path));
            var md = pe.GetMetadataReader();
            foreach (var h in md.TypeDefinitions)
            {
                var d = md.GetTypeDefinition(h);
                if (UnderlyingSize(md, d) is { } size) sizes.TryAdd(FullName(md, h), size);
            }
        }
    }

    // Cecil's full name: Namespace.Name, nested types as Outer/Inner.
    static string FullName(MetadataReader md, TypeDefinitionHandle h)
    {
        var d = md.GetTypeDefinition(h);
        var name = md.GetString(d.Name);
        if (!d.GetDeclaringType().IsNil) return FullName(md, d.GetDeclaringType()) + "/" + name;
        var ns = md.GetString(d.Namespace);
        return ns.Length == 0 ? name : ns + "." + name;
    }

    public int Size(string fullName, Func<string, int?> local)
    {
        if (local(fullName) is { } size || sizes.TryGetValue(fullName, out size)) return size;
        if (reported.Add(fullName))
            Console.Error.WriteLine($"note: enum {fullName} not found (pass its assembly with --ref); taken as 4 bytes");
        return 4;
    }

    /// <summary>Size of an enum's value__ field, or null when the type is not an enum.</summary>
    public static int? UnderlyingSize(MetadataReader md, TypeDefinition d)
    {
        if (d.BaseType.IsNil) return null;
        var (ns, name) = d.BaseType.Kind switch
        {
            HandleKind.TypeReference => md.GetTypeReference((TypeReferenceHandle)d.BaseType) is var r ? (r.Namespace, r.Name) : default,
            HandleKind.TypeDefinition => md.GetTypeDefinition((TypeDefinitionHandle)d.BaseType) is var t ? (t.Namespace, t.Name) : default,
            _ => default,
        };
        if (ns.IsNil || md.GetString(ns) != "System" || md.GetString(name) != "Enum") return null;
        foreach (var f in d.GetFields())
        {
            var fd = md.GetFieldDefinition(f);
            if ((fd.Attributes & System.Reflection.FieldAttributes.Static) != 0) continue;
            var sig = md.GetBlobReader(fd.Signature);
            sig.ReadByte(); // FIELD
            return sig.ReadByte() switch // ELEMENT_TYPE_*
            {
                0x02 or 0x04 or 0x05 => 1,
                0x03 or 0x06 or 0x07 => 2,
                0x0A or 0x0B => 8,
                _ => 4,
            };
        }
        return null;
    }
}
