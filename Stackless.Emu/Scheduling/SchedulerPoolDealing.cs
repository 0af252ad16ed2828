namespace Stackless.Emu;

/// <summary>How a <see cref="SchedulerPool"/> chooses the scheduler thread of each new tasklet.</summary>
public enum SchedulerPoolDealing
{
    /// <summary>Each new tasklet goes to the next thread in turn: the cheapest choice, even when tasklets cost alike.</summary>
    RoundRobin,

    /// <summary>
    /// Each new tasklet goes to the thread with the lowest load (<see cref="SchedulerPool.GetLoad"/>); ties go to the
    /// threads in turn. For tasklets whose lifetimes differ widely, such as connections that stay open for long.
    /// </summary>
    LeastLoaded,
}
