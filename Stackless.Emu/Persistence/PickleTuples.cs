using System.Collections.Concurrent;
using System.Reflection;

namespace Stackless.Emu;

/// <summary>
/// Tuples (<see cref="ValueTuple{T1}"/>..., <see cref="Tuple{T1}"/>...) and <see cref="KeyValuePair{TKey, TValue}"/>,
/// which the pickler writes inline item by item (so items may be channels, tasklets or shared objects) and rebuilds
/// through their public constructor. An eight-item tuple's last item is its <c>Rest</c> tuple.
/// </summary>
internal sealed class PickleTuple
{
    private static readonly ConcurrentDictionary<Type, PickleTuple?> Cache = new();

    private static readonly HashSet<Type> Definitions =
    [
        typeof(ValueTuple<>), typeof(ValueTuple<,>), typeof(ValueTuple<,,>), typeof(ValueTuple<,,,>),
        typeof(ValueTuple<,,,,>), typeof(ValueTuple<,,,,,>), typeof(ValueTuple<,,,,,,>), typeof(ValueTuple<,,,,,,,>),
        typeof(Tuple<>), typeof(Tuple<,>), typeof(Tuple<,,>), typeof(Tuple<,,,>), typeof(Tuple<,,,,>),
        typeof(Tuple<,,,,,>), typeof(Tuple<,,,,,,>), typeof(Tuple<,,,,,,,>), typeof(KeyValuePair<,>),
    ];

    private readonly Func<object, object?>[] _getters;
    private readonly ConstructorInfo _constructor;

    private PickleTuple(Type type)
    {
        ItemTypes = type.GetGenericArguments();
        var names = type.GetGenericTypeDefinition() == typeof(KeyValuePair<,>)
            ? ["Key", "Value"]
            : Enumerable.Range(1, ItemTypes.Length).Select(i => i == 8 ? "Rest" : "Item" + i).ToArray();
        _getters = names.Select(name => type.GetField(name) is { } field
            ? (Func<object, object?>)field.GetValue
            : type.GetProperty(name)!.GetValue).ToArray();
        _constructor = type.GetConstructor(ItemTypes)!;
    }

    /// <summary>The tuple type definitions, for the safe type list.</summary>
    public static IEnumerable<Type> SafeTypes => Definitions;

    /// <summary>The declared types of the items.</summary>
    public Type[] ItemTypes { get; }

    /// <summary>The handler of <paramref name="type"/>, or null when it is not a tuple or key/value pair.</summary>
    public static PickleTuple? For(Type type) => Cache.GetOrAdd(type, static t =>
        t.IsGenericType && !t.ContainsGenericParameters && Definitions.Contains(t.GetGenericTypeDefinition()) ? new PickleTuple(t) : null);

    /// <summary>The items of <paramref name="tuple"/>, in constructor order.</summary>
    public IEnumerable<object?> Items(object tuple) => _getters.Select(get => get(tuple));

    /// <summary>A tuple of <paramref name="items"/>, which must match <see cref="ItemTypes"/>.</summary>
    public object Create(object?[] items) => _constructor.Invoke(items);
}
