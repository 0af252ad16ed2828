using System.Collections;
using System.Collections.Concurrent;

namespace Stackless.Emu;

/// <summary>The three shapes of collection in the object table.</summary>
internal enum CollectionShape
{
    /// <summary>Elements in order: lists, arrays, queues, stacks, linked lists.</summary>
    List,

    /// <summary>Unique elements with an optional comparer: hash sets, sorted sets.</summary>
    Set,

    /// <summary>Key/value entries with an optional comparer: dictionaries, sorted dictionaries, sorted lists.</summary>
    Map,
}

/// <summary>
/// The BCL collections the pickler writes and rebuilds itself, element by element through its own graph (so elements
/// may be channels, tasklets, delegates, [PickleByFields] objects, and shared objects stay shared), through their
/// public API only: lists, SZ arrays, queues, stacks, linked lists, hash sets, sorted sets, dictionaries, sorted
/// dictionaries and sorted lists. A comparer that is not the default one is saved too (the BCL's string comparers by
/// name, others as values).
/// </summary>
internal abstract class PickleCollection
{
    private static readonly ConcurrentDictionary<Type, PickleCollection?> Cache = new();

    private static readonly Dictionary<Type, Type> Codecs = new()
    {
        [typeof(List<>)] = typeof(ListCodec<>),
        [typeof(Queue<>)] = typeof(QueueCodec<>),
        [typeof(Stack<>)] = typeof(StackCodec<>),
        [typeof(LinkedList<>)] = typeof(LinkedListCodec<>),
        [typeof(HashSet<>)] = typeof(HashSetCodec<>),
        [typeof(SortedSet<>)] = typeof(SortedSetCodec<>),
        [typeof(Dictionary<,>)] = typeof(DictionaryCodec<,>),
        [typeof(SortedDictionary<,>)] = typeof(SortedDictionaryCodec<,>),
        [typeof(SortedList<,>)] = typeof(SortedListCodec<,>),
    };

    /// <summary>The collection type definitions, for the safe type list.</summary>
    public static IEnumerable<Type> Definitions => Codecs.Keys;

    /// <summary>The shape of the collection.</summary>
    public abstract CollectionShape Shape { get; }

    /// <summary>The element type (a map's key type).</summary>
    public abstract Type ItemType { get; }

    /// <summary>A map's value type (null for lists and sets).</summary>
    public virtual Type? ValueType => null;

    /// <summary>The codec of <paramref name="type"/>, or null when the pickler does not handle it itself.</summary>
    public static PickleCollection? For(Type type) => Cache.GetOrAdd(type, static t =>
    {
        if (t.IsSZArray)
        {
            return (PickleCollection)Activator.CreateInstance(typeof(ArrayCodec<>).MakeGenericType(t.GetElementType()!))!;
        }

        return t.IsGenericType && Codecs.TryGetValue(t.GetGenericTypeDefinition(), out var codec)
            ? (PickleCollection)Activator.CreateInstance(codec.MakeGenericType(t.GetGenericArguments()))!
            : null;
    });

    /// <summary>The number of elements or entries.</summary>
    public abstract int Count(object collection);

    /// <summary>The elements in the order they are rebuilt in (a stack: bottom first), or the entries as (key, value).</summary>
    public abstract IEnumerable<(object? Item, object? Value)> Items(object collection);

    /// <summary>The comparer when it is not the default one, else null.</summary>
    public virtual object? Comparer(object collection) => null;

    /// <summary>Whether <paramref name="comparer"/> may be this collection's comparer.</summary>
    public virtual bool AcceptsComparer(object comparer) => false;

    /// <summary>An empty collection with room for <paramref name="count"/> elements (an array of that length).</summary>
    public abstract object Create(int count, object? comparer);

    /// <summary>Adds element <paramref name="index"/> (a map's entry: key and value); false when a set or map already has it.</summary>
    public abstract bool Add(object collection, int index, object? item, object? value);

    /// <summary>The name of a BCL string comparer, or null when <paramref name="comparer"/> is not one.</summary>
    public static string? NameOf(object comparer) =>
        ReferenceEquals(comparer, StringComparer.Ordinal) ? nameof(StringComparer.Ordinal)
        : ReferenceEquals(comparer, StringComparer.OrdinalIgnoreCase) ? nameof(StringComparer.OrdinalIgnoreCase)
        : ReferenceEquals(comparer, StringComparer.InvariantCulture) ? nameof(StringComparer.InvariantCulture)
        : ReferenceEquals(comparer, StringComparer.InvariantCultureIgnoreCase) ? nameof(StringComparer.InvariantCultureIgnoreCase)
        : null;

    /// <summary>The BCL string comparer named <paramref name="name"/>, or null.</summary>
    public static StringComparer? Named(string name) => name switch
    {
        nameof(StringComparer.Ordinal) => StringComparer.Ordinal,
        nameof(StringComparer.OrdinalIgnoreCase) => StringComparer.OrdinalIgnoreCase,
        nameof(StringComparer.InvariantCulture) => StringComparer.InvariantCulture,
        nameof(StringComparer.InvariantCultureIgnoreCase) => StringComparer.InvariantCultureIgnoreCase,
        _ => null,
    };

    private abstract class Sequence<T> : PickleCollection
    {
        public override CollectionShape Shape => CollectionShape.List;

        public override Type ItemType => typeof(T);

        public override int Count(object collection) => ((ICollection<T>)collection).Count;

        public override IEnumerable<(object? Item, object? Value)> Items(object collection)
        {
            foreach (var item in (IEnumerable<T>)collection)
            {
                yield return (item, null);
            }
        }
    }

    private sealed class ArrayCodec<T> : Sequence<T>
    {
        public override object Create(int count, object? comparer) => new T[count];

        public override bool Add(object collection, int index, object? item, object? value)
        {
            ((T[])collection)[index] = (T)item!;
            return true;
        }
    }

    private sealed class ListCodec<T> : Sequence<T>
    {
        public override object Create(int count, object? comparer) => new List<T>(count);

        public override bool Add(object collection, int index, object? item, object? value)
        {
            ((List<T>)collection).Add((T)item!);
            return true;
        }
    }

    private sealed class QueueCodec<T> : Sequence<T>
    {
        public override int Count(object collection) => ((Queue<T>)collection).Count;

        public override object Create(int count, object? comparer) => new Queue<T>(count);

        public override bool Add(object collection, int index, object? item, object? value)
        {
            ((Queue<T>)collection).Enqueue((T)item!);
            return true;
        }
    }

    private sealed class StackCodec<T> : Sequence<T>
    {
        public override int Count(object collection) => ((Stack<T>)collection).Count;

        public override IEnumerable<(object? Item, object? Value)> Items(object collection)
        {
            var items = ((Stack<T>)collection).ToArray(); // top first
            for (var i = items.Length - 1; i >= 0; i--)
            {
                yield return (items[i], null);
            }
        }

        public override object Create(int count, object? comparer) => new Stack<T>(count);

        public override bool Add(object collection, int index, object? item, object? value)
        {
            ((Stack<T>)collection).Push((T)item!);
            return true;
        }
    }

    private sealed class LinkedListCodec<T> : Sequence<T>
    {
        public override object Create(int count, object? comparer) => new LinkedList<T>();

        public override bool Add(object collection, int index, object? item, object? value)
        {
            ((LinkedList<T>)collection).AddLast((T)item!);
            return true;
        }
    }

    private abstract class SetCodec<T> : PickleCollection
    {
        public override CollectionShape Shape => CollectionShape.Set;

        public override Type ItemType => typeof(T);

        public override int Count(object collection) => ((ICollection<T>)collection).Count;

        public override IEnumerable<(object? Item, object? Value)> Items(object collection)
        {
            foreach (var item in (IEnumerable<T>)collection)
            {
                yield return (item, null);
            }
        }

        public override bool Add(object collection, int index, object? item, object? value) => ((ISet<T>)collection).Add((T)item!);
    }

    private sealed class HashSetCodec<T> : SetCodec<T>
    {
        public override object? Comparer(object collection) =>
            ((HashSet<T>)collection).Comparer is var comparer && ReferenceEquals(comparer, EqualityComparer<T>.Default) ? null : comparer;

        public override bool AcceptsComparer(object comparer) => comparer is IEqualityComparer<T>;

        public override object Create(int count, object? comparer) => new HashSet<T>(count, (IEqualityComparer<T>?)comparer);
    }

    private sealed class SortedSetCodec<T> : SetCodec<T>
    {
        public override object? Comparer(object collection) =>
            ((SortedSet<T>)collection).Comparer is var comparer && ReferenceEquals(comparer, Comparer<T>.Default) ? null : comparer;

        public override bool AcceptsComparer(object comparer) => comparer is IComparer<T>;

        public override object Create(int count, object? comparer) => new SortedSet<T>((IComparer<T>?)comparer);
    }

    private abstract class MapCodec<TKey, TValue> : PickleCollection
        where TKey : notnull
    {
        public override CollectionShape Shape => CollectionShape.Map;

        public override Type ItemType => typeof(TKey);

        public override Type? ValueType => typeof(TValue);

        public override int Count(object collection) => ((ICollection<KeyValuePair<TKey, TValue>>)collection).Count;

        public override IEnumerable<(object? Item, object? Value)> Items(object collection)
        {
            foreach (var (key, value) in (IEnumerable<KeyValuePair<TKey, TValue>>)collection)
            {
                yield return (key, value);
            }
        }

        public override bool Add(object collection, int index, object? item, object? value)
        {
            var map = (IDictionary<TKey, TValue>)collection;
            var key = (TKey)item!;
            if (key is null || map.ContainsKey(key))
            {
                return false;
            }

            map.Add(key, (TValue)value!);
            return true;
        }
    }

    private sealed class DictionaryCodec<TKey, TValue> : MapCodec<TKey, TValue>
        where TKey : notnull
    {
        public override object? Comparer(object collection) =>
            ((Dictionary<TKey, TValue>)collection).Comparer is var comparer && ReferenceEquals(comparer, EqualityComparer<TKey>.Default) ? null : comparer;

        public override bool AcceptsComparer(object comparer) => comparer is IEqualityComparer<TKey>;

        public override object Create(int count, object? comparer) => new Dictionary<TKey, TValue>(count, (IEqualityComparer<TKey>?)comparer);
    }

    private sealed class SortedDictionaryCodec<TKey, TValue> : MapCodec<TKey, TValue>
        where TKey : notnull
    {
        public override object? Comparer(object collection) =>
            ((SortedDictionary<TKey, TValue>)collection).Comparer is var comparer && ReferenceEquals(comparer, Comparer<TKey>.Default) ? null : comparer;

        public override bool AcceptsComparer(object comparer) => comparer is IComparer<TKey>;

        public override object Create(int count, object? comparer) => new SortedDictionary<TKey, TValue>((IComparer<TKey>?)comparer);
    }

    private sealed class SortedListCodec<TKey, TValue> : MapCodec<TKey, TValue>
        where TKey : notnull
    {
        public override object? Comparer(object collection) =>
            ((SortedList<TKey, TValue>)collection).Comparer is var comparer && ReferenceEquals(comparer, Comparer<TKey>.Default) ? null : comparer;

        public override bool AcceptsComparer(object comparer) => comparer is IComparer<TKey>;

        public override object Create(int count, object? comparer) => new SortedList<TKey, TValue>(count, (IComparer<TKey>?)comparer);
    }
}

/// <summary>
/// The enumerators of the BCL collections (<c>foreach</c> over a <see cref="List{T}"/>, <see cref="Dictionary{TKey, TValue}"/>
/// and its <c>Keys</c>/<c>Values</c>, <see cref="HashSet{T}"/>, <see cref="Queue{T}"/>, <see cref="Stack{T}"/>,
/// <see cref="LinkedList{T}"/>, and an array seen as an <see cref="IEnumerable{T}"/>), and the dictionary views. An
/// enumerator is saved as the collection it walks and how far it got, found on a copy through the public API (the
/// elements still to come, and whether <c>Current</c> is valid), and rebuilt by asking the restored collection for a new
/// enumerator and moving it as far. The collection is found in the enumerator as its one field of the collection's type
/// (no field is read by name). The cost is one pass over the collection per enumerator, on pickling and on loading.
/// </summary>
internal sealed class PickleEnumerator
{
    private static readonly ConcurrentDictionary<Type, PickleEnumerator?> Cache = new();

    /// <summary>The BCL's enumerator of a T[] seen as an IEnumerable&lt;T&gt; (an internal class of the core library).</summary>
    private static readonly Type ArrayEnumerator = ((IEnumerable<int>)new int[1]).GetEnumerator().GetType().GetGenericTypeDefinition();

    private static readonly Dictionary<Type, (Type Owner, string? View)> Known = new()
    {
        [typeof(List<>.Enumerator)] = (typeof(List<>), null),
        [typeof(Dictionary<,>.Enumerator)] = (typeof(Dictionary<,>), null),
        [typeof(Dictionary<,>.KeyCollection.Enumerator)] = (typeof(Dictionary<,>), "Keys"),
        [typeof(Dictionary<,>.ValueCollection.Enumerator)] = (typeof(Dictionary<,>), "Values"),
        [typeof(HashSet<>.Enumerator)] = (typeof(HashSet<>), null),
        [typeof(Queue<>.Enumerator)] = (typeof(Queue<>), null),
        [typeof(Stack<>.Enumerator)] = (typeof(Stack<>), null),
        [typeof(LinkedList<>.Enumerator)] = (typeof(LinkedList<>), null),
        [ArrayEnumerator] = (typeof(Array), null),
    };

    private static readonly Dictionary<Type, string> Views = new()
    {
        [typeof(Dictionary<,>.KeyCollection)] = "Keys",
        [typeof(Dictionary<,>.ValueCollection)] = "Values",
    };

    private readonly System.Reflection.FieldInfo _collection;
    private readonly Func<object, IEnumerator> _enumerate;

    private PickleEnumerator(Type type, Type owner, System.Reflection.FieldInfo collection, Func<object, IEnumerator> enumerate)
    {
        Type = type;
        Owner = owner;
        _collection = collection;
        _enumerate = enumerate;
    }

    /// <summary>The enumerator and view type definitions, for the safe type list.</summary>
    public static IEnumerable<Type> Definitions => Known.Keys.Concat(Views.Keys);

    /// <summary>The enumerator type.</summary>
    public Type Type { get; }

    /// <summary>The collection type it walks (for the views' enumerators: the dictionary).</summary>
    public Type Owner { get; }

    /// <summary>The handler of enumerator type <paramref name="type"/>, or null when it is not one of the BCL's the pickler knows.</summary>
    public static PickleEnumerator? For(Type type) => Cache.GetOrAdd(type, static t =>
    {
        if (!t.IsGenericType || !Known.TryGetValue(t.GetGenericTypeDefinition(), out var known))
        {
            return null;
        }

        var arguments = t.GetGenericArguments();
        var owner = known.Owner == typeof(Array) ? arguments[0].MakeArrayType() : known.Owner.MakeGenericType(arguments);
        var field = t.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public)
            .SingleOrDefault(f => f.FieldType == owner);
        if (field is null)
        {
            return null;
        }

        var enumerate = typeof(PickleEnumerator).GetMethod(nameof(Enumerate), System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)!
            .MakeGenericMethod(arguments.Length == 2 && known.View == "Values" ? arguments[1] : known.Owner == typeof(Dictionary<,>) && known.View is null
                ? typeof(KeyValuePair<,>).MakeGenericType(arguments)
                : arguments[0])
            .CreateDelegate<Func<object, IEnumerator>>();
        var view = known.View is null ? null : owner.GetProperty(known.View)!;
        return new PickleEnumerator(t, owner, field, view is null ? enumerate : c => enumerate(view.GetValue(c)!));
    });

    /// <summary>The dictionary view (<c>Keys</c> or <c>Values</c>) a view type shows, or null when <paramref name="type"/> is not a view.</summary>
    public static string? ViewName(Type type) =>
        type.IsGenericType && Views.TryGetValue(type.GetGenericTypeDefinition(), out var view) ? view : null;

    /// <summary>The dictionary type whose view <paramref name="viewType"/> is.</summary>
    public static Type ViewOwner(Type viewType) => typeof(Dictionary<,>).MakeGenericType(viewType.GetGenericArguments());

    /// <summary>The view of <paramref name="dictionary"/> named <paramref name="view"/>.</summary>
    public static object View(object dictionary, string view) => dictionary.GetType().GetProperty(view)!.GetValue(dictionary)!;

    /// <summary>
    /// Where a copy of <paramref name="enumerator"/> (boxed) stands: the collection (null for a default, never-used
    /// enumerator), the number of elements it has moved past, and whether it ran off the end.
    /// </summary>
    /// <exception cref="InvalidOperationException">The collection was changed after the enumerator was created.</exception>
    /// <exception cref="NotSupportedException">The enumerator is a dictionary's non-generic one.</exception>
    public (object? Collection, int Moved, bool Ended) Position(object enumerator)
    {
        var collection = _collection.GetValue(enumerator);
        if (collection is null)
        {
            return (null, 0, false);
        }

        var total = 0;
        var fresh = _enumerate(collection);
        while (fresh.MoveNext())
        {
            total++;
        }

        // Work on a copy: the enumerator of a field is shared with the frame that owns it (the struct ones are copied).
        var copy = enumerator.GetType().IsValueType ? System.Runtime.CompilerServices.RuntimeHelpers.GetObjectValue(enumerator)! : Clone(enumerator);
        var positioned = true;
        try
        {
            if (((IEnumerator)copy).Current is System.Collections.DictionaryEntry)
            {
                throw new NotSupportedException("holds the non-generic IDictionary enumerator of a dictionary, which cannot be pickled: enumerate the dictionary itself (KeyValuePair), or its Keys or Values");
            }
        }
        catch (InvalidOperationException)
        {
            positioned = false;
        }

        var remaining = 0;
        while (((IEnumerator)copy).MoveNext())
        {
            remaining++;
        }

        var moved = total - remaining;
        return positioned ? (collection, moved, false) : (collection, remaining == 0 && total > 0 ? total : 0, remaining == 0 && total > 0);
    }

    /// <summary>A new enumerator (boxed) of <paramref name="collection"/>, moved <paramref name="moved"/> times (and once more past the end when <paramref name="ended"/>); null when the collection is too short.</summary>
    public object? Rebuild(object collection, int moved, bool ended)
    {
        var enumerator = _enumerate(collection);
        if (enumerator.GetType() != Type)
        {
            return null;
        }

        for (var i = 0; i < moved; i++)
        {
            if (!enumerator.MoveNext())
            {
                return null;
            }
        }

        if (ended && enumerator.MoveNext())
        {
            return null;
        }

        return enumerator;
    }

    private static IEnumerator Enumerate<T>(object collection) => ((IEnumerable<T>)collection).GetEnumerator();

    /// <summary>A copy of a class enumerator (the array one), made field by field like MemberwiseClone.</summary>
    private static object Clone(object enumerator)
    {
        var copy = System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(enumerator.GetType());
        for (var type = enumerator.GetType(); type is not null && type != typeof(object); type = type.BaseType)
        {
            foreach (var field in type.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.DeclaredOnly))
            {
                field.SetValue(copy, field.GetValue(enumerator));
            }
        }

        return copy;
    }
}
