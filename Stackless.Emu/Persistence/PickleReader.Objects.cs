using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>The object table: shells first, then delegates and views, then contents, so references and cycles resolve.</summary>
internal sealed partial class PickleReader
{
    /// <summary>The kinds of object-table entry.</summary>
    private enum ShellKind
    {
        Fields,
        Value,
        Delegate,
        Collection,
        View,
    }

    /// <summary>An entry of the object table as read in the first pass.</summary>
    private struct ObjectShell
    {
        public ShellKind Kind;
        public Type Type;
        public PickleCollection? Collection;
        public int Count;
        public int Content;
        public int? Comparer;
        public int Declaring;
        public string? Method;
        public string? Signature;
    }

    /// <summary>
    /// Restores the object table in passes: (A) an empty shell for each entry (uninitialized by-fields objects, empty
    /// lists, values of the serializer); (B) sets and maps (with their comparers), dictionary views, delegates; (C) the
    /// fields of by-fields objects (an enumerator field waits for its collection); (D) lists and arrays; (E) sets and
    /// maps, after the objects that may be their keys are complete; (F) the enumerator fields left from (C).
    /// </summary>
    private void ReadObjects()
    {
        var count = _graph.Objects.Count;
        for (var i = 0; i < count; i++)
        {
            if (_shells[i].Kind == ShellKind.Collection && _shells[i].Collection!.Shape != CollectionShape.List)
            {
                CreateKeyedCollection(i);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (_shells[i].Kind == ShellKind.View)
            {
                CreateView(i);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (_shells[i].Kind == ShellKind.Delegate)
            {
                CreateDelegate(i);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (_shells[i].Kind == ShellKind.Fields)
            {
                FillFields(i);
            }
        }

        foreach (var shape in new[] { CollectionShape.List, CollectionShape.Set })
        {
            for (var i = 0; i < count; i++)
            {
                if (_shells[i].Kind == ShellKind.Collection && (_shells[i].Collection!.Shape == CollectionShape.List) == (shape == CollectionShape.List))
                {
                    FillCollection(i);
                }
            }
        }

        _enumeratorsReady = true;
        foreach (var (target, field, offset, where) in _deferredEnumerators)
        {
            var reader = At(offset, where);
            field.SetValue(target, ReadValue(ref reader, field.FieldType));
        }
    }

    /// <summary>The methods delegates of this pickle point to, found once per declaring type, name and signature.</summary>
    private readonly Dictionary<(Type Declaring, string Name, string Signature), MethodInfo?> _methods = [];

    /// <summary>Whether collections are complete, so enumerators over them can be rebuilt.</summary>
    private bool _enumeratorsReady;

    private static PickleLocation ObjectWhere(int i) => PickleLocation.Root.Numbered("object", i);

    /// <summary>Pass (A), as the body is read: the shell of each entry of the object table.</summary>
    private void ReadObjectShells(ref PickleJson reader)
    {
        var shells = new List<ObjectShell>();
        var objects = new List<object?>();
        while (reader.NextInArray())
        {
            var i = shells.Count;
            reader.Where = ObjectWhere(i);
            Count(ref reader, 1);
            reader.Expect(JsonTokenType.StartObject);
            _graph.Objects.Add(reader.Offset);
            var (shell, value) = ReadShell(ref reader);
            shells.Add(shell);
            objects.Add(value);
        }

        _shells = [.. shells];
        _objects = [.. objects];
    }

    /// <summary>Reads one entry of the object table (the reader is on its StartObject, and ends on its EndObject).</summary>
    private (ObjectShell Shell, object? Value) ReadShell(ref PickleJson reader)
    {
        object? created = null;
        if (!reader.NextProperty(out var kind))
        {
            throw reader.Error("An entry of the object table is empty.");
        }

        var shell = new ObjectShell { Type = _types[reader.ReadIndex(_types.Count, "type")] };
        var type = shell.Type;
        switch (kind)
        {
            case PickleFormat.ObjectEntry.Fields:
                shell.Kind = ShellKind.Fields;
                type = _types.WithLayout(ref reader, reader.ReadInt32());
                CheckByFields(ref reader, type);
                if (type.IsValueType)
                {
                    throw reader.Error($"{PickleTypes.Describe(type)} is a struct; the object table holds objects.");
                }

                shell.Content = RequireOnly(ref reader, PickleFormat.ObjectEntry.FieldValues, JsonTokenType.StartObject);
                created = RuntimeHelpers.GetUninitializedObject(type);
                break;
            case PickleFormat.ObjectEntry.Value:
                shell.Kind = ShellKind.Value;
                if (type.IsValueType || !PicklePolicy.MaySerialize(type, _options))
                {
                    throw reader.Error($"The serializer may not build a {PickleTypes.Describe(type)}: it is not a class of an allowed assembly (PickleOptions.Allow) other than Stackless.Emu, or it is handled by the pickler itself.");
                }

                if (!reader.NextProperty(out var data) || data != PickleFormat.ObjectEntry.Data)
                {
                    throw reader.Error("A serialized object has no data.");
                }

                created = Deserialize(ref reader, type) ?? throw reader.Error($"The serializer made null of a {PickleTypes.Describe(type)}.");
                if (reader.NextProperty(out var extra))
                {
                    throw reader.UnknownProperty(extra);
                }

                break;
            case PickleFormat.ObjectEntry.Delegate:
                shell.Kind = ShellKind.Delegate;
                if (!typeof(MulticastDelegate).IsAssignableFrom(type) || type == typeof(MulticastDelegate))
                {
                    throw reader.Error($"The pickle names {PickleTypes.Describe(type)} as a delegate type.");
                }

                ReadDelegateShape(ref reader, ref shell);
                break;
            case PickleFormat.ObjectEntry.List or PickleFormat.ObjectEntry.Set or PickleFormat.ObjectEntry.Map:
                shell.Kind = ShellKind.Collection;
                shell.Collection = PickleCollection.For(type);
                var expected = kind switch
                {
                    PickleFormat.ObjectEntry.List => CollectionShape.List,
                    PickleFormat.ObjectEntry.Set => CollectionShape.Set,
                    _ => CollectionShape.Map,
                };
                if (shell.Collection is null || shell.Collection.Shape != expected)
                {
                    throw reader.Error($"The pickle names {PickleTypes.Describe(type)} as a {kind}.");
                }

                ReadCollectionShape(ref reader, ref shell);
                if (expected == CollectionShape.List)
                {
                    created = shell.Collection!.Create(shell.Count, null);
                }

                break;
            case PickleFormat.ObjectEntry.View:
                shell.Kind = ShellKind.View;
                if (PickleEnumerator.ViewName(type) is null)
                {
                    throw reader.Error($"The pickle names {PickleTypes.Describe(type)} as a dictionary view.");
                }

                shell.Content = RequireOnly(ref reader, PickleFormat.ObjectEntry.Of, JsonTokenType.StartObject);
                break;
            default:
                throw reader.Error($"Unknown kind of object \"{kind}\".");
        }

        shell.Type = type;
        return (shell, created);
    }

    /// <summary>Reads the one remaining property, which must be <paramref name="name"/>; returns where its value starts.</summary>
    private static int RequireOnly(ref PickleJson reader, string name, JsonTokenType token)
    {
        if (!reader.NextProperty(out var key) || key != name)
        {
            throw reader.Error($"Expected the property \"{name}\".");
        }

        reader.Expect(token);
        var offset = reader.Offset;
        reader.Skip();
        if (reader.NextProperty(out var extra))
        {
            throw reader.UnknownProperty(extra);
        }

        return offset;
    }

    private void ReadCollectionShape(ref PickleJson reader, ref ObjectShell shell)
    {
        var contentKey = shell.Collection!.Shape == CollectionShape.Map ? PickleFormat.ObjectEntry.Entries : PickleFormat.ObjectEntry.Items;
        int? content = null, comparer = null;
        while (reader.NextProperty(out var key))
        {
            if (key == PickleFormat.ObjectEntry.Comparer && shell.Collection.Shape != CollectionShape.List)
            {
                reader.OnceValue(ref comparer, reader.Offset, key);
                reader.Skip();
            }
            else if (key == contentKey)
            {
                reader.Expect(JsonTokenType.StartArray);
                reader.OnceValue(ref content, reader.Offset, key);
                var count = 0;
                while (reader.NextInArray())
                {
                    count++;
                    reader.Skip();
                }

                Count(ref reader, count);
                shell.Count = count;
            }
            else
            {
                throw reader.UnknownProperty(key);
            }
        }

        shell.Content = content ?? throw reader.Error($"A collection has no \"{contentKey}\".");
        shell.Comparer = comparer;
    }

    private void CreateKeyedCollection(int i)
    {
        ref var shell = ref _shells[i];
        object? comparer = null;
        if (shell.Comparer is { } offset)
        {
            var reader = At(offset, ObjectWhere(i).Part("the comparer"));
            comparer = ReadComparer(ref reader);
            if (comparer is not null && !shell.Collection!.AcceptsComparer(comparer))
            {
                throw reader.Error($"A {comparer.GetType().Name} cannot compare the elements of a {PickleTypes.Describe(shell.Type)}.");
            }
        }

        _objects[i] = shell.Collection!.Create(shell.Count, comparer);
    }

    private object? ReadComparer(ref PickleJson reader)
    {
        if (reader.TokenType == JsonTokenType.StartObject && FirstKey(reader) == PickleFormat.Value.Comparer)
        {
            reader.NextProperty(out _);
            var name = reader.ReadString();
            var comparer = PickleCollection.Named(name) ?? throw reader.Error($"Unknown comparer \"{name}\".");
            if (reader.NextProperty(out var extra))
            {
                throw reader.UnknownProperty(extra);
            }

            return comparer;
        }

        return ReadValue(ref reader, typeof(object));
    }

    private void CreateView(int i)
    {
        var shell = _shells[i];
        var reader = At(shell.Content, ObjectWhere(i).Part("the dictionary of the view"));
        var dictionary = ReadValue(ref reader, typeof(object));
        if (dictionary is null || dictionary.GetType() != PickleEnumerator.ViewOwner(shell.Type))
        {
            throw reader.Error($"A {PickleTypes.Describe(shell.Type)} must show a {PickleTypes.Describe(PickleEnumerator.ViewOwner(shell.Type))}.");
        }

        _objects[i] = PickleEnumerator.View(dictionary, PickleEnumerator.ViewName(shell.Type)!);
    }

    private void ReadDelegateShape(ref PickleJson reader, ref ObjectShell shell)
    {
        int? declaring = null, target = null;
        string? method = null, signature = null;
        while (reader.NextProperty(out var key))
        {
            switch (key)
            {
                case PickleFormat.ObjectEntry.Declaring: reader.OnceValue(ref declaring, reader.ReadIndex(_types.Count, "type"), key); break;
                case PickleFormat.ObjectEntry.Method: reader.Once(ref method, reader.ReadString(), key); break;
                case PickleFormat.ObjectEntry.Signature: reader.Once(ref signature, reader.ReadString(), key); break;
                case PickleFormat.ObjectEntry.Target: reader.OnceValue(ref target, reader.Offset, key); reader.Skip(); break;
                default: throw reader.UnknownProperty(key);
            }
        }

        shell.Declaring = declaring ?? throw reader.Error("A delegate has no declaring type.");
        shell.Method = method ?? throw reader.Error("A delegate has no method.");
        shell.Signature = signature ?? throw reader.Error("A delegate has no signature.");
        shell.Content = target ?? throw reader.Error("A delegate has no target.");
    }

    private void CreateDelegate(int i)
    {
        var shell = _shells[i];
        var reader = At(_graph.Objects[i], ObjectWhere(i));
        var declaring = _types[shell.Declaring];
        if (!_options.IsAllowed(declaring.Assembly) || PicklePolicy.IsLibrary(declaring.Assembly) || typeof(Delegate).IsAssignableFrom(declaring))
        {
            throw reader.Error($"The pickle holds a delegate to a method of {PickleTypes.Describe(declaring)}, which is not a type of an allowed assembly.");
        }

        if (!_methods.TryGetValue((declaring, shell.Method!, shell.Signature!), out var method))
        {
            foreach (var candidate in declaring.GetMethods(AnyMethod))
            {
                if (candidate.Name == shell.Method && !candidate.IsGenericMethodDefinition && PickleWriter.Signature(candidate) == shell.Signature)
                {
                    method = candidate;
                    break;
                }
            }

            _methods[(declaring, shell.Method!, shell.Signature!)] = method;
        }

        if (method is null)
        {
            throw reader.Error($"The method {shell.Method}({shell.Signature}) of {PickleTypes.Describe(declaring)} does not exist.");
        }

        if (PicklePolicy.WhyNotDelegateTarget(method) is { } problem)
        {
            throw reader.Error($"A delegate may not be restored to this method: {problem}.");
        }

        var targetReader = At(shell.Content, ObjectWhere(i).Part("the target"));
        var target = ReadValue(ref targetReader, typeof(object));
        Delegate? created;
        if (method.IsStatic)
        {
            created = target is null ? Delegate.CreateDelegate(shell.Type, method, throwOnBindFailure: false) : null;
        }
        else
        {
            created = target is not null && declaring.IsInstanceOfType(target) && target is not Delegate
                ? Delegate.CreateDelegate(shell.Type, target, method, throwOnBindFailure: false)
                : null;
        }

        _objects[i] = created ?? throw reader.Error($"A {PickleTypes.Describe(shell.Type)} cannot be made of {method.Name} with that target.");
    }

    private void FillFields(int i)
    {
        var shell = _shells[i];
        var target = _objects[i]!;
        var reader = At(shell.Content, ObjectWhere(i).Named("object", PickleTypes.Describe(shell.Type)));
        ReadFields(ref reader, target, deferEnumerators: true);
        if (StateMachineStates.IsIterator(shell.Type))
        {
            var states = StateMachineStates.Of(shell.Type);
            var state = (int)shell.Type.GetField(StateMachineStates.StateField, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.GetValue(target)!;
            if (states.Problem is not null || !PickleWriter.IteratorStateIsKnown(states, state))
            {
                throw reader.Error($"The iterator {PickleTypes.Describe(shell.Type)} has state {state}, which its code never sets.");
            }
        }
    }

    private void FillCollection(int i)
    {
        var shell = _shells[i];
        var collection = shell.Collection!;
        var target = _objects[i]!;
        var where = ObjectWhere(i).Named("object", PickleTypes.Describe(shell.Type));
        var reader = At(shell.Content, where);
        if (TryFillDirect(ref reader, target))
        {
            return;
        }

        var element = where.Counter(collection.Shape == CollectionShape.Map ? "entry" : "element");
        reader.Where = element;
        var index = 0;
        while (reader.NextInArray())
        {
            element.Index = index;
            object? item, value = null;
            if (collection.Shape == CollectionShape.Map)
            {
                reader.Expect(JsonTokenType.StartArray);
                reader.Next();
                item = ReadValue(ref reader, collection.ItemType);
                reader.Next();
                value = ReadValue(ref reader, collection.ValueType!);
                reader.Next();
                reader.Expect(JsonTokenType.EndArray);
            }
            else
            {
                item = ReadValue(ref reader, collection.ItemType);
            }

            bool added;
            try
            {
                added = collection.Add(target, index, item, value);
            }
            catch (Exception ex) when (ex is not UnpicklingException)
            {
                throw reader.Error($"The element cannot be added to the {PickleTypes.Describe(shell.Type)}: {ex.GetType().Name}: {ex.Message}");
            }

            if (!added)
            {
                throw reader.Error($"The {PickleTypes.Describe(shell.Type)} has this element twice (or a null key).");
            }

            index++;
        }
    }

    /// <summary>Fills lists and arrays of numbers, booleans and strings without boxing each element.</summary>
    private static bool TryFillDirect(ref PickleJson reader, object target)
    {
        var i = 0;
        switch (target)
        {
            case List<int> list:
                while (reader.NextInArray())
                {
                    list.Add(reader.ReadInt32());
                }

                return true;
            case int[] array:
                while (reader.NextInArray())
                {
                    array[i++] = reader.ReadInt32();
                }

                return true;
            case List<long> list:
                while (reader.NextInArray())
                {
                    list.Add(reader.ReadInt64());
                }

                return true;
            case long[] array:
                while (reader.NextInArray())
                {
                    array[i++] = reader.ReadInt64();
                }

                return true;
            case List<double> list:
                while (reader.NextInArray())
                {
                    list.Add(reader.ReadDouble());
                }

                return true;
            case double[] array:
                while (reader.NextInArray())
                {
                    array[i++] = reader.ReadDouble();
                }

                return true;
            case List<bool> list:
                while (reader.NextInArray())
                {
                    list.Add(reader.ReadBoolean());
                }

                return true;
            case List<string> list:
                while (reader.NextInArray())
                {
                    list.Add(reader.ReadNullableString()!);
                }

                return true;
            case string[] array:
                while (reader.NextInArray())
                {
                    array[i++] = reader.ReadNullableString()!;
                }

                return true;
            default:
                return false;
        }
    }

    /// <summary>Sets every field of <paramref name="target"/> (an object, or a boxed struct) from a <c>{name: value}</c> object.</summary>
    private void ReadFields(ref PickleJson reader, object target, bool deferEnumerators)
    {
        var layout = StateMachineLayout.Of(target.GetType());
        var seen = new bool[layout.Fields.Count];
        var where = reader.Where;
        reader.Expect(JsonTokenType.StartObject);
        while (reader.NextProperty(out var key))
        {
            if (!layout.IndexOf.TryGetValue(key, out var index))
            {
                throw reader.Error($"{PickleTypes.Describe(target.GetType())} has no field {key}.");
            }

            if (seen[index])
            {
                throw reader.Duplicate(key);
            }

            seen[index] = true;
            var field = layout.Fields[index].Field;
            reader.Where = where.Named("field", key);
            if (deferEnumerators && reader.TokenType == JsonTokenType.StartObject && FirstKey(reader) == PickleFormat.Value.Enumerator)
            {
                _deferredEnumerators.Add((target, field, reader.Offset, reader.Where));
                reader.Skip();
                continue;
            }

            field.SetValue(target, ReadValue(ref reader, field.FieldType));
        }

        reader.Where = where;
        var missing = Array.IndexOf(seen, false);
        if (missing >= 0)
        {
            throw reader.Error($"The pickle has no value for field {layout.Fields[missing].Key} of {PickleTypes.Describe(target.GetType())}.");
        }
    }

    /// <summary>The first property name of the object the reader is on (the reader does not move).</summary>
    private static string? FirstKey(PickleJson reader) => reader.NextProperty(out var key) ? key : null;

    private void CheckByFields(ref PickleJson reader, Type type)
    {
        if (!_options.IsAllowed(type.Assembly))
        {
            throw reader.Error($"The pickle would set the fields of {PickleTypes.Describe(type)}, which is not a type of an allowed assembly.");
        }

        if (PicklePolicy.WhyNotByFields(type) is { } problem)
        {
            throw reader.Error($"The pickle would set the fields of {PickleTypes.Describe(type)}, which the pickler may not: {problem}.");
        }
    }
}
