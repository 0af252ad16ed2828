using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// The opt-in stall detector (<see cref="StacklessDiagnostics.StallThreshold"/>): a timer samples every scheduler and
/// reports, through <see cref="StacklessDiagnostics.ErrorHandler"/>, one that made no progress for the threshold while
/// tasklets were runnable or completions waited in its inbox (sync-over-async inside a tasklet, a main that never runs
/// its scheduler). Off by default: it costs nothing then.
/// </summary>
internal static class StallDetector
{
    private static readonly object s_lock = new();
    private static Timer? s_timer;
    private static long s_threshold;

    /// <summary>Starts, changes or (null) stops the detector.</summary>
    public static void Configure(TimeSpan? threshold)
    {
        lock (s_lock)
        {
            s_timer?.Dispose();
            s_timer = null;
            if (threshold is not { } value)
            {
                return;
            }

            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero, nameof(threshold));
            s_threshold = (long)(value.TotalSeconds * Stopwatch.Frequency);
            var period = TimeSpan.FromTicks(Math.Max(value.Ticks / 4, TimeSpan.TicksPerMillisecond));
            s_timer = new Timer(static _ => Sample(), null, period, period);
        }
    }

    private static void Sample()
    {
        var now = Stopwatch.GetTimestamp();
        foreach (var scheduler in SchedulerRegistry.Snapshot())
        {
            if (scheduler.CheckStall(now, Volatile.Read(ref s_threshold)) is { } report)
            {
                StacklessDiagnostics.Report(report, null);
            }
        }
    }
}
