using System.Diagnostics;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Thread safety without a lock on the single-threaded path (biased locking). The channel belongs to the scheduler of
    // the thread that created it: its operations bracket their critical section with the plain flag _ownerBusy and never
    // lock. When another thread first uses it, that thread shares the channel once and for all: it raises _sharing, issues
    // a process-wide memory barrier (so the owner either sees _sharing in its next critical section or has published
    // _ownerBusy), waits for the owner to leave any critical section in progress, and from then on every operation of
    // every thread runs under the channel's lock (the channel object). A critical section never blocks or runs user code,
    // so the wait is short. The creator's and the user's schedulers join one group: a thread blocked on the channel waits
    // (instead of reporting a deadlock) while the creator, which can reach the channel, is live.

    /// <summary>Whether schedulers of more than one thread have used this channel (every operation now takes its lock).</summary>
    /// <remarks>Thread safety: any thread; once true it stays true.</remarks>
    public bool IsShared => _sharing;

    /// <summary>
    /// Enters the lock-free critical section of the owning scheduler; false when the channel is shared or the caller is
    /// not its owner, in which case the caller takes <see cref="SharedLock"/> instead. Pair a true result with <see cref="ExitOwned"/>.
    /// </summary>
    private bool TryEnterOwned(ThreadScheduler scheduler)
    {
        if (_owner != scheduler)
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

    /// <summary>
    /// The calling thread's scheduler: the owner, known without a thread-static read, when the caller is a soft step the
    /// owner executes (the hot path of SendAsync/ReceiveAsync, see ThreadScheduler.CallerOnStack.cs); else the thread static.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ThreadScheduler CallingScheduler() =>
        _owner is { } owner && owner.IsCallerItsSoftStep() ? owner : ThreadScheduler.Current;

    /// <summary>
    /// The lock of a shared channel; the first call from a foreign scheduler turns the channel shared. Unless
    /// <paramref name="joinGroup"/> is false (an asynchronous operation of code outside the tasklet world, which blocks no
    /// thread), the caller's scheduler joins the owner's deadlock group.
    /// </summary>
#pragma warning disable CA1859 // The lock object's type says nothing; callers only lock on it.
    private object SharedLock(ThreadScheduler scheduler, bool joinGroup = true)
    {
        if (!_sharing)
        {
            lock (this)
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
        if (joinGroup && owner.Group != scheduler.Group)
        {
            SchedulerRegistry.Join(owner, scheduler);
        }

        return this;
    }
#pragma warning restore CA1859

    /// <summary>Runs <paramref name="action"/> in the channel's critical section for <paramref name="scheduler"/> (off the hot path).</summary>
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

    /// <summary>
    /// Takes a waiting tasklet of another thread out of the queue, after its value was handed over: it becomes
    /// <see cref="TaskletWait.ChannelServed"/>, and is woken on its own thread.
    /// </summary>
    private void UnlinkForeign(Tasklet tasklet)
    {
        Debug.Assert(_sharing && tasklet.WaitingOnChannel == this);
        _balance -= tasklet.WaitDirection;
        TaskletChain.Remove(ref _head, tasklet);
        tasklet.MarkServedRemotely();
        Debug.Assert((_balance == 0) == (_head is null), "the queue is empty exactly when the balance is 0");
    }
}
