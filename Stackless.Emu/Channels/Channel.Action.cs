using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Stackless's generic_channel_action. Direction +1 is send, -1 is receive. Each core returns whether the caller must
    // suspend; the synchronous forms then run the scheduler, the asynchronous ones return a pending awaitable. Every
    // decision is made, and the queue updated, inside the channel's critical section (Channel.Sharing.cs) and before the
    // caller suspends; the channel decides who is served, the scheduler places the woken partner (WakePartner). Values
    // travel in the tasklets' own fields: a receiver finds its value in its fields whether it suspended or not.
    // The channel callback runs before, outside the critical section; on a shared channel its willBlock is a snapshot.

    /// <summary>Sends <paramref name="value"/> (or <paramref name="error"/>, see <see cref="ErrorTransfer"/>) from <paramref name="source"/>.</summary>
    private bool SendCore(Tasklet source, T value, object? error)
    {
        var scheduler = source.Scheduler;
        scheduler.CountChannelOperation();
        if (scheduler.ChannelCallback is not null)
        {
            NotifySend(source, value, error);
        }

        if (TryEnterOwned(scheduler))
        {
            try
            {
                return SendInSection(source, value, error);
            }
            finally
            {
                ExitOwned();
            }
        }

        lock (SharedLock(scheduler, joinGroup: !source.IsForeign))
        {
            return SendInSection(source, value, error);
        }
    }

    private void NotifySend(Tasklet source, T value, object? error)
    {
        if (source.Scheduler.ChannelCallback is { } callback)
        {
            var willBlock = InCriticalSection(source.Scheduler, 0, static (channel, _) => channel._balance >= 0);

            // Stackless puts the value in the sender's tempval before it calls the callback.
            var saved = source.TempVal;
            source.SetTempVal(error switch
            {
                null => value,
                ExceptionDispatchInfo info => new Bomb(info.SourceException),
                _ => new Bomb((Exception)error),
            });
            try
            {
                callback(this, source, true, willBlock);
            }
            finally
            {
                source.SetTempVal(saved);
            }
        }
    }

    private bool SendInSection(Tasklet source, T value, object? error)
    {
        DropWaitersOfEndedThreads();
        if (_balance < 0)
        {
            var receiver = _head!;
            if (receiver.Scheduler != source.Scheduler || receiver.IsForeign || source.IsForeign)
            {
                receiver.PutValueOrError(value, error);
                ServeElsewhere(receiver);
                return false;
            }

            var scheduler = source.Scheduler;
            if (scheduler.HasRareWork)
            {
                scheduler.ThrowIfSwitchTrapped(ScheduleAll || Preference < 0);
            }

            receiver.PutValueOrError(value, error);
            Dequeue(receiver);
            return scheduler.WakePartner(source, receiver, ScheduleAll, partnerPreferred: Preference < 0);
        }

        CheckCanBlock(source);
        source.PutValueOrError(value, error);
        Block(source, direction: 1);
        return true;
    }

    /// <summary>
    /// Receives for <paramref name="source"/>: the value arrives in the caller's own fields, at once or before it resumes.
    /// Returns whether the caller must suspend.
    /// </summary>
    private bool ReceiveCore(Tasklet source)
    {
        var scheduler = source.Scheduler;
        scheduler.CountChannelOperation();
        if (scheduler.ChannelCallback is { } callback)
        {
            var willBlock = InCriticalSection(scheduler, 0, static (channel, _) => channel._balance <= 0);
            callback(this, source, false, willBlock);
        }

        if (TryEnterOwned(scheduler))
        {
            try
            {
                return ReceiveInSection(source);
            }
            finally
            {
                ExitOwned();
            }
        }

        lock (SharedLock(scheduler, joinGroup: !source.IsForeign))
        {
            return ReceiveInSection(source);
        }
    }

    private bool ReceiveInSection(Tasklet source)
    {
        DropWaitersOfEndedThreads();
        if (_balance > 0)
        {
            var sender = _head!;
            if (sender.Scheduler != source.Scheduler || sender.IsForeign || source.IsForeign)
            {
                sender.MoveValueTo<T>(source);
                ServeElsewhere(sender);
                return false;
            }

            var scheduler = source.Scheduler;
            if (scheduler.HasRareWork)
            {
                scheduler.ThrowIfSwitchTrapped(ScheduleAll || Preference > 0);
            }

            sender.MoveValueTo<T>(source);
            Dequeue(sender);
            return scheduler.WakePartner(source, sender, ScheduleAll, partnerPreferred: Preference > 0);
        }

        CheckCanBlock(source);
        Block(source, direction: -1);
        return true;
    }

    /// <summary>
    /// Serves a partner of another thread or of code outside the tasklet world (its value already handed over): it is
    /// woken on its own thread, or its asynchronous operation completes; the caller goes on (Stackless's interthread rule).
    /// </summary>
    private void ServeElsewhere(Tasklet partner)
    {
        if (partner.IsForeign)
        {
            Dequeue(partner);
            partner.CompleteForeign();
            return;
        }

        UnlinkForeign(partner);
        partner.Scheduler.PostChannelWake(partner);
    }

    /// <summary>
    /// Takes out of the queue the waiters whose thread has ended: they can never run again (Stackless ends a thread's
    /// tasklets with it), so no value goes to them and none is taken from them. Only a shared channel can hold them.
    /// </summary>
    private void DropWaitersOfEndedThreads()
    {
        if (!_sharing)
        {
            return;
        }

        for (var waiter = _head; waiter is not null && !waiter.IsForeign && !waiter.Scheduler.OwnerThread.IsAlive; waiter = _head)
        {
            Dequeue(waiter);
            waiter.EndWithoutThread();
        }
    }

    /// <summary>Moves <paramref name="source"/> from the runnable chain (a stand-in of foreign code is in none) into this channel's queue.</summary>
    private void Block(Tasklet source, int direction)
    {
        if (source.IsForeign)
        {
            Enqueue(source, direction);
            return;
        }

        var scheduler = source.Scheduler;
        scheduler.RemoveRunnable(source);
        Enqueue(source, direction);
        if (scheduler.NoneRunnable && source.PeekError() is not null) // only a sender holds a value or an error here
        {
            scheduler.NoteBlockedWithError(source); // main revived next gets its error (ThreadScheduler.ReviveMain.cs)
        }
    }
}
