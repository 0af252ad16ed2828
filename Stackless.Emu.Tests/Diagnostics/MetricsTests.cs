using System.Diagnostics.Metrics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Diagnostics;

/// <summary>
/// The <c>Stackless.Emu</c> meter, read as a collector does (a <see cref="MeterListener"/> polling the observable
/// instruments). The figures are process-wide, so these tests run alone and compare before and after.
/// </summary>
[Collection(SequentialCollection.Name)]
public class MetricsTests
{
    /// <summary>Collects every instrument of the meter once, on the calling thread.</summary>
    private static Dictionary<string, long> Collect()
    {
        _ = Scheduler.RunCount; // the meter exists once a scheduler does
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StacklessMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    private static long Delta(Dictionary<string, long> before, Dictionary<string, long> after, string name) => after[name] - before[name];

    [Fact]
    public void The_meter_publishes_every_instrument() => Isolated.Run(() =>
    {
        Assert.Equal(
            [
                "stackless.channel.operations", "stackless.cross_thread_wakes", "stackless.deadlocks", "stackless.switches",
                "stackless.tasklets.alive", "stackless.tasklets.blocked_on_channel", "stackless.tasklets.blocked_on_io",
                "stackless.tasklets.runnable", "stackless.watchdog.interrupts",
            ],
            Collect().Keys.Order(StringComparer.Ordinal));
    });

    [Fact]
    public void The_gauges_count_tasklets_by_what_they_wait_for() => Isolated.Run(() =>
    {
        var before = Collect();
        var channel = new Channel<int>();
        var io = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (var i = 0; i < 3; i++)
        {
            Tasklet.Spawn(async () =>
            {
                await foreach (var _ in channel)
                {
                }
            });
        }

        for (var i = 0; i < 2; i++)
        {
            Tasklet.Spawn(async () => await io.Task);
        }

        Scheduler.Schedule(); // each runs once and blocks; main is back
        Tasklet.Spawn(() => Task.CompletedTask); // runnable, not run yet
        var during = Collect();

        Assert.Equal(6, Delta(before, during, "stackless.tasklets.alive"));
        Assert.Equal(1, Delta(before, during, "stackless.tasklets.runnable")); // main is not counted
        Assert.Equal(3, Delta(before, during, "stackless.tasklets.blocked_on_channel"));
        Assert.Equal(2, Delta(before, during, "stackless.tasklets.blocked_on_io"));

        io.SetResult();
        channel.Complete();
        Scheduler.Run();
        var after = Collect();
        Assert.Equal(0, Delta(before, after, "stackless.tasklets.alive"));
        Assert.Equal(0, Delta(before, after, "stackless.tasklets.blocked_on_channel"));
        Assert.Equal(0, Delta(before, after, "stackless.tasklets.blocked_on_io"));
        Assert.Equal(0, Delta(before, after, "stackless.tasklets.runnable"));
    });

    [Fact]
    public void The_counters_count_switches_channel_operations_deadlocks_watchdog_interrupts_and_cross_thread_wakes() => Isolated.Run(() =>
    {
        const int RoundTrips = 100;
        var before = Collect();

        var request = new Channel<int>();
        var reply = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < RoundTrips; i++)
            {
                await request.SendAsync(i);
                await reply.ReceiveAsync();
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < RoundTrips; i++)
            {
                await reply.SendAsync(await request.ReceiveAsync());
            }
        });
        Scheduler.Run();
        var afterPingPong = Collect();
        Assert.Equal(4 * RoundTrips, Delta(before, afterPingPong, "stackless.channel.operations"));
        Assert.InRange(Delta(before, afterPingPong, "stackless.switches"), 2 * RoundTrips, 2 * RoundTrips + 10);

        Assert.Throws<DeadlockException>(() => new Channel<int>().Receive());

        var busy = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await Scheduler.PreemptionPointAsync();
            }
        });
        Assert.Same(busy, Scheduler.Run(10)); // the watchdog interrupts it

        using (var worker = new SchedulerThread("metrics"))
        {
            var wake = worker.InvokeAsync(() => new Channel<int>()).GetAwaiter().GetResult();
            worker.Post(async () => await wake.ReceiveAsync());
            Assert.True(SpinWait.SpinUntil(() => wake.Balance == -1, Isolated.Timeout));
            wake.Send(1); // serves the worker's tasklet from this thread: it is woken on its own
            worker.Join();
        }

        var after = Collect();
        Assert.Equal(1, Delta(afterPingPong, after, "stackless.deadlocks"));
        Assert.Equal(1, Delta(afterPingPong, after, "stackless.watchdog.interrupts"));
        Assert.Equal(1, Delta(afterPingPong, after, "stackless.cross_thread_wakes"));

        busy.Kill();
        Assert.False(busy.Alive);
    });
}
