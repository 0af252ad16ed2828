using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// Channels used from outside the tasklet world: plain threads, thread-pool code, async methods that are not tasklets.
/// A thread without tasklets blocks only itself in a synchronous form; an async method awaits without blocking a thread;
/// a deadlock is raised only when no thread could ever wake the caller.
/// </summary>
public class ChannelsFromAnyThreadTests
{
    /// <summary>10^6 messages with STACKLESS_FULL_STRESS=1 (the size); lighter by default, for a busy CI machine.</summary>
    private static int Messages => Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1" ? 1_000_000 : 50_000;

    [Fact]
    public void A_plain_thread_sending_before_main_receives_waits_for_it_instead_of_raising_a_deadlock() => Isolated.Run(() =>
    {
        // The repro: a channel of main's, a sender thread that comes first.
        var channel = new Channel<int>();
        Exception? error = null;
        var sender = new Thread(() => error = Record.Exception(() => channel.Send(1)));
        sender.Start();
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        Assert.Equal(1, channel.Receive());
        sender.Join();
        Assert.Null(error);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void A_thread_pool_producer_feeds_tasklets_nothing_lost_or_duplicated_in_order() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var count = Messages;
        var received = 0;
        var inOrder = true;
        for (var t = 0; t < 2; t++)
        {
            Tasklet.Spawn(async () =>
            {
                var last = -1;
                while (true)
                {
                    var value = await channel.ReceiveAsync();
                    if (value < 0)
                    {
                        return;
                    }

                    inOrder &= value > last;
                    last = value;
                    received++;
                }
            });
        }

        var producer = Task.Run(() =>
        {
            for (var i = 0; i < count; i++)
            {
                channel.Send(i); // a pool thread without tasklets: blocks only itself until a tasklet takes the value
            }

            channel.Send(-1);
            channel.Send(-1);
        });
        Scheduler.Run(0, threadBlock: true); // returns once the receivers have ended (the producer's -1s)
        Scheduler.WaitFor(producer);
        Scheduler.Run();
        Assert.Equal(count, received);
        Assert.True(inOrder);
    });

    [Fact]
    public void Tasklets_feed_a_thread_pool_consumer_nothing_lost_or_duplicated_in_order() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var count = Messages;
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < count; i++)
            {
                await channel.SendAsync(i);
            }

            await channel.SendAsync(-1);
        });
        var consumer = Task.Run(() =>
        {
            var expected = 0;
            while (true)
            {
                var value = channel.Receive();
                if (value < 0)
                {
                    return expected;
                }

                Assert.Equal(expected++, value);
            }
        });
        Scheduler.Run(0, threadBlock: true); // returns once the sender has ended
        Assert.Equal(count, Scheduler.WaitFor(consumer));
    });

    [Fact]
    public void An_async_method_outside_the_tasklet_world_awaits_a_channel_without_blocking_its_thread() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        var returned = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        var consumer = Task.Run(async () =>
        {
            var awaitable = channel.ReceiveAsync();
            returned.SetResult(awaitable.IsCompleted); // the call returned at once: no thread waits for the sender
            return await awaitable;
        });
        Assert.False(Scheduler.WaitFor(returned.Task));
        Assert.Equal(-1, channel.Balance); // the stand-in of the async receive waits in the channel
        Assert.Equal(TaskletKind.Foreign, channel.Queue!.Kind);
        channel.Send("hello");
        Assert.Equal("hello", Scheduler.WaitFor(consumer));

        var producer = Task.Run(async () => await channel.SendAsync("back"));
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        Tasklet.Spawn(async () => Assert.Equal("back", await channel.ReceiveAsync()));
        Scheduler.Run();
        Scheduler.WaitFor(producer);
    });

    [Fact]
    public void An_async_wait_outside_the_tasklet_world_times_out_and_is_cancelled_leaving_the_channel_clean() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var time = new FakeTimeProvider();
        var timed = Task.Run(async () => await channel.ReceiveAsync(TimeSpan.FromSeconds(5), time));
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == -1, Isolated.Timeout));
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.Throws<TimeoutException>(() => Scheduler.WaitFor(timed));
        Assert.Equal(0, channel.Balance);

        using var cancel = new CancellationTokenSource();
        var cancelled = Task.Run(async () => await channel.SendAsync(3, cancel.Token));
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == 1, Isolated.Timeout));
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => Scheduler.WaitFor(cancelled));
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void Killing_the_stand_in_of_a_foreign_wait_ends_that_wait_with_the_kill() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var waiting = Task.Run(async () => await channel.ReceiveAsync());
        Assert.True(SpinWait.SpinUntil(() => channel.Balance == -1, Isolated.Timeout));
        channel.Queue!.Kill();
        Assert.Throws<TaskletExit>(() => Scheduler.WaitFor(waiting));
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void A_thread_blocked_on_a_channel_that_nobody_else_can_reach_still_gets_the_deadlock() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Assert.Throws<DeadlockException>(() => channel.Receive());
        Assert.Equal(0, channel.Balance);
    });
}
