using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Stackless's generic_channel_action. Direction +1 is send, -1 is receive. Each core returns whether the
    // caller must suspend; the synchronous forms then run the scheduler, the asynchronous ones return a pending
    // awaitable. Every decision is made, and the queues updated, before the caller suspends.

    /// <summary>Sends <paramref name="value"/> (or <paramref name="error"/>, see <see cref="TransferSlot{T}.Error"/>) from <paramref name="source"/>.</summary>
    private bool SendCore(Tasklet source, T value, object? error)
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

        if (partnerWaits)
        {
            var receiver = _head!;
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
        var partnerWaits = _balance > 0;
        source.Scheduler.ChannelCallback?.Invoke(this, source, false, !partnerWaits);
        if (partnerWaits)
        {
            var sender = _head!;
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
        if (target.Scheduler != scheduler)
        {
            throw new InvalidOperationException(
                "The waiting partner belongs to another thread's scheduler; channels across threads are not supported yet.");
        }

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
