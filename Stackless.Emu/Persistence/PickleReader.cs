using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// Reads a pickle written by <see cref="PickleWriter"/> into this thread's scheduler: channels, tasklets and their
/// frames, and the objects they share. Only types of the allowed assemblies (and harmless BCL value and collection types)
/// are instantiated; state machines and objects saved field by field must come from allowed assemblies and match the
/// recorded layout.
/// </summary>
internal sealed class PickleReader
{
    private const BindingFlags AnyMethod = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private readonly PickleOptions _options;
    private PickleTypes.Reader _types = null!;
    private Tasklet[] _tasklets = [];
    private IPicklableChannel[] _channels = [];
    private object?[] _objects = [];

    public PickleReader(PickleOptions options) => _options = options;

    /// <summary>Loads the pickle in <paramref name="stream"/>.</summary>
    public PickleContents Read(Stream stream)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 4096 });
        }
        catch (JsonException ex)
        {
            throw new UnpicklingException("The data is not a Stackless.Emu pickle (invalid JSON).", ex);
        }

        using (document)
        {
            try
            {
                return Read(document.RootElement);
            }
            catch (Exception ex) when ((ex is KeyNotFoundException or InvalidOperationException or FormatException or IndexOutOfRangeException or JsonException)
                && ex is not UnpicklingException and not PicklingException)
            {
                throw new UnpicklingException($"The pickle is malformed: {ex.Message}", ex);
            }
        }
    }

    private PickleContents Read(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("format", out var format) || format.GetString() != PickleFormat.Name)
        {
            throw new UnpicklingException("The data is not a Stackless.Emu pickle.");
        }

        if (root.GetProperty("version").GetInt32() != PickleFormat.Version)
        {
            throw new UnpicklingException($"The pickle has format version {root.GetProperty("version").GetInt32()}; this library reads version {PickleFormat.Version}.");
        }

        _types = new PickleTypes.Reader(root.GetProperty("types"), root.GetProperty("assemblies"), _options);
        var channels = root.GetProperty("channels");
        var tasklets = root.GetProperty("tasklets");
        var objects = root.GetProperty("objects");

        _channels = new IPicklableChannel[channels.GetArrayLength()];
        foreach (var entry in channels.EnumerateArray())
        {
            _channels[entry.GetProperty("id").GetInt32()] = CreateChannel(entry);
        }

        _tasklets = new Tasklet[tasklets.GetArrayLength()];
        for (var i = 0; i < _tasklets.Length; i++)
        {
            _tasklets[i] = new Tasklet();
        }

        ReadObjects(objects);

        var runnable = new List<(int Order, Tasklet Tasklet)>();
        foreach (var entry in tasklets.EnumerateArray())
        {
            var tasklet = _tasklets[entry.GetProperty("id").GetInt32()];
            ReadTasklet(entry, tasklet);
            if (entry.GetProperty("state").GetString() == "runnable")
            {
                runnable.Add((entry.TryGetProperty("order", out var order) ? order.GetInt32() : int.MaxValue, tasklet));
            }
        }

        foreach (var entry in channels.EnumerateArray())
        {
            var channel = _channels[entry.GetProperty("id").GetInt32()];
            foreach (var waiter in entry.GetProperty("queue").EnumerateArray())
            {
                var id = waiter.GetInt32();
                var taskletEntry = tasklets[id];
                var direction = taskletEntry.GetProperty("direction").GetInt32();
                var value = direction > 0 && taskletEntry.TryGetProperty("slot", out var slot) ? ReadValue(slot, channel.ElementType) : null;
                channel.RestoreWaiter(_tasklets[id], direction, value);
            }
        }

        var roots = new List<object>();
        foreach (var entry in root.GetProperty("roots").EnumerateArray())
        {
            roots.Add(entry.TryGetProperty("tasklet", out var id) ? _tasklets[id.GetInt32()] : _channels[entry.GetProperty("channel").GetInt32()]);
        }

        runnable.Sort((a, b) => a.Order.CompareTo(b.Order));
        return new PickleContents(roots, _tasklets, _channels, runnable.ConvertAll(r => r.Tasklet));
    }

    private IPicklableChannel CreateChannel(JsonElement entry)
    {
        var type = _types.Resolve(entry.GetProperty("type").GetInt32());
        if (!typeof(IPicklableChannel).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new UnpicklingException($"The pickle names {type} as a channel type.");
        }

        var channel = (IPicklableChannel)Activator.CreateInstance(type)!;
        channel.Preference = entry.GetProperty("preference").GetInt32();
        channel.ScheduleAll = entry.GetProperty("scheduleAll").GetBoolean();
        if (entry.GetProperty("closing").GetBoolean())
        {
            channel.Close();
        }

        if (entry.TryGetProperty("name", out var name))
        {
            channel.Name = name.GetString();
        }

        return channel;
    }

    private void ReadObjects(JsonElement objects)
    {
        var count = objects.GetArrayLength();
        _objects = new object?[count];
        for (var i = 0; i < count; i++)
        {
            var entry = objects[i];
            if (entry.TryGetProperty("fields", out var fieldsType))
            {
                var type = _types.Resolve(fieldsType.GetInt32());
                CheckByFields(type);
                _objects[i] = RuntimeHelpers.GetUninitializedObject(type);
            }
            else if (entry.TryGetProperty("value", out var valueType))
            {
                var type = _types.Resolve(valueType.GetInt32());
                _objects[i] = Deserialize(entry.GetProperty("d"), type);
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (objects[i].TryGetProperty("delegate", out var delegateType))
            {
                _objects[i] = CreateDelegate(objects[i], _types.Resolve(delegateType.GetInt32()));
            }
        }

        for (var i = 0; i < count; i++)
        {
            if (objects[i].TryGetProperty("fields", out _))
            {
                ReadFields(objects[i].GetProperty("f"), _objects[i]!);
            }
        }
    }

    private void CheckByFields(Type type)
    {
        if (!_options.IsAllowed(type.Assembly) || type.IsAbstract || typeof(Delegate).IsAssignableFrom(type))
        {
            throw new UnpicklingException($"The pickle would set the fields of {PickleTypes.Describe(type)}, which is not a type of an allowed assembly.");
        }
    }

    private void ReadFields(JsonElement fields, object target)
    {
        foreach (var (key, field) in StateMachineLayout.Of(target.GetType()).Fields)
        {
            if (!fields.TryGetProperty(key, out var json))
            {
                throw new UnpicklingException($"The pickle has no value for field {key} of {PickleTypes.Describe(target.GetType())}.");
            }

            field.SetValue(target, ReadValue(json, field.FieldType));
        }
    }

    private Delegate CreateDelegate(JsonElement entry, Type delegateType)
    {
        if (!typeof(Delegate).IsAssignableFrom(delegateType))
        {
            throw new UnpicklingException($"The pickle names {delegateType} as a delegate type.");
        }

        var declaring = _types.Resolve(entry.GetProperty("declaring").GetInt32());
        if (!_options.IsAllowed(declaring.Assembly))
        {
            throw new UnpicklingException($"The pickle holds a delegate to a method of {PickleTypes.Describe(declaring)}, which is not a type of an allowed assembly.");
        }

        var name = entry.GetProperty("method").GetString();
        var signature = entry.GetProperty("signature").GetString();
        var method = declaring.GetMethods(AnyMethod).FirstOrDefault(m => m.Name == name && !m.IsGenericMethod && PickleWriter.Signature(m) == signature)
            ?? throw new UnpicklingException($"The method {name}({signature}) of {PickleTypes.Describe(declaring)} no longer exists.");
        var target = ReadValue(entry.GetProperty("target"), typeof(object));
        try
        {
            return method.IsStatic ? Delegate.CreateDelegate(delegateType, method) : Delegate.CreateDelegate(delegateType, target, method);
        }
        catch (ArgumentException ex)
        {
            throw new UnpicklingException($"The delegate to {name} cannot be rebuilt: {ex.Message}", ex);
        }
    }

    private void ReadTasklet(JsonElement entry, Tasklet tasklet)
    {
        if (entry.TryGetProperty("name", out var name))
        {
            tasklet.Name = name.GetString();
        }

        tasklet.SetAtomic(entry.GetProperty("atomic").GetBoolean());
        tasklet.BlockTrap = entry.GetProperty("blockTrap").GetBoolean();
        tasklet.SetIgnoreNesting(entry.GetProperty("ignoreNesting").GetBoolean());
        tasklet.TempVal = ReadValue(entry.GetProperty("tempVal"), typeof(object));

        var frames = ReadFrames(entry.GetProperty("frames"), tasklet, entry.GetProperty("started").GetBoolean());
        var alive = entry.GetProperty("alive").GetBoolean();
        if (!entry.GetProperty("started").GetBoolean())
        {
            if (frames.Length == 1)
            {
                tasklet.AdoptRoot(frames[0]);
            }
            else if (entry.TryGetProperty("body", out var body))
            {
                var function = ReadValue(body, typeof(Func<Task>)) as Func<Task> ?? throw new UnpicklingException("A tasklet's body is not a Func<Task>.");
                tasklet.AdoptBody(function);
            }

            if (alive)
            {
                tasklet.AdoptAlive();
            }

            return;
        }

        if (frames.Length == 0)
        {
            throw new UnpicklingException("A started tasklet of the pickle has no frames.");
        }

        tasklet.AdoptSuspended(frames[0], frames[^1]);
        if (entry.GetProperty("state").GetString() != "blocked" && entry.TryGetProperty("slot", out var slot)
            && FrameAwaiters.ReceiveElementType(frames[^1].AwaiterType!) is { } element)
        {
            FrameAwaiters.WriteSlot(tasklet, element, ReadValue(slot, element));
        }
    }

    private FrameBox[] ReadFrames(JsonElement frames, Tasklet tasklet, bool started)
    {
        var count = frames.GetArrayLength();
        var boxes = new FrameBox[count];
        var machines = new object[count];
        for (var i = 0; i < count; i++)
        {
            var type = _types.Resolve(frames[i].GetProperty("sm").GetInt32());
            if (!typeof(IAsyncStateMachine).IsAssignableFrom(type) || !_options.IsAllowed(type.Assembly))
            {
                throw new UnpicklingException($"The pickle names {PickleTypes.Describe(type)} as a frame, which is not a state machine of an allowed assembly.");
            }

            var builder = StateMachineLayout.Of(type).Fields.Select(f => f.Field.FieldType).FirstOrDefault(t => FrameAwaiters.ResultTypeOf(t) is not null)
                ?? throw new UnpicklingException($"{PickleTypes.Describe(type)} is not the state machine of a TaskletFrame method.");
            var result = FrameAwaiters.ResultTypeOf(builder)!;
            boxes[i] = (FrameBox)Activator.CreateInstance(typeof(StateMachineBox<,>).MakeGenericType(type, result))!;
            machines[i] = RuntimeHelpers.GetUninitializedObject(type);
        }

        for (var i = 0; i < count; i++)
        {
            var box = boxes[i];
            var fields = frames[i].GetProperty("fields");
            foreach (var (key, field) in StateMachineLayout.Of(machines[i].GetType()).Fields)
            {
                var type = field.FieldType;
                if (FrameAwaiters.ResultTypeOf(type) is not null)
                {
                    field.SetValue(machines[i], FrameAwaiters.BuilderFor(type, box));
                    continue;
                }

                if (!fields.TryGetProperty(key, out var json))
                {
                    throw new UnpicklingException($"The pickle has no value for field {key} of frame {box.MethodName}.");
                }

                switch (AwaiterKinds.Classify(type))
                {
                    case FrameAwait.Child when json.ValueKind == JsonValueKind.Object:
                        if (i + 1 >= count)
                        {
                            throw new UnpicklingException($"Frame {box.MethodName} awaits a child frame the pickle does not have.");
                        }

                        field.SetValue(machines[i], FrameAwaiters.ChildAwaiter(type, boxes[i + 1]));
                        box.Awaiting = FrameAwait.Child;
                        box.AwaiterType = type;
                        continue;
                    case FrameAwait.Library when json.ValueKind == JsonValueKind.Object:
                        field.SetValue(machines[i], FrameAwaiters.LibraryAwaiter(type, tasklet));
                        box.Awaiting = FrameAwait.Library;
                        box.AwaiterType = type;
                        continue;
                    case FrameAwait.Child or FrameAwait.Library:
                        continue;
                }

                if (key.StartsWith("<>u__", StringComparison.Ordinal))
                {
                    continue;
                }

                field.SetValue(machines[i], ReadValue(json, type));
            }

            box.SetStateMachine(machines[i]);
        }

        for (var i = 0; i + 1 < count; i++)
        {
            if (boxes[i].Awaiting != FrameAwait.Child)
            {
                throw new UnpicklingException($"Frame {boxes[i].MethodName} of the pickle does not await its child frame.");
            }

            boxes[i + 1].SetParent(boxes[i]);
        }

        if (count > 0)
        {
            if (!started)
            {
                boxes[0].Awaiting = FrameAwait.NotStarted;
            }
            else if (boxes[^1].Awaiting != FrameAwait.Library)
            {
                throw new UnpicklingException($"The innermost frame {boxes[^1].MethodName} of the pickle has no pending operation.");
            }
        }

        return boxes;
    }

    /// <summary>Reads a value written by <see cref="PickleWriter"/> for a slot declared as <paramref name="declared"/>.</summary>
    private object? ReadValue(JsonElement json, Type declared)
    {
        if (json.ValueKind == JsonValueKind.Null)
        {
            return declared.IsValueType && Nullable.GetUnderlyingType(declared) is null ? RuntimeHelpers.GetUninitializedObject(declared) : null;
        }

        object? value;
        if (json.ValueKind == JsonValueKind.Object && json.EnumerateObject().FirstOrDefault() is { Name: ['$', ..] } first)
        {
            value = first.Name switch
            {
                PickleFormat.TaskletRef => _tasklets[first.Value.GetInt32()],
                PickleFormat.ChannelRef => _channels[first.Value.GetInt32()],
                PickleFormat.ObjectRef => _objects[first.Value.GetInt32()],
                PickleFormat.ExceptionRef => CreateException(first.Value),
                PickleFormat.TypedValue => Deserialize(json.GetProperty("d"), _types.Resolve(first.Value.GetInt32())),
                PickleFormat.FieldsValue => ReadStruct(json, _types.Resolve(first.Value.GetInt32())),
                _ => Deserialize(json, declared),
            };
        }
        else
        {
            value = Deserialize(json, declared);
        }

        if (value is not null && !declared.IsInstanceOfType(value))
        {
            throw new UnpicklingException($"The pickle holds a {PickleTypes.Describe(value.GetType())} where a {PickleTypes.Describe(declared)} is declared.");
        }

        return value;
    }

    private object ReadStruct(JsonElement json, Type type)
    {
        CheckByFields(type);
        var value = RuntimeHelpers.GetUninitializedObject(type);
        ReadFields(json.GetProperty("f"), value);
        return value;
    }

    private Exception CreateException(JsonElement json)
    {
        var type = _types.Resolve(json.GetProperty("t").GetInt32());
        var message = json.GetProperty("m").GetString();
        if (!typeof(Exception).IsAssignableFrom(type) || type.IsAbstract)
        {
            throw new UnpicklingException($"The pickle names {type} as an exception type.");
        }

        try
        {
            return (Exception)Activator.CreateInstance(type, message)!;
        }
        catch (MissingMethodException)
        {
            return (Exception?)Activator.CreateInstance(type) ?? new InvalidOperationException(message);
        }
    }

    private object? Deserialize(JsonElement json, Type type)
    {
        try
        {
            return _options.Serializer.Deserialize(json, type);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or ArgumentException)
        {
            throw new UnpicklingException($"The serializer cannot read a {PickleTypes.Describe(type)}: {ex.Message}", ex);
        }
    }
}
