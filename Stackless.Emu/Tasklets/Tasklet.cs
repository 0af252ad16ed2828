using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// A micro-thread (Stackless's <c>tasklet</c>). A soft tasklet's body is an async method run by its
/// thread's scheduler; it suspends at <c>await</c> on the library's awaitables (channels, schedule,
/// switch) or on any foreign awaitable (I/O). Exactly one tasklet of a scheduler runs at any moment.
/// </summary>
/// <remarks>
/// This file holds the state and the read-only attributes; the lifecycle operations are in
/// <c>Tasklet.Lifecycle.cs</c>, exceptions and killing in <c>Tasklet.Exceptions.cs</c>, and the
/// value hand-over with channels in <c>Tasklet.Transfer.cs</c>.
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[System.Diagnostics.CodeAnalysis.SuppressMessage(
    "Design", "CA1001:Types that own disposable fields should be disposable",
    Justification = "BatonSignal never creates a wait handle (AvailableWaitHandle is not used), so it holds no unmanaged resource.")]
public sealed partial class Tasklet
{
    /// <summary>The next tasklet in the chain this one is linked into (runnable chain or a channel's queue).</summary>
    internal Tasklet? NextLink;

    /// <summary>The previous tasklet in the chain this one is linked into.</summary>
    internal Tasklet? PrevLink;

    /// <summary>The scheduler of the thread this tasklet belongs to.</summary>
    internal readonly ThreadScheduler Scheduler;

    /// <summary>State bits; see <see cref="TaskletFlags"/>.</summary>
    internal TaskletFlags Flags;

    /// <summary>The stored resumption of a suspended soft tasklet (empty while it runs).</summary>
    internal Continuation Resume;

    /// <summary>An exception to raise at this tasklet's suspension point when it next runs (kill, throw, deadlock, errors for main).</summary>
    internal ExceptionDispatchInfo? PendingException;

    /// <summary>The channel this tasklet waits in while <see cref="TaskletFlags.InChannel"/> is set.</summary>
    internal IChannelQueue? BlockedOn;

    /// <summary>1 while waiting to send, -1 while waiting to receive, 0 otherwise.</summary>
    internal int BlockedDirection;

    /// <summary>The typed hand-over slot (a <c>TransferSlot&lt;T&gt;</c>) of the last channel element type used.</summary>
    internal object? Slot;

    /// <summary>Links in the scheduler's list of alive tasklets (for diagnostics and deadlock reports).</summary>
    internal Tasklet? AliveNext, AlivePrev;

    /// <summary>Released to hand the scheduler's baton to this threaded (main or hard) tasklet; null for soft tasklets.</summary>
    internal readonly SemaphoreSlim? BatonSignal;

    /// <summary>Continuations of extra flows inside this tasklet, run as its next steps (see ThreadScheduler.Deliver).</summary>
    private Queue<Continuation>? _deferredPosts;

    private Func<Task>? _softBody;
    private Action? _hardBody;
    private Task? _bodyTask;
    private TaskletSynchronizationContext? _context;
    private object? _tempVal;
    private readonly TaskletKind _kind;

    /// <summary>Creates a soft tasklet bound to <paramref name="body"/>; call <see cref="Setup"/> to schedule it.</summary>
    /// <param name="body">The async body; the equivalent of Stackless's callable with its arguments (use a closure).</param>
    public Tasklet(Func<Task> body)
        : this(TaskletKind.Soft, ThreadScheduler.Current)
    {
        ArgumentNullException.ThrowIfNull(body);
        _softBody = body;
        Flags |= TaskletFlags.Bound;
    }

    /// <summary>Creates an unbound soft tasklet; <see cref="Bind(Func{Task})"/> gives it a body.</summary>
    public Tasklet()
        : this(TaskletKind.Soft, ThreadScheduler.Current)
    {
    }

    private Tasklet(TaskletKind kind, ThreadScheduler scheduler)
    {
        _kind = kind;
        Scheduler = scheduler;
        if (kind != TaskletKind.Soft)
        {
            BatonSignal = new SemaphoreSlim(0, 1);
        }
    }

    /// <summary>Creates the main tasklet of <paramref name="scheduler"/>.</summary>
    internal static Tasklet CreateMain(ThreadScheduler scheduler) =>
        new(TaskletKind.Main, scheduler) { Flags = TaskletFlags.Alive | TaskletFlags.Started | TaskletFlags.Bound };

    /// <summary>Creates a hard tasklet bound to <paramref name="body"/> (not yet set up).</summary>
    internal static Tasklet CreateHardTasklet(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return new Tasklet(TaskletKind.Hard, ThreadScheduler.Current) { _hardBody = body, Flags = TaskletFlags.Bound };
    }

    /// <summary>The tasklet that is running now on this thread (Stackless's <c>stackless.current</c>).</summary>
    public static Tasklet Current => ThreadScheduler.Current.Executing;

    /// <summary>This thread's main tasklet (Stackless's <c>stackless.main</c>).</summary>
    public static Tasklet Main => ThreadScheduler.Current.MainTasklet;

    /// <summary>Whether this is a soft, hard or main tasklet.</summary>
    public TaskletKind Kind => _kind;

    /// <summary>An optional name shown in diagnostics and deadlock reports.</summary>
    public string? Name { get; set; }

    /// <summary>True from <see cref="Setup"/> until the body has finished (Stackless's <c>alive</c>).</summary>
    public bool Alive => (Flags & TaskletFlags.Alive) != 0;

    /// <summary>True while waiting in a channel's queue or for foreign I/O (Stackless's <c>blocked</c>).</summary>
    public bool Blocked => (Flags & (TaskletFlags.InChannel | TaskletFlags.InIo)) != 0;

    /// <summary>True while waiting for a foreign awaitable (I/O) to complete; such a tasklet also reports <see cref="Blocked"/>.</summary>
    public bool BlockedOnIO => (Flags & TaskletFlags.InIo) != 0;

    /// <summary>True when runnable or blocked (Stackless's <c>scheduled</c>).</summary>
    public bool Scheduled => (Flags & TaskletFlags.ChainMask) != 0;

    /// <summary>True when alive but neither runnable nor blocked (Stackless's <c>paused</c>).</summary>
    public bool Paused => Alive && !Scheduled;

    /// <summary>True for the main tasklet of a thread.</summary>
    public bool IsMain => _kind == TaskletKind.Main;

    /// <summary>True when this tasklet is the one running now.</summary>
    public bool IsCurrent => Scheduler.Executing == this;

    /// <summary>True while the watchdog may not interrupt this tasklet (Stackless's <c>atomic</c>); see <see cref="SetAtomic"/>.</summary>
    public bool Atomic => (Flags & TaskletFlags.Atomic) != 0;

    /// <summary>Stackless's <c>ignore_nesting</c> flag; see <see cref="SetIgnoreNesting"/>.</summary>
    public bool IgnoreNesting => (Flags & TaskletFlags.IgnoreNesting) != 0;

    /// <summary>When true, any channel operation that would block this tasklet raises instead (Stackless's <c>block_trap</c>).</summary>
    public bool BlockTrap
    {
        get => (Flags & TaskletFlags.BlockTrap) != 0;
        set => Flags = value ? Flags | TaskletFlags.BlockTrap : Flags & ~TaskletFlags.BlockTrap;
    }

    /// <summary>
    /// The next tasklet in the chain this tasklet is in, or null. The runnable chain is circular (the last tasklet's
    /// next is the current one); a channel's queue ends with null after its last waiter, as in Stackless.
    /// </summary>
    public Tasklet? Next => (Flags & TaskletFlags.InChannel) != 0 && NextLink == BlockedOn?.Head ? null : NextLink;

    /// <summary>The previous tasklet in the chain this tasklet is in, or null (before the first waiter of a channel).</summary>
    public Tasklet? Prev => (Flags & TaskletFlags.InChannel) != 0 && this == BlockedOn?.Head ? null : PrevLink;

    /// <summary>The managed thread id of the thread this tasklet belongs to.</summary>
    public int ThreadId => Scheduler.ThreadId;

    /// <summary>
    /// A free value slot (Stackless's <c>tempval</c>). A <see cref="Bomb"/> stored here explodes in this tasklet
    /// when it next resumes from a switch.
    /// </summary>
    public object? TempVal
    {
        get => _tempVal;
        set => _tempVal = value;
    }

    /// <summary>
    /// Whether this tasklet can be pickled and resumed elsewhere (Stackless's <c>restorable</c>): a soft tasklet that has
    /// not started, or whose frames are all <see cref="TaskletFrame"/> methods suspended on the library's awaitables.
    /// See <c>Tasklet.Persistence.cs</c>.
    /// </summary>
    public bool Restorable => IsRestorable();

    /// <summary>Sets <see cref="Atomic"/> and returns its previous value (Stackless's <c>set_atomic</c>).</summary>
    public bool SetAtomic(bool flag)
    {
        var old = Atomic;
        Flags = flag ? Flags | TaskletFlags.Atomic : Flags & ~TaskletFlags.Atomic;
        return old;
    }

    /// <summary>Sets <see cref="IgnoreNesting"/> and returns its previous value (Stackless's <c>set_ignore_nesting</c>).</summary>
    public bool SetIgnoreNesting(bool flag)
    {
        var old = IgnoreNesting;
        Flags = flag ? Flags | TaskletFlags.IgnoreNesting : Flags & ~TaskletFlags.IgnoreNesting;
        return old;
    }

    internal bool Started => (Flags & TaskletFlags.Started) != 0;

    internal bool IsThreaded => _kind != TaskletKind.Soft;

#pragma warning disable VSTHRD003 // Read only to observe completion; never awaited.
    internal Task? BodyTask => _bodyTask;
#pragma warning restore VSTHRD003

    internal Action? HardBody => _hardBody;

    /// <summary>The synchronization context that routes this tasklet's foreign continuations back to its scheduler.</summary>
    internal TaskletSynchronizationContext Context => _context ??= new TaskletSynchronizationContext(this);

    /// <summary>Starts the soft body on the calling (driving) thread; returns when it first suspends or ends.</summary>
    internal void StartSoftBody()
    {
        Debug.Assert(_kind == TaskletKind.Soft && !Started, "a soft tasklet starts once");
        Flags |= TaskletFlags.Started;
        var pending = PendingException;
        if (pending is not null)
        {
            // Killed or thrown into before it ever ran: the body never runs (Stackless: the function is never called).
            PendingException = null;
            _bodyTask = Task.FromException(pending.SourceException);
            return;
        }

        try
        {
#pragma warning disable VSTHRD003 // The body's task is the tasklet itself; the scheduler only observes its completion.
            _bodyTask = _softBody!() ?? Task.FromException(new InvalidOperationException("The tasklet body returned a null Task."));
#pragma warning restore VSTHRD003
        }
#pragma warning disable CA1031 // The body's exception is the tasklet's result: it goes to main like any other.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _bodyTask = Task.FromException(ex);
        }
    }

    /// <summary>Queues a continuation of a second flow inside this tasklet.</summary>
    internal void DeferPost(in Continuation continuation) => (_deferredPosts ??= new()).Enqueue(continuation);

    /// <summary>Makes the oldest deferred continuation this tasklet's next step; false when there is none.</summary>
    internal bool TakeDeferredPost()
    {
        if (_deferredPosts is null || !_deferredPosts.TryDequeue(out var next))
        {
            return false;
        }

        Resume = next;
        return true;
    }

    /// <summary>Forgets the body and its progress (unbind, or the end of the tasklet).</summary>
    internal void ClearBody(bool keepBinding)
    {
        _bodyTask = null;
        Resume = default;
        Flags &= ~(TaskletFlags.Started | TaskletFlags.Alive);
        if (!keepBinding)
        {
            _softBody = null;
            _hardBody = null;
            Flags &= ~TaskletFlags.Bound;
        }
    }

    /// <summary>What this tasklet waits on, for diagnostics.</summary>
    internal string DescribeState()
    {
        if (!Alive)
        {
            return "dead";
        }

        if ((Flags & TaskletFlags.InChannel) != 0)
        {
            return $"blocked {(BlockedDirection > 0 ? "sending on" : "receiving on")} {BlockedOn?.Describe()}";
        }

        if ((Flags & TaskletFlags.InIo) != 0)
        {
            return "blocked on I/O (a foreign awaitable)";
        }

        if ((Flags & TaskletFlags.InRunnable) != 0)
        {
            return IsCurrent ? "running" : "runnable";
        }

        return "paused";
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"Tasklet({(Name is null ? $"#{GetHashCode():x}" : Name)}, {_kind}, {DescribeState()})";

    private string DebuggerDisplay => ToString();
}
