using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // The inbox is the only part of a scheduler other threads touch: continuations of foreign awaits (I/O),
    // completions of blocking calls, wake-ups of tasklets served by a channel on another thread, and operations
    // other threads ask this scheduler to perform arrive here from any thread, under _inboxLock. The baton holder
    // drains it.

    private readonly object _inboxLock = new();
    private Queue<InboxItem> _inbox = new();
    private Queue<InboxItem> _draining = new();

    /// <summary>Items in the inbox; read without the lock as a cheap "anything to drain?" test.</summary>
    private volatile int _inboxCount;

    /// <summary>Tasklets blocked on I/O (soft tasklets awaiting foreign awaitables, hard tasklets in blocking calls).</summary>
    private int _ioPending;

    /// <summary>True while the baton holder sleeps in <see cref="WaitForInbox"/>.</summary>
    private bool _driverWaiting;

    /// <summary>The managed id of the thread that holds the baton and runs the dispatch loop.</summary>
    private volatile int _driverThreadId;

    /// <summary>The number of tasklets waiting for I/O.</summary>
    public int IoPending => _ioPending;

    /// <summary>
    /// Channel waits that a cancellation token (a timeout) may end: like pending I/O, they keep Run() waiting for the
    /// inbox and are no deadlock. Touched only by the baton holder.
    /// </summary>
    public int CancellableWaits { get; set; }

    /// <summary>Whether something outside the runnable chain will post to the inbox: I/O, blocking calls, timed waits.</summary>
    private bool ExternalWakePending => _ioPending > 0 || CancellableWaits > 0;

    /// <summary>
    /// Hands a continuation of <paramref name="tasklet"/> to the scheduler (its synchronization context's Post).
    /// The running tasklet posting to itself on the dispatch thread (<c>Task.Yield</c>, or the runtime unwinding a deep
    /// stack) yields: the continuation is its next step and it goes to the end of the round, like <c>schedule()</c>.
    /// Anything else goes through the inbox.
    /// </summary>
    public void Post(Tasklet tasklet, in Continuation continuation)
    {
        if (TryContinueInPlace(tasklet, continuation))
        {
            if (_current == tasklet)
            {
                MakeCurrent(tasklet.NextLink!);
            }

            return;
        }

        PostToInbox(tasklet, continuation);
    }

    /// <summary>
    /// Makes <paramref name="continuation"/> the next step of the running tasklet without yielding (the stack-safe
    /// builders deferring a frame to a fresh stack); falls back to <see cref="Post"/> semantics elsewhere.
    /// </summary>
    public void Trampoline(Tasklet tasklet, in Continuation continuation)
    {
        if (!TryContinueInPlace(tasklet, continuation))
        {
            PostToInbox(tasklet, continuation);
        }
    }

    private bool TryContinueInPlace(Tasklet tasklet, in Continuation continuation)
    {
        if (_executingSoft != tasklet || Environment.CurrentManagedThreadId != _driverThreadId || tasklet.Resume.IsSet)
        {
            return false;
        }

        tasklet.Resume = continuation;
        return true;
    }

    private void PostToInbox(Tasklet tasklet, in Continuation continuation) =>
        PostToInbox(new InboxItem(InboxItemKind.Resume, tasklet, continuation));

    private void PostToInbox(in InboxItem item)
    {
        lock (_inboxLock)
        {
            _inbox.Enqueue(item);
            _inboxCount = _inbox.Count;
            if (_driverWaiting)
            {
                Monitor.Pulse(_inboxLock);
            }
        }

    }

    /// <summary>Marks a threaded tasklet as waiting for a blocking call that runs outside the scheduler.</summary>
    public void EnterBlockingCall(Tasklet tasklet)
    {
        Debug.Assert(tasklet.IsThreaded && tasklet == _current);
        RemoveRunnable(tasklet);
        tasklet.Flags |= TaskletFlags.InIo;
        _ioPending++;
    }

    /// <summary>Delivers every inbox item: a tasklet blocked on I/O becomes runnable again, at the end of the round.</summary>
    private void DrainInbox()
    {
        lock (_inboxLock)
        {
            (_inbox, _draining) = (_draining, _inbox);
            _inboxCount = 0;
        }

        while (_draining.TryDequeue(out var item))
        {
            switch (item.Kind)
            {
                case InboxItemKind.Resume:
                    Deliver(item.Tasklet!, item.Continuation);
                    break;
                case InboxItemKind.ChannelWake:
                    DeliverChannelWake(item.Tasklet!);
                    break;
                default:
                    RunRemoteAction(item.Continuation);
                    break;
            }
        }
    }

    private void Deliver(Tasklet tasklet, in Continuation continuation)
    {
        if ((tasklet.Flags & TaskletFlags.InIo) != 0)
        {
            tasklet.Flags &= ~TaskletFlags.InIo;
            _ioPending--;
            if (continuation.IsSet)
            {
                tasklet.Resume = continuation;
            }

            if ((tasklet.Flags & TaskletFlags.RemovedWhileInIo) != 0)
            {
                tasklet.Flags &= ~TaskletFlags.RemovedWhileInIo;
            }
            else
            {
                AppendRunnable(tasklet);
            }
        }
        else if (continuation.IsSet)
        {
            // A second flow inside one tasklet (an un-awaited async call that finished later): it runs as the
            // tasklet's next step once the current one has suspended, so it is never lost.
            tasklet.DeferPost(continuation);
        }
    }

    /// <summary>Sleeps until something arrives in the inbox (only when nothing is runnable and I/O is pending).</summary>
    private void WaitForInbox()
    {
        if (!SpinForInbox())
        {
            SleepForInbox();
        }
    }

    /// <summary>Blocks the thread until something arrives in the inbox, without spinning first.</summary>
    private void SleepForInbox()
    {
        lock (_inboxLock)
        {
            while (_inboxCount == 0)
            {
                _driverWaiting = true;
                Monitor.Wait(_inboxLock);
            }

            _driverWaiting = false;
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
            if (_inboxCount != 0)
            {
                return true;
            }

            spinner.SpinOnce(sleep1Threshold: -1);
        }

        return _inboxCount != 0;
    }

    /// <summary>How many times <see cref="SpinForInbox"/> looks before the thread sleeps.</summary>
    private const int InboxSpinCount = 40;
}
