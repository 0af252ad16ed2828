using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Stackless's run(timeout) watchdog on a cooperative runtime. Stackless counts interpreter instructions and can
    // interrupt anywhere; here a tasklet can only be interrupted at a switch point: any scheduler or channel operation,
    // or an explicit Scheduler.PreemptionPoint(). A "tick" is one such switch point; Run(TimeSpan) measures wall-clock
    // time instead. The slice restarts whenever another tasklet is switched to (unless totaltimeout).

    /// <summary>The innermost Run() frame with a timeout, or null: the only state the hot path looks at.</summary>
    private RunFrame? _watchdog;

    /// <summary>Switch points passed on this scheduler (the watchdog's clock in tick mode).</summary>
    private long _ticks;

    private long WatchdogNow(RunFrame frame) => frame.TimeBased ? Stopwatch.GetTimestamp() : _ticks;

    /// <summary>Starts a new slice when another tasklet is switched to (Stackless resets the tick watermark).</summary>
    private void RestartSlice()
    {
        if (_watchdog is { TotalTimeout: false } frame)
        {
            frame.SliceStart = WatchdogNow(frame);
        }
    }

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
        if (caller == frame.Caller || frame.Interrupted is not null || !frame.Caller.Alive)
        {
            return mustSuspend;
        }

        if (!frame.SoftInterruptPending)
        {
            var elapsed = WatchdogNow(frame) - frame.SliceStart;
            if (elapsed < frame.Limit || (caller.Flags & TaskletFlags.Atomic) != 0)
            {
                return mustSuspend;
            }

            if (!frame.Soft)
            {
                if (mustSuspend || (caller.Flags & TaskletFlags.InRunnable) == 0)
                {
                    return mustSuspend; // it switches away by itself: the slice ends anyway
                }

                // Hard interrupt: the caller leaves the queue, the Run() caller runs next and returns it.
                frame.Interrupted = caller;
                RemoveRunnable(caller);
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

        frame.SoftInterruptPending = false;
        frame.Interrupted = next;
        ReturnToWatchdog(frame);
        return true;
    }

    /// <summary>Makes the Run() caller of <paramref name="frame"/> current; it is inserted just before the head, so the tasklet that was next runs right after it.</summary>
    private void ReturnToWatchdog(RunFrame frame)
    {
        var watchdog = frame.Caller;
        if ((watchdog.Flags & TaskletFlags.InRunnable) == 0)
        {
            AppendRunnable(watchdog);
        }

        MakeCurrent(watchdog);
    }
}
