namespace Stackless.Emu;

/// <summary>
/// Pickles suspended tasklets and channels (Stackless's <c>pickle.dumps(tasklet)</c>) and loads them into this thread's
/// scheduler, in this or another process. A pickle holds the tasklets asked for and everything they reach: the channels
/// their frames reference or they wait in (with their queues, as Stackless pickles a channel), the tasklets waiting in
/// those channels, and the objects of their frames, each once, so shared objects and channels stay shared.
/// </summary>
/// <remarks>
/// A tasklet can be pickled when it is <see cref="Tasklet.Restorable"/>: created by <see cref="Tasklet.CreateFrame"/>
/// with <see cref="TaskletFrame"/> methods all the way down, suspended on the library's awaitables (a channel operation,
/// <c>ScheduleAsync</c>, ...), or not started yet. Loading instantiates only state machines and objects of the
/// assemblies allowed by <see cref="PickleOptions.Allow"/>, refuses a build whose frames differ, checks the whole graph
/// before it restores anything, and with <see cref="PickleOptions.SigningKey"/> refuses anything it did not sign.
/// <para>Thread safety: a pickler keeps nothing between calls, so calls on several threads may overlap. <see cref="Dump(Stream, IEnumerable{Tasklet}, IEnumerable{IChannel})"/> reads the tasklets' and channels' state without a lock: call it on the thread the tasklets belong to (or while that thread does not run them). <see cref="Load(Stream)"/> restores into the calling thread's scheduler.</para>
/// </remarks>
public sealed class TaskletPickler
{
    /// <summary>Creates a pickler with <paramref name="options"/> (the defaults when null: nothing allowed to load but the library).</summary>
    public TaskletPickler(PickleOptions? options = null) => Options = options ?? new PickleOptions();

    /// <summary>The options.</summary>
    public PickleOptions Options { get; }

    /// <summary>Pickles <paramref name="tasklets"/> and <paramref name="channels"/> into <paramref name="stream"/>.</summary>
    /// <exception cref="PicklingException">A tasklet reached is not restorable, or a value cannot be saved.</exception>
    public void Dump(Stream stream, IEnumerable<Tasklet> tasklets, IEnumerable<IChannel>? channels = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tasklets);
        var roots = new List<object>(tasklets);
        foreach (var channel in channels ?? [])
        {
            roots.Add(channel as IPicklableChannel ?? throw new ArgumentException($"{channel} is not a Stackless.Emu channel.", nameof(channels)));
        }

        new PickleWriter(Options).Write(stream, roots);
    }

    /// <summary>Pickles <paramref name="tasklets"/> and <paramref name="channels"/> into a new byte array.</summary>
    /// <exception cref="PicklingException">A tasklet reached is not restorable, or a value cannot be saved.</exception>
    public byte[] Dump(IEnumerable<Tasklet> tasklets, IEnumerable<IChannel>? channels = null)
    {
        using var stream = new MemoryStream();
        Dump(stream, tasklets, channels);
        return stream.ToArray();
    }

    /// <summary>
    /// Loads a pickle into this thread's scheduler. Tasklets come back paused (as in Stackless; see
    /// <see cref="PickleContents.ScheduleRunnable"/>), or blocked in their restored channels.
    /// </summary>
    /// <exception cref="UnpicklingException">Invalid or inconsistent data, a type outside the allowed assemblies, another
    /// build's frames, a missing or wrong signature, or a pickle beyond the limits of <see cref="PickleOptions"/>. Nothing
    /// is restored then.</exception>
    public PickleContents Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        return new PickleReader(Options).Read(stream);
    }

    /// <summary>Loads a pickle from <paramref name="data"/>; see <see cref="Load(Stream)"/>.</summary>
    /// <exception cref="UnpicklingException">See <see cref="Load(Stream)"/>.</exception>
    public PickleContents Load(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        return new PickleReader(Options).Read(data, data.Length);
    }
}

/// <summary>What a pickle held, restored into this thread's scheduler.</summary>
/// <remarks>Thread safety: the thread that loaded it: <see cref="ScheduleRunnable"/> acts on that thread's scheduler; the lists do not change.</remarks>
public sealed class PickleContents
{
    internal PickleContents(IReadOnlyList<object> roots, IReadOnlyList<Tasklet> tasklets, IReadOnlyList<IChannel> channels, IReadOnlyList<Tasklet> runnable)
    {
        Roots = roots;
        Tasklets = tasklets;
        Channels = channels;
        Runnable = runnable;
    }

    /// <summary>The restored copies of the tasklets and channels passed to <see cref="TaskletPickler.Dump(Stream, IEnumerable{Tasklet}, IEnumerable{IChannel})"/>, in order.</summary>
    public IReadOnlyList<object> Roots { get; }

    /// <summary>Every restored tasklet, the roots' first.</summary>
    public IReadOnlyList<Tasklet> Tasklets { get; }

    /// <summary>The first restored tasklet (the root of <see cref="Tasklet.Dump(PickleOptions)"/>).</summary>
    /// <exception cref="UnpicklingException">The pickle holds no tasklet.</exception>
    internal Tasklet FirstTasklet => Tasklets.Count > 0 ? Tasklets[0] : throw new UnpicklingException("The pickle holds no tasklet (it was written with channels only): load it with TaskletPickler.Load.");

    /// <summary>Every restored channel.</summary>
    public IReadOnlyList<IChannel> Channels { get; }

    /// <summary>The tasklets that were runnable when pickled (now paused), in their order in the runnable queue then.</summary>
    public IReadOnlyList<Tasklet> Runnable { get; }

    /// <summary>Inserts the tasklets of <see cref="Runnable"/> into the runnable queue, in their old order.</summary>
    public void ScheduleRunnable()
    {
        foreach (var tasklet in Runnable)
        {
            tasklet.Insert();
        }
    }
}
