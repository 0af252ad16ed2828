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
        if (IsRemote)
        {
            throw new InvalidOperationException(Diagnostics.ErrorMessages.OwnerThreadOnly(member));
        }
    }

    /// <summary>Has this tasklet's own scheduler perform <paramref name="operation"/> on it, shortly.</summary>
    private void PostToOwnThread(Action<Tasklet> operation)
    {
        // Threads that operate on each other's tasklets can wake each other: one group for the deadlock rule.
        SchedulerRegistry.Join(ThreadScheduler.Current, _scheduler);
        _scheduler.PostAction(() => operation(this));
    }
}
