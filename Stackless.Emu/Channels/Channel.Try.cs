namespace Stackless.Emu;

public partial class Channel<T>
{
    // The non-blocking forms (System.Threading.Channels' TryWrite/TryRead on a rendezvous channel): they act only when a
    // partner already waits, and never switch: the partner is placed as if the preference favoured the caller (appended to
    // its own scheduler's round, on its own thread), whatever the channel's preference or schedule_all. So they are safe
    // anywhere: soft tasklets, main, hard tasklets, threads without tasklets, callbacks of other libraries. A thread that
    // tries a shared channel joins its owner's deadlock group, as one that sends or receives does: it may serve it later.

    /// <summary>
    /// Sends <paramref name="value"/> if a receiver is waiting, and returns true; otherwise returns false and nothing
    /// changes (no value is kept: a rendezvous channel has no buffer). Never blocks and never switches: the receiver becomes
    /// runnable and the caller goes on. Any thread; in soft tasklets too.
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public bool TrySend(T value)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.Executing;
        scheduler.CountChannelOperation();
        if (TryEnterOwned(scheduler))
        {
            try
            {
                return TrySendInSection(caller, value);
            }
            finally
            {
                ExitOwned();
            }
        }

        lock (SharedLock(scheduler))
        {
            return TrySendInSection(caller, value);
        }
    }

    /// <summary>
    /// Receives a value if a sender is waiting, and returns true; otherwise returns false. Never blocks and never
    /// switches: the sender becomes runnable and the caller goes on. A sender's exception (<see cref="SendException(Exception)"/>,
    /// <see cref="SendThrow"/>) is raised here, as <see cref="Receive()"/> would. Any thread; in soft tasklets too.
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public bool TryReceive(out T value)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.Executing;
        scheduler.CountChannelOperation();
        bool received;
        if (TryEnterOwned(scheduler))
        {
            try
            {
                received = TryReceiveInSection(caller);
            }
            finally
            {
                ExitOwned();
            }
        }
        else
        {
            lock (SharedLock(scheduler))
            {
                received = TryReceiveInSection(caller);
            }
        }

        // The value crossed over in the caller's own fields, as in a receive that did not have to wait.
        value = received ? caller.TakeValue<T>() : default!;
        return received;
    }

    private bool TrySendInSection(Tasklet source, T value)
    {
        DropWaitersOfEndedThreads(); // as a send does: a waiter whose thread ended can never take the value
        if (_balance >= 0)
        {
            return false;
        }

        var receiver = _head!;
        receiver.PutValue(value);
        ServeWithoutSwitch(source, receiver);
        return true;
    }

    private bool TryReceiveInSection(Tasklet source)
    {
        DropWaitersOfEndedThreads(); // as a receive does: a sender whose thread ended never sent
        if (_balance <= 0)
        {
            return false;
        }

        var sender = _head!;
        sender.MoveValueTo<T>(source);
        ServeWithoutSwitch(source, sender);
        return true;
    }

    /// <summary>Wakes <paramref name="partner"/>, its value already handed over, without switching away from <paramref name="source"/>.</summary>
    private void ServeWithoutSwitch(Tasklet source, Tasklet partner)
    {
        if (partner.Scheduler != source.Scheduler || partner.IsForeign)
        {
            ServeElsewhere(partner);
            return;
        }

        Dequeue(partner);
        source.Scheduler.AppendRunnable(partner);
    }
}
