using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// The type table of a pickle. Types are written structurally (assembly, name, generic arguments, array element) and
/// resolved on load by exact name only among the types of the assemblies the caller allowed
/// (<see cref="PickleOptions.Allow"/>) and a fixed list of harmless BCL types: no assembly is ever loaded, no type name
/// is ever parsed, and each generic argument is itself an entry resolved under the same rules.
/// </summary>
internal static class PickleTypes
{
    /// <summary>The largest array rank the runtime supports.</summary>
    private const int MaxArrayRank = 32;

    /// <summary>BCL types a pickle may name although their assembly is not allowed, by full name.</summary>
    private static readonly Dictionary<string, Type> Safe = BuildSafeList();

    /// <summary>The types of each allowed assembly, by full name (public and not; nested ones as <c>Outer+Inner</c>).</summary>
    private static readonly ConditionalWeakTable<Assembly, Dictionary<string, Type>> AssemblyTypes = [];

    private static Dictionary<string, Type> BuildSafeList()
    {
        Type[] types =
        [
            typeof(object), typeof(bool), typeof(byte), typeof(sbyte), typeof(char), typeof(short), typeof(ushort),
            typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal),
            typeof(string), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan), typeof(Guid), typeof(DateOnly),
            typeof(TimeOnly), typeof(Half), typeof(Int128), typeof(UInt128), typeof(nint), typeof(nuint),
            typeof(Task), typeof(Task<>), typeof(ValueTask), typeof(ValueTask<>),
            typeof(Nullable<>), typeof(ValueTuple),
            .. PickleCollection.Definitions,
            .. PickleEnumerator.Definitions,
            .. PickleTuple.SafeTypes,
            .. DelegateTypes(),
        ];
        var safe = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            safe[type.FullName!] = type;
        }

        // Public enums and exceptions of the core library: enums are plain numbers, exceptions are rebuilt from a message.
        foreach (var type in typeof(object).Assembly.GetExportedTypes())
        {
            if (type.IsEnum || (typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract && !type.ContainsGenericParameters))
            {
                safe.TryAdd(type.FullName!, type);
            }
        }

        return safe;
    }

    private static IEnumerable<Type> DelegateTypes()
    {
        foreach (var type in typeof(object).Assembly.GetExportedTypes())
        {
            if (type.Namespace == "System" && type.Name is ['F', 'u', 'n', 'c', ..] or ['A', 'c', 't', 'i', 'o', 'n', ..] && typeof(Delegate).IsAssignableFrom(type))
            {
                yield return type;
            }
        }
    }

    /// <summary>A readable, assembly-free name of <paramref name="type"/> for layout hashes and messages.</summary>
    public static string Describe(Type type)
    {
        if (type.IsArray)
        {
            return Describe(type.GetElementType()!) + "[" + new string(',', type.GetArrayRank() - 1) + "]";
        }

        if (type.IsByRef || type.IsPointer || type.IsGenericParameter)
        {
            return type.Name;
        }

        if (!type.IsGenericType)
        {
            return type.FullName ?? type.Name;
        }

        var text = new StringBuilder(type.GetGenericTypeDefinition().FullName).Append('[');
        var arguments = type.GetGenericArguments();
        for (var i = 0; i < arguments.Length; i++)
        {
            text.Append(i == 0 ? string.Empty : ",").Append(Describe(arguments[i]));
        }

        return text.Append(']').ToString();
    }

    /// <summary>Collects the types a pickle refers to and writes the type and assembly tables.</summary>
    internal sealed class Writer
    {
        private readonly Dictionary<Type, int> _types = [];
        private readonly List<(Type Type, bool Layout)> _entries = [];
        private readonly Dictionary<Assembly, int> _assemblies = [];
        private readonly List<Assembly> _assemblyList = [];

        /// <summary>The index of <paramref name="type"/>; <paramref name="withLayout"/> records its field layout hash too.</summary>
        /// <remarks>Generic arguments and array elements get their index first: an entry only refers to earlier entries.</remarks>
        public int Index(Type type, bool withLayout = false)
        {
            if (_types.TryGetValue(type, out var index))
            {
                if (withLayout && !_entries[index].Layout)
                {
                    _entries[index] = (type, true);
                }

                return index;
            }

            if (type.IsByRef || type.IsPointer || type.IsGenericTypeDefinition || type.IsGenericParameter || type.IsByRefLike
                || (type.IsArray && !type.IsSZArray && type.GetArrayRank() == 1))
            {
                throw new PicklingException($"The type {type} cannot be pickled.");
            }

            if (type.IsArray)
            {
                Index(type.GetElementType()!);
            }
            else if (type.IsGenericType)
            {
                foreach (var argument in type.GetGenericArguments())
                {
                    Index(argument);
                }
            }
            else if (type.FullName is null)
            {
                throw new PicklingException($"The type {type} cannot be pickled.");
            }

            AssemblyIndex(type.Assembly);
            index = _entries.Count;
            _entries.Add((type, withLayout));
            _types[type] = index;
            return index;
        }

        private int AssemblyIndex(Assembly assembly)
        {
            if (!_assemblies.TryGetValue(assembly, out var index))
            {
                index = _assemblyList.Count;
                _assemblyList.Add(assembly);
                _assemblies[assembly] = index;
            }

            return index;
        }

        /// <summary>Writes the "assemblies" and "types" properties.</summary>
        public void Write(Utf8JsonWriter writer)
        {
            writer.WriteStartArray(PickleFormat.Body.Assemblies);
            foreach (var assembly in _assemblyList)
            {
                writer.WriteStartObject();
                writer.WriteString(PickleFormat.AssemblyEntry.Name, assembly.GetName().Name);
                writer.WriteString(PickleFormat.AssemblyEntry.Identity, assembly.FullName);
                writer.WriteString(PickleFormat.AssemblyEntry.Mvid, assembly.ManifestModule.ModuleVersionId.ToString());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray(PickleFormat.Body.Types);
            foreach (var (type, layout) in _entries)
            {
                writer.WriteStartObject();
                if (type.IsArray)
                {
                    writer.WriteNumber(PickleFormat.TypeEntry.Element, _types[type.GetElementType()!]);
                    writer.WriteNumber(PickleFormat.TypeEntry.Rank, type.GetArrayRank());
                }
                else
                {
                    writer.WriteNumber(PickleFormat.TypeEntry.Assembly, _assemblies[type.Assembly]);
                    writer.WriteString(PickleFormat.TypeEntry.Name, type.IsGenericType ? type.GetGenericTypeDefinition().FullName : type.FullName);
                    if (type.IsGenericType)
                    {
                        writer.WriteStartArray(PickleFormat.TypeEntry.Arguments);
                        foreach (var argument in type.GetGenericArguments())
                        {
                            writer.WriteNumberValue(_types[argument]);
                        }

                        writer.WriteEndArray();
                    }
                }

                if (layout)
                {
                    writer.WriteString(PickleFormat.TypeEntry.Layout, StateMachineLayout.Of(type).Hash);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
    }

    /// <summary>
    /// Resolves the type table of a pickle under the caller's allow-list, entry by entry in order (an entry may only refer
    /// to earlier ones, so there is no recursion and no cycle), within <see cref="PickleOptions.MaxTypes"/> entries and
    /// <see cref="PickleOptions.MaxNestingDepth"/> levels of nesting.
    /// </summary>
    internal sealed class Reader
    {
        private readonly PickleOptions _options;
        private readonly List<AssemblyRow> _assemblies = [];
        private readonly List<Type> _types = [];
        private readonly List<string?> _layouts = [];
        private readonly List<int> _depths = [];

        public Reader(PickleOptions options) => _options = options;

        /// <summary>The number of entries.</summary>
        public int Count => _types.Count;

        /// <summary>Reads the assembly table; <paramref name="reader"/> is on its StartArray.</summary>
        public void ReadAssemblies(ref PickleJson reader)
        {
            while (reader.NextInArray())
            {
                if (_assemblies.Count >= _options.MaxTypes)
                {
                    throw reader.Error($"The assembly table has more than {_options.MaxTypes} entries (PickleOptions.MaxTypes).");
                }

                string? name = null, identity = null, mvid = null;
                reader.Expect(JsonTokenType.StartObject);
                while (reader.NextProperty(out var key))
                {
                    switch (key)
                    {
                        case PickleFormat.AssemblyEntry.Name: name = reader.ReadString(); break;
                        case PickleFormat.AssemblyEntry.Identity: identity = reader.ReadString(); break;
                        case PickleFormat.AssemblyEntry.Mvid: mvid = reader.ReadString(); break;
                        default: throw reader.UnknownProperty(key);
                    }
                }

                if (name is null || mvid is null)
                {
                    throw reader.Error("An entry of the assembly table has no name or module version id.");
                }

                _assemblies.Add(new AssemblyRow(name, identity ?? name, mvid));
            }
        }

        /// <summary>Reads and resolves the type table; <paramref name="reader"/> is on its StartArray.</summary>
        public void ReadTypes(ref PickleJson reader)
        {
            while (reader.NextInArray())
            {
                var index = _types.Count;
                if (index >= _options.MaxTypes)
                {
                    throw reader.Error($"The type table has more than {_options.MaxTypes} entries (PickleOptions.MaxTypes).");
                }

                int? assembly = null, element = null, rank = null;
                string? name = null, layout = null;
                List<int>? arguments = null;
                reader.Expect(JsonTokenType.StartObject);
                while (reader.NextProperty(out var key))
                {
                    switch (key)
                    {
                        case PickleFormat.TypeEntry.Assembly: assembly = reader.ReadIndex(_assemblies.Count, "assembly"); break;
                        case PickleFormat.TypeEntry.Name: name = reader.ReadString(); break;
                        case PickleFormat.TypeEntry.Element: element = ReadEarlier(ref reader, index); break;
                        case PickleFormat.TypeEntry.Rank: rank = reader.ReadInt32(); break;
                        case PickleFormat.TypeEntry.Layout: layout = reader.ReadString(); break;
                        case PickleFormat.TypeEntry.Arguments:
                            arguments = [];
                            reader.Expect(JsonTokenType.StartArray);
                            while (reader.NextInArray())
                            {
                                if (arguments.Count >= 64)
                                {
                                    throw reader.Error("A type entry has more than 64 generic arguments.");
                                }

                                arguments.Add(ReadEarlier(ref reader, index));
                            }

                            break;
                        default: throw reader.UnknownProperty(key);
                    }
                }

                var (type, depth) = element is { } e
                    ? (assembly is null && name is null && arguments is null ? MakeArray(ref reader, e, rank) : throw reader.Error($"Type entry #{index} mixes an array with a named type."), _depths[e] + 1)
                    : (assembly is { } a && name is not null && rank is null ? ResolveNamed(ref reader, index, a, name, arguments) : throw reader.Error($"Type entry #{index} is neither a named type nor an array."), 1 + (arguments?.Count > 0 ? arguments.Max(i => _depths[i]) : 0));
                if (depth > _options.MaxNestingDepth)
                {
                    throw reader.Error($"Type entry #{index} nests deeper than {_options.MaxNestingDepth} levels (PickleOptions.MaxNestingDepth).");
                }

                _types.Add(type);
                _layouts.Add(layout);
                _depths.Add(depth);
            }
        }

        /// <summary>A reference from type entry <paramref name="index"/> to another entry, which must come before it (so the table has no cycle).</summary>
        private static int ReadEarlier(ref PickleJson reader, int index)
        {
            var other = reader.ReadInt32();
            return other >= 0 && other < index
                ? other
                : throw reader.Error($"Type entry #{index} refers to type #{other}; an entry may only refer to entries before it.");
        }

        /// <summary>The type at <paramref name="index"/>, which the caller read from the data.</summary>
        public Type this[int index] => _types[index];

        /// <summary>The type at <paramref name="index"/>, whose fields the pickle sets: its layout hash must be recorded and match.</summary>
        public Type WithLayout(ref PickleJson reader, int index)
        {
            var type = _types[index];
            var layout = _layouts[index] ?? throw reader.Error(
                $"The pickle holds the fields of {Describe(type)} without the hash of its layout; every such type must carry one (a pickle whose hashes were removed is refused).");
            var actual = StateMachineLayout.Of(type).Hash;
            if (!string.Equals(actual, layout, StringComparison.Ordinal))
            {
                throw reader.Error(
                    $"The layout of {Describe(type)} differs from the build that wrote the pickle (fields or field types changed: hash {layout} in the pickle, {actual} here): its fields cannot be restored by this build.");
            }

            return type;
        }

        private Type MakeArray(ref PickleJson reader, int element, int? rank)
        {
            var elementType = _types[element];
            if (rank is not { } r || r < 1 || r > MaxArrayRank)
            {
                throw reader.Error($"An array type has rank {rank?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; ranks go from 1 to {MaxArrayRank}.");
            }

            if (elementType.IsByRefLike || elementType.ContainsGenericParameters || elementType == typeof(void) || elementType.IsAbstract && elementType.IsSealed)
            {
                throw reader.Error($"{Describe(elementType)} cannot be the element type of an array.");
            }

            return r == 1 ? elementType.MakeArrayType() : elementType.MakeArrayType(r);
        }

        private Type ResolveNamed(ref PickleJson reader, int index, int assemblyIndex, string name, List<int>? arguments)
        {
            var row = _assemblies[assemblyIndex];
            Type? definition;
            var allowed = _options.FindAllowed(row.Name);
            if (allowed is not null)
            {
                if (!_options.AllowOtherBuilds && allowed != typeof(Tasklet).Assembly
                    && !(Guid.TryParse(row.Mvid, out var mvid) && mvid == allowed.ManifestModule.ModuleVersionId))
                {
                    throw reader.Error(
                        $"The pickle was written by another build of {row.Identity} (module version {row.Mvid}; this process has {allowed.ManifestModule.ModuleVersionId}). Its frames may not match this code; set PickleOptions.AllowOtherBuilds to accept a build whose state machine layouts are identical.");
                }

                if (!TypesOf(allowed).TryGetValue(name, out definition))
                {
                    throw reader.Error($"The type {name} does not exist in {row.Name}.");
                }
            }
            else if (!Safe.TryGetValue(name, out definition))
            {
                throw reader.Error(
                    $"The pickle names the type {name} of assembly {row.Name}, which is not allowed: call PickleOptions.Allow with that assembly if you trust it.");
            }

            var count = arguments?.Count ?? 0;
            if (definition.IsGenericTypeDefinition != count > 0 || (count > 0 && definition.GetGenericArguments().Length != count))
            {
                throw reader.Error($"Type entry #{index} gives {count} generic arguments to {name}.");
            }

            if (count == 0)
            {
                return definition;
            }

            var types = new Type[count];
            for (var i = 0; i < count; i++)
            {
                types[i] = _types[arguments![i]];
                if (types[i].IsByRefLike || types[i].ContainsGenericParameters || types[i] == typeof(void))
                {
                    throw reader.Error($"{Describe(types[i])} cannot be a generic argument.");
                }
            }

            try
            {
                return definition.MakeGenericType(types);
            }
            catch (ArgumentException ex)
            {
                throw reader.Error($"The pickle names an invalid instantiation of {name}: {ex.Message}");
            }
        }

        private static Dictionary<string, Type> TypesOf(Assembly assembly) => AssemblyTypes.GetValue(assembly, static a =>
        {
            Type?[] types;
            try
            {
                types = a.GetTypes();
            }
            catch (ReflectionTypeLoadException ex)
            {
                types = ex.Types;
            }

            var byName = new Dictionary<string, Type>(StringComparer.Ordinal);
            foreach (var type in types)
            {
                if (type?.FullName is { } fullName)
                {
                    byName.TryAdd(fullName, type);
                }
            }

            return byName;
        });

        private readonly record struct AssemblyRow(string Name, string Identity, string Mvid);
    }
}
