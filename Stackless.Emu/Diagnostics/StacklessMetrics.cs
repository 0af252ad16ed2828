using System.Diagnostics.Metrics;

namespace Stackless.Emu;

/// <summary>
/// The library's metrics: a <see cref="Meter"/> named <c>Stackless.Emu</c> whose observable instruments sum the counters
/// of every thread's scheduler when a listener collects them (<c>dotnet-counters monitor --counters Stackless.Emu</c>,
/// OpenTelemetry's <c>AddMeter("Stackless.Emu")</c>, a <see cref="MeterListener"/>). Nothing is measured between
/// collections: the schedulers keep plain counters, which the instruments read.
/// </summary>
/// <remarks>
/// <para>The instruments (main tasklets, the threads' own code, are not counted in the gauges):</para>
/// <list type="table">
/// <listheader><term>name</term><description>what</description></listheader>
/// <item><term><c>stackless.tasklets.alive</c></term><description>tasklets alive (up-down counter)</description></item>
/// <item><term><c>stackless.tasklets.runnable</c></term><description>tasklets in a runnable queue, the running one included</description></item>
/// <item><term><c>stackless.tasklets.blocked_on_channel</c></term><description>tasklets waiting in a channel (or for the wake of a partner on another thread)</description></item>
/// <item><term><c>stackless.tasklets.blocked_on_io</c></term><description>tasklets waiting for a foreign awaitable, a blocking call or a timer</description></item>
/// <item><term><c>stackless.switches</c></term><description>switches from one running tasklet to another (counter)</description></item>
/// <item><term><c>stackless.channel.operations</c></term><description>send and receive operations started</description></item>
/// <item><term><c>stackless.deadlocks</c></term><description>deadlocks raised</description></item>
/// <item><term><c>stackless.watchdog.interrupts</c></term><description>tasklets interrupted by the watchdog of <c>Scheduler.Run(timeout)</c></description></item>
/// <item><term><c>stackless.cross_thread_wakes</c></term><description>tasklets woken by a channel action on another thread</description></item>
/// </list>
/// </remarks>
public static class StacklessMetrics
{
    /// <summary>The name of the meter and of the library's activity in diagnostics tools.</summary>
    public const string MeterName = "Stackless.Emu";

    /// <summary>The name of the library's event source (its event counters and events: deadlocks, watchdog interrupts, errors).</summary>
    public const string EventSourceName = StacklessEventSource.SourceName;

    /// <summary>The meter, created with the first scheduler of the process and kept for its lifetime.</summary>
    private static Meter? s_meter;

    /// <summary>Creates the meter and its instruments, and the event source, once.</summary>
    internal static Meter EnsureCreated()
    {
        if (Volatile.Read(ref s_meter) is { } meter)
        {
            return meter;
        }

        var created = new Meter(MeterName, typeof(StacklessMetrics).Assembly.GetName().Version?.ToString());
        if (Interlocked.CompareExchange(ref s_meter, created, null) is { } raced)
        {
            created.Dispose();
            return raced;
        }

        created.CreateObservableUpDownCounter("stackless.tasklets.alive", () => Totals().Alive, "{tasklet}", "Tasklets alive (main tasklets not counted).");
        created.CreateObservableUpDownCounter("stackless.tasklets.runnable", () => Totals().Runnable, "{tasklet}", "Tasklets in a runnable queue, the running one included.");
        created.CreateObservableUpDownCounter("stackless.tasklets.blocked_on_channel", () => Totals().BlockedOnChannel, "{tasklet}", "Tasklets waiting in a channel.");
        created.CreateObservableUpDownCounter("stackless.tasklets.blocked_on_io", () => Totals().BlockedOnIo, "{tasklet}", "Tasklets waiting for I/O, a blocking call or a timer.");
        created.CreateObservableCounter("stackless.switches", () => Totals().Switches, "{switch}", "Switches from one running tasklet to another.");
        created.CreateObservableCounter("stackless.channel.operations", () => Totals().ChannelOperations, "{operation}", "Channel send and receive operations started.");
        created.CreateObservableCounter("stackless.deadlocks", () => Totals().Deadlocks, "{deadlock}", "Deadlocks raised.");
        created.CreateObservableCounter("stackless.watchdog.interrupts", () => Totals().WatchdogInterrupts, "{interrupt}", "Tasklets interrupted by the watchdog of Scheduler.Run(timeout).");
        created.CreateObservableCounter("stackless.cross_thread_wakes", () => Totals().CrossThreadWakes, "{wake}", "Tasklets woken by a channel action on another thread.");
        _ = StacklessEventSource.Log; // a listener sees only sources that exist
        return created;
    }

    /// <summary>The counters summed over every scheduler of the process.</summary>
    internal static SchedulerCounters Totals() => SchedulerRegistry.Totals();
}
