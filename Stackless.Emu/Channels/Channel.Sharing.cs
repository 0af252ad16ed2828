using System.Diagnostics;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Thread safety without a lock on the single-threaded path (biased locking). The first scheduler to use the channel
    // owns it: its operations bracket their critical section with the plain flag _ownerBusy and never lock. When another
    // thread's scheduler first uses it, that thread shares the channel once and for all: it raises _sharing, issues a
    // process-wide memory barrier (so the owner either sees _sharing in its next critical section or has published
    // _ownerBusy), waits for the owner to leave any critical section in progress, and from then on every operation of
    // every thread runs under _sync. A critical section never blocks or runs user code, so the wait is short.

    private ThreadScheduler? _owner;
    private object? _sync;
    private volatile bool _sharing;
    private volatile bool _ownerBusy;

    /// <summary>Whether schedulers of more than one thread have used this channel (every operation now takes its lock).</summary>
    public bool IsShared => _sharing;

    /// <summary>
    /// Enters the lock-free critical section of the owning scheduler; false when the channel is shared, in which
    /// case the caller takes <see cref="SharedLock"/> instead. Pair a true result with <see cref="ExitOwned"/>.
    /// </summary>
    private bool TryEnterOwned(ThreadScheduler scheduler)
    {
        var owner = _owner;
        if (owner != scheduler && (owner is not null || Interlocked.CompareExchange(ref _owner, scheduler, null) is not null))
        {
            return false;
        }

        _ownerBusy = true;
        if (!_sharing)
        {
            return true;
        }

        _ownerBusy = false;
        return false;
    }

    private void ExitOwned() => _ownerBusy = false;

    /// <summary>The lock of a shared channel; the first call from a foreign scheduler turns the channel shared.</summary>
    private object SharedLock(ThreadScheduler scheduler)
    {
        var sync = _sync ?? Interlocked.CompareExchange(ref _sync, new object(), null) ?? _sync!;
        if (!_sharing)
        {
            lock (sync)
            {
                if (!_sharing)
                {
                    _sharing = true;
                    Interlocked.MemoryBarrierProcessWide();
                    var spinner = default(SpinWait);
                    while (_ownerBusy)
                    {
                        spinner.SpinOnce();
                    }
                }
            }
        }

        // Everybody who uses a channel together can wake each other: one group for the deadlock rule.
        var owner = _owner!;
        if (owner.Group != scheduler.Group)
        {
            SchedulerRegistry.Join(owner, scheduler);
        }

        return sync;
    }

    /// <summary>
    /// Runs <paramref name="action"/> in the channel's critical section for <paramref name="scheduler"/>. Off the hot
    /// path; SendCore and ReceiveCore inline the same pattern to avoid the delegate call.
    /// </summary>
    private TResult InCriticalSection<TState, TResult>(ThreadScheduler scheduler, TState state, Func<Channel<T>, TState, TResult> action)
    {
        if (TryEnterOwned(scheduler))
        {
            try
            {
                return action(this, state);
            }
            finally
            {
                ExitOwned();
            }
        }

        lock (SharedLock(scheduler))
        {
            return action(this, state);
        }
    }

    /// <summary>Takes a waiting tasklet of another thread out of the queue; it is woken on its own thread.</summary>
    /// <remarks>Its <see cref="TaskletFlags.InChannel"/> flag stays set until its own scheduler delivers the wake.</remarks>
    private void UnlinkForeign(Tasklet tasklet)
    {
        Debug.Assert(_sharing && tasklet.BlockedOn == this);
        TaskletChain.Remove(ref _head, tasklet);
        tasklet.BlockedOn = null;
        _balance -= tasklet.BlockedDirection;
        Debug.Assert((_balance == 0) == (_head is null), "the queue is empty exactly when the balance is 0");
    }
}
