using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // The inbox is the only part of a scheduler other threads touch. A tasklet that other threads hand back (its foreign
    // I/O completed, a channel action on another thread served it, its blocking call returned) is pushed onto a lock-free
    // stack linked through its own NextLink, which is free while it waits (Io or ChannelServed): no allocation and no
    // lock per completion. The pusher first claims the link with a CAS from null, so a tasklet is in the stack at most
    // once; a second hand-in while it is queued (a second flow), remote operations and posted work go to a small locked
    // queue. The baton holder drains both between steps, every step, in arrival order; a thread that sleeps for the
    // inbox is woken only when it sleeps (no per-item wake while the scheduler is busy).

    /// <summary>Whether anything waits in the inbox; read without a lock.</summary>
    public bool HasInboxWork => Volatile.Read(ref _inboxTop) is not null || _actionCount != 0;

    /// <summary>The number of tasklets waiting for I/O.</summary>
    public int IoPending => _ioPending;

    /// <summary>Items handed in so far (tests count rounds between a hand-in and its delivery).</summary>
    public long InboxPosts => Volatile.Read(ref _inboxPosts);

    /// <summary>
    /// Channel waits that a cancellation token (a timeout) may end: like pending I/O, they keep Run() waiting for the
    /// inbox and are no deadlock. Touched only by the baton holder.
    /// </summary>
    public int CancellableWaits { get; set; }

    /// <summary>Whether something outside the runnable chain will hand work in: I/O, blocking calls, timed waits.</summary>
    private bool ExternalWakePending => _ioPending > 0 || CancellableWaits > 0 || Volatile.Read(ref _operations) > 0;

    /// <summary>
    /// Hands <paramref name="tasklet"/> back to its scheduler from any thread: it waits for I/O (its resumption, if any, is
    /// already stored) and that I/O completed, or a channel action on another thread served it. Only such a tasklet may
    /// be handed back this way: its links are free, and its owner does not touch them until it is delivered. It becomes
    /// runnable at the end of the round.
    /// </summary>
    public void PostTasklet(Tasklet tasklet)
    {
        Debug.Assert(tasklet.Scheduler == this);
        if (Interlocked.CompareExchange(ref tasklet.NextLink, s_inboxEnd, null) is not null)
        {
            // Already queued: delivered once; this second hand-in finds it delivered and does nothing.
            PostItem(new InboxItem(InboxItemKind.Tasklet, tasklet, null, null));
            return;
        }

        Interlocked.Increment(ref _inboxPosts); // counted before it can be delivered, so a count never trails its delivery

        Tasklet? top;
        do
        {
            top = Volatile.Read(ref _inboxTop);
            tasklet.NextLink = top ?? s_inboxEnd;
        }
        while (Interlocked.CompareExchange(ref _inboxTop, tasklet, top) != top);

        WakeDriverIfWaiting();
    }

    /// <summary>Hands an item to the locked queue (remote operations, posted work, a second hand-in of one tasklet).</summary>
    private void PostItem(in InboxItem item)
    {
        Interlocked.Increment(ref _inboxPosts); // counted before it can be delivered, so a count never trails its delivery
        lock (_wakeLock)
        {
            _actions.Enqueue(item);
            _actionCount = _actions.Count;
            if (_driverWaiting)
            {
                Monitor.Pulse(_wakeLock);
            }
        }
    }

    private void WakeDriverIfWaiting()
    {
        if (_driverWaiting)
        {
            lock (_wakeLock)
            {
                Monitor.Pulse(_wakeLock);
            }
        }
    }

    /// <summary>Delivers everything in the inbox: tasklets become runnable (at the end of the round), actions run.</summary>
    private void DrainInbox()
    {
        var top = Interlocked.Exchange(ref _inboxTop, null);
        if (top is not null)
        {
            // The stack is newest first: reverse it (through PrevLink, free too) to deliver in arrival order.
            Tasklet? first = null;
            for (var t = top; t != s_inboxEnd; t = t.NextLink!)
            {
                t.PrevLink = first;
                first = t;
            }

            for (var t = first; t is not null;)
            {
                var next = t.PrevLink;
                t.PrevLink = null;
                Volatile.Write(ref t.NextLink, null);
                Deliver(t);
                t = next;
            }
        }

        if (_actionCount != 0)
        {
            DrainActions();
        }
    }

    private void DrainActions()
    {
        lock (_wakeLock)
        {
            (_actions, _drainingActions) = (_drainingActions, _actions);
            _actionCount = 0;
        }

        while (_drainingActions.TryDequeue(out var item))
        {
            switch (item.Kind)
            {
                case InboxItemKind.Tasklet:
                    if (item.Tasklet!.Wait is TaskletWait.Io or TaskletWait.ChannelServed)
                    {
                        Deliver(item.Tasklet);
                    }

                    break;
                case InboxItemKind.Resume:
                    DeliverResume(item.Tasklet!, item.Callback!, item.State);
                    break;
                case InboxItemKind.PostedWork:
                    StartPostedWork((SendOrPostCallback)item.Callback!, item.State);
                    break;
                case InboxItemKind.WaitDone:
                    DeliverWaitDone(item.Tasklet!, (ThreadedWait)item.Callback!);
                    break;
                default:
                    RunRemoteAction((Action)item.Callback!);
                    break;
            }
        }
    }

    /// <summary>
    /// Makes a tasklet handed back by another thread runnable again, by its wait state: its I/O completed (its
    /// resumption, if any, is already stored), or a channel action on another thread served it.
    /// </summary>
    private void Deliver(Tasklet tasklet)
    {
        switch (tasklet.Wait)
        {
            case TaskletWait.Io:
                _ioPending--;
                if (!tasklet.LeaveIo())
                {
                    AppendRunnable(tasklet);
                    ReinsertJoinersAfter(tasklet);
                }

                break;
            case TaskletWait.ChannelServed:
                tasklet.CompleteRemoteWake();
                AppendRunnable(tasklet);
                ReinsertJoinersAfter(tasklet);
                break;
            default:
                Debug.Fail($"{tasklet} was handed back while {tasklet.Wait}: only tasklets waiting for I/O or a wake are.");
                break;
        }
    }

    /// <summary>Delivers a resumption handed in through the locked queue.</summary>
    private void DeliverResume(Tasklet tasklet, object callback, object? state)
    {
        if (!tasklet.Alive)
        {
            // The tasklet has died meanwhile (a flow it left behind): the callback runs as posted work of its own.
            StartPostedWork((SendOrPostCallback)callback, state);
        }
        else if (tasklet.Wait == TaskletWait.Io && !tasklet.HasResume)
        {
            _ioPending--;
            tasklet.SetResume((SendOrPostCallback)callback, state);
            if (!tasklet.LeaveIo())
            {
                AppendRunnable(tasklet);
                ReinsertJoinersAfter(tasklet);
            }
        }
        else
        {
            // A second flow inside one tasklet (an un-awaited async call that finished later): it runs as the
            // tasklet's next step once the current one has suspended, so it is never lost.
            tasklet.DeferPost(callback, state);
        }
    }

    /// <summary>Sleeps until something arrives in the inbox (only when nothing is runnable and I/O is pending).</summary>
    private void WaitForInbox()
    {
        if (!SpinForInbox())
        {
            SleepForInbox(Timeout.Infinite);
        }
    }

    /// <summary>Blocks the thread until something arrives in the inbox or <paramref name="timeoutMilliseconds"/> pass, without spinning first.</summary>
    private void SleepForInbox(int timeoutMilliseconds)
    {
        Park(); // other threads may operate on this scheduler's tasklets directly while it sleeps (ThreadScheduler.Parking.cs)
        try
        {
            lock (_wakeLock)
            {
                _driverWaiting = true;
                Interlocked.MemoryBarrier(); // a pusher either sees _driverWaiting or its push is seen below
                if (!HasInboxWork)
                {
                    Monitor.Wait(_wakeLock, timeoutMilliseconds);
                }

                _driverWaiting = false;
            }
        }
        finally
        {
            Unpark();
        }
    }

    /// <summary>
    /// Spins briefly for an inbox item before sleeping: between scheduler threads that hand messages back and forth the
    /// answer usually comes within microseconds, far sooner than an OS wake-up. Yields the core while it spins, so it
    /// costs little when threads outnumber cores.
    /// </summary>
    private bool SpinForInbox()
    {
        var spinner = default(SpinWait);
        for (var i = 0; i < InboxSpinCount; i++)
        {
            if (HasInboxWork)
            {
                return true;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return HasInboxWork;
    }

    /// <summary>How many times <see cref="SpinForInbox"/> looks before the thread sleeps.</summary>
    private const int InboxSpinCount = 40;
}
