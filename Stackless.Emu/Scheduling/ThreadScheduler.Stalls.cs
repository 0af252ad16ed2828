using System.Globalization;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // The stall detector's view of a scheduler (StallDetector samples every scheduler from a timer thread; racy reads
    // of counters written by the scheduler's thread are fine: a stall is a long absence of change).

    /// <summary>
    /// Compares this scheduler's progress with the last sample: returns a report when it made none for
    /// <paramref name="threshold"/> while work waits (once per stall), else null.
    /// </summary>
    public string? CheckStall(long now, long threshold)
    {
        var dispatched = Volatile.Read(ref _dispatched);
        var waiting = _runCount > 1 || HasInboxWork;
        if (!waiting || dispatched != _stallSample || !OwnerThread.IsAlive)
        {
            _stallSample = dispatched;
            _stallSince = now;
            _stallReported = false;
            return null;
        }

        if (_stallReported || now - _stallSince < threshold)
        {
            return null;
        }

        _stallReported = true;
        return DescribeStall();
    }

    /// <summary>What a stalled scheduler is doing, and the likely cause.</summary>
    public string DescribeStall()
    {
        var runnable = Math.Max(0, _runCount - 1);
        var work = string.Create(CultureInfo.InvariantCulture, $"{runnable} tasklet(s) runnable, {(HasInboxWork ? "completions waiting in its inbox" : "an empty inbox")}");
        var step = _executingSoft;
        if (step is not null)
        {
            return $"The scheduler of thread {ThreadId} has been running one step of {step} without returning, while {work}: "
                + "a tasklet step blocks the thread (.Result, .Wait(), GetAwaiter().GetResult(), JoinableTaskFactory.Run, "
                + "Thread.Sleep, a blocking read). Await instead, or move blocking code to a hard tasklet or Scheduler.BlockingCallAsync.";
        }

        if (_driveDepth == 0)
        {
            return $"Thread {ThreadId} has {work}, but its main does not run the scheduler: main is busy or blocked outside "
                + "the library (for example an async Main that awaited and left the thread: use Scheduler.RunMain). Call "
                + "Scheduler.Run(), or a synchronous form, to let the tasklets run.";
        }

        return $"The scheduler of thread {ThreadId} made no progress while {work}: the baton holder ({Executing}) is "
            + "blocked outside the scheduler (a hard tasklet in a blocking call that is not Scheduler.BlockingCall).";
    }
}
