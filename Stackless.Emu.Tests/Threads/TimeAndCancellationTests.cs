using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>Timeouts and cancellation of channel operations and sleeps, on fake time.</summary>
public class TimeAndCancellationTests
{
    /// <summary>Advances fake time from another thread once <paramref name="ready"/> holds (the scheduler waits meanwhile).</summary>
    private static Thread AdvanceWhen(Func<bool> ready, FakeTimeProvider time, TimeSpan by)
    {
        var thread = new Thread(() =>
        {
            Assert.True(SpinWait.SpinUntil(ready, Stress.HangGuard));
            time.Advance(by);
        });
        thread.Start();
        return thread;
    }

    [Fact]
    public void TimedReceive_RaisesTimeoutException_AndLeavesTheChannel() => Isolated.Run(() =>
    {
        var time = new FakeTimeProvider();
        var channel = new Channel<int>();
        Exception? error = null;
        var steps = 0;
        var waiter = Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync(TimeSpan.FromSeconds(30), time);
            }
            catch (TimeoutException ex)
            {
                error = ex;
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                steps++;
                await Scheduler.ScheduleAsync();
            }
        });

        var advancer = AdvanceWhen(() => waiter.Blocked && steps == 5, time, TimeSpan.FromSeconds(30));
        Scheduler.Run(); // a timed wait counts as pending: Run waits for the timer instead of returning
        advancer.Join();

        Assert.IsType<TimeoutException>(error);
        Assert.Contains("timed out after 00:00:30", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance);
        Assert.False(waiter.Alive);
    });

    [Fact]
    public void TimedReceive_ThatGetsAValueInTime_ReturnsIt_AndALaterTimeoutDoesNothing() => Isolated.Run(() =>
    {
        var time = new FakeTimeProvider();
        var channel = new Channel<string>();
        string? received = null;
        Tasklet.Spawn(async () => received = await channel.ReceiveAsync(TimeSpan.FromSeconds(1), time));
        Tasklet.Spawn(async () => await channel.SendAsync("in time"));
        Scheduler.Run();
        time.Advance(TimeSpan.FromSeconds(5));
        Scheduler.Run();

        Assert.Equal("in time", received);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void CancelledSend_IsNotDelivered_AndTheNextReceiverGetsTheNextValue() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var cancel = new CancellationTokenSource();
        var outcome = "";
        Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.SendAsync(1, cancel.Token);
                outcome = "sent";
            }
            catch (OperationCanceledException ex) when (ex.CancellationToken == cancel.Token)
            {
                outcome = "cancelled";
            }
        });
        // A cancellable wait counts as pending, like I/O: Run() waits until the token ends it (cancelled on another thread).
        var canceller = new Thread(() =>
        {
            Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Stress.HangGuard));
            cancel.Cancel();
        });
        canceller.Start();
        Scheduler.Run();
        canceller.Join();

        Assert.Equal("cancelled", outcome);
        Assert.Equal(0, channel.Balance);
        Tasklet.Spawn(async () => await channel.SendAsync(2));
        Assert.Equal(2, channel.Receive());
        Scheduler.Run();
    });

    [Fact]
    public void MainReceiveCancelledFromAnotherThread_RaisesInMain() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var cancel = new CancellationTokenSource();
        var canceller = new Thread(() =>
        {
            Thread.Sleep(50);
            cancel.Cancel();
        });
        canceller.Start();

        // Nothing else runs, yet this is no deadlock: the token may still end the wait.
        var error = Assert.Throws<OperationCanceledException>(() => channel.Receive(cancel.Token));
        canceller.Join();

        Assert.Equal(cancel.Token, error.CancellationToken);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void AlreadyCancelledToken_RaisesAtOnce_WithoutTouchingTheChannel() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Assert.Throws<OperationCanceledException>(() => channel.Receive(new CancellationToken(canceled: true)));
        Assert.Equal(0, channel.Balance);
        Assert.False(channel.IsShared);
    });

    [Fact]
    public void SleepOnFakeTime_SuspendsOnlyTheSleeper_AndCanBeCancelled() => Isolated.Run(() =>
    {
        var time = new FakeTimeProvider();
        var log = new List<string>();
        using var cancel = new CancellationTokenSource();
        var sleeper = Tasklet.Spawn(async () =>
        {
            await Scheduler.SleepAsync(TimeSpan.FromMinutes(10), time);
            log.Add("woke");
            try
            {
                await Scheduler.SleepAsync(TimeSpan.FromMinutes(10), time, cancel.Token);
            }
            catch (OperationCanceledException)
            {
                log.Add("cancelled");
            }
        });
        Tasklet.Spawn(async () =>
        {
            log.Add("other ran");
            await Scheduler.ScheduleAsync();
        });

        var advancer = AdvanceWhen(() => sleeper.BlockedOnIO && log.Count == 1, time, TimeSpan.FromMinutes(10));
        var canceller = new Thread(() =>
        {
            Assert.True(SpinWait.SpinUntil(() => log.Contains("woke") && sleeper.BlockedOnIO, Stress.HangGuard));
            cancel.Cancel();
        });
        canceller.Start();
        Scheduler.Run();
        advancer.Join();
        canceller.Join();

        Assert.Equal(["other ran", "woke", "cancelled"], log);
    });

    [Fact]
    public void CrossThreadReceiveWithTimeout_GetsTheValueFromAnotherThread() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var worker = new SchedulerThread();
        worker.Post(async () =>
        {
            await Scheduler.SleepAsync(TimeSpan.FromMilliseconds(20));
            await channel.SendAsync(99);
        });
        int? received = null;
        Tasklet.Spawn(async () => received = await channel.ReceiveAsync(TimeSpan.FromMinutes(5))); // the timeout is only a guard
        Scheduler.Run();
        worker.Join();
        Assert.Equal(99, received);
    });
}
