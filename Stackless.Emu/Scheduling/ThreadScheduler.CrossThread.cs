using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Other threads reach this scheduler only through its inbox: a channel action on another thread that serves one of
    // our tasklets hands it back (PostChannelWake); remote tasklet operations, posted work and async void bookkeeping
    // arrive as items. All of it runs on our baton holder, so the runnable chain stays single-threaded.

    /// <summary>The schedulers that may wake this one's tasklets; written under <see cref="SchedulerRegistry"/>'s lock.</summary>
    public SchedulerGroup Group
    {
        get => _group;
        set => _group = value;
    }

    /// <summary>True while this thread waits for another thread to wake it (not live, for deadlock detection).</summary>
    public bool ThreadBlocked
    {
        get => _threadBlocked;
        set => _threadBlocked = value;
    }

    /// <summary>True while this thread is an idle <see cref="SchedulerThread"/> waiting for posts (a kind of <see cref="ThreadBlocked"/>).</summary>
    public bool Idle
    {
        get => _idle;
        set => _idle = value;
    }

    /// <summary>
    /// Whether this scheduler may still wake a tasklet of its group: its thread is alive and either not waiting for
    /// other threads, or has something in its inbox it has not woken up for yet. (A waiting thread marks itself live
    /// again before it drains, so at every moment one of the two holds while it has work.)
    /// </summary>
    public bool IsLive => OwnerThread.IsAlive && (!_threadBlocked || HasInboxWork);

    /// <summary>The managed id of the thread driving the loop now.</summary>
    public int DriverThreadId => _driverThreadId;

    /// <summary>Whether the thread runs the scheduler now (inside Run, a synchronous form, or RunMain).</summary>
    public bool IsDriving => _driveDepth > 0;

    /// <summary>
    /// Called by a channel action on another thread that served <paramref name="tasklet"/> (now
    /// <see cref="TaskletWait.ChannelServed"/>): it becomes runnable on its own thread.
    /// </summary>
    public void PostChannelWake(Tasklet tasklet)
    {
        Debug.Assert(tasklet.Scheduler == this && tasklet.Wait == TaskletWait.ChannelServed);
        PostTasklet(tasklet);
    }

    /// <summary>Asks this scheduler to run <paramref name="action"/> on its baton holder, from any thread.</summary>
    public void PostAction(Action action) => PostItem(new InboxItem(InboxItemKind.Action, null, action, null));

    /// <summary>Hands in a second resumption of <paramref name="tasklet"/> (its routing context's slot is taken).</summary>
    public void PostResume(Tasklet tasklet, SendOrPostCallback callback, object? state) =>
        PostItem(new InboxItem(InboxItemKind.Resume, tasklet, callback, state));

    /// <summary>Work posted to the scheduler's synchronization context: runs as a tasklet of its own.</summary>
    public void PostWork(SendOrPostCallback callback, object? state) =>
        PostItem(new InboxItem(InboxItemKind.PostedWork, null, callback, state));

    /// <summary>
    /// Makes a callback posted by the running tasklet itself, on the dispatch thread, its next step (<c>Task.Yield</c>, the
    /// runtime unwinding a deep stack, a stack-safe builder deferring a frame); with <paramref name="yield"/> the tasklet
    /// goes to the end of the round, like <c>schedule()</c>. False when the post comes from elsewhere.
    /// </summary>
    public bool TryContinueInPlace(Tasklet tasklet, object callback, object? state, bool yield)
    {
        if (_executingSoft != tasklet || Environment.CurrentManagedThreadId != _driverThreadId || tasklet.HasResume)
        {
            return false;
        }

        switch (callback)
        {
            case SendOrPostCallback posted:
                tasklet.SetResume(posted, state);
                break;
            case Resumable resumable:
                tasklet.SetResume(resumable);
                break;
            default:
                tasklet.SetResume((Action)callback);
                break;
        }

        if (yield && _current == tasklet)
        {
            MakeCurrent(tasklet.NextLink!);
        }

        return true;
    }

    /// <summary>An async void method started on the scheduler's context: pending work until it completes.</summary>
    public void OperationStarted() => Interlocked.Increment(ref _operations);

    /// <summary>An async void method started on the scheduler's context completed.</summary>
    public void OperationCompleted()
    {
        if (Interlocked.Decrement(ref _operations) == 0)
        {
            PostAction(static () => { }); // a driver waiting for pending work re-checks
        }
    }

    /// <summary>Runs posted work as a soft tasklet of its own, at the end of the round.</summary>
    private static void StartPostedWork(SendOrPostCallback callback, object? state)
    {
        var work = new Tasklet(() =>
        {
            callback(state);
            return Task.CompletedTask;
        })
        {
            IsPostedWork = true,
            Name = "posted work",
        };
        work.Setup();
    }

    private void RunRemoteAction(Action action)
    {
        var saved = _executingOverride;
        _executingOverride = _main;
        try
        {
            action();
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
    /// without waiting, when no other scheduler of the group is live, i.e. the wait would be a deadlock. While it waits it
    /// re-checks the group now and then, so a member whose thread ended without a word cannot leave it waiting for ever.
    /// </summary>
    private bool TryWaitForOtherThreads()
    {
        if (SpinForInbox())
        {
            return true;
        }

        while (true)
        {
            if (!SchedulerRegistry.TryBlock(this))
            {
                return false;
            }

            try
            {
                SleepForInbox(LivenessRecheckMilliseconds); // spun above, before telling the group
            }
            finally
            {
                SchedulerRegistry.MarkLive(this);
            }

            if (HasInboxWork)
            {
                return true;
            }
        }
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
            SleepForInbox(Timeout.Infinite); // spun above, before telling the group
        }
        finally
        {
            SchedulerRegistry.MarkLive(this);
        }
    }

    /// <summary>How often a thread waiting for other threads re-checks that one of them is still live.</summary>
    private const int LivenessRecheckMilliseconds = 500;
}
