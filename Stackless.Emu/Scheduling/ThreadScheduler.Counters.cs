using System.Runtime.CompilerServices;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // What the metrics read (StacklessMetrics, StacklessEventSource). Every counter is a plain field written only by this
    // scheduler's baton holder, at a point its path passes anyway: no Interlocked, no lock, nothing on the hot path but an
    // add. Readers on other threads take a recent value (Volatile.Read keeps a long whole); a sample is approximate, never
    // corrupt. The gauges do not count main tasklets (the threads' own code) or the stand-ins of code outside the tasklet
    // world.

    /// <summary>Turns of the dispatch loop so far (each dispatches a step, passes the baton or handles an empty chain); readable from any thread.</summary>
    public long DispatchedSteps => Volatile.Read(ref _dispatched);

    /// <summary>Counts a channel operation started by a caller on this thread.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountChannelOperation() => _channelOperations++;

    /// <summary>Counts <paramref name="tasklet"/> entering (+1) or leaving (-1) a channel's queue; main and stand-ins are not counted.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountChannelWait(Tasklet tasklet, int delta)
    {
        if (tasklet.Kind <= TaskletKind.Hard)
        {
            _channelWaiters += delta;
        }
    }

    /// <summary>Counts the delivered wake of <paramref name="tasklet"/>, served by a channel action on another thread.</summary>
    public void CountCrossThreadWake(Tasklet tasklet)
    {
        _crossThreadWakes++;
        CountChannelWait(tasklet, -1);
    }

    /// <summary>Counts a deadlock raised on this scheduler and reports it to the event source; returns it for the throw.</summary>
    private DeadlockException CountDeadlock(DeadlockException deadlock)
    {
        _deadlocks++;
        StacklessEventSource.Log.Deadlock(ThreadId, deadlock.StacklessMessage);
        return deadlock;
    }

    /// <summary>Counts a tasklet interrupted by the watchdog.</summary>
    private void CountWatchdogInterrupt(Tasklet victim)
    {
        _watchdogInterrupts++;
        if (StacklessEventSource.Log.IsEnabled())
        {
            StacklessEventSource.Log.WatchdogInterrupt(ThreadId, victim.ToString());
        }
    }

    /// <summary>A sample of this scheduler's counters; any thread.</summary>
    public SchedulerCounters ReadCounters()
    {
        var main = _main.Wait;
        return new SchedulerCounters(
            Alive: Volatile.Read(ref _aliveCount),
            Runnable: Math.Max(0, Volatile.Read(ref _runCount) - (main == TaskletWait.Runnable ? 1 : 0)),
            BlockedOnChannel: Math.Max(0, Volatile.Read(ref _channelWaiters)),
            BlockedOnIo: Math.Max(0, Volatile.Read(ref _ioPending) - (main == TaskletWait.Io ? 1 : 0)),
            Switches: Volatile.Read(ref _switches),
            ChannelOperations: Volatile.Read(ref _channelOperations),
            Deadlocks: Volatile.Read(ref _deadlocks),
            WatchdogInterrupts: Volatile.Read(ref _watchdogInterrupts),
            CrossThreadWakes: Volatile.Read(ref _crossThreadWakes));
    }
}
