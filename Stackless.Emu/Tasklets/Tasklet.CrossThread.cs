using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // A tasklet belongs to the scheduler of the thread that created it. Operations on it from another thread (insert,
    // run, remove, kill, throw) are performed by its own scheduler: they are posted to its inbox and the caller goes on,
    // as Stackless does for tasklets of other threads.

    /// <summary>True when the calling thread's scheduler is not this tasklet's.</summary>
    private bool IsRemote => _scheduler != ThreadScheduler.Current;

    /// <summary>Raises unless the calling thread is this tasklet's: <paramref name="member"/> writes state its scheduler reads without a lock.</summary>
    private void ThrowIfNotOwnThread(string member)
    {
        if (IsRemote && !_scheduler.OwnerEnded) // a tasklet of an ended thread has nobody else reading its state
        {
            throw new InvalidOperationException(Diagnostics.ErrorMessages.OwnerThreadOnly(member));
        }
    }

    /// <summary>
    /// Has this tasklet's own scheduler perform <paramref name="operation"/> on it, shortly; inside an atomic block of the
    /// caller it is collected with the block's other remote operations (ThreadScheduler.AtomicRemote.cs).
    /// </summary>
    private void PostToOwnThread(Action<Tasklet> operation)
    {
        var caller = ThreadScheduler.Current;
        if (!caller.TryDeferRemote(this, operation))
        {
            // Threads that operate on each other's tasklets can wake each other: one group for the deadlock rule.
            SchedulerRegistry.Join(caller, _scheduler);
            _scheduler.PostAction(() => operation(this));
        }
    }

    /// <summary>
    /// Has this tasklet's own scheduler perform <paramref name="operation"/>, which the caller does not wait for: at once
    /// while that thread waits (parked, idle in its scheduler) or has ended, otherwise shortly. Inside an atomic block of
    /// the caller it is collected and handed over with the block's other remote operations, applied together
    /// (ThreadScheduler.AtomicRemote.cs). Returns whether it was applied at once.
    /// </summary>
    private bool ApplyOnOwnThreadSoon(Action<Tasklet> operation)
    {
        var caller = ThreadScheduler.Current;
        if (caller.TryDeferRemote(this, operation))
        {
            return false;
        }

        // Threads that operate on each other's tasklets can wake each other: one group for the deadlock rule.
        SchedulerRegistry.Join(caller, _scheduler);
        if (_scheduler.TryApplyWhileParked(this, operation))
        {
            return true;
        }

        _scheduler.PostAction(() => operation(this));
        return false;
    }

    /// <summary>
    /// Performs <paramref name="operation"/> on this tasklet of another thread and returns when it is done, raising its
    /// exception: at once while that thread waits (parked, idle in its scheduler) or has ended (Stackless changes another
    /// thread's tasklets under the GIL); otherwise its scheduler performs it when it next serves its inbox, while the
    /// caller waits, parked, so that a thread doing the same to one of the caller's tasklets does not wait for it; if that
    /// thread parks first, the caller performs it then. A thread running code outside its scheduler for a long time makes
    /// the caller wait as long (Stackless's caller would wait for the GIL).
    /// </summary>
    private void ApplyOnOwnThreadAndWait(Action<Tasklet> operation)
    {
        var caller = ThreadScheduler.Current;
        caller.FlushAtomicRemote(); // what the caller's atomic block collected comes first
        var owner = _scheduler;
        SchedulerRegistry.Join(caller, owner); // also when applied at once: the threads can now wake each other
        if (owner.TryApplyWhileParked(this, operation))
        {
            return;
        }

        var request = new RemoteOperation(this, operation);

        // Parked meanwhile, so that a thread doing the same to one of the caller's tasklets does not wait for it.
        caller.Park();
        try
        {
            owner.AwaitRemote(request);
        }
        finally
        {
            caller.Unpark();
        }

        request.ThrowIfFailed();
    }
}
