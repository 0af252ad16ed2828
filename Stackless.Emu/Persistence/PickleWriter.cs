using System.Buffers;
using System.Collections;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// Writes a pickle (see <see cref="PickleFormat"/>): the tasklets asked for and everything they reach, i.e. the channels
/// their frames reference or they wait in, the tasklets waiting in those channels, and the objects of their frames,
/// each saved once so shared objects stay shared.
/// </summary>
internal sealed class PickleWriter
{
    private readonly PickleOptions _options;
    private readonly PickleTypes.Writer _types = new();
    private readonly Dictionary<Tasklet, int> _tasklets = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<Tasklet> _pendingTasklets = new();
    private readonly Dictionary<IPicklableChannel, int> _channels = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<IPicklableChannel> _pendingChannels = new();
    private readonly Dictionary<object, int> _objects = new(ReferenceEqualityComparer.Instance);
    private readonly Queue<(object Value, bool ByFields)> _pendingObjects = new();
    private readonly Dictionary<Tasklet, int> _runOrder = new(ReferenceEqualityComparer.Instance);

    /// <summary>Where the value being written sits, for error messages.</summary>
    private string _where = "the pickle";

    public PickleWriter(PickleOptions options)
    {
        _options = options;
        var current = ThreadScheduler.Current.Executing;
        var order = 0;
        for (var t = current.NextLink; t is not null && t != current && (t.Flags & TaskletFlags.InRunnable) != 0; t = t.NextLink)
        {
            _runOrder[t] = order++;
        }
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
                    rootIds.Add(("tasklet", TaskletId(tasklet)));
                    break;
                case IPicklableChannel channel:
                    rootIds.Add(("channel", ChannelId(channel)));
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
                    WriteChannel(channelWriter, channel);
                }
                else if (_pendingObjects.TryDequeue(out var entry))
                {
                    WriteObject(objectWriter, entry.Value, entry.ByFields);
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

        using var writer = new Utf8JsonWriter(stream, PickleFormat.WriterOptions);
        writer.WriteStartObject();
        writer.WriteString("format", PickleFormat.Name);
        writer.WriteNumber("version", PickleFormat.Version);
        writer.WriteStartArray("roots");
        foreach (var (kind, id) in rootIds)
        {
            writer.WriteStartObject();
            writer.WriteNumber(kind, id);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WritePropertyName("tasklets");
        writer.WriteRawValue(taskletBuffer.WrittenSpan, skipInputValidation: true);
        writer.WritePropertyName("channels");
        writer.WriteRawValue(channelBuffer.WrittenSpan, skipInputValidation: true);
        writer.WritePropertyName("objects");
        writer.WriteRawValue(objectBuffer.WrittenSpan, skipInputValidation: true);
        _types.Write(writer);
        writer.WriteEndObject();
    }

    private int TaskletId(Tasklet tasklet)
    {
        if (!_tasklets.TryGetValue(tasklet, out var id))
        {
            if (tasklet.Scheduler != ThreadScheduler.Current)
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
            id = _channels.Count;
            _channels[channel] = id;
            _pendingChannels.Enqueue(channel);
        }

        return id;
    }

    private void WriteTasklet(Utf8JsonWriter writer, Tasklet tasklet)
    {
        var chain = FrameChain.Of(tasklet);
        if (chain.Problem is not null)
        {
            throw new PicklingException($"{tasklet} cannot be pickled: {chain.Problem}.");
        }

        writer.WriteStartObject();
        writer.WriteNumber("id", _tasklets[tasklet]);
        if (tasklet.Name is not null)
        {
            writer.WriteString("name", tasklet.Name);
        }

        var state = (tasklet.Flags & TaskletFlags.InChannel) != 0 ? "blocked"
            : (tasklet.Flags & TaskletFlags.InRunnable) != 0 ? "runnable"
            : "paused";
        writer.WriteString("state", state);
        writer.WriteBoolean("alive", tasklet.Alive);
        writer.WriteBoolean("started", tasklet.Started);
        if (_runOrder.TryGetValue(tasklet, out var order))
        {
            writer.WriteNumber("order", order);
        }

        writer.WriteBoolean("atomic", tasklet.Atomic);
        writer.WriteBoolean("blockTrap", tasklet.BlockTrap);
        writer.WriteBoolean("ignoreNesting", tasklet.IgnoreNesting);
        _where = $"the tempval of {tasklet}";
        writer.WritePropertyName("tempVal");
        WriteValue(writer, tasklet.TempVal, typeof(object));

        if (!tasklet.Started && tasklet.CurrentRootFrame is null && tasklet.SoftBody is { } body)
        {
            _where = $"the body of {tasklet}";
            writer.WritePropertyName("body");
            WriteValue(writer, body, typeof(Func<Task>));
        }

        writer.WriteStartArray("frames");
        for (var i = 0; i < chain.Frames.Count; i++)
        {
            var child = i + 1 < chain.Frames.Count ? chain.Frames[i + 1] : null;
            WriteFrame(writer, tasklet, chain.Frames[i], child);
        }

        writer.WriteEndArray();

        if ((tasklet.Flags & TaskletFlags.InChannel) != 0)
        {
            var channel = tasklet.BlockedOn as IPicklableChannel
                ?? throw new PicklingException($"{tasklet} waits in a channel that cannot be pickled.");
            writer.WriteNumber("channel", ChannelId(channel));
            writer.WriteNumber("direction", tasklet.BlockedDirection);
            if (tasklet.BlockedDirection > 0)
            {
                WriteSlot(writer, tasklet, channel.ElementType);
            }
        }
        else if (tasklet.Started && chain.Frames.Count > 0
            && FrameAwaiters.ReceiveElementType(chain.Frames[^1].AwaiterType!) is { } received)
        {
            // Woken receiver that has not run yet: the value handed over waits in its slot.
            WriteSlot(writer, tasklet, received);
        }

        writer.WriteEndObject();
    }

    private void WriteChannel(Utf8JsonWriter writer, IPicklableChannel channel)
    {
        writer.WriteStartObject();
        writer.WriteNumber("id", _channels[channel]);
        writer.WriteNumber("type", _types.Index(channel.GetType()));
        if (channel.Name is not null)
        {
            writer.WriteString("name", channel.Name);
        }

        writer.WriteNumber("preference", channel.Preference);
        writer.WriteBoolean("scheduleAll", channel.ScheduleAll);
        writer.WriteBoolean("closing", channel.Closing);
        writer.WriteStartArray("queue");
        for (var waiter = channel.Queue; waiter is not null; waiter = waiter.Next)
        {
            writer.WriteNumberValue(TaskletId(waiter));
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private void WriteSlot(Utf8JsonWriter writer, Tasklet tasklet, Type element)
    {
        var (value, error) = FrameAwaiters.PeekValue(tasklet, element);
        if (error is not null)
        {
            throw new PicklingException($"{tasklet} holds an exception sent over a channel (SendException/SendThrow) that has not been delivered; such a tasklet cannot be pickled.");
        }

        _where = $"the value {tasklet} is sending or has received";
        writer.WritePropertyName("slot");
        WriteValue(writer, value, element);
    }

    private void WriteFrame(Utf8JsonWriter writer, Tasklet tasklet, FrameBox frame, FrameBox? child)
    {
        var stateMachine = frame.GetStateMachine();
        var layout = StateMachineLayout.Of(stateMachine.GetType());
        writer.WriteStartObject();
        writer.WriteNumber("sm", _types.Index(layout.Type, withLayout: true));
        writer.WriteStartObject("fields");
        foreach (var (key, field) in layout.Fields)
        {
            var type = field.FieldType;
            if (FrameAwaiters.ResultTypeOf(type) is not null)
            {
                continue; // the builder is rebuilt on load
            }

            _where = $"field {key} of frame {frame.MethodName}";
            var value = field.GetValue(stateMachine);
            writer.WritePropertyName(key);
            switch (AwaiterKinds.Classify(type))
            {
                case FrameAwait.Child:
                    var awaited = FrameAwaiters.ChildOf(value);
                    if (awaited is not null && awaited != child)
                    {
                        throw new PicklingException($"Frame {frame.MethodName} holds an awaiter of a frame that is not its child in the chain.");
                    }

                    WriteToken(writer, awaited is null ? null : PickleFormat.AwaitFrame);
                    continue;
                case FrameAwait.Library:
                    var suspended = FrameAwaiters.SuspendedBy(value);
                    if (suspended is not null && (suspended != tasklet || child is not null))
                    {
                        throw new PicklingException($"Frame {frame.MethodName} holds a pending operation of another tasklet.");
                    }

                    WriteToken(writer, suspended is null ? null : PickleFormat.AwaitLibrary);
                    continue;
            }

            if (key.StartsWith("<>u__", StringComparison.Ordinal))
            {
                // A foreign awaiter field: cleared after its await completed, so it holds no state.
                if (value is not null && (!type.IsValueType || !value.Equals(RuntimeHelpers.GetUninitializedObject(type))))
                {
                    throw new PicklingException($"Frame {frame.MethodName} holds a pending {type.Name}: it awaits something other than the library's awaitables.");
                }

                writer.WriteNullValue();
                continue;
            }

            WriteValue(writer, value, type, byFields: key == "<>4__this");
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter writer, string? token)
    {
        if (token is null)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        writer.WriteString(PickleFormat.Await, token);
        writer.WriteEndObject();
    }

    /// <summary>Writes one value of a field, slot or tempval declared as <paramref name="declared"/>.</summary>
    private void WriteValue(Utf8JsonWriter writer, object? value, Type declared, bool byFields = false)
    {
        if (value is null)
        {
            writer.WriteNullValue();
            return;
        }

        var type = value.GetType();
        switch (value)
        {
            case string text when declared == typeof(string):
                writer.WriteStringValue(text);
                return;
            case Tasklet tasklet:
                WriteReference(writer, PickleFormat.TaskletRef, TaskletId(tasklet));
                return;
            case IPicklableChannel channel:
                WriteReference(writer, PickleFormat.ChannelRef, ChannelId(channel));
                return;
            case Exception exception:
                writer.WriteStartObject();
                writer.WriteStartObject(PickleFormat.ExceptionRef);
                writer.WriteNumber("t", _types.Index(type));
                writer.WriteString("m", exception.Message);
                writer.WriteEndObject();
                writer.WriteEndObject();
                return;
            case FrameBox:
            case IAsyncStateMachine:
                throw new PicklingException($"{_where} holds a frame object ({type.Name}); frames are pickled only as a tasklet's chain.");
        }

        if (IsEnumerator(type))
        {
            throw new PicklingException(IsCompilerGenerated(type)
                ? $"{_where} holds a live iterator ({PickleTypes.Describe(type)}): iterators (yield return) cannot be pickled, as Stackless could not pickle C-level iterators. Loop with an index instead."
                : $"{_where} holds a live enumerator ({PickleTypes.Describe(type)}): enumerators of collections cannot be pickled. Loop with an index, or over an array (the compiler turns that into an index loop).");
        }

        if (value is Delegate || (!type.IsValueType && (byFields || IsCompilerGenerated(type))) || (type != typeof(string) && !type.IsValueType))
        {
            if (!_objects.TryGetValue(value, out var id))
            {
                id = _objects.Count;
                _objects[value] = id;
                _pendingObjects.Enqueue((value, byFields || IsCompilerGenerated(type)));
            }

            WriteReference(writer, PickleFormat.ObjectRef, id);
            return;
        }

        if (IsCompilerGenerated(type))
        {
            // A compiler-generated struct (a closure of a local function): saved inline, field by field.
            writer.WriteStartObject();
            writer.WriteNumber(PickleFormat.FieldsValue, _types.Index(type, withLayout: true));
            writer.WritePropertyName("f");
            WriteFields(writer, value);
            writer.WriteEndObject();
            return;
        }

        if (type == declared)
        {
            Serialize(writer, value, type);
            return;
        }

        // Boxed in a field of another type (object, an interface, Nullable): the runtime type goes with the value.
        writer.WriteStartObject();
        writer.WriteNumber(PickleFormat.TypedValue, _types.Index(type));
        writer.WritePropertyName("d");
        Serialize(writer, value, type);
        writer.WriteEndObject();
    }

    private void Serialize(Utf8JsonWriter writer, object value, Type type)
    {
        try
        {
            _options.Serializer.Serialize(writer, value, type);
        }
        catch (Exception ex) when (ex is NotSupportedException or JsonException or InvalidOperationException or ArgumentException)
        {
            throw new PicklingException($"{_where} holds a {PickleTypes.Describe(type)} that the serializer cannot save: {ex.Message} Register a converter (PickleOptions.AddConverter), or mark the class [PickleByFields].", ex);
        }
    }

    private static void WriteReference(Utf8JsonWriter writer, string kind, int id)
    {
        writer.WriteStartObject();
        writer.WriteNumber(kind, id);
        writer.WriteEndObject();
    }

    /// <summary>Writes one entry of the object table: a delegate, an object saved field by field, or a serialized value.</summary>
    private void WriteObject(Utf8JsonWriter writer, object value, bool byFields)
    {
        var type = value.GetType();
        var where = _where;
        writer.WriteStartObject();
        if (value is Delegate callback)
        {
            WriteDelegate(writer, callback);
        }
        else if (byFields)
        {
            writer.WriteNumber("fields", _types.Index(type, withLayout: true));
            writer.WritePropertyName("f");
            _where = $"an object of {PickleTypes.Describe(type)} (from {where})";
            WriteFields(writer, value);
        }
        else
        {
            writer.WriteNumber("value", _types.Index(type));
            writer.WritePropertyName("d");
            _where = $"a {PickleTypes.Describe(type)} (from {where})";
            Serialize(writer, value, type);
        }

        writer.WriteEndObject();
    }

    private void WriteFields(Utf8JsonWriter writer, object value)
    {
        var where = _where;
        writer.WriteStartObject();
        foreach (var (key, field) in StateMachineLayout.Of(value.GetType()).Fields)
        {
            _where = $"field {key} of {where}";
            writer.WritePropertyName(key);
            WriteValue(writer, field.GetValue(value), field.FieldType);
        }

        writer.WriteEndObject();
    }

    private void WriteDelegate(Utf8JsonWriter writer, Delegate callback)
    {
        if (!callback.HasSingleTarget)
        {
            throw new PicklingException($"{_where} holds a multicast delegate; only single delegates can be pickled.");
        }

        var method = callback.Method;
        if (method.IsGenericMethod || method.DeclaringType is null || method.Module.Assembly.IsDynamic)
        {
            throw new PicklingException($"{_where} holds a delegate to {method.Name}, which cannot be pickled (generic, dynamic or global method).");
        }

        writer.WriteNumber("delegate", _types.Index(callback.GetType()));
        writer.WriteNumber("declaring", _types.Index(method.DeclaringType));
        writer.WriteString("method", method.Name);
        writer.WriteString("signature", Signature(method));
        writer.WritePropertyName("target");
        WriteValue(writer, callback.Target, typeof(object), byFields: callback.Target is not null && !IsCompilerGenerated(callback.Target.GetType()));
    }

    /// <summary>The parameter types of <paramref name="method"/>, to find the same overload on load.</summary>
    public static string Signature(MethodInfo method) =>
        string.Join(",", method.GetParameters().Select(p => PickleTypes.Describe(p.ParameterType))) + "->" + PickleTypes.Describe(method.ReturnType);

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> Enumerators = new();

    /// <summary>Whether <paramref name="type"/> is an enumerator or iterator (its position is hidden state).</summary>
    private static bool IsEnumerator(Type type) => Enumerators.GetOrAdd(type, static t =>
        typeof(IEnumerator).IsAssignableFrom(t)
        || t.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IAsyncEnumerator<>)));

    /// <summary>
    /// Types saved field by field: closures, lambdas' classes, state machines and anonymous types (named by the compiler
    /// with '&lt;'), and classes marked <see cref="PickleByFieldsAttribute"/>.
    /// </summary>
    public static bool IsCompilerGenerated(Type type) => ByFields.GetOrAdd(type, static t =>
        t.Name.StartsWith('<') || t.IsDefined(typeof(PickleByFieldsAttribute), inherit: false) || (t.DeclaringType is { } owner && owner.Name.StartsWith('<')));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, bool> ByFields = new();
}
