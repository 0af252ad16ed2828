using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Stackless's generic_channel_action. Direction +1 is send, -1 is receive. Each core returns whether the
    // caller must suspend; the synchronous forms then run the scheduler, the asynchronous ones return a pending
    // awaitable. Every decision is made, and the queues updated, inside the channel's critical section (see
    // Channel.Sharing.cs) and before the caller suspends. The channel callback runs before, outside it.

    /// <summary>Sends <paramref name="value"/> (or <paramref name="error"/>, see <see cref="TransferSlot{T}.Error"/>) from <paramref name="source"/>.</summary>
    private bool SendCore(Tasklet source, T value, object? error)
    {
        var scheduler = source.Scheduler;
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

        lock (SharedLock(scheduler))
        {
            return SendInSection(source, value, error);
        }
    }

    private void NotifySend(Tasklet source, T value, object? error)
    {
        var partnerWaits = _balance < 0;
        if (source.Scheduler.ChannelCallback is { } callback)
        {
            // Stackless puts the value in the sender's tempval before it calls the callback.
            var saved = source.TempVal;
            source.TempVal = error switch
            {
                null => value,
                ExceptionDispatchInfo info => new Bomb(info.SourceException),
                _ => new Bomb((Exception)error),
            };
            try
            {
                callback(this, source, true, !partnerWaits);
            }
            finally
            {
                source.TempVal = saved;
            }
        }
    }

    private bool SendInSection(Tasklet source, T value, object? error)
    {
        if (_balance < 0)
        {
            var receiver = _head!;
            if (receiver.Scheduler != source.Scheduler)
            {
                // Across threads the receiver is woken on its own thread and the caller goes on (Stackless's interthread rule).
                UnlinkForeign(receiver);
                var foreignSlot = receiver.SlotFor<T>();
                foreignSlot.Value = value;
                foreignSlot.Error = error;
                receiver.Scheduler.PostChannelWake(receiver);
                return false;
            }

            Dequeue(receiver);
            var slot = receiver.SlotFor<T>();
            slot.Value = value;
            slot.Error = error;
            return WakePartner(source, receiver, direction: 1);
        }

        CheckCanBlock(source);
        var own = source.SlotFor<T>();
        own.Value = value;
        own.Error = error;
        Block(source, direction: 1);
        return true;
    }

    /// <summary>
    /// Receives for <paramref name="source"/>. When it need not suspend, <paramref name="value"/> is the value
    /// received; otherwise the value arrives in the caller's slot before it resumes.
    /// </summary>
    private bool ReceiveCore(Tasklet source, out T value)
    {
        var scheduler = source.Scheduler;
        scheduler.ChannelCallback?.Invoke(this, source, false, _balance <= 0);
        if (TryEnterOwned(scheduler))
        {
            try
            {
                return ReceiveInSection(source, out value);
            }
            finally
            {
                ExitOwned();
            }
        }

        lock (SharedLock(scheduler))
        {
            return ReceiveInSection(source, out value);
        }
    }

    private bool ReceiveInSection(Tasklet source, out T value)
    {
        if (_balance > 0)
        {
            var sender = _head!;
            if (sender.Scheduler != source.Scheduler)
            {
                // Copy the hand-over out before the wake: once woken, the sender may reuse its slot on its own thread.
                UnlinkForeign(sender);
                var foreignSlot = (TransferSlot<T>)sender.Slot!;
                var received = foreignSlot.Value;
                var error = foreignSlot.Error;
                foreignSlot.Value = default!;
                foreignSlot.Error = null;
                sender.Scheduler.PostChannelWake(sender);
                value = TransferSlot<T>.Deliver(received, error);
                return false;
            }

            Dequeue(sender);
            var from = (TransferSlot<T>)sender.Slot!;
            if (WakePartner(source, sender, direction: -1))
            {
                var own = source.SlotFor<T>();
                own.Value = from.Value;
                own.Error = from.Error;
                from.Value = default!;
                from.Error = null;
                value = default!;
                return true;
            }

            value = from.Take();
            return false;
        }

        CheckCanBlock(source);
        Block(source, direction: -1);
        value = default!;
        return true;
    }

    /// <summary>Places the woken partner by the channel's rules; returns whether the caller must suspend.</summary>
    private bool WakePartner(Tasklet source, Tasklet target, int direction)
    {
        var scheduler = source.Scheduler;
        Debug.Assert(target.Scheduler == scheduler, "partners on other threads are woken by PostChannelWake");
        if (_scheduleAll)
        {
            // Everybody waits: the partner goes last, the caller yields to its successor.
            scheduler.AppendRunnable(target);
            var next = source.NextLink!;
            scheduler.MakeCurrent(next);
            return next != source;
        }

        if (_preference == -direction)
        {
            // The partner is preferred: it runs now, right after the caller, which thereby moves to the end of the round.
            scheduler.InsertRunnableAfter(source, target);
            scheduler.MakeCurrent(target);
            return true;
        }

        // The caller is preferred (or preference 0): the partner is appended and the caller goes on.
        scheduler.AppendRunnable(target);
        return false;
    }

    /// <summary>Moves <paramref name="source"/> from the runnable chain into this channel's queue.</summary>
    private void Block(Tasklet source, int direction)
    {
        source.Scheduler.RemoveRunnable(source);
        Enqueue(source, direction);
    }
}
