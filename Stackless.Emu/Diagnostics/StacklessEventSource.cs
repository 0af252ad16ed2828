using System.Diagnostics.Tracing;

namespace Stackless.Emu;

/// <summary>
/// The library's event source, <c>Stackless-Emu</c>: event counters with the same figures as the <c>Stackless.Emu</c>
/// meter (<see cref="StacklessMetrics"/>) for tools that read event counters (<c>dotnet-counters monitor --counters
/// Stackless-Emu</c>), and events for what is rare and worth a trace: deadlocks, watchdog interrupts, and the errors
/// reported through <see cref="StacklessDiagnostics"/>.
/// </summary>
/// <remarks>The counters exist only while a listener has enabled the source; nothing is measured between its polls.</remarks>
[EventSource(Name = SourceName)]
internal sealed class StacklessEventSource : EventSource
{
    /// <summary>The source's name.</summary>
    public const string SourceName = "Stackless-Emu";

    private const int DeadlockEventId = 1;
    private const int WatchdogInterruptEventId = 2;
    private const int ErrorEventId = 3;

    /// <summary>The one instance.</summary>
    public static readonly StacklessEventSource Log = new();

    /// <summary>The counters, created when a listener first enables the source (kept alive by this list).</summary>
    private List<DiagnosticCounter>? _counters;

    private StacklessEventSource()
        : base(EventSourceSettings.EtwSelfDescribingEventFormat)
    {
    }

    /// <summary>A deadlock was raised on the scheduler of thread <paramref name="threadId"/>.</summary>
    [Event(DeadlockEventId, Level = EventLevel.Warning, Message = "Deadlock on thread {0}: {1}")]
    public void Deadlock(int threadId, string message)
    {
        if (IsEnabled())
        {
            WriteEvent(DeadlockEventId, threadId, message);
        }
    }

    /// <summary>The watchdog of <c>Scheduler.Run(timeout)</c> on thread <paramref name="threadId"/> interrupted <paramref name="tasklet"/>.</summary>
    [Event(WatchdogInterruptEventId, Level = EventLevel.Informational, Message = "Watchdog interrupt on thread {0}: {1}")]
    public void WatchdogInterrupt(int threadId, string tasklet) => WriteEvent(WatchdogInterruptEventId, threadId, tasklet);

    /// <summary>An error the library could not raise in any caller (see <see cref="StacklessDiagnostics"/>).</summary>
    [Event(ErrorEventId, Level = EventLevel.Error, Message = "{0}: {1}")]
    public void Error(string what, string exception)
    {
        if (IsEnabled())
        {
            WriteEvent(ErrorEventId, what, exception);
        }
    }

    /// <inheritdoc/>
    protected override void OnEventCommand(EventCommandEventArgs command)
    {
        if (command.Command != EventCommand.Enable || _counters is not null)
        {
            return;
        }

        _counters =
        [
            Gauge("tasklets-alive", "Tasklets alive", static t => t.Alive),
            Gauge("tasklets-runnable", "Tasklets runnable", static t => t.Runnable),
            Gauge("tasklets-blocked-on-channel", "Tasklets blocked on a channel", static t => t.BlockedOnChannel),
            Gauge("tasklets-blocked-on-io", "Tasklets blocked on I/O", static t => t.BlockedOnIo),
            Rate("switches", "Switches", static t => t.Switches),
            Rate("channel-operations", "Channel operations", static t => t.ChannelOperations),
            Rate("deadlocks", "Deadlocks", static t => t.Deadlocks),
            Rate("watchdog-interrupts", "Watchdog interrupts", static t => t.WatchdogInterrupts),
            Rate("cross-thread-wakes", "Cross-thread wakes", static t => t.CrossThreadWakes),
        ];
    }

    private PollingCounter Gauge(string name, string displayName, Func<SchedulerCounters, long> read) =>
        new(name, this, () => read(StacklessMetrics.Totals())) { DisplayName = displayName };

    private IncrementingPollingCounter Rate(string name, string displayName, Func<SchedulerCounters, long> read) =>
        new(name, this, () => read(StacklessMetrics.Totals()))
        {
            DisplayName = displayName,
            DisplayRateTimeScale = TimeSpan.FromSeconds(1),
        };
}
