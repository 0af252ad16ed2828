namespace Stackless.Emu;

/// <summary>
/// A sample of the counters of one scheduler, or their sum over every thread: gauges (tasklets alive, runnable, blocked
/// on a channel, blocked on I/O; main tasklets not counted) and cumulative counts.
/// </summary>
internal readonly record struct SchedulerCounters(
    long Alive,
    long Runnable,
    long BlockedOnChannel,
    long BlockedOnIo,
    long Switches,
    long ChannelOperations,
    long Deadlocks,
    long WatchdogInterrupts,
    long CrossThreadWakes)
{
    /// <summary>The cumulative counts only (what a scheduler whose thread has ended leaves behind).</summary>
    public SchedulerCounters Cumulative => this with { Alive = 0, Runnable = 0, BlockedOnChannel = 0, BlockedOnIo = 0 };

    public static SchedulerCounters operator +(SchedulerCounters a, SchedulerCounters b) => new(
        a.Alive + b.Alive,
        a.Runnable + b.Runnable,
        a.BlockedOnChannel + b.BlockedOnChannel,
        a.BlockedOnIo + b.BlockedOnIo,
        a.Switches + b.Switches,
        a.ChannelOperations + b.ChannelOperations,
        a.Deadlocks + b.Deadlocks,
        a.WatchdogInterrupts + b.WatchdogInterrupts,
        a.CrossThreadWakes + b.CrossThreadWakes);
}
