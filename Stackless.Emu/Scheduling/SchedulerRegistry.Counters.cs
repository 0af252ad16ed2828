namespace Stackless.Emu;

internal static partial class SchedulerRegistry
{
    /// <summary>The cumulative counts of schedulers whose threads have ended (added when they are pruned, under the lock).</summary>
    private static SchedulerCounters s_retired;

    /// <summary>The counters summed over every scheduler, those of ended threads included (for the metrics).</summary>
    public static SchedulerCounters Totals()
    {
        lock (s_lock)
        {
            PruneDeadThreads();
            var total = s_retired;
            foreach (var scheduler in s_schedulers)
            {
                total += scheduler.ReadCounters();
            }

            return total;
        }
    }
}
