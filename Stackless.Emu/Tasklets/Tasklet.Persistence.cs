namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// Creates a soft tasklet whose body is a <see cref="TaskletFrame"/> method, so it can be pickled while suspended;
    /// call <see cref="Setup"/> to schedule it. <paramref name="body"/> is called at once and must return the call of a
    /// <see cref="TaskletFrame"/> method, e.g. <c>() =&gt; Recurs(9)</c>: its arguments are evaluated now, its body runs
    /// when the tasklet first runs.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="body"/> did not return a call of a <see cref="TaskletFrame"/> method.</exception>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public static Tasklet CreateFrame(Func<TaskletFrame> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        FrameBox? captured;
        TaskletFrame frame;
        FrameCapture.Arm();
        try
        {
            frame = body();
        }
        finally
        {
            captured = FrameCapture.Disarm();
        }

        var root = frame.Box;
        if (root is null && captured is null)
        {
            // Not an async method: nothing ran and nothing suspended; the tasklet ends (or fails) when it runs.
            return new Tasklet(() =>
            {
                frame.ThrowIfFailed();
                return Task.CompletedTask;
            });
        }

        if (root is null || root != captured)
        {
            throw new ArgumentException(
                "The body of Tasklet.CreateFrame must return the call of a TaskletFrame method, e.g. () => Recurs(9), and call no other TaskletFrame method first.",
                nameof(body));
        }

        var tasklet = new Tasklet();
        tasklet.AdoptRoot(root);
        return tasklet;
    }

    /// <summary>
    /// Creates a tasklet with <see cref="CreateFrame"/> and schedules it: the fast way to spawn a tasklet
    /// (<c>Tasklet.SpawnFrame(() =&gt; Ping(channel))</c> with <c>async TaskletFrame Ping(...)</c>).
    /// </summary>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public static Tasklet SpawnFrame(Func<TaskletFrame> body) => CreateFrame(body).Setup();

    /// <summary>
    /// Pickles this tasklet (with the channels its frames reference and the tasklets waiting in them) into a new byte
    /// array. See <see cref="TaskletPickler"/>.
    /// </summary>
    /// <exception cref="PicklingException">The tasklet is not <see cref="Restorable"/>, or a value cannot be saved.</exception>
    /// <remarks>Thread safety: the tasklet's own thread only (its frames must not move while they are read); from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public byte[] Dump(PickleOptions? options = null)
    {
        using var stream = new MemoryStream();
        Dump(stream, options);
        return stream.ToArray();
    }

    /// <summary>Pickles this tasklet into <paramref name="stream"/>. See <see cref="TaskletPickler"/>.</summary>
    /// <exception cref="PicklingException">The tasklet is not <see cref="Restorable"/>, or a value cannot be saved.</exception>
    /// <remarks>Thread safety: as <see cref="Dump(PickleOptions)"/>.</remarks>
    public void Dump(Stream stream, PickleOptions? options = null)
    {
        ThrowIfNotOwnThread("Tasklet.Dump");
        new TaskletPickler(options).Dump(stream, [this]);
    }

    /// <summary>
    /// Loads a tasklet pickled by <see cref="Dump(PickleOptions)"/> into this thread's scheduler. It comes back paused
    /// (call <see cref="Insert"/>, as in Stackless), or blocked on its restored channel.
    /// </summary>
    /// <exception cref="UnpicklingException">The data is invalid, names a type of an assembly not allowed by
    /// <paramref name="options"/>, or was written by a different build of a frame's code.</exception>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public static Tasklet Load(byte[] data, PickleOptions options) => new TaskletPickler(options).Load(data).FirstTasklet;

    /// <summary>Loads a tasklet pickled by <see cref="Dump(Stream, PickleOptions)"/>; see <see cref="Load(byte[], PickleOptions)"/>.</summary>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public static Tasklet Load(Stream stream, PickleOptions options) => new TaskletPickler(options).Load(stream).FirstTasklet;

    /// <summary>Whether the tasklet can be pickled; see <see cref="Restorable"/>.</summary>
    private bool IsRestorable() => FrameChain.Of(this).Problem is null;

    /// <summary>Makes <paramref name="root"/> the body: the tasklet's first step runs it, and it ends with it.</summary>
    internal void AdoptRoot(FrameBox root) => SetBody(BodyKind.Frame, root);

    /// <summary>Binds a restored soft body that has not started (a pickled delegate).</summary>
    internal void AdoptBody(Func<Task> body) => SetBody(BodyKind.Task, body);

    /// <summary>Makes a restored, started tasklet alive and suspended at <paramref name="innermost"/>, paused.</summary>
    internal void AdoptSuspended(FrameBox root, FrameBox innermost)
    {
        AdoptRoot(root);
        _bits |= AliveBit | StartedBit;
        ClearResume();
        SetResume(innermost);
        CaptureExecutionContext(); // Stackless's __setstate__ gives the tasklet the loader's context
        _scheduler.RememberAlive(this);
    }

    /// <summary>Makes a restored tasklet that had been set up alive (paused, not started).</summary>
    internal void AdoptAlive()
    {
        _bits |= AliveBit;
        CaptureExecutionContext();
        _scheduler.RememberAlive(this);
    }
}
