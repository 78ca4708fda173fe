// nf-string-table: does the string table nanoFramework's MetadataProcessor will write for each assembly still
// fit what nanoCLR can address, with room to spare?
//   dotnet run --project build/nf-string-table -- [--list] [--ref <dll or folder>]... <assembly.dll>...
// --list prints the predicted strings; --ref adds assemblies to look enums up in (attribute arguments only).
using System.Globalization;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using NfStringTable;

// nanoCLR resolves a string id i >= 0xFFFF - c_CLR_StringTable_Size from its own built-in table instead of the
// assembly's (CLR_RT_Assembly::GetString in nf-interpreter src/CLR/Core/StringTable.cpp; c_CLR_StringTable_Size
// = 860 in src/CLR/Core/StringTableData.cpp, the strings in BuiltinStrings.txt). So an assembly's strings must
// start below 0xFFFF - 860 = 64,675; counting the whole table against that is the safe reading. MetadataProcessor
// only stops at 65,535 ("String table overflow", nanoStringTable.GetOrCreateStringId): a table in between
// builds, then reads the wrong names on the device.
const double MinHeadroom = 0.10;

var inputs = new List<string>();
var refs = new List<string>();
bool list = false;
for (int i = 0; i < args.Length; i++)
{
    if (args[i] == "--list") list = true;
    else if (args[i] == "--ref" && i + 1 < args.Length)
        refs.AddRange(Directory.Exists(args[++i]) ? Directory.GetFiles(args[i], "*.dll") : [args[i]]);
    else inputs.Add(args[i]);
}
if (inputs.Count == 0)
{
    Console.Error.WriteLine("usage: nf-string-table [--list] [--ref <dll or folder>]... <assembly.dll>...");
    return 2;
}
var missing = inputs.Concat(refs).Where(p => !File.Exists(p)).ToList();
if (missing.Count > 0)
{
    Console.Error.WriteLine("error: not found: " + string.Join(", ", missing));
    return 2;
}

var builtins = LoadBuiltins();
int usable = 0xFFFF - builtins.Count;
var enums = new EnumIndex(inputs.Concat(refs));
var names = inputs.Distinct().ToDictionary(p => p, AssemblyName);
int failed = 0;
foreach (var path in inputs)
{
    var (size, strings) = MdpStringTable.Compute(path, builtins, enums);
    var name = names[path];
    if (names.Values.Count(n => n == name) > 1) name += $" ({path})"; // e.g. two test assemblies, both NFUnitTest
    double headroom = (usable - size) / (double)usable;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{name}: string table {size} bytes of {usable} usable ({headroom * 100:0.0}% headroom)"));
    if (list)
        foreach (var s in strings.Order(StringComparer.Ordinal))
            Console.WriteLine("  " + string.Concat(s.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString())));
    if (headroom >= MinHeadroom) continue;
    failed++;
    string why = size > ushort.MaxValue ? "MetadataProcessor will stop with 'String table overflow'"
        : size > usable ? $"over the {usable} bytes nanoCLR can address: names past that read as its built-in strings"
        : $"the check keeps {MinHeadroom * 100:0}% ({(int)(usable * MinHeadroom)} bytes) free";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"error: {name}: string table {size} bytes leaves {headroom * 100:0.0}% headroom; {why}. Shorten names or string literals, or split the assembly."));
}
return failed == 0 ? 0 : 1;

static HashSet<string> LoadBuiltins()
{
    using var stream = typeof(MdpStringTable).Assembly.GetManifestResourceStream("BuiltinStrings.txt")!;
    using var reader = new StreamReader(stream);
    var set = new HashSet<string>(StringComparer.Ordinal);
    while (reader.ReadLine() is { } line)
        if (!line.StartsWith('#')) set.Add(line);
    return set;
}

static string AssemblyName(string path)
{
    using var pe = new PEReader(File.OpenRead(path));
    var md = pe.GetMetadataReader();
    return md.GetString(md.GetAssemblyDefinition().Name);
}
