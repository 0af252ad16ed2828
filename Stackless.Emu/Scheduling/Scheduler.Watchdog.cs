using System.Diagnostics;

namespace Stackless.Emu;

public static partial class Scheduler
{
    /// <summary>
    /// Stackless's <c>run(timeout, threadblock, soft, ignore_nesting, totaltimeout)</c>: runs the tasklets like
    /// <see cref="Run()"/>, but a tasklet that has passed <paramref name="timeout"/> switch points since it was switched to
    /// is interrupted at its next switch point: it leaves the runnable queue and is returned (insert it to resume it).
    /// Returns null when the queue ran empty. A switch point is any scheduler or channel operation, or
    /// <see cref="PreemptionPoint"/>; Stackless counts interpreter instructions, which C# cannot interrupt between.
    /// </summary>
    /// <param name="timeout">The budget in switch points; 0 runs without a watchdog.</param>
    /// <param name="threadBlock">With nothing runnable, wait for other threads to wake a tasklet instead of returning.</param>
    /// <param name="soft">Do not interrupt: return null at the next voluntary switch instead (the tasklet that would have
    /// run next stays scheduled and runs right after the caller); preemption points never end a soft run.</param>
    /// <param name="ignoreNesting">Accepted for compatibility: every tasklet is interruptible at its switch points.</param>
    /// <param name="totalTimeout">The budget covers the whole call, not each tasklet's slice.</param>
    /// <returns>The interrupted tasklet, or null (always null when <paramref name="soft"/>).</returns>
    /// <remarks>
    /// <see cref="Tasklet.Atomic"/> tasklets are never interrupted. In nested runs the outermost one with a timeout is the
    /// watchdog, as in Stackless. For main and hard tasklets.
    /// Thread safety: any thread: runs the calling thread's scheduler (its main or a hard tasklet).
    /// </remarks>
    public static Tasklet? Run(int timeout, bool threadBlock = false, bool soft = false, bool ignoreNesting = false, bool totalTimeout = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(timeout);
        return RunWith(timeout, timeBased: false, threadBlock, soft, totalTimeout);
    }

    /// <summary>
    /// Like <see cref="Run(int, bool, bool, bool, bool)"/> with a wall-clock budget: a tasklet that has run for
    /// <paramref name="timeout"/> since it was switched to is interrupted at its next switch point.
    /// </summary>
    /// <param name="timeout">The time slice; <see cref="TimeSpan.Zero"/> runs without a watchdog.</param>
    /// <param name="threadBlock">With nothing runnable, wait for other threads to wake a tasklet instead of returning.</param>
    /// <param name="soft">Return at the next voluntary switch instead of interrupting.</param>
    /// <param name="ignoreNesting">Accepted for compatibility.</param>
    /// <param name="totalTimeout">The budget covers the whole call, not each tasklet's slice.</param>
    /// <returns>The interrupted tasklet, or null.</returns>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static Tasklet? Run(TimeSpan timeout, bool threadBlock = false, bool soft = false, bool ignoreNesting = false, bool totalTimeout = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(timeout, TimeSpan.Zero);
        var stopwatchTicks = (long)Math.Ceiling(timeout.TotalSeconds * Stopwatch.Frequency);
        return RunWith(stopwatchTicks, timeBased: true, threadBlock, soft, totalTimeout);
    }

    /// <summary>
    /// A switch point that switches only when the watchdog of <see cref="Run(int, bool, bool, bool, bool)"/> interrupts
    /// the caller: call it in long computations that should stay preemptible. Costs a branch otherwise. For main and hard
    /// tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void PreemptionPoint()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterSyncForm("Scheduler.PreemptionPoint()", "Scheduler.PreemptionPointAsync()");
        if (scheduler.PreemptionPointCore(caller))
        {
            scheduler.Drive(caller, exiting: false);
            caller.ThrowIfPending();
        }
    }

    /// <summary>Asynchronous form of <see cref="PreemptionPoint"/>, for soft tasklets; completes at once unless interrupted.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets.</remarks>
    public static SwitchAwaitable PreemptionPointAsync()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        if (caller.IsThreaded)
        {
            PreemptionPoint();
            return new SwitchAwaitable(caller, suspends: false);
        }

        return new SwitchAwaitable(caller, scheduler.PreemptionPointCore(caller));
    }

    private static Tasklet? RunWith(long limit, bool timeBased, bool threadBlock, bool soft, bool totalTimeout)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterRun();
        return scheduler.Run(new RunFrame
        {
            Caller = caller,
            Limit = limit,
            TimeBased = timeBased,
            ThreadBlock = threadBlock,
            Soft = soft,
            TotalTimeout = totalTimeout,
        });
    }
}
