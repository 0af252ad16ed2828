using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Stackless.Emu;

/// <summary>
/// The scheduler of one OS thread: its runnable chain, main tasklet, and the loop that runs soft tasklets.
/// Every thread that uses the API gets one, implicitly, as in Stackless.
/// </summary>
/// <remarks>
/// <para>
/// This file holds every field and the runnable chain and alive list; the partial files hold behaviour only:
/// <c>.Dispatch</c> (operations and the dispatch loop), <c>.Context</c> (synchronization and execution contexts),
/// <c>.Inbox</c> (what other threads hand in), <c>.CrossThread</c> (channel wakes, remote operations, waiting for other
/// threads), <c>.Baton</c> (hard tasklets), <c>.Blocking</c> (blocking calls), <c>.Watchdog</c>, <c>.RunMain</c>,
/// <c>.Restorable</c>, <c>.Counters</c> (what the metrics read).
/// </para>
/// <para>
/// Invariants: the runnable chain is circular and its head is the current tasklet (<see cref="_current"/>); exactly one
/// tasklet of a scheduler runs at any moment (its "baton holder"); everything but the inbox is touched only by the
/// baton holder, so it needs no locks.
/// </para>
/// </remarks>
[DebuggerDisplay("Scheduler(thread {ThreadId}, runcount {RunCount}, current {Executing})")]
internal sealed partial class ThreadScheduler
{
    [ThreadStatic]
    private static ThreadScheduler? t_current;

    /// <summary>The end of the inbox stack: a claimed NextLink is never null while the tasklet is queued (an inert object).</summary>
    private static readonly Tasklet s_inboxEnd = (Tasklet)System.Runtime.CompilerServices.RuntimeHelpers.GetUninitializedObject(typeof(Tasklet));

    /// <summary>The scheduler whose main set up tasklets, carried by main's flow (ThreadScheduler.Orphans.cs).</summary>
    private static readonly AsyncLocal<ThreadScheduler?> s_mainFlow = new();

    // ---- the tasklets -------------------------------------------------------------------------------------------

    private readonly Tasklet _main;

    /// <summary>Head of the runnable chain, i.e. the current tasklet; null only transiently inside the dispatch loop.</summary>
    private Tasklet? _current;

    /// <summary>The soft tasklet whose step is running on the dispatch loop, or null.</summary>
    private Tasklet? _executingSoft;

    /// <summary>
    /// The tasklet that counts as running while the scheduler itself runs code: the previous tasklet during the schedule
    /// callback (Stackless makes it current meanwhile), main during an action posted by another thread; else null.
    /// </summary>
    private Tasklet? _executingOverride;

    /// <summary>The tasklet that ran last, for the schedule callback.</summary>
    private Tasklet? _lastRunning;

    /// <summary>The alive tasklets but main, in the order they became alive; removed ones leave null holes until compacted.</summary>
    private Tasklet?[] _alive = new Tasklet?[InitialAliveCapacity];

    /// <summary>The alive list's first capacity; it grows by doubling, or is compacted when fewer than half are alive.</summary>
    internal const int InitialAliveCapacity = 16;

    /// <summary>Used slots of <see cref="_alive"/> (holes included).</summary>
    private int _aliveSlots;

    /// <summary>Alive tasklets but main.</summary>
    private int _aliveCount;

    private int _runCount;

    /// <summary>The active calls of <see cref="Run"/>, innermost last (Stackless's watchdog stack).</summary>
    private readonly List<RunFrame> _runFrames = [];

    /// <summary>Nested <see cref="Drive"/> calls on this scheduler (0: the thread runs plain code outside the scheduler).</summary>
    private int _driveDepth;

    /// <summary>Steps dispatched so far (the stall detector compares samples of it).</summary>
    private long _dispatched;

    /// <summary>Bits of <see cref="RareWork"/>: what the dispatch loop must look at besides its hot path.</summary>
    private int _rare;

    // ---- contexts (ThreadScheduler.Context.cs) ------------------------------------------------------------------

    /// <summary>The scheduler's public synchronization context.</summary>
    private readonly SchedulerSynchronizationContext _context;

    /// <summary>The synchronization context installed on the driving thread right now (cached to avoid a thread-static write per step).</summary>
    private SynchronizationContext? _installedContext;

    /// <summary>The thread that drives the loop now: main's, or the hard tasklet's holding the baton.</summary>
    private Thread _driverThread;

    /// <summary>The managed id of <see cref="_driverThread"/>.</summary>
    private volatile int _driverThreadId;

    /// <summary>
    /// The execution context most tasklets of this scheduler run under: main's when the scheduler was created, or when
    /// main first set up a tasklet (null when no AsyncLocal is in use). A tasklet with another keeps its own.
    /// </summary>
    private ExecutionContext? _ambientExecutionContext;

    // ---- the inbox (ThreadScheduler.Inbox.cs) -------------------------------------------------------------------

    /// <summary>Tasklets handed in by other threads (I/O completions, channel wakes), a lock-free stack through their NextLink.</summary>
    private Tasklet? _inboxTop;

    /// <summary>Other work handed in (remote operations, posted work, a second resumption of one tasklet), under <see cref="_wakeLock"/>.</summary>
    private Queue<InboxItem> _actions = new();

    private Queue<InboxItem> _drainingActions = new();

    /// <summary>Items in <see cref="_actions"/>; read without the lock as a cheap test.</summary>
    private volatile int _actionCount;

    /// <summary>Guards <see cref="_actions"/> and the sleeping driver's wake-up.</summary>
    private readonly object _wakeLock = new();

    /// <summary>True while the baton holder sleeps waiting for the inbox.</summary>
    private volatile bool _driverWaiting;

    /// <summary>Tasklets waiting for something outside the scheduler (<see cref="TaskletWait.Io"/>).</summary>
    private int _ioPending;

    /// <summary>Items handed in so far (tests count rounds between a post and its delivery).</summary>
    private long _inboxPosts;

    /// <summary>Async void methods started on the scheduler's context and not completed: pending work.</summary>
    private int _operations;

    // ---- threads (ThreadScheduler.CrossThread.cs) ---------------------------------------------------------------

    /// <summary>The schedulers that may wake this one's tasklets; written under <see cref="SchedulerRegistry"/>'s lock.</summary>
    private SchedulerGroup _group = new();

    /// <summary>True while this thread waits for another thread to wake it (not live, for deadlock detection).</summary>
    private volatile bool _threadBlocked;

    /// <summary>True while this thread is an idle <see cref="SchedulerThread"/> waiting for posts.</summary>
    private volatile bool _idle;

    // ---- hooks --------------------------------------------------------------------------------------------------

    private Action<Tasklet?, Tasklet?>? _scheduleCallback;

    /// <summary>The watchdog: the outermost Run() frame with a timeout, or null (ThreadScheduler.Watchdog.cs).</summary>
    private RunFrame? _watchdog;

    /// <summary>Switch points passed on this scheduler (the watchdog's clock in tick mode).</summary>
    private long _ticks;

    /// <summary>Open calls of <see cref="Tasklet.WhenRestorableAsync"/>; null when there is none (ThreadScheduler.Restorable.cs).</summary>
    private List<RestorableWaiter>? _restorableWaiters;

    /// <summary>Whether a <c>Scheduler.RunMain</c> call is active on this scheduler.</summary>
    private bool _inRunMain;

    /// <summary>Whether main's flow carries this scheduler's mark (ThreadScheduler.Orphans.cs).</summary>
    private bool _mainFlowMarked;

    // ---- the stall detector's samples (ThreadScheduler.Stalls.cs; written by the detector's timer thread) -------

    private long _stallSample = -1;
    private long _stallSince;
    private bool _stallReported;

    // ---- remote operations of an atomic block (ThreadScheduler.AtomicRemote.cs) ---------------------------------

    /// <summary>The collected operations, in call order; null when none is pending.</summary>
    private List<(Tasklet Target, Action<Tasklet> Operation)>? _atomicRemote;

    /// <summary>The atomic tasklet whose block collects <see cref="_atomicRemote"/>.</summary>
    private Tasklet? _atomicRemoteCollector;

    // ---- the caller on the stack (ThreadScheduler.CallerOnStack.cs) ---------------------------------------------

    /// <summary>The address of a local of the running Drive frame on the driving thread; 0 when none is recorded.</summary>
    private nuint _driveStackTop;

    // ---- parking (ThreadScheduler.Parking.cs) -------------------------------------------------------------------

    /// <summary>Guards <see cref="_parked"/> and every operation other threads apply directly while the owner is parked.</summary>
    private readonly object _parkLock = new();

    /// <summary>Whether the owner thread is parked (sleeping for its inbox or in <c>Scheduler.ParkThread</c>).</summary>
    private bool _parked;

    /// <summary>Set once the owner thread has been seen ended.</summary>
    private volatile bool _ownerEnded;

    // ---- reviving main with a blocked sender's error (ThreadScheduler.ReviveMain.cs) ----------------------------

    /// <summary>The sender whose block just emptied the runnable chain while it carries an error, or null.</summary>
    private Tasklet? _blockedWithError;

    /// <summary>The value of <see cref="_dispatched"/> when <see cref="_blockedWithError"/> was noted.</summary>
    private long _blockedWithErrorAt;

    // ---- the switch trap (ThreadScheduler.SwitchTrap.cs) --------------------------------------------------------

    /// <summary>The switch trap level; switches raise while it is not 0.</summary>
    private int _switchTrap;

    // ---- the end of the scheduler's thread (ThreadScheduler.ThreadEnd.cs) ---------------------------------------

    /// <summary>Held by the hard tasklet that is ending after its scheduler's thread ended, until its thread finishes.</summary>
    private readonly object _threadEndLock = new();

    /// <summary>The hard tasklet that holds <see cref="_threadEndLock"/>.</summary>
    private Tasklet? _threadEndTaker;

    // ---- counters (ThreadScheduler.Counters.cs) -----------------------------------------------------------------
    // Plain fields, written only by the baton holder (no Interlocked, no lock); the metrics read them from any thread.

    /// <summary>Switches from one running tasklet to another (Stackless's schedule-callback events).</summary>
    private long _switches;

    /// <summary>Channel operations (send, receive and their forms) started by callers on this thread.</summary>
    private long _channelOperations;

    /// <summary>Tasklets (not main, not stand-ins) of this scheduler waiting in a channel or for a wake from another thread.</summary>
    private int _channelWaiters;

    /// <summary>Wakes from channel actions on other threads delivered here.</summary>
    private long _crossThreadWakes;

    /// <summary>Deadlocks raised on this scheduler.</summary>
    private long _deadlocks;

    /// <summary>Tasklets interrupted by the watchdog of Run(timeout) on this scheduler.</summary>
    private long _watchdogInterrupts;

    private ThreadScheduler()
    {
        var thread = Thread.CurrentThread;
        OwnerThread = thread;
        _driverThread = thread;
        ThreadId = thread.ManagedThreadId;
        _driverThreadId = ThreadId;
        _context = new SchedulerSynchronizationContext(this);
        _ambientExecutionContext = ExecutionContextOf(thread);
        _main = Tasklet.CreateMain(this);
        AppendRunnable(_main);
        _lastRunning = _main;
        SchedulerRegistry.Register(this);
    }

    /// <summary>This thread's scheduler, created on first use.</summary>
    public static ThreadScheduler Current => t_current ?? CreateForThisThread();

    /// <summary>This thread's scheduler if it has one.</summary>
    public static ThreadScheduler? CurrentOrNull => t_current;

    /// <summary>Binds the calling thread (a hard tasklet's) to <paramref name="scheduler"/>.</summary>
    internal static void BindThread(ThreadScheduler? scheduler) => t_current = scheduler;

    /// <summary>The managed id of the thread this scheduler belongs to.</summary>
    public int ThreadId { get; }

    /// <summary>The OS thread this scheduler belongs to (its main tasklet's thread).</summary>
    public Thread OwnerThread { get; }

    /// <summary>The main tasklet.</summary>
    public Tasklet MainTasklet => _main;

    /// <summary>The execution context most of this scheduler's tasklets run under (see <see cref="_ambientExecutionContext"/>).</summary>
    public ExecutionContext? AmbientExecutionContext => _ambientExecutionContext;

    /// <summary>The running tasklet (Stackless's <c>current</c>); inside the schedule callback, the previous one.</summary>
    public Tasklet Executing => _executingOverride ?? _executingSoft ?? _current ?? _main;

    /// <summary>The number of tasklets in the runnable chain, the current one included.</summary>
    public int RunCount => _runCount;

    /// <summary>The alive tasklets but main.</summary>
    public int AliveCount => _aliveCount;

    /// <summary>The scheduler's public synchronization context.</summary>
    public SchedulerSynchronizationContext Context => _context;

    /// <summary>The schedule callback (prev, next), called before every switch.</summary>
    public Action<Tasklet?, Tasklet?>? ScheduleCallback
    {
        get => _scheduleCallback;
        set
        {
            _scheduleCallback = value;
            SetRare(RareWork.ScheduleCallback, value is not null);
        }
    }

    /// <summary>The channel callback (channel, tasklet, sending, willBlock), called before every channel action.</summary>
    public Action<IChannel, Tasklet, bool, bool>? ChannelCallback { get; set; }

    /// <summary>Throws unless the calling thread is this scheduler's.</summary>
    public void CheckOwnThread(string message)
    {
        if (t_current != this)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static ThreadScheduler CreateForThisThread()
    {
        var scheduler = new ThreadScheduler();
        t_current = scheduler;
        return scheduler;
    }

    /// <summary>The kinds of rarely needed work the dispatch loop looks at through one field test.</summary>
    [Flags]
    private enum RareWork
    {
        None = 0,
        ScheduleCallback = 1,
        Watchdog = 2,
        SwitchTrap = 4,
    }

    private void SetRare(RareWork work, bool on) => _rare = on ? _rare | (int)work : _rare & ~(int)work;

    /// <summary>Whether any rarely needed work is set (one field test, for the operations' rare checks).</summary>
    public bool HasRareWork => _rare != 0;

    // ---- runnable chain -----------------------------------------------------------------------------------------

    /// <summary>Appends <paramref name="tasklet"/> at the end of the round (just before the current tasklet).</summary>
    public void AppendRunnable(Tasklet tasklet)
    {
        tasklet.EnterRunnable();
        TaskletChain.Append(ref _current, tasklet);
        _runCount++;
    }

    /// <summary>Inserts <paramref name="tasklet"/> right after <paramref name="anchor"/>, a runnable tasklet.</summary>
    public void InsertRunnableAfter(Tasklet anchor, Tasklet tasklet)
    {
        Debug.Assert(anchor.Wait == TaskletWait.Runnable);
        tasklet.EnterRunnable();
        TaskletChain.InsertAfter(anchor, tasklet);
        _runCount++;
    }

    /// <summary>Takes <paramref name="tasklet"/> out of the runnable chain; if it was current, its successor becomes current.</summary>
    public void RemoveRunnable(Tasklet tasklet)
    {
        TaskletChain.Remove(ref _current, tasklet);
        tasklet.LeaveRunnable();
        _runCount--;
    }

    /// <summary>Makes <paramref name="tasklet"/>, a runnable tasklet, the head of the chain: it runs next.</summary>
    public void MakeCurrent(Tasklet tasklet)
    {
        Debug.Assert(tasklet.Wait == TaskletWait.Runnable, "only a runnable tasklet can become current");
        _current = tasklet;
    }

    /// <summary>Whether no tasklet is runnable.</summary>
    public bool NoneRunnable => _current is null;

    /// <summary>Whether <paramref name="tasklet"/> is the only runnable tasklet.</summary>
    public static bool IsOnlyRunnable(Tasklet tasklet) =>
        tasklet.Wait == TaskletWait.Runnable && tasklet.NextLink == tasklet;

    // ---- alive list ---------------------------------------------------------------------------------------------

    /// <summary>Adds a tasklet that became alive to the alive list.</summary>
    public void RememberAlive(Tasklet tasklet)
    {
        if (tasklet.IsMain || tasklet.AliveIndex >= 0)
        {
            return;
        }

        if (_aliveSlots == _alive.Length)
        {
            // Stryker disable once Equality : the threshold is a memory heuristic; either side keeps the list's content and order
            if (_aliveCount < _aliveSlots / 2)
            {
                CompactAlive();
            }
            else
            {
                Array.Resize(ref _alive, _alive.Length * 2);
            }
        }

        tasklet.AliveIndex = _aliveSlots;
        _alive[_aliveSlots++] = tasklet;
        _aliveCount++;
    }

    /// <summary>Removes a tasklet that died or was unbound from the alive list.</summary>
    public void ForgetAlive(Tasklet tasklet)
    {
        var index = tasklet.AliveIndex;
        if (index < 0)
        {
            return;
        }

        Debug.Assert(_alive[index] == tasklet);
        _alive[index] = null;
        tasklet.AliveIndex = -1;
        _aliveCount--;
        // Stryker disable Arithmetic,Statement : giving the last slot back saves a slot; keeping it leaves a hole, which
        // changes neither the content nor the order (AliveListTests pin both, and that the count never passes the array)
        if (index == _aliveSlots - 1)
        {
            _aliveSlots--;
        }

        // Stryker restore Arithmetic,Statement
    }

    /// <summary>Removes a tasklet of this scheduler, whose thread has ended, from the alive list (from another thread: nobody else touches it).</summary>
    public void ForgetAliveOfEndedThread(Tasklet tasklet)
    {
        lock (_alive)
        {
            ForgetAlive(tasklet);
        }
    }

    /// <summary>Moves the alive tasklets to the front of the list, in order, renumbering them.</summary>
    private void CompactAlive()
    {
        var used = 0;
        for (var i = 0; i < _aliveSlots; i++)
        {
            if (_alive[i] is { } tasklet)
            {
                tasklet.AliveIndex = used;
                _alive[used++] = tasklet;
            }
        }

        Array.Clear(_alive, used, _aliveSlots - used);
        _aliveSlots = used;
    }

    /// <summary>The alive tasklets of this scheduler, main first, then in the order they became alive.</summary>
    public List<Tasklet> AliveTasklets()
    {
        // A diagnostic read from another thread (DescribeAllThreads) sees a snapshot of the array; it cannot loop.
        var alive = _alive;
        // Stryker disable once Linq : equivalent on the owner thread (slots never exceed the array); a guard for readers on others
        var slots = Math.Min(_aliveSlots, alive.Length);
        var list = new List<Tasklet>(_aliveCount + 1) { _main };
        for (var i = 0; i < slots; i++)
        {
            if (alive[i] is { } tasklet)
            {
                list.Add(tasklet);
            }
        }

        return list;
    }

    /// <summary>A report of every alive tasklet and what it waits on, for deadlock errors and debugging.</summary>
    public string DescribeTasklets()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Scheduler of thread {ThreadId}: runcount {_runCount}, {_ioPending} tasklet(s) waiting for I/O.");
        foreach (var tasklet in AliveTasklets())
        {
            text.AppendLine().Append("  ").Append(tasklet);
        }

        return text.ToString();
    }
}
