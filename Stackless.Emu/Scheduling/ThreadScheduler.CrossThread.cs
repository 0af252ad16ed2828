using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Other threads reach this scheduler only through its inbox: a channel action on another thread that serves one of
    // our tasklets posts a ChannelWake; remote tasklet operations post an Action. Both run on our baton holder, so the
    // runnable chain stays single-threaded.

    /// <summary>The OS thread this scheduler belongs to (its main tasklet's thread).</summary>
    public Thread OwnerThread { get; } = Thread.CurrentThread;

    /// <summary>The schedulers that may wake this one's tasklets; written under <see cref="SchedulerRegistry"/>'s lock.</summary>
    public SchedulerGroup Group { get; set; } = new();

    /// <summary>True while this thread waits for another thread to wake it (not live, for deadlock detection).</summary>
    public bool ThreadBlocked
    {
        get => _threadBlocked;
        set => _threadBlocked = value;
    }

    private volatile bool _threadBlocked;

    /// <summary>
    /// Whether this scheduler may still wake a tasklet of its group: its thread is alive and either not waiting for
    /// other threads, or has something in its inbox it has not woken up for yet. (A waiting thread marks itself live
    /// again before it drains, so at every moment one of the two holds while it has work.)
    /// </summary>
    public bool IsLive => OwnerThread.IsAlive && (!_threadBlocked || _inboxCount != 0);

    /// <summary>True while this thread is an idle <see cref="SchedulerThread"/> waiting for posts (a kind of <see cref="ThreadBlocked"/>).</summary>
    public bool Idle { get; set; }

    /// <summary>
    /// Called by a channel action on another thread that served <paramref name="tasklet"/>, which is still flagged
    /// <see cref="TaskletFlags.InChannel"/> but has left the channel's queue: it becomes runnable on its own thread.
    /// </summary>
    public void PostChannelWake(Tasklet tasklet)
    {
        Debug.Assert(tasklet.Scheduler == this && tasklet.BlockedOn is null);
        PostToInbox(new InboxItem(InboxItemKind.ChannelWake, tasklet, default));
    }

    /// <summary>Asks this scheduler to run <paramref name="action"/> on its baton holder, from any thread.</summary>
    public void PostAction(Action action) => PostToInbox(new InboxItem(InboxItemKind.Action, null, Continuation.From(action)));

    private void DeliverChannelWake(Tasklet tasklet)
    {
        Debug.Assert((tasklet.Flags & TaskletFlags.InChannel) != 0 && tasklet.BlockedOn is null, "exactly one wake per cross-thread hand-over");
        tasklet.Flags &= ~TaskletFlags.InChannel;
        tasklet.BlockedDirection = 0;
        AppendRunnable(tasklet);
    }

    private void RunRemoteAction(in Continuation action)
    {
        var saved = _executingOverride;
        _executingOverride = _main;
        try
        {
            action.Invoke();
        }
#pragma warning disable CA1031 // The thread that asked has moved on; like any tasklet error, this one goes to main.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _executingOverride = saved;
            RaiseIn(Wakeup, ex);
        }
        finally
        {
            _executingOverride = saved;
        }
    }

    /// <summary>
    /// Waits for another thread of the group to wake a tasklet of this one (Stackless's thread block); returns false,
    /// without waiting, when no other scheduler of the group is live, i.e. the wait would be a deadlock.
    /// </summary>
    private bool TryWaitForOtherThreads()
    {
        if (SpinForInbox())
        {
            return true;
        }

        if (!SchedulerRegistry.TryBlock(this))
        {
            return false;
        }

        try
        {
            SleepForInbox(); // spun above, before telling the group
        }
        finally
        {
            SchedulerRegistry.MarkLive(this);
        }

        return true;
    }

    /// <summary>An idle scheduler thread waits for posted work; meanwhile it counts as not live.</summary>
    private void WaitIdle()
    {
        if (SpinForInbox())
        {
            return; // work arrived at once: no need to tell the group this thread went idle
        }

        SchedulerRegistry.MarkIdle(this);
        try
        {
            SleepForInbox(); // spun above, before telling the group
        }
        finally
        {
            SchedulerRegistry.MarkLive(this);
        }
    }
}
