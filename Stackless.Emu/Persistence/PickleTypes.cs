using System.Reflection;
using System.Text;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// The type table of a pickle. Types are written structurally (assembly, name, generic arguments) and resolved on load
/// only among the assemblies the caller allowed (<see cref="PickleOptions.Allow"/>) and a fixed list of harmless BCL
/// types: no assembly is ever loaded, and no type is ever looked up, by a name the data supplies alone.
/// </summary>
internal static class PickleTypes
{
    /// <summary>BCL types a pickle may name although their assembly is not allowed: values and collections of values.</summary>
    private static readonly Dictionary<string, Type> Safe = BuildSafeList();

    private static Dictionary<string, Type> BuildSafeList()
    {
        Type[] types =
        [
            typeof(object), typeof(bool), typeof(byte), typeof(sbyte), typeof(char), typeof(short), typeof(ushort),
            typeof(int), typeof(uint), typeof(long), typeof(ulong), typeof(float), typeof(double), typeof(decimal),
            typeof(string), typeof(DateTime), typeof(DateTimeOffset), typeof(TimeSpan), typeof(Guid), typeof(DateOnly),
            typeof(TimeOnly), typeof(Half), typeof(Int128), typeof(UInt128),
            typeof(Task), typeof(Task<>), typeof(ValueTask), typeof(ValueTask<>),
            typeof(List<>), typeof(Dictionary<,>), typeof(HashSet<>), typeof(Queue<>), typeof(Stack<>),
            typeof(SortedDictionary<,>), typeof(SortedList<,>), typeof(SortedSet<>), typeof(LinkedList<>),
            typeof(KeyValuePair<,>), typeof(Nullable<>),
            typeof(ValueTuple<>), typeof(ValueTuple<,>), typeof(ValueTuple<,,>), typeof(ValueTuple<,,,>),
            typeof(ValueTuple<,,,,>), typeof(ValueTuple<,,,,,>), typeof(ValueTuple<,,,,,,>), typeof(ValueTuple<,,,,,,,>),
            typeof(Tuple<>), typeof(Tuple<,>), typeof(Tuple<,,>), typeof(Tuple<,,,>), typeof(Tuple<,,,,>),
            typeof(Tuple<,,,,,>), typeof(Tuple<,,,,,,>), typeof(Tuple<,,,,,,,>),
            typeof(Func<>), typeof(Func<,>), typeof(Func<,,>), typeof(Func<,,,>), typeof(Func<,,,,>),
            typeof(Action), typeof(Action<>), typeof(Action<,>), typeof(Action<,,>), typeof(Action<,,,>),
        ];
        var safe = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var type in types)
        {
            safe[type.FullName!] = type;
        }

        return safe;
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

            if (type.IsByRef || type.IsPointer || type.IsGenericTypeDefinition || type.IsGenericParameter)
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
            writer.WriteStartArray("types");
            foreach (var (type, layout) in _entries)
            {
                writer.WriteStartObject();
                if (type.IsArray)
                {
                    writer.WriteNumber("e", _types[type.GetElementType()!]);
                    writer.WriteNumber("r", type.GetArrayRank());
                }
                else
                {
                    writer.WriteNumber("a", _assemblies[type.Assembly]);
                    writer.WriteString("n", type.IsGenericType ? type.GetGenericTypeDefinition().FullName : type.FullName);
                    if (type.IsGenericType)
                    {
                        writer.WriteStartArray("g");
                        foreach (var argument in type.GetGenericArguments())
                        {
                            writer.WriteNumberValue(_types[argument]);
                        }

                        writer.WriteEndArray();
                    }

                    if (layout)
                    {
                        writer.WriteString("l", StateMachineLayout.Of(type).Hash);
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteStartArray("assemblies");
            foreach (var assembly in _assemblyList)
            {
                writer.WriteStartObject();
                writer.WriteString("name", assembly.GetName().Name);
                writer.WriteString("identity", assembly.FullName);
                writer.WriteString("mvid", assembly.ManifestModule.ModuleVersionId.ToString());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }
    }

    /// <summary>Resolves the type table of a pickle under the caller's allow-list.</summary>
    internal sealed class Reader
    {
        private readonly JsonElement _types;
        private readonly JsonElement _assemblies;
        private readonly PickleOptions _options;
        private readonly Dictionary<int, Type> _resolved = [];

        public Reader(JsonElement types, JsonElement assemblies, PickleOptions options)
        {
            _types = types;
            _assemblies = assemblies;
            _options = options;
        }

        /// <summary>The type at <paramref name="index"/>; checks its layout hash when the pickle recorded one.</summary>
        public Type Resolve(int index)
        {
            if (_resolved.TryGetValue(index, out var type))
            {
                return type;
            }

            if (index < 0 || index >= _types.GetArrayLength())
            {
                throw new UnpicklingException($"The pickle refers to type #{index}, which its type table does not have.");
            }

            var entry = _types[index];
            if (entry.TryGetProperty("e", out var element))
            {
                var elementType = Resolve(element.GetInt32());
                var rank = entry.GetProperty("r").GetInt32();
                type = rank == 1 ? elementType.MakeArrayType() : elementType.MakeArrayType(rank);
            }
            else
            {
                type = ResolveNamed(entry);
            }

            if (entry.TryGetProperty("l", out var layout))
            {
                var actual = StateMachineLayout.Of(type).Hash;
                if (actual != layout.GetString())
                {
                    throw new UnpicklingException(
                        $"The layout of {Describe(type)} differs from the build that wrote the pickle (fields or field types changed: hash {layout.GetString()} in the pickle, {actual} here): the pickled frames cannot be resumed by this build.");
                }
            }

            _resolved[index] = type;
            return type;
        }

        private Type ResolveNamed(JsonElement entry)
        {
            var name = entry.GetProperty("n").GetString() ?? throw new UnpicklingException("A type entry has no name.");
            var assemblyEntry = _assemblies[entry.GetProperty("a").GetInt32()];
            var assemblyName = assemblyEntry.GetProperty("name").GetString() ?? string.Empty;
            Type? definition;
            var allowed = _options.FindAllowed(assemblyName);
            if (allowed is not null)
            {
                var mvid = assemblyEntry.GetProperty("mvid").GetString();
                if (!_options.AllowOtherBuilds && allowed != typeof(Tasklet).Assembly
                    && mvid != allowed.ManifestModule.ModuleVersionId.ToString())
                {
                    throw new UnpicklingException(
                        $"The pickle was written by another build of {assemblyEntry.GetProperty("identity").GetString()} (module version {mvid}; this process has {allowed.ManifestModule.ModuleVersionId}). Its frames may not match this code; set PickleOptions.AllowOtherBuilds to accept a build whose state machine layouts are identical.");
                }

                definition = allowed.GetType(name, throwOnError: false);
                if (definition is null)
                {
                    throw new UnpicklingException($"The type {name} no longer exists in {assemblyName}.");
                }
            }
            else if (!Safe.TryGetValue(name, out definition) && !TryExceptionType(assemblyName, name, out definition))
            {
                throw new UnpicklingException(
                    $"The pickle names the type {name} of assembly {assemblyName}, which is not allowed: call PickleOptions.Allow with that assembly if you trust it.");
            }

            if (!entry.TryGetProperty("g", out var generic))
            {
                return definition;
            }

            var arguments = new Type[generic.GetArrayLength()];
            for (var i = 0; i < arguments.Length; i++)
            {
                arguments[i] = Resolve(generic[i].GetInt32());
            }

            try
            {
                return definition.MakeGenericType(arguments);
            }
            catch (ArgumentException ex)
            {
                throw new UnpicklingException($"The pickle names an invalid instantiation of {name}.", ex);
            }
        }

        /// <summary>Exceptions of the core library are allowed (they are rebuilt from their message only).</summary>
        private static bool TryExceptionType(string assemblyName, string name, out Type definition)
        {
            definition = null!;
            var core = typeof(object).Assembly;
            if (assemblyName != core.GetName().Name)
            {
                return false;
            }

            var type = core.GetType(name, throwOnError: false);
            if (type is null || !typeof(Exception).IsAssignableFrom(type))
            {
                return false;
            }

            definition = type;
            return true;
        }
    }
}
