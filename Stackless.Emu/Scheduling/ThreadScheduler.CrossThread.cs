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
        if (!SchedulerRegistry.TryBlock(this))
        {
            return false;
        }

        try
        {
            WaitForInbox();
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
        SchedulerRegistry.MarkIdle(this);
        try
        {
            WaitForInbox();
        }
        finally
        {
            SchedulerRegistry.MarkLive(this);
        }
    }
}
