using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Diagnostics;

/// <summary>The <c>Stackless-Emu</c> event source, read as dotnet-counters and dotnet-trace do (an EventListener).</summary>
[Collection(SequentialCollection.Name)]
public class EventSourceTests
{
    /// <summary>Enables the source with counters every <c>interval</c> seconds and keeps what it writes.</summary>
    private sealed class Listener(string interval) : EventListener
    {
        public ConcurrentDictionary<string, double> Counters { get; } = new();

        public ConcurrentQueue<EventWrittenEventArgs> Events { get; } = new();

        public SemaphoreSlim Written { get; } = new(0);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == StacklessMetrics.EventSourceName)
            {
                EnableEvents(eventSource, EventLevel.Informational, EventKeywords.All, new Dictionary<string, string?> { ["EventCounterIntervalSec"] = interval });
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs e)
        {
            if (e.EventSource.Name != StacklessMetrics.EventSourceName)
            {
                return;
            }

            if (e.EventName == "EventCounters" && e.Payload?[0] is IDictionary<string, object> counter)
            {
                var value = counter.TryGetValue("Mean", out var mean) ? mean : counter["Increment"];
                Counters[(string)counter["Name"]] = Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            }
            else
            {
                Events.Enqueue(e);
            }

            Written.Release();
        }
    }

    [Fact]
    public void The_event_counters_report_the_same_figures_as_the_meter() => Isolated.Run(() =>
    {
        _ = Scheduler.RunCount;
        var channel = new Channel<int>();
        for (var i = 0; i < 4; i++)
        {
            Tasklet.Spawn(async () =>
            {
                await foreach (var _ in channel)
                {
                }
            });
        }

        Scheduler.Run();
        using var listener = new Listener(interval: "0.2");
        string[] names = ["tasklets-alive", "tasklets-runnable", "tasklets-blocked-on-channel", "tasklets-blocked-on-io", "switches", "channel-operations", "deadlocks", "watchdog-interrupts", "cross-thread-wakes"];
        while (!names.All(listener.Counters.ContainsKey))
        {
            listener.Written.Wait();
        }

        Assert.True(listener.Counters["tasklets-blocked-on-channel"] >= 4);
        Assert.True(listener.Counters["tasklets-alive"] >= 4);
        channel.Complete();
        Scheduler.Run();
    });

    [Fact]
    public void Deadlocks_and_reported_errors_are_events() => Isolated.Run(() =>
    {
        _ = Scheduler.RunCount;
        using var listener = new Listener(interval: "0");
        var previous = StacklessDiagnostics.ErrorHandler;
        StacklessDiagnostics.ErrorHandler = (_, _) => { };
        try
        {
            Assert.Throws<DeadlockException>(() => new Channel<int>().Receive());
            Scheduler.ScheduleCallback = (_, _) => throw new InvalidOperationException("callback broke");
            Tasklet.Spawn(() => Task.CompletedTask);
            Scheduler.Run();
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
            StacklessDiagnostics.ErrorHandler = previous;
        }

        var events = listener.Events.ToList();
        var deadlock = Assert.Single(events, e => e.EventName == "Deadlock");
        Assert.Equal(Environment.CurrentManagedThreadId, (int)deadlock.Payload![0]!);
        Assert.StartsWith("Deadlock", (string)deadlock.Payload[1]!, StringComparison.Ordinal);
        var error = events.First(e => e.EventName == "Error");
        Assert.Equal("Error in scheduling callback", error.Payload![0]);
        Assert.Contains("callback broke", (string)error.Payload[1]!, StringComparison.Ordinal);
    });
}
