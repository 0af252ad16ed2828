using System.Globalization;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>Values: primitives, references, exceptions, tuples, structs, enumerators, and what the serializer builds.</summary>
internal sealed partial class PickleReader
{
    /// <summary>Reads a value written by <see cref="PickleWriter"/> for a slot declared as <paramref name="declared"/>.</summary>
    private object? ReadValue(ref PickleJson reader, Type declared)
    {
        object? value;
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return declared.IsValueType && Nullable.GetUnderlyingType(declared) is null ? RuntimeHelpers.GetUninitializedObject(declared) : null;
            case JsonTokenType.StartObject when FirstKey(reader) is ['$', ..] key:
                value = ReadSpecial(ref reader, key, declared);
                break;
            case JsonTokenType.String when declared != typeof(string) && declared.IsAssignableFrom(typeof(string)):
                value = reader.ReadString(); // a string in a field of type object (or an interface string has)
                break;
            case JsonTokenType.True or JsonTokenType.False when declared != typeof(bool) && declared.IsAssignableFrom(typeof(bool)):
                value = reader.ReadBoolean();
                break;
            default:
                var type = Nullable.GetUnderlyingType(declared) ?? declared;
                value = IsDirect(type) ? ReadDirect(ref reader, type) : Serialized(ref reader, type);
                break;
        }

        if (value is not null && !declared.IsInstanceOfType(value))
        {
            throw reader.Error($"The pickle holds a {PickleTypes.Describe(value.GetType())} where a {PickleTypes.Describe(declared)} is declared.");
        }

        return value;
    }

    /// <summary>Types written as plain JSON by the pickler itself: strings, booleans, numbers and chars.</summary>
    private static bool IsDirect(Type type) => type == typeof(string) || (type.IsPrimitive && type != typeof(nint) && type != typeof(nuint));

    private static object ReadDirect(ref PickleJson reader, Type type)
    {
        if (type == typeof(string))
        {
            return reader.ReadString();
        }

        if (type == typeof(bool))
        {
            return reader.ReadBoolean();
        }

        if (type == typeof(char))
        {
            var text = reader.ReadString();
            return text.Length == 1 ? text[0] : throw reader.Error("A char must be a string of one character.");
        }

        if ((type == typeof(double) || type == typeof(float)) && reader.TokenType == JsonTokenType.String)
        {
            var special = reader.ReadString() switch
            {
                PickleFormat.Value.NaN => double.NaN,
                PickleFormat.Value.PositiveInfinity => double.PositiveInfinity,
                PickleFormat.Value.NegativeInfinity => double.NegativeInfinity,
                _ => throw reader.Error("Expected a number, NaN or an infinity."),
            };
            return type == typeof(float) ? (float)special : special;
        }

        reader.Expect(JsonTokenType.Number);
        ref var raw = ref reader.Raw;
        object? number = Type.GetTypeCode(type) switch
        {
            TypeCode.Int32 => raw.TryGetInt32(out var v) ? v : null,
            TypeCode.Int64 => raw.TryGetInt64(out var v) ? v : null,
            TypeCode.Double => raw.TryGetDouble(out var v) && double.IsFinite(v) ? v : null,
            TypeCode.Single => raw.TryGetSingle(out var v) && float.IsFinite(v) ? v : null,
            TypeCode.Byte => raw.TryGetByte(out var v) ? v : null,
            TypeCode.SByte => raw.TryGetSByte(out var v) ? v : null,
            TypeCode.Int16 => raw.TryGetInt16(out var v) ? v : null,
            TypeCode.UInt16 => raw.TryGetUInt16(out var v) ? v : null,
            TypeCode.UInt32 => raw.TryGetUInt32(out var v) ? v : null,
            TypeCode.UInt64 => raw.TryGetUInt64(out var v) ? v : null,
            _ => null,
        };
        return number ?? throw reader.Error($"The number does not fit a {type.Name}.");
    }

    private object? ReadSpecial(ref PickleJson reader, string key, Type declared)
    {
        Count(ref reader, 1);
        reader.NextProperty(out _);
        object? value;
        switch (key)
        {
            case PickleFormat.Value.Tasklet:
                value = _tasklets[reader.ReadIndex(_tasklets.Length, "tasklet")];
                break;
            case PickleFormat.Value.Channel:
                value = _channels[reader.ReadIndex(_channels.Length, "channel")];
                break;
            case PickleFormat.Value.Ref:
                var id = reader.ReadIndex(_objects.Length, "object");
                value = _objects[id] ?? throw reader.Error($"The pickle refers to object #{id} before it can be restored (a delegate's target or a view's dictionary must not be a delegate or a view).");
                break;
            case PickleFormat.Value.Exception:
                var exceptionType = _types[reader.ReadIndex(_types.Count, "type")];
                if (!reader.NextProperty(out var messageKey) || messageKey != PickleFormat.Value.Message)
                {
                    throw reader.Error("An exception has no message.");
                }

                value = CreateException(ref reader, exceptionType, reader.ReadNullableString());
                break;
            case PickleFormat.Value.Typed:
                var type = _types[reader.ReadIndex(_types.Count, "type")];
                if (!reader.NextProperty(out var dataKey) || dataKey != PickleFormat.ObjectEntry.Data)
                {
                    throw reader.Error("A typed value has no data.");
                }

                if (!declared.IsAssignableFrom(type))
                {
                    throw reader.Error($"The pickle holds a {PickleTypes.Describe(type)} where a {PickleTypes.Describe(declared)} is declared.");
                }

                value = IsDirect(type) ? ReadDirect(ref reader, type) : Serialized(ref reader, type);
                break;
            case PickleFormat.Value.Fields:
                var structType = _types.WithLayout(ref reader, reader.ReadIndex(_types.Count, "type"));
                CheckByFields(ref reader, structType);
                if (!structType.IsValueType)
                {
                    throw reader.Error($"{PickleTypes.Describe(structType)} is not a struct.");
                }

                if (!reader.NextProperty(out var fieldsKey) || fieldsKey != PickleFormat.ObjectEntry.FieldValues)
                {
                    throw reader.Error("A struct has no fields.");
                }

                value = RuntimeHelpers.GetUninitializedObject(structType);
                ReadFields(ref reader, value, deferEnumerators: false);
                break;
            case PickleFormat.Value.Tuple:
                value = ReadTuple(ref reader, _types[reader.ReadIndex(_types.Count, "type")]);
                break;
            case PickleFormat.Value.Enumerator:
                return ReadEnumerator(ref reader, _types[reader.ReadIndex(_types.Count, "type")]); // reads up to its end itself
            default:
                throw reader.Error($"Unexpected \"{key}\" here.");
        }

        if (reader.NextProperty(out var extra))
        {
            throw reader.UnknownProperty(extra);
        }

        return value;
    }

    private object ReadTuple(ref PickleJson reader, Type type)
    {
        var tuple = PickleTuple.For(type) ?? throw reader.Error($"{PickleTypes.Describe(type)} is not a tuple.");
        if (!reader.NextProperty(out var key) || key != PickleFormat.Value.Items)
        {
            throw reader.Error("A tuple has no items.");
        }

        reader.Expect(JsonTokenType.StartArray);
        Count(ref reader, tuple.ItemTypes.Length);
        var items = new object?[tuple.ItemTypes.Length];
        for (var i = 0; i < items.Length; i++)
        {
            if (!reader.NextInArray())
            {
                throw reader.Error($"A {PickleTypes.Describe(type)} needs {items.Length} items.");
            }

            items[i] = ReadValue(ref reader, tuple.ItemTypes[i]);
        }

        if (reader.NextInArray())
        {
            throw reader.Error($"A {PickleTypes.Describe(type)} has {items.Length} items, not more.");
        }

        return tuple.Create(items);
    }

    private object ReadEnumerator(ref PickleJson reader, Type type)
    {
        var enumerator = PickleEnumerator.For(type) ?? throw reader.Error($"{PickleTypes.Describe(type)} is not an enumerator the pickler restores.");
        if (!_enumeratorsReady)
        {
            throw reader.Error("An enumerator inside a struct or tuple of an object cannot be restored (only as a field of a frame, a closure, an iterator or a [PickleByFields] object).");
        }

        object? collection = null;
        int? moved = null;
        bool? ended = null;
        var where = reader.Where;
        while (reader.NextProperty(out var key))
        {
            switch (key)
            {
                case PickleFormat.Value.Of:
                    reader.Where = where.Part("the collection of the enumerator");
                    reader.Once(ref collection, ReadValue(ref reader, typeof(object)) ?? throw reader.Error("An enumerator walks no collection."), key);
                    reader.Where = where;
                    break;
                case PickleFormat.Value.Moved: reader.OnceValue(ref moved, reader.ReadInt32(), key); break;
                case PickleFormat.Value.Ended: reader.OnceValue(ref ended, reader.ReadBoolean(), key); break;
                default: throw reader.UnknownProperty(key);
            }
        }

        if (collection is null || collection.GetType() != enumerator.Owner || moved is not { } count || count < 0 || ended is not { } end)
        {
            throw reader.Error($"A {PickleTypes.Describe(type)} needs the {PickleTypes.Describe(enumerator.Owner)} it walks, how far it moved, and whether it ended.");
        }

        Count(ref reader, count); // rebuilding walks the collection this far: a pickle cannot make it walk more than MaxItems
        return enumerator.Rebuild(collection, count, end)
            ?? throw reader.Error($"A {PickleTypes.Describe(type)} cannot have moved {count} times{(end ? " and past the end" : string.Empty)} through its collection.");
    }

    private static Exception CreateException(ref PickleJson reader, Type type, string? message)
    {
        if (!typeof(Exception).IsAssignableFrom(type) || type.IsAbstract || type.ContainsGenericParameters)
        {
            throw reader.Error($"The pickle names {PickleTypes.Describe(type)} as an exception type.");
        }

        try
        {
            if (type.GetConstructor([typeof(string)]) is { } withMessage)
            {
                return (Exception)withMessage.Invoke([message]);
            }

            if (type.GetConstructor(Type.EmptyTypes) is { } parameterless)
            {
                var exception = (Exception)parameterless.Invoke(null);
                if (message is not null && exception.Message != message)
                {
                    exception.Data["Stackless.Emu.PickledMessage"] = message;
                }

                return exception;
            }
        }
        catch (TargetInvocationException ex)
        {
            throw reader.Error($"The exception {PickleTypes.Describe(type)} cannot be rebuilt: {ex.InnerException?.Message}");
        }

        throw reader.Error($"The exception {PickleTypes.Describe(type)} cannot be rebuilt: it has no public constructor taking a message or nothing.");
    }

    /// <summary>A value the serializer builds; only for types <see cref="PicklePolicy.MaySerialize"/> allows.</summary>
    private object? Serialized(ref PickleJson reader, Type type)
    {
        if (!PicklePolicy.MaySerialize(type, _options))
        {
            throw reader.Error(PicklePolicy.IsLibrary(type.Assembly) || !_options.IsAllowed((type.IsGenericType ? type.GetGenericTypeDefinition() : type).Assembly)
                ? $"The pickle asks the serializer for a {PickleTypes.Describe(type)}, which is not a type of an allowed assembly (PickleOptions.Allow) or a BCL value type."
                : $"The pickle asks the serializer for a {PickleTypes.Describe(type)}, which the pickler handles itself.");
        }

        return Deserialize(ref reader, type);
    }

    private object? Deserialize(ref PickleJson reader, Type type)
    {
        var depth = reader.Raw.CurrentDepth;
        var start = reader.TokenType;
        object? value;
        try
        {
            value = _options.Serializer.Deserialize(ref reader.Raw, type);
        }
        catch (UnpicklingException)
        {
            throw;
        }
#pragma warning disable CA1031 // The serializer builds user types: whatever their constructors and setters throw is a bad pickle.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw reader.Error($"The serializer cannot read a {PickleTypes.Describe(type)}: {ex.GetType().Name}: {ex.Message}");
        }

        var ends = start switch
        {
            JsonTokenType.StartObject => reader.TokenType == JsonTokenType.EndObject,
            JsonTokenType.StartArray => reader.TokenType == JsonTokenType.EndArray,
            _ => true,
        };
        if (!ends || reader.Raw.CurrentDepth != depth)
        {
            throw reader.Error("The serializer did not read exactly one value.");
        }

        if (value is not null && !type.IsInstanceOfType(value))
        {
            throw reader.Error($"The serializer made a {PickleTypes.Describe(value.GetType())} for a {PickleTypes.Describe(type)}.");
        }

        return value;
    }

    // ---------------------------------------------------------------- frames

    /// <summary>Rebuilds the frames of tasklet <paramref name="id"/>, outermost first, each checked against its await points.</summary>
    private FrameBox[] ReadFrames(int id)
    {
        var shape = _graph.Tasklets[id];
        var taskletWhere = PickleLocation.Root.Numbered("tasklet", id);
        var count = shape.Frames.Count;
        var boxes = new FrameBox[count];
        var machines = new object[count];
        var fieldOffsets = new int[count];
        for (var i = 0; i < count; i++)
        {
            var reader = At(shape.Frames[i], taskletWhere.Numbered("frame", i));
            int? machine = null, fields = null;
            while (reader.NextProperty(out var key))
            {
                switch (key)
                {
                    case PickleFormat.Frame.StateMachine: reader.OnceValue(ref machine, reader.ReadIndex(_types.Count, "type"), key); break;
                    case PickleFormat.Frame.Fields:
                        reader.Expect(JsonTokenType.StartObject);
                        reader.OnceValue(ref fields, reader.Offset, key);
                        reader.Skip();
                        break;
                    default: throw reader.UnknownProperty(key);
                }
            }

            if (machine is not { } sm || fields is not { } offset)
            {
                throw reader.Error("A frame needs its state machine type and its fields.");
            }

            var type = _types.WithLayout(ref reader, sm);
            var result = CheckFrameType(ref reader, type);
            boxes[i] = FrameAwaiters.CreateBox(type, result);
            machines[i] = RuntimeHelpers.GetUninitializedObject(type);
            fieldOffsets[i] = offset;
        }

        for (var i = 0; i < count; i++)
        {
            var reader = At(fieldOffsets[i], taskletWhere.Named("frame", boxes[i].MethodName));
            ReadFrameFields(ref reader, shape, id, boxes, machines[i], i);
            boxes[i].SetStateMachine(machines[i]);
        }

        for (var i = 0; i + 1 < count; i++)
        {
            boxes[i + 1].SetParent(boxes[i]);
        }

        if (count > 0 && !shape.Started)
        {
            boxes[0].Awaiting = FrameAwait.NotStarted;
        }

        return boxes;
    }

    /// <summary>Checks that <paramref name="type"/> is the state machine of a TaskletFrame method of an allowed assembly; returns its result type.</summary>
    private Type CheckFrameType(ref PickleJson reader, Type type)
    {
        if (!typeof(IAsyncStateMachine).IsAssignableFrom(type) || !_options.IsAllowed(type.Assembly)
            || StateMachineStates.AsyncMethodOf(type) is not { } method || !FrameAwaiters.IsTaskletFrame(method.ReturnType)
            || (PicklePolicy.IsLibrary(type.Assembly) && !PicklePolicy.IsResumableLibraryFrame(method)))
        {
            throw reader.Error($"The pickle names {PickleTypes.Describe(type)} as a frame, which is not the state machine of a TaskletFrame method of an allowed assembly.");
        }

        var layout = StateMachineLayout.Of(type);
        var builder = Array.IndexOf(layout.Roles, FieldRole.Builder);
        return builder >= 0 && layout.State >= 0
            ? FrameAwaiters.ResultTypeOf(layout.Fields[builder].Field.FieldType)!
            : throw reader.Error($"{PickleTypes.Describe(type)} has no TaskletFrame builder or no state.");
    }

    private void ReadFrameFields(ref PickleJson reader, PickleGraph.TaskletShape shape, int id, FrameBox[] boxes, object machine, int i)
    {
        var box = boxes[i];
        var innermost = i == boxes.Length - 1;
        var layout = StateMachineLayout.Of(machine.GetType());
        var seen = new bool[layout.Fields.Count];
        var where = reader.Where;
        FieldInfo? tokenField = null;
        string? token = null;
        reader.Expect(JsonTokenType.StartObject);
        while (reader.NextProperty(out var key))
        {
            if (!layout.IndexOf.TryGetValue(key, out var index))
            {
                throw reader.Error($"The frame has no field {key}.");
            }

            if (seen[index])
            {
                throw reader.Duplicate(key);
            }

            seen[index] = true;
            var field = layout.Fields[index].Field;
            var type = field.FieldType;
            var role = layout.Roles[index];
            reader.Where = where.Named("field", key);
            if (role == FieldRole.Builder)
            {
                throw reader.Error("The builder of a frame is not pickled: it is rebuilt.");
            }

            if (role is FieldRole.Awaiter or FieldRole.ForeignAwaiter)
            {
                if (reader.TokenType == JsonTokenType.Null)
                {
                    continue;
                }

                if (role != FieldRole.Awaiter || tokenField is not null || FirstKey(reader) != PickleFormat.Await.Key)
                {
                    throw reader.Error("Only one awaiter field of a frame holds a token, and only an awaiter of a frame or of a library operation.");
                }

                reader.NextProperty(out _);
                token = reader.ReadString();
                tokenField = field;
                if (reader.NextProperty(out var extra))
                {
                    throw reader.UnknownProperty(extra);
                }

                continue;
            }

            var value = ReadValue(ref reader, type);
            if (role == FieldRole.This && value is not null && value is not IPicklableChannel && value is not Tasklet && !PicklePolicy.IsByFields(value.GetType()))
            {
                throw reader.Error($"The this of a frame must be a channel, a tasklet, compiler-generated or [PickleByFields], not a {PickleTypes.Describe(value.GetType())}.");
            }

            field.SetValue(machine, value);
        }

        reader.Where = where;
        for (var f = 0; f < seen.Length; f++)
        {
            if (layout.Roles[f] == FieldRole.Builder)
            {
                layout.Fields[f].Field.SetValue(machine, FrameAwaiters.BuilderFor(layout.Fields[f].Field.FieldType, box));
            }
            else if (!seen[f])
            {
                throw reader.Error($"The pickle has no value for field {layout.Fields[f].Key} of the frame.");
            }
        }

        var state = (int)layout.Fields[layout.State].Field.GetValue(machine)!;
        if (!shape.Started)
        {
            if (state != -1 || tokenField is not null)
            {
                throw reader.Error($"The root frame of a tasklet that has not started must be at state -1 with no pending await (it is at {state}).");
            }

            return;
        }

        var states = StateMachineStates.Of(machine.GetType());
        var expected = innermost ? FrameAwait.Library : FrameAwait.Child;
        if (states.Problem is not null || !states.AwaitPoints.TryGetValue(state, out var awaiter) || AwaiterKinds.Classify(awaiter) != expected)
        {
            throw reader.Error(states.Problem is not null
                ? $"The frame's await points cannot be read: {states.Problem}."
                : $"The frame is at state {state}, which is not {(innermost ? "an await of a channel operation or a schedule" : "an await of a TaskletFrame method")} in its code.");
        }

        if (tokenField is null || tokenField.FieldType != awaiter || token != (innermost ? PickleFormat.Await.Operation : PickleFormat.Await.Frame))
        {
            throw reader.Error($"The frame at state {state} must hold the token of its pending {awaiter.Name} in the awaiter field of that type.");
        }

        if (innermost)
        {
            tokenField.SetValue(machine, FrameAwaiters.LibraryAwaiter(awaiter, _tasklets[id]));
            box.Awaiting = FrameAwait.Library;
        }
        else
        {
            if (FrameAwaiters.ChildResultType(awaiter) != boxes[i + 1].ResultType)
            {
                throw reader.Error($"The frame awaits a frame returning {PickleTypes.Describe(FrameAwaiters.ChildResultType(awaiter))}, but its child returns {PickleTypes.Describe(boxes[i + 1].ResultType)}.");
            }

            tokenField.SetValue(machine, FrameAwaiters.ChildAwaiter(awaiter, boxes[i + 1]));
            box.Awaiting = FrameAwait.Child;
        }

        box.AwaiterType = awaiter;
    }

    // ---------------------------------------------------------------- the tasklet's own values

    /// <summary>Reads the tempval, items, body and slot of tasklet <paramref name="id"/> and checks them against its frames.</summary>
    private (bool Has, object? Value) ReadTaskletValues(int id, FrameBox[] frames)
    {
        var shape = _graph.Tasklets[id];
        var where = PickleLocation.Root.Numbered("tasklet", id);
        var reader = At(shape.TempVal, where.Part("the tempval"));
        shape.TempValValue = ReadValue(ref reader, typeof(object));
        if (shape.Items is { } items)
        {
            reader = At(items, where.Part("the items"));
            var keys = new HashSet<string>(StringComparer.Ordinal);
            shape.ItemsValue = [];
            while (reader.NextProperty(out var key))
            {
                if (!keys.Add(key))
                {
                    throw reader.Duplicate(key);
                }

                Count(ref reader, 1);
                reader.Where = where.Named("item", key);
                shape.ItemsValue.Add(new(key, ReadValue(ref reader, typeof(object))));
            }
        }

        if (shape.Body is { } body)
        {
            reader = At(body, where.Part("the body"));
            shape.BodyValue = ReadValue(ref reader, typeof(Func<Task>)) as Func<Task>
                ?? throw reader.Error("A tasklet's body must be a Func<Task>.");
        }

        var innermostAwaiter = shape.Started ? frames[^1].AwaiterType! : null;
        if (shape.State == TaskletPlace.Channel)
        {
            var channel = _channels[shape.Channel!.Value];
            var receiveOf = FrameAwaiters.ReceiveElementType(innermostAwaiter!);
            if (shape.Direction == -1 ? receiveOf != channel.ElementType : innermostAwaiter != typeof(SwitchAwaitable))
            {
                throw At(shape.Offset, where).Error(shape.Direction == -1
                    ? $"The tasklet waits to receive from a Channel<{PickleTypes.Describe(channel.ElementType)}> but its frame awaits {innermostAwaiter!.Name}."
                    : $"The tasklet waits to send but its frame awaits {innermostAwaiter!.Name}.");
            }

            if (shape.Direction == -1)
            {
                return (false, null);
            }

            reader = At(shape.Slot ?? throw At(shape.Offset, where).Error("A blocked sender has no value to send."), where.Part("the value it sends"));
            return (true, ReadValue(ref reader, channel.ElementType));
        }

        var received = innermostAwaiter is null ? null : FrameAwaiters.ReceiveElementType(innermostAwaiter);
        if (shape.Slot is { } slot)
        {
            if (received is null)
            {
                throw At(shape.Offset, where).Error("The tasklet holds a received value but does not await a receive.");
            }

            reader = At(slot, where.Part("the value it has received"));
            return (true, ReadValue(ref reader, received));
        }

        if (received is not null)
        {
            // Not waiting in the channel yet awaiting a receive: only a woken receiver is, and it holds the value.
            throw At(shape.Offset, where).Error("The tasklet awaits a receive but is not blocked and holds no received value.");
        }

        return (false, null);
    }
}
