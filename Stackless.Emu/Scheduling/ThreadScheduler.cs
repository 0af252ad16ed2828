using System.Diagnostics;
using System.Text;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// The scheduler of one OS thread: its runnable chain, main tasklet, and the loop that runs soft tasklets.
/// Every thread that uses the API gets one, implicitly, as in Stackless.
/// </summary>
/// <remarks>
/// Invariants: the runnable chain is circular and its head is the current tasklet (<see cref="_current"/>);
/// exactly one tasklet of a scheduler runs at any moment (its "baton holder"); everything but the inbox
/// (<c>ThreadScheduler.Inbox.cs</c>) is touched only by the baton holder, so it needs no locks.
/// </remarks>
[DebuggerDisplay("Scheduler(thread {ThreadId}, runcount {RunCount}, current {Executing})")]
internal sealed partial class ThreadScheduler
{
    [ThreadStatic]
    private static ThreadScheduler? t_current;

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

    /// <summary>Head of the list of alive non-main tasklets (diagnostics, deadlock reports).</summary>
    private Tasklet? _aliveHead;

    private int _runCount;
    private int _aliveCount;

    /// <summary>The active calls of <see cref="Run"/>, innermost last (Stackless's watchdog stack).</summary>
    private readonly List<RunFrame> _runFrames = [];

    private ThreadScheduler()
    {
        ThreadId = Environment.CurrentManagedThreadId;
        _driverThreadId = ThreadId;
        _main = Tasklet.CreateMain(this);
        AppendRunnable(_main);
        _lastRunning = _main;
        SchedulerRegistry.Register(this);
    }

    /// <summary>This thread's scheduler, created on first use.</summary>
    public static ThreadScheduler Current => t_current ??= new ThreadScheduler();

    /// <summary>Binds the calling thread (a hard tasklet's) to <paramref name="scheduler"/>.</summary>
    internal static void BindThread(ThreadScheduler? scheduler) => t_current = scheduler;

    /// <summary>The managed id of the thread this scheduler belongs to.</summary>
    public int ThreadId { get; }

    /// <summary>The main tasklet.</summary>
    public Tasklet MainTasklet => _main;

    /// <summary>The running tasklet (Stackless's <c>current</c>); inside the schedule callback, the previous one.</summary>
    public Tasklet Executing => _executingOverride ?? _executingSoft ?? _current ?? _main;

    /// <summary>The number of tasklets in the runnable chain, the current one included.</summary>
    public int RunCount => _runCount;

    /// <summary>The schedule callback (prev, next), called before every switch.</summary>
    public Action<Tasklet?, Tasklet?>? ScheduleCallback { get; set; }

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

    // ---- runnable chain -------------------------------------------------------------------------------

    /// <summary>Appends <paramref name="tasklet"/> at the end of the round (just before the current tasklet).</summary>
    public void AppendRunnable(Tasklet tasklet)
    {
        Debug.Assert((tasklet.Flags & TaskletFlags.ChainMask) == 0, "a tasklet is in at most one chain");
        TaskletChain.Append(ref _current, tasklet);
        tasklet.Flags |= TaskletFlags.InRunnable;
        _runCount++;
    }

    /// <summary>Inserts <paramref name="tasklet"/> right after <paramref name="anchor"/>, a runnable tasklet.</summary>
    public void InsertRunnableAfter(Tasklet anchor, Tasklet tasklet)
    {
        Debug.Assert((anchor.Flags & TaskletFlags.InRunnable) != 0 && (tasklet.Flags & TaskletFlags.ChainMask) == 0);
        TaskletChain.InsertAfter(anchor, tasklet);
        tasklet.Flags |= TaskletFlags.InRunnable;
        _runCount++;
    }

    /// <summary>Takes <paramref name="tasklet"/> out of the runnable chain; if it was current, its successor becomes current.</summary>
    public void RemoveRunnable(Tasklet tasklet)
    {
        Debug.Assert((tasklet.Flags & TaskletFlags.InRunnable) != 0, "the tasklet is runnable");
        TaskletChain.Remove(ref _current, tasklet);
        tasklet.Flags &= ~TaskletFlags.InRunnable;
        _runCount--;
    }

    /// <summary>Makes <paramref name="tasklet"/>, a runnable tasklet, the head of the chain: it runs next.</summary>
    public void MakeCurrent(Tasklet tasklet)
    {
        Debug.Assert((tasklet.Flags & TaskletFlags.InRunnable) != 0, "only a runnable tasklet can become current");
        _current = tasklet;
    }

    /// <summary>Whether <paramref name="tasklet"/> is the head of the runnable chain.</summary>
    public bool IsHead(Tasklet tasklet) => _current == tasklet;

    /// <summary>Whether <paramref name="tasklet"/> is the only runnable tasklet.</summary>
    public static bool IsOnlyRunnable(Tasklet tasklet) =>
        (tasklet.Flags & TaskletFlags.InRunnable) != 0 && tasklet.NextLink == tasklet;

    // ---- alive registry -------------------------------------------------------------------------------

    /// <summary>Adds a tasklet that became alive to the diagnostics list.</summary>
    public void RememberAlive(Tasklet tasklet)
    {
        if (tasklet.IsMain || tasklet.AliveNext is not null)
        {
            return;
        }

        tasklet.AliveNext = _aliveHead ?? tasklet;
        tasklet.AlivePrev = _aliveHead?.AlivePrev ?? tasklet;
        tasklet.AliveNext.AlivePrev = tasklet;
        tasklet.AlivePrev.AliveNext = tasklet;
        _aliveHead ??= tasklet;
        _aliveCount++;
    }

    /// <summary>Removes a tasklet that died or was unbound from the diagnostics list.</summary>
    public void ForgetAlive(Tasklet tasklet)
    {
        if (tasklet.AliveNext is null)
        {
            return;
        }

        if (tasklet.AliveNext == tasklet)
        {
            _aliveHead = null;
        }
        else
        {
            tasklet.AlivePrev!.AliveNext = tasklet.AliveNext;
            tasklet.AliveNext.AlivePrev = tasklet.AlivePrev;
            if (_aliveHead == tasklet)
            {
                _aliveHead = tasklet.AliveNext;
            }
        }

        tasklet.AliveNext = null;
        tasklet.AlivePrev = null;
        _aliveCount--;
    }

    /// <summary>The alive tasklets of this scheduler, main first.</summary>
    public List<Tasklet> AliveTasklets()
    {
        // Bounded, so a diagnostic read from another thread (DescribeAllThreads) cannot loop on a list changing under it.
        var limit = (2 * _aliveCount) + 16;
        var list = new List<Tasklet>(_aliveCount + 1) { _main };
        for (var t = _aliveHead; t is not null && list.Count < limit; t = t.AliveNext == _aliveHead ? null : t.AliveNext)
        {
            list.Add(t);
        }

        return list;
    }

    /// <summary>A report of every alive tasklet and what it waits on, for deadlock errors and debugging.</summary>
    public string DescribeTasklets()
    {
        var text = new StringBuilder();
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"Scheduler of thread {ThreadId}: runcount {_runCount}, {_ioPending} tasklet(s) waiting for I/O.");
        foreach (var tasklet in AliveTasklets())
        {
            text.AppendLine().Append("  ").Append(tasklet);
        }

        return text.ToString();
    }
}
