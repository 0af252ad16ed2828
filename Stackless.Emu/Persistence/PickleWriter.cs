using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// Writes a pickle (see <see cref="PickleFormat"/>): the tasklets asked for and everything they reach, i.e. the channels
/// their frames reference or they wait in, the tasklets waiting in those channels, and the objects of their frames,
/// each saved once so shared objects stay shared. It refuses up front whatever the loader would refuse, naming where
/// the value sits (<c>element 2 of field items of frame Program.Worker of tasklet #0</c>).
/// </summary>
internal sealed class PickleWriter
{
    private readonly PickleOptions _options;
    private readonly PickleTypes.Writer _types = new();
    private readonly Dictionary<Tasklet, int> _tasklets = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<Tasklet> _pendingTasklets = new();
    private readonly Dictionary<IPicklableChannel, int> _channels = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<(IPicklableChannel Channel, PickleLocation Where)> _pendingChannels = new();
    private readonly Dictionary<object, int> _objects = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<(object Value, ObjectKind Kind, PickleLocation Where)> _pendingObjects = new();
    private readonly Dictionary<Tasklet, int> _runOrder;

    /// <summary>Where the value being written sits, for error messages.</summary>
    private PickleLocation _where = PickleLocation.Root;

    /// <summary>How deep the value being written is nested inline (structs, tuples, boxed values).</summary>
    private int _depth;

    public PickleWriter(PickleOptions options)
    {
        _options = options;
        _runOrder = FrameAwaiters.RunnableOrder();
    }

    /// <summary>How an object-table entry is written.</summary>
    private enum ObjectKind
    {
        ByFields,
        Serialized,
        Delegate,
        Collection,
        View,
    }

    /// <summary>Writes a pickle of <paramref name="roots"/> (tasklets and channels) to <paramref name="stream"/>.</summary>
    public void Write(Stream stream, IEnumerable<object> roots)
    {
        var rootIds = new List<(string Kind, int Id)>();
        foreach (var root in roots)
        {
            switch (root)
            {
                case Tasklet tasklet:
                    rootIds.Add((PickleFormat.Root.Tasklet, TaskletId(tasklet)));
                    break;
                case IPicklableChannel channel:
                    rootIds.Add((PickleFormat.Root.Channel, ChannelId(channel)));
                    break;
                default:
                    throw new ArgumentException($"Only tasklets and channels can be pickled as roots, not {root?.GetType().Name ?? "null"}.", nameof(roots));
            }
        }

        var taskletBuffer = new ArrayBufferWriter<byte>();
        var channelBuffer = new ArrayBufferWriter<byte>();
        var objectBuffer = new ArrayBufferWriter<byte>();
        using (var taskletWriter = new Utf8JsonWriter(taskletBuffer, PickleFormat.WriterOptions))
        using (var channelWriter = new Utf8JsonWriter(channelBuffer, PickleFormat.WriterOptions))
        using (var objectWriter = new Utf8JsonWriter(objectBuffer, PickleFormat.WriterOptions))
        {
            taskletWriter.WriteStartArray();
            channelWriter.WriteStartArray();
            objectWriter.WriteStartArray();
            while (true)
            {
                if (_pendingTasklets.TryDequeue(out var tasklet))
                {
                    WriteTasklet(taskletWriter, tasklet);
                }
                else if (_pendingChannels.TryDequeue(out var channel))
                {
                    WriteChannel(channelWriter, channel.Channel, channel.Where);
                }
                else if (_pendingObjects.TryDequeue(out var entry))
                {
                    WriteObject(objectWriter, entry.Value, entry.Kind, entry.Where);
                }
                else
                {
                    break;
                }
            }

            taskletWriter.WriteEndArray();
            channelWriter.WriteEndArray();
            objectWriter.WriteEndArray();
        }

        var body = new ArrayBufferWriter<byte>(taskletBuffer.WrittenCount + channelBuffer.WrittenCount + objectBuffer.WrittenCount + 4096);
        using (var writer = new Utf8JsonWriter(body, PickleFormat.WriterOptions))
        {
            writer.WriteStartObject();
            _types.Write(writer);
            writer.WritePropertyName(PickleFormat.Body.Channels);
            writer.WriteRawValue(channelBuffer.WrittenSpan, skipInputValidation: true);
            writer.WritePropertyName(PickleFormat.Body.Tasklets);
            writer.WriteRawValue(taskletBuffer.WrittenSpan, skipInputValidation: true);
            writer.WritePropertyName(PickleFormat.Body.Objects);
            writer.WriteRawValue(objectBuffer.WrittenSpan, skipInputValidation: true);
            writer.WriteStartArray(PickleFormat.Body.Roots);
            foreach (var (kind, id) in rootIds)
            {
                writer.WriteStartObject();
                writer.WriteNumber(kind, id);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        using var envelope = new Utf8JsonWriter(stream, PickleFormat.WriterOptions);
        envelope.WriteStartObject();
        envelope.WriteString(PickleFormat.Envelope.Format, PickleFormat.Name);
        envelope.WriteNumber(PickleFormat.Envelope.Version, PickleFormat.Version);
        if (_options.Key is { } key)
        {
            envelope.WriteString(PickleFormat.Envelope.Signature, PickleSignature.Sign(key, body.WrittenSpan));
        }

        envelope.WritePropertyName(PickleFormat.Envelope.Body);
        envelope.WriteRawValue(body.WrittenSpan, skipInputValidation: true);
        envelope.WriteEndObject();
    }

    private int TaskletId(Tasklet tasklet)
    {
        if (!_tasklets.TryGetValue(tasklet, out var id))
        {
            if (!FrameAwaiters.IsOnThisThread(tasklet))
            {
                throw new PicklingException($"{tasklet} belongs to another thread's scheduler: pickle tasklets on their own thread.");
            }

            id = _tasklets.Count;
            _tasklets[tasklet] = id;
            _pendingTasklets.Enqueue(tasklet);
        }

        return id;
    }

    private int ChannelId(IPicklableChannel channel)
    {
        if (!_channels.TryGetValue(channel, out var id))
        {
            var type = channel.GetType();
            if (!IsPicklableChannelType(type))
            {
                throw Error($"holds a {PickleTypes.Describe(type)}, a channel subclass with fields of its own: the pickler saves a channel's own state only, so those fields would be lost");
            }

            id = _channels.Count;
            _channels[channel] = id;
            _pendingChannels.Enqueue((channel, _where));
        }

        return id;
    }

    /// <summary>Channel&lt;T&gt;, Channel, or a subclass that adds no fields (whose state is entirely the channel's).</summary>
    internal static bool IsPicklableChannelType(Type type)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (current == typeof(Channel) || (current.IsGenericType && current.GetGenericTypeDefinition() == typeof(Channel<>)))
            {
                return true;
            }

            if (current.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly).Length > 0)
            {
                return false;
            }
        }

        return false;
    }

    private void WriteTasklet(Utf8JsonWriter writer, Tasklet tasklet)
    {
        var id = _tasklets[tasklet];
        _where = PickleLocation.Root.Numbered("tasklet", id);
        var chain = FrameChain.Of(tasklet);
        if (chain.Problem is not null)
        {
            throw new PicklingException($"{tasklet} cannot be pickled: {chain.Problem}.");
        }

        var wait = FrameAwaiters.WaitOf(tasklet);
        var started = FrameAwaiters.HasStarted(tasklet);
        writer.WriteStartObject();
        writer.WriteNumber(PickleFormat.Tasklet.Id, id);
        if (tasklet.Name is not null)
        {
            writer.WriteString(PickleFormat.Tasklet.Name, tasklet.Name);
        }

        writer.WriteString(PickleFormat.Tasklet.State, wait.Place switch
        {
            TaskletPlace.Channel => PickleFormat.Tasklet.Blocked,
            TaskletPlace.Runnable => PickleFormat.Tasklet.Runnable,
            _ => PickleFormat.Tasklet.Paused,
        });
        writer.WriteBoolean(PickleFormat.Tasklet.Alive, tasklet.Alive);
        writer.WriteBoolean(PickleFormat.Tasklet.Started, started);
        if (wait.Place == TaskletPlace.Runnable && _runOrder.TryGetValue(tasklet, out var order))
        {
            writer.WriteNumber(PickleFormat.Tasklet.Order, order);
        }

        writer.WriteBoolean(PickleFormat.Tasklet.Atomic, tasklet.Atomic);
        writer.WriteBoolean(PickleFormat.Tasklet.BlockTrap, tasklet.BlockTrap);
        writer.WriteBoolean(PickleFormat.Tasklet.IgnoreNesting, tasklet.IgnoreNesting);
        var taskletWhere = _where;
        _where = taskletWhere.Part("the tempval");
        writer.WritePropertyName(PickleFormat.Tasklet.TempVal);
        WriteValue(writer, tasklet.TempVal, typeof(object));

        if (FrameAwaiters.ItemsOf(tasklet) is { } items)
        {
            writer.WriteStartObject(PickleFormat.Tasklet.Items);
            foreach (var (key, value) in items)
            {
                _where = taskletWhere.Named("item", key);
                writer.WritePropertyName(key);
                WriteValue(writer, value, typeof(object));
            }

            writer.WriteEndObject();
        }

        if (!started && FrameAwaiters.RootFrameOf(tasklet) is null && FrameAwaiters.BodyOf(tasklet) is { } body)
        {
            _where = taskletWhere.Part("the body");
            writer.WritePropertyName(PickleFormat.Tasklet.Body);
            WriteValue(writer, body, typeof(Func<Task>));
        }

        writer.WriteStartArray(PickleFormat.Tasklet.Frames);
        for (var i = 0; i < chain.Frames.Count; i++)
        {
            var child = i + 1 < chain.Frames.Count ? chain.Frames[i + 1] : null;
            _where = taskletWhere.Named("frame", chain.Frames[i].MethodName);
            WriteFrame(writer, tasklet, chain.Frames[i], child, started);
        }

        writer.WriteEndArray();
        _where = taskletWhere;

        if (wait.Place == TaskletPlace.Channel)
        {
            var channel = wait.Channel ?? throw new PicklingException($"{tasklet} waits in a channel that cannot be pickled (or is being served by another thread).");
            writer.WriteNumber(PickleFormat.Tasklet.Channel, ChannelId(channel));
            writer.WriteNumber(PickleFormat.Tasklet.Direction, wait.Direction);
            if (wait.Direction > 0)
            {
                WriteSlot(writer, tasklet, channel.ElementType, taskletWhere);
            }
        }
        else if (started && chain.Frames.Count > 0 && FrameAwaiters.ReceiveElementType(chain.Frames[^1].AwaiterType!) is { } received)
        {
            // Woken receiver that has not run yet: the value handed over waits in its slot.
            WriteSlot(writer, tasklet, received, taskletWhere);
        }

        writer.WriteEndObject();
    }

    private void WriteChannel(Utf8JsonWriter writer, IPicklableChannel channel, PickleLocation where)
    {
        _where = where.Numbered("channel", _channels[channel]);
        writer.WriteStartObject();
        writer.WriteNumber(PickleFormat.Channel.Id, _channels[channel]);
        writer.WriteNumber(PickleFormat.Channel.Type, _types.Index(channel.GetType()));
        if (channel.Name is not null)
        {
            writer.WriteString(PickleFormat.Channel.Name, channel.Name);
        }

        writer.WriteNumber(PickleFormat.Channel.Preference, channel.Preference);
        writer.WriteBoolean(PickleFormat.Channel.ScheduleAll, channel.ScheduleAll);
        writer.WriteBoolean(PickleFormat.Channel.Closing, channel.Closing);
        writer.WriteStartArray(PickleFormat.Channel.Queue);
        for (var waiter = channel.Queue; waiter is not null; waiter = waiter.Next)
        {
            writer.WriteNumberValue(TaskletId(waiter));
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private void WriteSlot(Utf8JsonWriter writer, Tasklet tasklet, Type element, PickleLocation where)
    {
        if (FrameAwaiters.ReadSlot(tasklet, element) is not var (value, error))
        {
            return;
        }

        if (error is not null)
        {
            throw new PicklingException($"{tasklet} holds an exception sent over a channel (SendException/SendThrow) that has not been delivered; such a tasklet cannot be pickled.");
        }

        _where = where.Part("the value it is sending or has received");
        writer.WritePropertyName(PickleFormat.Tasklet.Slot);
        WriteValue(writer, value, element);
    }

    private void WriteFrame(Utf8JsonWriter writer, Tasklet tasklet, FrameBox frame, FrameBox? child, bool started)
    {
        var stateMachine = frame.GetStateMachine();
        var layout = StateMachineLayout.Of(stateMachine.GetType());
        var frameWhere = _where;
        CheckFrameState(frame, stateMachine, layout, child, started);
        writer.WriteStartObject();
        writer.WriteNumber(PickleFormat.Frame.StateMachine, _types.Index(layout.Type, withLayout: true));
        writer.WriteStartObject(PickleFormat.Frame.Fields);
        for (var i = 0; i < layout.Fields.Count; i++)
        {
            var (key, field) = layout.Fields[i];
            var role = layout.Roles[i];
            if (role == FieldRole.Builder)
            {
                continue; // the builder is rebuilt on load
            }

            _where = frameWhere.Named("field", key);
            var value = field.GetValue(stateMachine);
            writer.WritePropertyName(key);
            switch (role)
            {
                case FieldRole.Awaiter when AwaiterKinds.Classify(field.FieldType) == FrameAwait.Child:
                    var awaited = FrameAwaiters.ChildOf(value);
                    if (awaited is not null && awaited != child)
                    {
                        throw Error("holds an awaiter of a frame that is not its child in the chain");
                    }

                    WriteToken(writer, awaited is null ? null : PickleFormat.Await.Frame);
                    continue;
                case FieldRole.Awaiter:
                    var suspended = FrameAwaiters.SuspendedBy(value);
                    if (suspended is not null && (suspended != tasklet || child is not null))
                    {
                        throw Error("holds a pending operation of another tasklet");
                    }

                    WriteToken(writer, suspended is null ? null : PickleFormat.Await.Operation);
                    continue;
                case FieldRole.ForeignAwaiter:
                    // A foreign awaiter field: cleared after its await completed, so it holds no state.
                    if (value is not null && (!field.FieldType.IsValueType || !value.Equals(RuntimeHelpers.GetUninitializedObject(field.FieldType))))
                    {
                        throw Error($"holds a pending {field.FieldType.Name}: the frame awaits something other than the library's awaitables");
                    }

                    writer.WriteNullValue();
                    continue;
                case FieldRole.This when value is not null && value is not IPicklableChannel && value is not Tasklet && !PicklePolicy.IsByFields(value.GetType()):
                    throw Error($"is the this of an instance method of {PickleTypes.Describe(value.GetType())}, which is not marked [PickleByFields]: mark the class [PickleByFields] so its fields are saved and restored, or make the method static");
            }

            WriteValue(writer, value, field.FieldType);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Refuses a frame whose state is not one of its await points (or not "not started" for a new tasklet's root).</summary>
    private void CheckFrameState(FrameBox frame, object stateMachine, StateMachineLayout layout, FrameBox? child, bool started)
    {
        var state = (int)layout.Fields[layout.State].Field.GetValue(stateMachine)!;
        if (!started)
        {
            if (state != -1)
            {
                throw Error($"has state {state} although its tasklet has not started");
            }

            return;
        }

        var states = StateMachineStates.Of(layout.Type);
        if (states.Problem is not null)
        {
            throw Error($"cannot be checked: {states.Problem}");
        }

        if (!states.AwaitPoints.TryGetValue(state, out var awaiter) || awaiter != frame.AwaiterType
            || AwaiterKinds.Classify(awaiter) != (child is null ? FrameAwait.Library : FrameAwait.Child))
        {
            throw Error($"is at state {state}, which its IL does not show as an await of {frame.AwaiterType?.Name}");
        }
    }

    private static void WriteToken(Utf8JsonWriter writer, string? token)
    {
        if (token is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        writer.WriteString(PickleFormat.Await.Key, token);
        writer.WriteEndObject();
    }

    /// <summary>Writes one value of a field, element, slot or tempval declared as <paramref name="declared"/>.</summary>
    private void WriteValue(Utf8JsonWriter writer, object? value, Type declared)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        var type = value.GetType();
        if (Nullable.GetUnderlyingType(declared) is { } underlying && underlying == type)
        {
            declared = type;
        }

        if (TryWritePrimitive(writer, value, type, declared))
        {
            return;
        }

        switch (PickleValueShapes.Of(type))
        {
            case PickleValueShape.Tasklet:
                WriteReference(writer, PickleFormat.Value.Tasklet, TaskletId((Tasklet)value));
                return;
            case PickleValueShape.Channel:
                WriteReference(writer, PickleFormat.Value.Channel, ChannelId((IPicklableChannel)value));
                return;
            case PickleValueShape.Exception:
                writer.WriteStartObject();
                writer.WriteNumber(PickleFormat.Value.Exception, _types.Index(type));
                writer.WriteString(PickleFormat.Value.Message, ((Exception)value).Message);
                writer.WriteEndObject();
                return;
            case PickleValueShape.Delegate:
                WriteReference(writer, PickleFormat.Value.Ref, ObjectId(value, ObjectKind.Delegate));
                return;
            case PickleValueShape.Frame:
                throw Error($"holds a frame object ({type.Name}); frames are pickled only as a tasklet's chain");
            case PickleValueShape.CollectionEnumerator:
                WriteEnumerator(writer, PickleEnumerator.For(type)!, value);
                return;
            case PickleValueShape.AsyncEnumerator:
                throw Error($"holds a live async enumerator ({PickleTypes.Describe(type)}): async iterators cannot be pickled (they cannot use the TaskletFrame builder)");
            case PickleValueShape.OtherEnumerator:
                throw Error($"holds a live enumerator ({PickleTypes.Describe(type)}): the pickler restores the enumerators of List, Dictionary (and its Keys and Values), HashSet, Queue, Stack, LinkedList and arrays, and iterators (yield return) of your own code, not the BCL's internal iterators (LINQ operators): write the loop as an iterator or over a materialized list");
            case PickleValueShape.Tuple:
                WriteTuple(writer, PickleTuple.For(type)!, value, type);
                return;
            case PickleValueShape.Library:
                throw Error($"holds a {PickleTypes.Describe(type)}, a type of Stackless.Emu that cannot be pickled");
            case PickleValueShape.MultiDimensionalArray:
                throw Error($"holds a multi-dimensional array ({PickleTypes.Describe(type)}), which cannot be pickled: use an array of arrays");
            case PickleValueShape.Collection:
                WriteReference(writer, PickleFormat.Value.Ref, ObjectId(value, ObjectKind.Collection));
                return;
            case PickleValueShape.View:
                WriteReference(writer, PickleFormat.Value.Ref, ObjectId(value, ObjectKind.View));
                return;
            case PickleValueShape.ByFieldsObject:
                WriteReference(writer, PickleFormat.Value.Ref, ObjectId(value, ObjectKind.ByFields));
                return;
            case PickleValueShape.SerializedObject:
                WriteReference(writer, PickleFormat.Value.Ref, ObjectId(value, ObjectKind.Serialized));
                return;
            case PickleValueShape.ByFieldsStruct:
                // A compiler-generated or [PickleByFields] struct (a local function's closure): saved inline, field by field.
                CheckByFields(type);
                Nest(() =>
                {
                    writer.WriteStartObject();
                    writer.WriteNumber(PickleFormat.Value.Fields, _types.Index(type, withLayout: true));
                    writer.WritePropertyName(PickleFormat.ObjectEntry.FieldValues);
                    WriteFields(writer, value);
                    writer.WriteEndObject();
                });
                return;
            default:
                WriteSerialized(writer, value, type, declared);
                return;
        }
    }

    /// <summary>Writes strings, booleans, numbers and chars directly (doubles that JSON cannot hold as strings).</summary>
    private bool TryWritePrimitive(Utf8JsonWriter writer, object value, Type type, Type declared)
    {
        if (!type.IsPrimitive && type != typeof(string))
        {
            return false;
        }

        if (type != declared && !(type == typeof(string) || type == typeof(bool)))
        {
            // Boxed in a field of another type (object, an interface): the runtime type goes with the value (a JSON
            // string or boolean can only be a string or a bool, so those are written bare).
            writer.WriteStartObject();
            writer.WriteNumber(PickleFormat.Value.Typed, _types.Index(type));
            writer.WritePropertyName(PickleFormat.ObjectEntry.Data);
            TryWritePrimitive(writer, value, type, type);
            writer.WriteEndObject();
            return true;
        }

        switch (value)
        {
            case string text: writer.WriteStringValue(text); break;
            case bool flag: writer.WriteBooleanValue(flag); break;
            case int number: writer.WriteNumberValue(number); break;
            case long number: writer.WriteNumberValue(number); break;
            case double number: WriteFloat(writer, number); break;
            case float number: WriteFloat(writer, number); break;
            case byte number: writer.WriteNumberValue(number); break;
            case sbyte number: writer.WriteNumberValue(number); break;
            case short number: writer.WriteNumberValue(number); break;
            case ushort number: writer.WriteNumberValue(number); break;
            case uint number: writer.WriteNumberValue(number); break;
            case ulong number: writer.WriteNumberValue(number); break;
            case char character: writer.WriteStringValue(character.ToString()); break;
            default: return false; // nint, nuint: the serializer's
        }

        return true;
    }

    private static void WriteFloat(Utf8JsonWriter writer, double number)
    {
        if (double.IsFinite(number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            writer.WriteStringValue(double.IsNaN(number) ? PickleFormat.Value.NaN : number > 0 ? PickleFormat.Value.PositiveInfinity : PickleFormat.Value.NegativeInfinity);
        }
    }

    private static void WriteFloat(Utf8JsonWriter writer, float number)
    {
        if (float.IsFinite(number))
        {
            writer.WriteNumberValue(number);
        }
        else
        {
            WriteFloat(writer, (double)number);
        }
    }

    private void WriteSerialized(Utf8JsonWriter writer, object value, Type type, Type declared)
    {
        if (PicklePolicy.IsCompilerGenerated(type) || typeof(Task).IsAssignableFrom(type) || typeof(ValueTask).IsAssignableFrom(type))
        {
            throw Error($"holds a {PickleTypes.Describe(type)}, which cannot be pickled");
        }

        if (type == declared)
        {
            Serialize(writer, value, type);
            return;
        }

        Nest(() =>
        {
            writer.WriteStartObject();
            writer.WriteNumber(PickleFormat.Value.Typed, _types.Index(type));
            writer.WritePropertyName(PickleFormat.ObjectEntry.Data);
            Serialize(writer, value, type);
            writer.WriteEndObject();
        });
    }

    private void WriteTuple(Utf8JsonWriter writer, PickleTuple tuple, object value, Type type) => Nest(() =>
    {
        var where = _where;
        writer.WriteStartObject();
        writer.WriteNumber(PickleFormat.Value.Tuple, _types.Index(type));
        writer.WriteStartArray(PickleFormat.Value.Items);
        var i = 0;
        foreach (var item in tuple.Items(value))
        {
            _where = where.Numbered("item", i + 1);
            WriteValue(writer, item, tuple.ItemTypes[i++]);
        }

        _where = where;
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    private void WriteEnumerator(Utf8JsonWriter writer, PickleEnumerator enumerator, object value)
    {
        (object? Collection, int Moved, bool Ended) position;
        try
        {
            position = enumerator.Position(value);
        }
        catch (InvalidOperationException ex)
        {
            throw Error($"holds an enumerator whose collection was changed after it was created ({ex.Message})");
        }
        catch (NotSupportedException ex)
        {
            throw Error(ex.Message);
        }

        if (position.Collection is null)
        {
            writer.WriteNullValue(); // a default enumerator (a finished foreach clears its field): nothing to walk
            return;
        }

        Nest(() =>
        {
            var where = _where;
            writer.WriteStartObject();
            writer.WriteNumber(PickleFormat.Value.Enumerator, _types.Index(enumerator.Type));
            writer.WritePropertyName(PickleFormat.Value.Of);
            _where = where.Part("the collection of the enumerator");
            WriteValue(writer, position.Collection, typeof(object));
            _where = where;
            writer.WriteNumber(PickleFormat.Value.Moved, position.Moved);
            writer.WriteBoolean(PickleFormat.Value.Ended, position.Ended);
            writer.WriteEndObject();
        });
    }

    private void Serialize(Utf8JsonWriter writer, object value, Type type)
    {
        try
        {
            _options.Serializer.Serialize(writer, value, type);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw Error($"holds a {PickleTypes.Describe(type)} that the serializer cannot save: {ex.Message} Register a converter (PickleOptions.AddConverter), or mark the class [PickleByFields]", ex);
        }
    }

    private static void WriteReference(Utf8JsonWriter writer, string kind, int id)
    {
        writer.WriteStartObject();
        writer.WriteNumber(kind, id);
        writer.WriteEndObject();
    }

    private int ObjectId(object value, ObjectKind kind)
    {
        if (!_objects.TryGetValue(value, out var id))
        {
            id = _objects.Count;
            _objects[value] = id;
            _pendingObjects.Enqueue((value, kind, _where));
        }

        return id;
    }

    /// <summary>Writes one entry of the object table; its kind's key comes first.</summary>
    private void WriteObject(Utf8JsonWriter writer, object value, ObjectKind kind, PickleLocation where)
    {
        var type = value.GetType();
        _where = where.Named("object", PickleTypes.Describe(type));
        _depth = 0;
        writer.WriteStartObject();
        switch (kind)
        {
            case ObjectKind.Delegate:
                WriteDelegate(writer, (Delegate)value);
                break;
            case ObjectKind.ByFields:
                CheckByFields(type);
                if (StateMachineStates.IsIterator(type))
                {
                    CheckIteratorState(type, value);
                }

                writer.WriteNumber(PickleFormat.ObjectEntry.Fields, _types.Index(type, withLayout: true));
                writer.WritePropertyName(PickleFormat.ObjectEntry.FieldValues);
                WriteFields(writer, value);
                break;
            case ObjectKind.Collection:
                WriteCollection(writer, PickleCollection.For(type)!, value, type);
                break;
            case ObjectKind.View:
                writer.WriteNumber(PickleFormat.ObjectEntry.View, _types.Index(type));
                writer.WritePropertyName(PickleFormat.ObjectEntry.Of);
                WriteValue(writer, DictionaryOf(value, type), typeof(object));
                break;
            default:
                if (PicklePolicy.IsCompilerGenerated(type) || typeof(Task).IsAssignableFrom(type))
                {
                    throw Error($"is a {PickleTypes.Describe(type)}, which cannot be pickled");
                }

                writer.WriteNumber(PickleFormat.ObjectEntry.Value, _types.Index(type));
                writer.WritePropertyName(PickleFormat.ObjectEntry.Data);
                Serialize(writer, value, type);
                break;
        }

        writer.WriteEndObject();
    }

    /// <summary>The dictionary a keys or values view shows (the view's one field of the dictionary's type).</summary>
    private static object DictionaryOf(object view, Type type)
    {
        var owner = PickleEnumerator.ViewOwner(type);
        return type.GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public).Single(f => f.FieldType == owner).GetValue(view)!;
    }

    private void WriteCollection(Utf8JsonWriter writer, PickleCollection collection, object value, Type type)
    {
        var where = _where;
        writer.WriteNumber(collection.Shape switch
        {
            CollectionShape.List => PickleFormat.ObjectEntry.List,
            CollectionShape.Set => PickleFormat.ObjectEntry.Set,
            _ => PickleFormat.ObjectEntry.Map,
        }, _types.Index(type));
        if (collection.Comparer(value) is { } comparer)
        {
            _where = where.Part("the comparer");
            writer.WritePropertyName(PickleFormat.ObjectEntry.Comparer);
            if (PickleCollection.NameOf(comparer) is { } name)
            {
                writer.WriteStartObject();
                writer.WriteString(PickleFormat.Value.Comparer, name);
                writer.WriteEndObject();
            }
            else
            {
                WriteValue(writer, comparer, typeof(object));
            }
        }

        var i = 0;
        if (collection.Shape == CollectionShape.Map)
        {
            writer.WriteStartArray(PickleFormat.ObjectEntry.Entries);
            foreach (var (key, item) in collection.Items(value))
            {
                _where = where.Numbered("entry", i++);
                writer.WriteStartArray();
                WriteValue(writer, key, collection.ItemType);
                WriteValue(writer, item, collection.ValueType!);
                writer.WriteEndArray();
            }
        }
        else
        {
            writer.WriteStartArray(PickleFormat.ObjectEntry.Items);
            if (TryWriteDirect(writer, value))
            {
                writer.WriteEndArray();
                return;
            }

            foreach (var (item, _) in collection.Items(value))
            {
                _where = where.Numbered("element", i++);
                WriteValue(writer, item, collection.ItemType);
            }
        }

        _where = where;
        writer.WriteEndArray();
    }

    /// <summary>Writes the elements of lists and arrays of numbers, booleans and strings without boxing each one.</summary>
    private static bool TryWriteDirect(Utf8JsonWriter writer, object collection)
    {
        switch (collection)
        {
            case List<int> list:
                foreach (var item in list)
                {
                    writer.WriteNumberValue(item);
                }

                return true;
            case int[] array:
                foreach (var item in array)
                {
                    writer.WriteNumberValue(item);
                }

                return true;
            case List<long> list:
                foreach (var item in list)
                {
                    writer.WriteNumberValue(item);
                }

                return true;
            case long[] array:
                foreach (var item in array)
                {
                    writer.WriteNumberValue(item);
                }

                return true;
            case List<double> list:
                foreach (var item in list)
                {
                    WriteFloat(writer, item);
                }

                return true;
            case double[] array:
                foreach (var item in array)
                {
                    WriteFloat(writer, item);
                }

                return true;
            case List<bool> list:
                foreach (var item in list)
                {
                    writer.WriteBooleanValue(item);
                }

                return true;
            case List<string> list:
                foreach (var item in list)
                {
                    writer.WriteStringValue(item);
                }

                return true;
            case string[] array:
                foreach (var item in array)
                {
                    writer.WriteStringValue(item);
                }

                return true;
            default:
                return false;
        }
    }

    private void CheckByFields(Type type)
    {
        if (PicklePolicy.WhyNotByFields(type) is { } problem)
        {
            throw Error($"cannot be saved field by field: {problem}");
        }
    }

    private void CheckIteratorState(Type type, object iterator)
    {
        var states = StateMachineStates.Of(type);
        var state = (int)type.GetField(StateMachineStates.StateField, BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)!.GetValue(iterator)!;
        if (states.Problem is not null || !IteratorStateIsKnown(states, state))
        {
            throw Error($"is an iterator at state {state}, which its IL does not show{(states.Problem is null ? string.Empty : ": " + states.Problem)}");
        }
    }

    /// <summary>An iterator's state is one its methods store, or one of the compiler's fixed states (-2 new, -1 running or done, 0 before the first MoveNext).</summary>
    internal static bool IteratorStateIsKnown(StateMachineStates states, int state) => state is -2 or -1 or 0 || states.StoredStates.Contains(state);

    private void WriteFields(Utf8JsonWriter writer, object value)
    {
        var where = _where;
        writer.WriteStartObject();
        foreach (var (key, field) in StateMachineLayout.Of(value.GetType()).Fields)
        {
            _where = where.Named("field", key);
            writer.WritePropertyName(key);
            WriteValue(writer, field.GetValue(value), field.FieldType);
        }

        _where = where;
        writer.WriteEndObject();
    }

    private void WriteDelegate(Utf8JsonWriter writer, Delegate callback)
    {
        if (!callback.HasSingleTarget)
        {
            throw Error("is a multicast delegate; only single delegates can be pickled");
        }

        var method = callback.Method;
        if (PicklePolicy.WhyNotDelegateTarget(method) is { } problem)
        {
            throw Error($"is a delegate whose method cannot be restored: {problem}");
        }

        writer.WriteNumber(PickleFormat.ObjectEntry.Delegate, _types.Index(callback.GetType()));
        writer.WriteNumber(PickleFormat.ObjectEntry.Declaring, _types.Index(method.DeclaringType!));
        writer.WriteString(PickleFormat.ObjectEntry.Method, method.Name);
        writer.WriteString(PickleFormat.ObjectEntry.Signature, Signature(method));
        writer.WritePropertyName(PickleFormat.ObjectEntry.Target);
        var where = _where;
        _where = where.Part("the target");
        WriteValue(writer, callback.Target, typeof(object));
        _where = where;
    }

    /// <summary>Runs a write one level deeper inline, refusing values nested deeper than <see cref="PickleOptions.MaxNestingDepth"/>.</summary>
    private void Nest(Action write)
    {
        if (++_depth > _options.MaxNestingDepth)
        {
            throw Error($"nests values deeper than {_options.MaxNestingDepth} levels (PickleOptions.MaxNestingDepth)");
        }

        try
        {
            write();
        }
        finally
        {
            _depth--;
        }
    }

    private PicklingException Error(string problem, Exception? inner = null)
    {
        var message = $"The value at {_where} {problem}{(problem.EndsWith('.') ? string.Empty : ".")}";
        return inner is null ? new PicklingException(message) : new PicklingException(message, inner);
    }

    /// <summary>The parameter types of <paramref name="method"/>, to find the same overload on load.</summary>
    public static string Signature(MethodInfo method) =>
        string.Join(",", method.GetParameters().Select(p => PickleTypes.Describe(p.ParameterType))) + "->" + PickleTypes.Describe(method.ReturnType);
}
