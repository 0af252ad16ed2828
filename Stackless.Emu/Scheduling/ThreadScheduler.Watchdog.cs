using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Stackless's run(timeout) watchdog on a cooperative runtime. Stackless counts interpreter instructions and can
    // interrupt anywhere; here a tasklet can only be interrupted at a switch point: any scheduler or channel operation,
    // or an explicit Scheduler.PreemptionPoint(). A "tick" is one such switch point; Run(TimeSpan) measures wall-clock
    // time instead. The slice restarts whenever another tasklet is switched to (unless totaltimeout).

    /// <summary>Makes <paramref name="frame"/> (the outermost Run() frame with a timeout) the watchdog, or none.</summary>
    private void SetWatchdog(RunFrame? frame)
    {
        _watchdog = frame;
        SetRare(RareWork.Watchdog, frame is not null);
    }

    private long WatchdogNow(RunFrame frame) => frame.TimeBased ? Stopwatch.GetTimestamp() : _ticks;

    /// <summary>Starts a new slice when another tasklet is switched to (Stackless resets the tick watermark).</summary>
    private void RestartSlice()
    {
        if (_watchdog is { TotalTimeout: false } frame)
        {
            frame.SliceStart = WatchdogNow(frame);
        }
    }

    /// <summary>
    /// The watchdog's check after a receive of <paramref name="caller"/> (sends, schedules and switches make it in
    /// <see cref="SuspendSync"/>/<see cref="SuspendAsync"/>): a receive is a switch point like any channel operation, so a
    /// tasklet that keeps receiving from waiting senders without ever suspending is still interrupted.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    public bool AtChannelSwitchPoint(Tasklet caller, bool mustSuspend) =>
        _watchdog is null ? mustSuspend : AtSwitchPoint(caller, mustSuspend);

    /// <summary>An explicit switch point that switches only when the watchdog interrupts the caller.</summary>
    public bool PreemptionPointCore(Tasklet caller)
    {
        return _watchdog is not null && AtSwitchPoint(caller, mustSuspend: false, voluntary: false);
    }

    /// <summary>
    /// The watchdog's check at a switch point of <paramref name="caller"/>, after its operation decided whether it must
    /// suspend; returns whether it must suspend now. A hard interrupt takes the caller out of the runnable queue and
    /// returns to the Run() caller with it; a soft one returns to the Run() caller at this voluntary switch, leaving the
    /// tasklet that would have run next in the queue.
    /// </summary>
    private bool AtSwitchPoint(Tasklet caller, bool mustSuspend, bool voluntary = true)
    {
        var frame = _watchdog!;
        // Stryker disable once Logical : equivalent, no switch point is reached between an interrupt (or the Run() caller's
        // death) and the Run() caller's return, and the Run() caller itself reaches none while it runs the scheduler
        if (caller == frame.Caller || frame.Interrupted is not null || !frame.Caller.Alive || SwitchTrapped)
        {
            return mustSuspend;
        }

        if (!frame.SoftInterruptPending)
        {
            var elapsed = WatchdogNow(frame) - frame.SliceStart;
            if (elapsed < frame.Limit || caller.Atomic)
            {
                return mustSuspend;
            }

            if (!frame.Soft)
            {
                // Hard interrupt: the victim leaves the queue, the Run() caller runs next and returns it. A tasklet
                // switching away by itself ends its slice anyway, unless the budget is the whole run's.
                var victim = !mustSuspend && caller.Wait == TaskletWait.Runnable ? caller
                    : !frame.TotalTimeout ? null
                    : caller.Wait == TaskletWait.Runnable ? caller
                    : _current;
                if (victim is null || victim == frame.Caller || victim.Atomic)
                {
                    return mustSuspend;
                }

                frame.Interrupted = victim;
                CountWatchdogInterrupt(victim);
                RemoveRunnable(victim);
                ReturnToWatchdog(frame);
                return true;
            }

            frame.SoftInterruptPending = true;
        }

        // Soft interrupt: at an operation of the tasklet (a voluntary switch point), never at a preemption point. The
        // tasklet that would run next stays in the queue, right after the Run() caller.
        var next = _current;
        if (next is null || !voluntary)
        {
            return mustSuspend;
        }

        // Stryker disable once Boolean : equivalent, the frame now has its interrupted tasklet and is never checked again
        frame.SoftInterruptPending = false;
        frame.Interrupted = next;
        CountWatchdogInterrupt(next);
        ReturnToWatchdog(frame);
        return true;
    }

    /// <summary>Makes the Run() caller of <paramref name="frame"/> current; it is inserted just before the head, so the tasklet that was next runs right after it.</summary>
    private void ReturnToWatchdog(RunFrame frame)
    {
        var watchdog = frame.Caller;
        if (watchdog.Wait != TaskletWait.Runnable)
        {
            AppendRunnable(watchdog);
        }

        MakeCurrent(watchdog);
    }
}
