using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// A micro-thread (Stackless's <c>tasklet</c>). A soft tasklet's body is an async method run by its thread's scheduler;
/// it suspends at <c>await</c> on the library's awaitables (channels, schedule, switch) or on any foreign awaitable (I/O).
/// Exactly one tasklet of a scheduler runs at any moment.
/// </summary>
/// <remarks>
/// This file holds the state and the read-only attributes. The wait state and its transitions are in
/// <c>Tasklet.WaitState.cs</c>, the lifecycle operations in <c>Tasklet.Lifecycle.cs</c>, exceptions and killing in
/// <c>Tasklet.Exceptions.cs</c>, the value hand-over with channels in <c>Tasklet.Transfer.cs</c>, how a step runs in
/// <c>Tasklet.Steps.cs</c>, and the rarely used state in <see cref="TaskletCold"/>.
/// Thread safety: a tasklet is touched only by its scheduler's baton holder, except where a member says otherwise
/// (the inbox links while it waits in <see cref="TaskletWait.Io"/> or <see cref="TaskletWait.ChannelServed"/>).
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
[DebuggerTypeProxy(typeof(TaskletDebugView))]
public sealed partial class Tasklet
{
    // Bits of _bits. The wait state, the kind and the resumption kind are small fields; the rest are flags; the top bits
    // are the operation token of the library's awaitables.
    private const int WaitMask = 0b111;
    private const int KindShift = 3;
    private const int KindMask = 0b11 << KindShift;
    private const int BoundBit = 1 << 5;
    private const int AliveBit = 1 << 6;
    private const int StartedBit = 1 << 7;
    private const int AtomicBit = 1 << 8;
    private const int BlockTrapBit = 1 << 9;
    private const int IgnoreNestingBit = 1 << 10;
    private const int RemovedWhileInIoBit = 1 << 11;
    private const int ValueIsErrorBit = 1 << 12;
    private const int PendingBit = 1 << 13;
    private const int ResumeShift = 14;
    private const int ResumeMask = 0b11 << ResumeShift;
    private const int BodyShift = 16;
    private const int BodyMask = 0b11 << BodyShift;
    private const int HasExecutionContextBit = 1 << 18;
    private const int PostedWorkBit = 1 << 19;
    private const int SendingBit = 1 << 20;
    private const int TokenShift = 21;
    private const int TokenMask = unchecked((int)0xFFE0_0000);

    /// <summary>The next tasklet in the chain this one is linked into (runnable chain, a channel's queue, or the inbox).</summary>
    internal Tasklet? NextLink;

    /// <summary>The previous tasklet in the chain this one is linked into.</summary>
    internal Tasklet? PrevLink;

    /// <summary>The scheduler of the thread this tasklet belongs to.</summary>
    private ThreadScheduler _scheduler;

    /// <summary>The stored resumption of a suspended soft tasklet (its kind is in the resume bits); null while it runs.</summary>
    private object? _resume;

    /// <summary>The reference part of a handed-over value, an error, or the state of a posted resumption.</summary>
    private object? _valueRef;

    /// <summary>The bits of a handed-over value of an unmanaged type of at most 8 bytes.</summary>
    private long _valueBits;

    /// <summary>What the tasklet waits on: its channel while <see cref="TaskletWait.Channel"/>, the tasklet it killed while a killer waits.</summary>
    private object? _waitOn;

    /// <summary>
    /// The body, by <see cref="BodyKind"/>: the async delegate until a soft tasklet starts, then its routing context
    /// (which holds the body's task); the root frame of a <see cref="TaskletFrame"/> body; a hard tasklet's delegate.
    /// </summary>
    private object? _body;

    /// <summary>The rarely used state, created on demand.</summary>
    private TaskletCold? _cold;

    /// <summary>Wait state, kind, flags and the awaitables' operation token; see the constants above.</summary>
    private int _bits;

    /// <summary>The index of this tasklet in its scheduler's alive list, or -1.</summary>
    internal int AliveIndex = -1;

    /// <summary>Creates a soft tasklet bound to <paramref name="body"/>; call <see cref="Setup"/> to schedule it.</summary>
    /// <param name="body">The async body; the equivalent of Stackless's callable with its arguments (use a closure).</param>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public Tasklet(Func<Task> body)
        : this(TaskletKind.Soft, ThreadScheduler.Current)
    {
        ArgumentNullException.ThrowIfNull(body);
        SetBody(BodyKind.Task, body);
    }

    /// <summary>Creates an unbound soft tasklet; <see cref="Bind(Func{Task})"/> gives it a body.</summary>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public Tasklet()
        : this(TaskletKind.Soft, ThreadScheduler.Current)
    {
    }

    private Tasklet(TaskletKind kind, ThreadScheduler scheduler)
    {
        _bits = (int)kind << KindShift;
        _scheduler = scheduler;
        if (kind is TaskletKind.Hard or TaskletKind.Main)
        {
            Cold.BatonSignal = new SemaphoreSlim(0, 1);
        }
    }

    /// <summary>Creates the main tasklet of <paramref name="scheduler"/>.</summary>
    internal static Tasklet CreateMain(ThreadScheduler scheduler)
    {
        var main = new Tasklet(TaskletKind.Main, scheduler);
        main._bits |= AliveBit | StartedBit | BoundBit;
        return main;
    }

    /// <summary>Creates a hard tasklet bound to <paramref name="body"/> (not yet set up).</summary>
    internal static Tasklet CreateHardTasklet(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        var tasklet = new Tasklet(TaskletKind.Hard, ThreadScheduler.Current);
        tasklet.SetBody(BodyKind.Hard, body);
        return tasklet;
    }

    /// <summary>Creates the stand-in of an asynchronous channel operation of code outside the tasklet world.</summary>
    internal static Tasklet CreateForeign(ThreadScheduler scheduler)
    {
        var stand = new Tasklet(TaskletKind.Foreign, scheduler);
        stand._bits |= AliveBit | StartedBit | BoundBit;
        return stand;
    }

    /// <summary>The tasklet that is running now on this thread (Stackless's <c>stackless.current</c>).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's current tasklet.</remarks>
    public static Tasklet Current => ThreadScheduler.Current.Executing;

    /// <summary>This thread's main tasklet (Stackless's <c>stackless.main</c>).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's main tasklet.</remarks>
    public static Tasklet Main => ThreadScheduler.Current.MainTasklet;

    /// <summary>Whether this is a soft, hard or main tasklet (or the stand-in of a foreign asynchronous operation).</summary>
    /// <remarks>Thread safety: any thread (fixed at creation).</remarks>
    public TaskletKind Kind => (TaskletKind)((_bits & KindMask) >> KindShift);

    /// <summary>An optional name shown in diagnostics and deadlock reports.</summary>
    /// <remarks>Thread safety: any thread (a reference write).</remarks>
    public string? Name
    {
        get => _cold?.Name;
        set
        {
            if (value is not null || _cold is not null)
            {
                Cold.Name = value;
            }
        }
    }

    /// <summary>
    /// True from <see cref="Setup"/> until the body has finished (Stackless's <c>alive</c>); false while the tasklet's
    /// thread has ended, as in Stackless, where <see cref="BindThread"/> makes such a tasklet alive again.
    /// </summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool Alive => (_bits & AliveBit) != 0 && !_scheduler.OwnerEnded;

    /// <summary>Whether the tasklet has a body in progress or set up, whether or not its thread has ended (Stackless: it has frames).</summary>
    internal bool HasFrames => (_bits & AliveBit) != 0;

    /// <summary>True while waiting in a channel's queue or for foreign I/O (Stackless's <c>blocked</c>).</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool Blocked => Wait is TaskletWait.Channel or TaskletWait.ChannelServed or TaskletWait.Io;

    /// <summary>True while waiting for a foreign awaitable (I/O) to complete; such a tasklet also reports <see cref="Blocked"/>.</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool BlockedOnIO => Wait == TaskletWait.Io;

    /// <summary>True when runnable or blocked (Stackless's <c>scheduled</c>); a runnable tasklet of a thread that has ended is not.</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool Scheduled => Wait != TaskletWait.None && !(Wait == TaskletWait.Runnable && _scheduler.OwnerEnded);

    /// <summary>True when alive but neither runnable nor blocked (Stackless's <c>paused</c>).</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool Paused => Alive && Wait == TaskletWait.None;

    /// <summary>True for the main tasklet of a thread.</summary>
    /// <remarks>Thread safety: any thread (fixed at creation).</remarks>
    public bool IsMain => Kind == TaskletKind.Main;

    /// <summary>True when this tasklet is the one running now.</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool IsCurrent => _scheduler.Executing == this;

    /// <summary>True while the watchdog may not interrupt this tasklet (Stackless's <c>atomic</c>); see <see cref="SetAtomic"/>.</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool Atomic => (_bits & AtomicBit) != 0;

    /// <summary>Stackless's <c>ignore_nesting</c> flag; see <see cref="SetIgnoreNesting"/>.</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public bool IgnoreNesting => (_bits & IgnoreNestingBit) != 0;

    /// <summary>When true, any channel operation that would block this tasklet raises instead (Stackless's <c>block_trap</c>).</summary>
    /// <remarks>Thread safety: reading: any thread (a snapshot). Setting: the tasklet's own thread only; from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public bool BlockTrap
    {
        get => (_bits & BlockTrapBit) != 0;
        set
        {
            ThrowIfNotOwnThread("Tasklet.BlockTrap");
            SetFlag(BlockTrapBit, value);
        }
    }

    /// <summary>
    /// The next tasklet in the chain this tasklet is in, or null. The runnable chain is circular (the last tasklet's
    /// next is the current one); a channel's queue ends with null after its last waiter, as in Stackless.
    /// </summary>
    /// <remarks>Thread safety: the tasklet's own thread; from another thread the chain may change under the caller (a snapshot, never a corruption).</remarks>
    public Tasklet? Next => Wait switch
    {
        TaskletWait.Runnable => _scheduler.OwnerEnded ? null : NextLink,
        TaskletWait.Channel => NextLink == WaitingOnChannel?.Head ? null : NextLink,
        _ => null,
    };

    /// <summary>The previous tasklet in the chain this tasklet is in, or null (before the first waiter of a channel).</summary>
    /// <remarks>Thread safety: the tasklet's own thread; from another thread the chain may change under the caller (a snapshot, never a corruption).</remarks>
    public Tasklet? Prev => Wait switch
    {
        TaskletWait.Runnable => _scheduler.OwnerEnded ? null : PrevLink,
        TaskletWait.Channel => this == WaitingOnChannel?.Head ? null : PrevLink,
        _ => null,
    };

    /// <summary>The managed thread id of the thread this tasklet belongs to; -1 once that thread has ended (as in Stackless).</summary>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public int ThreadId => _scheduler.OwnerEnded ? -1 : _scheduler.ThreadId;

    /// <summary>
    /// A free value slot (Stackless's <c>tempval</c>). A <see cref="Bomb"/> stored here explodes in this tasklet
    /// when it next resumes from a switch.
    /// </summary>
    /// <remarks>Thread safety: the tasklet's own thread only: setting it from another thread raises <see cref="InvalidOperationException"/>; reading it there is a snapshot.</remarks>
    public object? TempVal
    {
        get => _cold?.TempVal;
        set
        {
            ThrowIfNotOwnThread("Tasklet.TempVal");
            SetTempVal(value);
        }
    }

    /// <summary>Sets <see cref="TempVal"/> without the thread check: for the library's callers that hold the tasklet's baton or own it by construction.</summary>
    internal void SetTempVal(object? value)
    {
        if (value is not null || _cold is not null)
        {
            Cold.TempVal = value;
            SetFlag(PendingBit, _cold!.HasPending);
        }
    }

    /// <summary>
    /// Whether this tasklet can be pickled and resumed elsewhere (Stackless's <c>restorable</c>): a soft tasklet that has
    /// not started, or whose frames are all <see cref="TaskletFrame"/> methods suspended on the library's awaitables.
    /// See <c>Tasklet.Persistence.cs</c>.
    /// </summary>
    /// <remarks>Thread safety: the tasklet's own thread, for an answer that holds (another thread may see a tasklet that runs meanwhile).</remarks>
    public bool Restorable => IsRestorable();

    /// <summary>Sets <see cref="Atomic"/> and returns its previous value (Stackless's <c>set_atomic</c>).</summary>
    /// <remarks>Thread safety: the tasklet's own thread only; from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public bool SetAtomic(bool flag)
    {
        ThrowIfNotOwnThread("Tasklet.SetAtomic");
        var old = Atomic;
        SetFlag(AtomicBit, flag);
        if (old && !flag)
        {
            _scheduler.FlushAtomicRemoteOf(this); // the remote operations of its atomic block take effect together now
        }

        return old;
    }

    /// <summary>Sets <see cref="IgnoreNesting"/> and returns its previous value (Stackless's <c>set_ignore_nesting</c>).</summary>
    /// <remarks>Thread safety: the tasklet's own thread only; from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public bool SetIgnoreNesting(bool flag)
    {
        ThrowIfNotOwnThread("Tasklet.SetIgnoreNesting");
        var old = IgnoreNesting;
        SetFlag(IgnoreNestingBit, flag);
        return old;
    }

    /// <summary>The scheduler of the thread this tasklet belongs to.</summary>
    internal ThreadScheduler Scheduler => _scheduler;

    /// <summary>The rarely used state, created on first use.</summary>
    internal TaskletCold Cold => _cold ?? CreateCold();

    /// <summary>Creates the rarely used state once: a name set from another thread must not replace state the owner stored.</summary>
    private TaskletCold CreateCold() => Interlocked.CompareExchange(ref _cold, new TaskletCold(), null) ?? _cold!;

    /// <summary>The rarely used state if it exists.</summary>
    internal TaskletCold? ColdIfAny => _cold;

    internal bool Started => (_bits & StartedBit) != 0;

    internal bool Bound => (_bits & BoundBit) != 0;

    /// <summary>Main and hard tasklets own an OS thread (they are not stepped by the dispatch loop).</summary>
    internal bool IsThreaded => (_bits & KindMask) is (int)TaskletKind.Hard << KindShift or (int)TaskletKind.Main << KindShift;

    /// <summary>True for the stand-in of an asynchronous channel operation of code outside the tasklet world.</summary>
    internal bool IsForeign => (_bits & KindMask) == (int)TaskletKind.Foreign << KindShift;

    /// <summary>True for a tasklet that runs work posted to the scheduler's synchronization context.</summary>
    internal bool IsPostedWork
    {
        get => (_bits & PostedWorkBit) != 0;
        set => SetBit(PostedWorkBit, value);
    }

    /// <summary>Released to hand the scheduler's baton to this threaded (main or hard) tasklet; null for soft tasklets.</summary>
    internal SemaphoreSlim? BatonSignal => _cold?.BatonSignal;

    /// <summary>An exception to raise at this tasklet's suspension point when it next runs (kill, throw, deadlock, errors for main).</summary>
    internal System.Runtime.ExceptionServices.ExceptionDispatchInfo? PendingException
    {
        get => _cold?.PendingException;
        set
        {
            if (value is not null || _cold is not null)
            {
                Cold.PendingException = value;
                SetFlag(PendingBit, _cold!.HasPending);
            }
        }
    }

    /// <summary>A read-only summary of the state as bits (pickler, diagnostics).</summary>
    internal TaskletFlags Flags
    {
        get
        {
            var flags = TaskletFlags.None;
            if (Bound)
            {
                flags |= TaskletFlags.Bound;
            }

            if (Alive)
            {
                flags |= TaskletFlags.Alive;
            }

            if (Started)
            {
                flags |= TaskletFlags.Started;
            }

            return flags | Wait switch
            {
                TaskletWait.Runnable => TaskletFlags.InRunnable,
                TaskletWait.Channel or TaskletWait.ChannelServed => TaskletFlags.InChannel,
                TaskletWait.Io => TaskletFlags.InIo,
                _ => TaskletFlags.None,
            };
        }
    }

    /// <summary>What this tasklet waits on, for diagnostics.</summary>
    internal string DescribeState()
    {
        if (!Alive)
        {
            return "dead";
        }

        return Wait switch
        {
            TaskletWait.Channel => $"blocked {(WaitDirection > 0 ? "sending on" : "receiving on")} {WaitingOnChannel?.Describe()}",
            TaskletWait.ChannelServed => "served by a channel action on another thread, its wake on the way",
            TaskletWait.Io when _waitOn is Tasklet target => $"waiting for {target} to leave its I/O after a kill or throw",
            TaskletWait.Io when IsThreaded => "blocked on I/O (a blocking call or a task it waits for)",
            TaskletWait.Io => "blocked on I/O (a foreign awaitable)",
            TaskletWait.Runnable => IsCurrent ? "running" : "runnable",
            _ => "paused",
        };
    }

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread; from another thread the answer is a snapshot that may already be stale.</remarks>
    public override string ToString() =>
        $"Tasklet({Name ?? $"#{RuntimeHelpers.GetHashCode(this):x}"}, {Kind}, {DescribeState()})";

    private string DebuggerDisplay => ToString();

    private void SetBit(int bit, bool on) => _bits = on ? _bits | bit : _bits & ~bit;

    /// <summary>
    /// Sets a flag from the tasklet's own thread while the tasklet may wait in a channel: a partner on another thread
    /// writes the waiter's bits (its wait state, its value) under the channel's lock as it serves it, so the flag is
    /// written under that lock too, or one of the two writes could be lost. Otherwise a plain write.
    /// </summary>
    private void SetFlag(int bit, bool on)
    {
        if ((_bits & WaitMask) == (int)TaskletWait.Channel && _waitOn is { } channel)
        {
            lock (channel) // the lock a shared channel's operations take (Channel.SharedLock)
            {
                SetBit(bit, on);
            }

            return;
        }

        SetBit(bit, on);
    }

    /// <summary>The debugger's view of a tasklet: its state and what it waits on.</summary>
    private sealed class TaskletDebugView(Tasklet tasklet)
    {
        public string State => tasklet.DescribeState();

        public TaskletKind Kind => tasklet.Kind;

        public string? Name => tasklet.Name;

        public object? WaitingOn => tasklet._waitOn;

        public int ThreadId => tasklet.ThreadId;

        public object? PendingException => tasklet.PendingException?.SourceException;
    }
}
