using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Stackless.Emu;

/// <summary>
/// Loads a pickle written by <see cref="PickleWriter"/> into this thread's scheduler, in stages that each finish before
/// the next begins: (1) the envelope, and the signature when a key is set; (2) the tables and the tasklets' and
/// channels' shape, read with a forward JSON reader (no document is built: memory stays within a small multiple of the
/// pickle plus what it restores); (3) the consistency of the whole graph (<see cref="PickleGraph"/>); (4) the objects,
/// frames and values, each type checked against the allow-list and <see cref="PicklePolicy"/>, each frame's state
/// against its await points; (5) only then are the restored tasklets made alive and put back in their channels. Any
/// failure before (5) leaves the scheduler untouched, and every failure is an <see cref="UnpicklingException"/> that
/// says what is wrong and where.
/// </summary>
internal sealed partial class PickleReader
{
    private const BindingFlags AnyMethod = BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly;

    private readonly PickleOptions _options;
    private readonly int _maxDepth;
    private readonly PickleTypes.Reader _types;
    private readonly PickleGraph _graph = new();
    private byte[] _data = [];
    private int _length;
    private long _items;
    private PickleLocation _lastWhere = PickleLocation.Root;

    private Tasklet[] _tasklets = [];
    private IPicklableChannel[] _channels = [];
    private object?[] _objects = [];
    private ObjectShell[] _shells = [];
    private readonly List<(object Target, FieldInfo Field, int Offset, PickleLocation Where)> _deferredEnumerators = [];

    public PickleReader(PickleOptions options)
    {
        _options = options;
        _maxDepth = options.MaxNestingDepth + 8;
        _types = new PickleTypes.Reader(options);
    }

    /// <summary>Loads the pickle in <paramref name="stream"/>, reading at most <see cref="PickleOptions.MaxPickleBytes"/>.</summary>
    public PickleContents Read(Stream stream)
    {
        var (data, length) = ReadAll(stream, _options.MaxPickleBytes);
        return Read(data, length);
    }

    /// <summary>Loads the pickle in the first <paramref name="length"/> bytes of <paramref name="data"/>.</summary>
    public PickleContents Read(byte[] data, int length)
    {
        if (length > _options.MaxPickleBytes)
        {
            throw new UnpicklingException($"The pickle has {length} bytes, more than PickleOptions.MaxPickleBytes ({_options.MaxPickleBytes}).");
        }

        _data = data;
        _length = length;
        try
        {
            return ReadPickle();
        }
        catch (UnpicklingException)
        {
            throw;
        }
        catch (InsufficientExecutionStackException ex)
        {
            throw new UnpicklingException($"The pickle nests too deeply to be loaded (at {_lastWhere}).", ex);
        }
#pragma warning disable CA1031 // The loader's contract: every failure is an UnpicklingException; this one marks a defect of the loader.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            throw new UnpicklingException($"Internal error of the loader near {_lastWhere}: {ex.GetType().Name}: {ex.Message}", ex) { IsLoaderDefect = true };
        }
    }

    private static (byte[] Data, int Length) ReadAll(Stream stream, long limit)
    {
        if (stream.CanSeek)
        {
            var remaining = stream.Length - stream.Position;
            if (remaining > limit)
            {
                throw new UnpicklingException($"The pickle has {remaining} bytes, more than PickleOptions.MaxPickleBytes ({limit}).");
            }

            var exact = new byte[remaining];
            stream.ReadExactly(exact);
            return (exact, exact.Length);
        }

        var buffer = new byte[64 * 1024];
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length >= limit)
                {
                    throw new UnpicklingException($"The pickle has more than PickleOptions.MaxPickleBytes ({limit}) bytes.");
                }

                Array.Resize(ref buffer, (int)Math.Min(Math.Min((long)buffer.Length * 2, limit + 1), Array.MaxLength));
            }

            var read = stream.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                break;
            }

            length += read;
            if (length > limit)
            {
                throw new UnpicklingException($"The pickle has more than PickleOptions.MaxPickleBytes ({limit}) bytes.");
            }
        }

        return (buffer, length);
    }

    private PickleJson At(int offset, PickleLocation where)
    {
        _lastWhere = where;
        return new PickleJson(_data.AsSpan(0, _length), offset, _maxDepth, where);
    }

    private PickleContents ReadPickle()
    {
        var (body, end) = ReadEnvelope();
        ReadBody(body, end);
        _graph.Check();
        CreateTaskletsAndChannels();
        ReadObjects();
        var frames = new FrameBox[_tasklets.Length][];
        var slots = new (bool Has, object? Value)[_tasklets.Length];
        for (var i = 0; i < _tasklets.Length; i++)
        {
            frames[i] = ReadFrames(i);
            slots[i] = ReadTaskletValues(i, frames[i]);
        }

        return Commit(frames, slots);
    }

    // ---------------------------------------------------------------- stage 1: the envelope and the signature

    /// <summary>
    /// Reads the envelope up to the body, which the writer puts last, and checks the signature over the body's bytes
    /// (up to the envelope's closing brace, so nothing can be appended unsigned); returns where the body starts and where
    /// the envelope's closing brace is.
    /// </summary>
    private (int Body, int End) ReadEnvelope()
    {
        if (_length == 0)
        {
            throw new UnpicklingException("The data is empty: not a Stackless.Emu pickle.");
        }

        var end = _length - 1;
        while (end > 0 && _data[end] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            end--;
        }

        var reader = At(0, PickleLocation.Root);
        if (reader.TokenType != JsonTokenType.StartObject || _data[end] != (byte)'}')
        {
            throw reader.Error("The data is not a Stackless.Emu pickle.");
        }

        string? format = null, signature = null;
        int? version = null, body = null;
        while (body is null && reader.NextProperty(out var key))
        {
            switch (key)
            {
                case PickleFormat.Envelope.Format: reader.Once(ref format, reader.ReadNullableString() ?? string.Empty, key); break;
                case PickleFormat.Envelope.Version: reader.OnceValue(ref version, reader.ReadInt32(), key); break;
                case PickleFormat.Envelope.Signature: reader.Once(ref signature, reader.ReadString(), key); break;
                case PickleFormat.Envelope.Body:
                    reader.Expect(JsonTokenType.StartObject);
                    body = reader.Offset;
                    break;
                default: throw format == PickleFormat.Name ? reader.UnknownProperty(key) : reader.Error("The data is not a Stackless.Emu pickle.");
            }
        }

        if (format != PickleFormat.Name)
        {
            throw new UnpicklingException("The data is not a Stackless.Emu pickle.");
        }

        if (version != PickleFormat.Version)
        {
            throw new UnpicklingException(version is null
                ? "The pickle has no format version (or it comes after the body)."
                : $"The pickle has format version {version}; this library reads version {PickleFormat.Version} (pickles of version 1 must be written again by a build that can still load them).");
        }

        if (body is not { } start)
        {
            throw new UnpicklingException("The pickle has no body.");
        }

        if (_options.Key is { } signingKey)
        {
            if (signature is null)
            {
                throw new UnpicklingException("The pickle is not signed, and PickleOptions.SigningKey requires a signature: it was not written with this key, or its signature was removed.");
            }

            if (!PickleSignature.Verify(signingKey, _data.AsSpan(start, end - start), signature))
            {
                throw new UnpicklingException("The pickle's signature does not match: it was changed after it was written, or signed with another key.");
            }
        }
        else if (signature is not null)
        {
            throw new UnpicklingException("The pickle is signed: set PickleOptions.SigningKey to the key that signed it, so it is verified.");
        }

        return (start, end);
    }

    // ---------------------------------------------------------------- stage 2: tables and shapes, in one pass

    /// <summary>The sections of the body, in the order the writer puts them (each may use the ones before it).</summary>
    private static readonly string[] Sections =
    [
        PickleFormat.Body.Assemblies, PickleFormat.Body.Types, PickleFormat.Body.Channels, PickleFormat.Body.Tasklets,
        PickleFormat.Body.Objects, PickleFormat.Body.Roots,
    ];

    private void ReadBody(int offset, int end)
    {
        var reader = At(offset, PickleLocation.Root);
        foreach (var section in Sections)
        {
            reader.Where = PickleLocation.Root;
            if (!reader.NextProperty(out var key) || key != section)
            {
                throw reader.Error($"Expected the section \"{section}\" of the body (the sections come in the order {string.Join(", ", Sections)}).");
            }

            reader.Expect(JsonTokenType.StartArray);
            switch (section)
            {
                case PickleFormat.Body.Assemblies:
                    reader.Where = PickleLocation.Root.Part("the assembly table");
                    _types.ReadAssemblies(ref reader);
                    break;
                case PickleFormat.Body.Types:
                    reader.Where = PickleLocation.Root.Part("the type table");
                    _types.ReadTypes(ref reader);
                    break;
                case PickleFormat.Body.Channels:
                    ReadChannels(ref reader);
                    break;
                case PickleFormat.Body.Tasklets:
                    ReadTasklets(ref reader);
                    break;
                case PickleFormat.Body.Objects:
                    ReadObjectShells(ref reader);
                    break;
                default:
                    ReadRoots(ref reader);
                    break;
            }
        }

        if (reader.NextProperty(out var extra))
        {
            throw reader.UnknownProperty(extra);
        }

        var after = reader.End;
        while (after < end && _data[after] is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t')
        {
            after++;
        }

        if (after != end)
        {
            throw reader.Error("The body must be the last property of the pickle.");
        }
    }

    private void ReadChannels(ref PickleJson reader)
    {
        while (reader.NextInArray())
        {
            var index = _graph.Channels.Count;
            reader.Where = PickleLocation.Root.Numbered("channel", index);
            Count(ref reader, 1);
            reader.Expect(JsonTokenType.StartObject);
            var channel = new PickleGraph.ChannelShape { Offset = reader.Offset };
            int? id = null, type = null, preference = null;
            bool? scheduleAll = null, closing = null;
            string? name = null;
            List<int>? queue = null;
            while (reader.NextProperty(out var key))
            {
                switch (key)
                {
                    case PickleFormat.Channel.Id: reader.OnceValue(ref id, reader.ReadInt32(), key); break;
                    case PickleFormat.Channel.Type: reader.OnceValue(ref type, reader.ReadIndex(_types.Count, "type"), key); break;
                    case PickleFormat.Channel.Name: reader.Once(ref name, reader.ReadString(), key); break;
                    case PickleFormat.Channel.Preference: reader.OnceValue(ref preference, reader.ReadInt32(), key); break;
                    case PickleFormat.Channel.ScheduleAll: reader.OnceValue(ref scheduleAll, reader.ReadBoolean(), key); break;
                    case PickleFormat.Channel.Closing: reader.OnceValue(ref closing, reader.ReadBoolean(), key); break;
                    case PickleFormat.Channel.Queue:
                        reader.Expect(JsonTokenType.StartArray);
                        reader.Once(ref queue, [], key);
                        while (reader.NextInArray())
                        {
                            Count(ref reader, 1);
                            queue!.Add(reader.ReadInt32());
                        }

                        break;
                    default: throw reader.UnknownProperty(key);
                }
            }

            if (id != index)
            {
                throw reader.Error($"Channel entry #{index} has id {id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; each channel's id must be its position (no duplicate or missing ids).");
            }

            channel.Type = type ?? throw reader.Error("A channel has no type.");
            channel.Name = name;
            channel.Preference = preference is { } p and >= -1 and <= 1 ? p : throw reader.Error("A channel's preference must be -1, 0 or 1.");
            channel.ScheduleAll = scheduleAll ?? throw reader.Error("A channel has no scheduleAll flag.");
            channel.Closing = closing ?? throw reader.Error("A channel has no closing flag.");
            channel.Queue = queue ?? throw reader.Error("A channel has no queue.");
            _graph.Channels.Add(channel);
        }
    }

    private void ReadTasklets(ref PickleJson reader)
    {
        while (reader.NextInArray())
        {
            var index = _graph.Tasklets.Count;
            reader.Where = PickleLocation.Root.Numbered("tasklet", index);
            Count(ref reader, 1);
            reader.Expect(JsonTokenType.StartObject);
            var tasklet = new PickleGraph.TaskletShape { Offset = reader.Offset };
            int? id = null, order = null, channel = null, direction = null, tempVal = null, items = null, body = null, slot = null;
            string? name = null, state = null;
            bool? alive = null, started = null, atomic = null, blockTrap = null, ignoreNesting = null;
            List<int>? frames = null;
            while (reader.NextProperty(out var key))
            {
                switch (key)
                {
                    case PickleFormat.Tasklet.Id: reader.OnceValue(ref id, reader.ReadInt32(), key); break;
                    case PickleFormat.Tasklet.Name: reader.Once(ref name, reader.ReadString(), key); break;
                    case PickleFormat.Tasklet.State: reader.Once(ref state, reader.ReadString(), key); break;
                    case PickleFormat.Tasklet.Alive: reader.OnceValue(ref alive, reader.ReadBoolean(), key); break;
                    case PickleFormat.Tasklet.Started: reader.OnceValue(ref started, reader.ReadBoolean(), key); break;
                    case PickleFormat.Tasklet.Order: reader.OnceValue(ref order, reader.ReadInt32(), key); break;
                    case PickleFormat.Tasklet.Atomic: reader.OnceValue(ref atomic, reader.ReadBoolean(), key); break;
                    case PickleFormat.Tasklet.BlockTrap: reader.OnceValue(ref blockTrap, reader.ReadBoolean(), key); break;
                    case PickleFormat.Tasklet.IgnoreNesting: reader.OnceValue(ref ignoreNesting, reader.ReadBoolean(), key); break;
                    case PickleFormat.Tasklet.Channel: reader.OnceValue(ref channel, reader.ReadInt32(), key); break;
                    case PickleFormat.Tasklet.Direction: reader.OnceValue(ref direction, reader.ReadInt32(), key); break;
                    case PickleFormat.Tasklet.TempVal: reader.OnceValue(ref tempVal, reader.Offset, key); reader.Skip(); break;
                    case PickleFormat.Tasklet.Items:
                        reader.Expect(JsonTokenType.StartObject);
                        reader.OnceValue(ref items, reader.Offset, key);
                        reader.Skip();
                        break;
                    case PickleFormat.Tasklet.Body: reader.OnceValue(ref body, reader.Offset, key); reader.Skip(); break;
                    case PickleFormat.Tasklet.Slot: reader.OnceValue(ref slot, reader.Offset, key); reader.Skip(); break;
                    case PickleFormat.Tasklet.Frames:
                        reader.Expect(JsonTokenType.StartArray);
                        reader.Once(ref frames, [], key);
                        while (reader.NextInArray())
                        {
                            Count(ref reader, 1);
                            reader.Expect(JsonTokenType.StartObject);
                            frames!.Add(reader.Offset);
                            reader.Skip();
                        }

                        break;
                    default: throw reader.UnknownProperty(key);
                }
            }

            if (id != index)
            {
                throw reader.Error($"Tasklet entry #{index} has id {id?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"}; each tasklet's id must be its position (no duplicate or missing ids).");
            }

            tasklet.Name = name;
            tasklet.State = state switch
            {
                PickleFormat.Tasklet.Runnable => TaskletPlace.Runnable,
                PickleFormat.Tasklet.Paused => TaskletPlace.None,
                PickleFormat.Tasklet.Blocked => TaskletPlace.Channel,
                _ => throw reader.Error($"A tasklet's state is \"{state}\", not runnable, paused or blocked."),
            };
            tasklet.Alive = alive ?? throw reader.Error("A tasklet has no alive flag.");
            tasklet.Started = started ?? throw reader.Error("A tasklet has no started flag.");
            tasklet.Order = order;
            tasklet.Atomic = atomic ?? false;
            tasklet.BlockTrap = blockTrap ?? false;
            tasklet.IgnoreNesting = ignoreNesting ?? false;
            tasklet.Channel = channel;
            tasklet.Direction = direction;
            tasklet.TempVal = tempVal ?? throw reader.Error("A tasklet has no tempval.");
            tasklet.Items = items;
            tasklet.Body = body;
            tasklet.Slot = slot;
            tasklet.Frames = frames ?? throw reader.Error("A tasklet has no frames.");
            _graph.Tasklets.Add(tasklet);
        }
    }

    private void ReadRoots(ref PickleJson reader)
    {
        reader.Where = PickleLocation.Root.Part("the roots");
        while (reader.NextInArray())
        {
            Count(ref reader, 1);
            reader.Expect(JsonTokenType.StartObject);
            if (!reader.NextProperty(out var key))
            {
                throw reader.Error("A root is empty.");
            }

            _graph.Roots.Add(key switch
            {
                PickleFormat.Root.Tasklet => (true, reader.ReadIndex(_graph.Tasklets.Count, "tasklet")),
                PickleFormat.Root.Channel => (false, reader.ReadIndex(_graph.Channels.Count, "channel")),
                _ => throw reader.UnknownProperty(key),
            });
            if (reader.NextProperty(out var extra))
            {
                throw reader.UnknownProperty(extra);
            }
        }
    }

    /// <summary>Counts <paramref name="count"/> more items against <see cref="PickleOptions.MaxItems"/>.</summary>
    private void Count(ref PickleJson reader, long count)
    {
        _items += count;
        if (_items > _options.MaxItems)
        {
            throw reader.Error($"The pickle holds more than {_options.MaxItems} items (tasklets, channels, frames, objects and elements; PickleOptions.MaxItems).");
        }
    }

    // ---------------------------------------------------------------- stage 4: live tasklets and channels (nothing scheduled)

    private void CreateTaskletsAndChannels()
    {
        _channels = new IPicklableChannel[_graph.Channels.Count];
        for (var i = 0; i < _channels.Length; i++)
        {
            var shape = _graph.Channels[i];
            var reader = At(shape.Offset, PickleLocation.Root.Numbered("channel", i));
            var type = _types[shape.Type];
            if (!PickleWriter.IsPicklableChannelType(type) || type.IsAbstract || type.ContainsGenericParameters
                || (!PicklePolicy.IsLibrary(type.Assembly) && !_options.IsAllowed(type.Assembly)))
            {
                throw reader.Error($"The pickle names {PickleTypes.Describe(type)} as a channel type.");
            }

            var channel = type.GetConstructor(Type.EmptyTypes) is { } constructor
                ? (IPicklableChannel)Construct(ref reader, type, () => constructor.Invoke(null))
                : throw reader.Error($"The channel type {PickleTypes.Describe(type)} has no public parameterless constructor.");
            channel.Preference = shape.Preference;
            channel.ScheduleAll = shape.ScheduleAll;
            if (shape.Closing)
            {
                channel.Close();
            }

            channel.Name = shape.Name;
            _channels[i] = channel;
        }

        _tasklets = new Tasklet[_graph.Tasklets.Count];
        for (var i = 0; i < _tasklets.Length; i++)
        {
            _tasklets[i] = FrameAwaiters.NewTasklet();
        }
    }

    private static object Construct(ref PickleJson reader, Type type, Func<object> construct)
    {
        try
        {
            return construct();
        }
        catch (TargetInvocationException ex)
        {
            throw reader.Error($"The constructor of {PickleTypes.Describe(type)} failed: {ex.InnerException?.Message}");
        }
    }

    // ---------------------------------------------------------------- stage 5: commit

    private PickleContents Commit(FrameBox[][] frames, (bool Has, object? Value)[] slots)
    {
        var runnable = new List<(int Order, Tasklet Tasklet)>();
        for (var i = 0; i < _tasklets.Length; i++)
        {
            var shape = _graph.Tasklets[i];
            var tasklet = _tasklets[i];
            var boxes = frames[i];
            tasklet.Name = shape.Name;
            tasklet.SetAtomic(shape.Atomic);
            tasklet.BlockTrap = shape.BlockTrap;
            tasklet.SetIgnoreNesting(shape.IgnoreNesting);
            tasklet.TempVal = shape.TempValValue;
            if (shape.ItemsValue is { } items)
            {
                foreach (var (key, value) in items)
                {
                    tasklet.Items[key] = value;
                }
            }

            if (!shape.Started)
            {
                if (boxes.Length == 1)
                {
                    FrameAwaiters.AdoptRoot(tasklet, boxes[0]);
                }
                else if (shape.BodyValue is { } body)
                {
                    FrameAwaiters.AdoptBody(tasklet, body);
                }

                if (shape.Alive)
                {
                    FrameAwaiters.AdoptAlive(tasklet);
                }
            }
            else
            {
                FrameAwaiters.AdoptSuspended(tasklet, boxes[0], boxes[^1]);
                if (shape.State != TaskletPlace.Channel && slots[i].Has)
                {
                    FrameAwaiters.WriteSlot(tasklet, FrameAwaiters.ReceiveElementType(boxes[^1].AwaiterType!)!, slots[i].Value);
                }
            }

            if (shape.State == TaskletPlace.Runnable)
            {
                runnable.Add((shape.Order ?? int.MaxValue, tasklet));
            }
        }

        for (var c = 0; c < _channels.Length; c++)
        {
            foreach (var id in _graph.Channels[c].Queue)
            {
                var shape = _graph.Tasklets[id];
                FrameAwaiters.RestoreWaiter(_channels[c], _tasklets[id], shape.Direction!.Value, slots[id].Value);
            }
        }

        var roots = _graph.Roots.ConvertAll(r => r.IsTasklet ? (object)_tasklets[r.Id] : _channels[r.Id]);
        runnable.Sort((a, b) => a.Order.CompareTo(b.Order));
        return new PickleContents(roots, _tasklets, _channels, runnable.ConvertAll(r => r.Tasklet));
    }
}
