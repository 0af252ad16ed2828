using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace Stackless.Emu;

/// <summary>
/// The instance fields of a type the pickler saves field by field (a state machine, a closure, an iterator, a
/// <c>[PickleByFields]</c> object), and a hash of that layout, recorded in the pickle and compared on load so a
/// different build is refused instead of resuming corrupted state.
/// </summary>
internal sealed class StateMachineLayout
{
    private const BindingFlags InstanceFields = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private static readonly ConcurrentDictionary<Type, StateMachineLayout> Cache = new();

    private StateMachineLayout(Type type)
    {
        Type = type;
        var fields = new List<(string Key, FieldInfo Field)>();
        var depth = 0;
        for (var current = type; current is not null && current != typeof(object) && current != typeof(ValueType); current = current.BaseType, depth++)
        {
            foreach (var field in current.GetFields(InstanceFields))
            {
                fields.Add((depth == 0 ? field.Name : $"{current.Name}::{field.Name}", field));
            }
        }

        fields.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
        Fields = fields;
        IndexOf = new Dictionary<string, int>(fields.Count, StringComparer.Ordinal);
        for (var i = 0; i < fields.Count; i++)
        {
            IndexOf[fields[i].Key] = i;
        }

        var text = new StringBuilder(type.IsValueType ? "struct " : "class ").Append(PickleTypes.Describe(type)).Append('\n');
        foreach (var (key, field) in fields)
        {
            text.Append(key).Append(':').Append(PickleTypes.Describe(field.FieldType)).Append('\n');
        }

        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())).AsSpan(0, 12));
        Roles = [.. fields.Select(f => RoleOf(f.Key, f.Field.FieldType))];
        State = IndexOf.TryGetValue(StateMachineStates.StateField, out var state) ? state : -1;
    }

    /// <summary>The type.</summary>
    public Type Type { get; }

    /// <summary>Every instance field (inherited ones keyed <c>Base::name</c>), sorted by key.</summary>
    public List<(string Key, FieldInfo Field)> Fields { get; }

    /// <summary>The position in <see cref="Fields"/> of each key.</summary>
    public Dictionary<string, int> IndexOf { get; }

    /// <summary>What each field of <see cref="Fields"/> is to a frame.</summary>
    public FieldRole[] Roles { get; }

    /// <summary>The position of the state field (<c>&lt;&gt;1__state</c>) in <see cref="Fields"/>, or -1.</summary>
    public int State { get; }

    /// <summary>A hash of the type's kind, name and fields (names and types).</summary>
    public string Hash { get; }

    /// <summary>The layout of <paramref name="type"/>.</summary>
    public static StateMachineLayout Of(Type type) => Cache.GetOrAdd(type, static t => new StateMachineLayout(t));

    private static FieldRole RoleOf(string key, Type type) =>
        FrameAwaiters.ResultTypeOf(type) is not null ? FieldRole.Builder
        : AwaiterKinds.Classify(type) is FrameAwait.Child or FrameAwait.Library ? FieldRole.Awaiter
        : key.StartsWith(StateMachineStates.AwaiterFieldPrefix, StringComparison.Ordinal) ? FieldRole.ForeignAwaiter
        : key == StateMachineStates.ThisField ? FieldRole.This
        : FieldRole.Value;
}

/// <summary>What a field of a state machine is to the pickler.</summary>
internal enum FieldRole
{
    /// <summary>A plain value (parameter, local, wrap field).</summary>
    Value,

    /// <summary>The TaskletFrame builder: rebuilt on load, never saved.</summary>
    Builder,

    /// <summary>An awaiter of a child frame or of a library operation: saved as a token.</summary>
    Awaiter,

    /// <summary>An awaiter of anything else: must be cleared (its await completed).</summary>
    ForeignAwaiter,

    /// <summary>The <c>this</c> of an instance method: must be compiler-generated or [PickleByFields].</summary>
    This,
}
