using Nito.AsyncEx;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Interop;

/// <summary>Nito.AsyncEx's coordination primitives used by tasklets, and AsyncContext.Run hosting main.</summary>
public class AsyncExTests
{
    [Fact]
    public void AsyncLock_excludes_tasklets_across_their_switches() => Isolated.Run(() =>
    {
        var mutex = new AsyncLock();
        var log = new List<string>();
        var inside = 0;
        var maxInside = 0;
        for (var i = 0; i < 3; i++)
        {
            var name = "t" + i;
            Tasklet.Spawn(async () =>
            {
                using (await mutex.LockAsync())
                {
                    maxInside = Math.Max(maxInside, ++inside);
                    log.Add(name + " in");
                    await Scheduler.ScheduleAsync(); // the others run, and wait for the lock
                    await Task.Yield();
                    log.Add(name + " out");
                    inside--;
                }
            });
        }

        Scheduler.Run(); // waiters of the lock are blocked on I/O: Run waits for them
        Assert.Equal(1, maxInside);
        Assert.Equal(["t0 in", "t0 out", "t1 in", "t1 out", "t2 in", "t2 out"], log);
    });

    [Fact]
    public void AsyncManualResetEvent_releases_every_waiting_tasklet() => Isolated.Run(() =>
    {
        var gate = new AsyncManualResetEvent();
        var released = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            var n = i;
            Tasklet.Spawn(async () =>
            {
                await gate.WaitAsync();
                released.Add(n);
            });
        }

        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync(); // everybody waits first
            Assert.Empty(released);
            gate.Set();
        });
        Scheduler.Run();
        Assert.Equal([0, 1, 2, 3], released.Order());
    });

    [Fact]
    public void AsyncProducerConsumerQueue_carries_values_between_tasklets_with_its_own_bound() => Isolated.Run(() =>
    {
        var queue = new AsyncProducerConsumerQueue<int>(maxCount: 2);
        var consumed = new List<int>();
        var producedBeforeFirstTake = -1;
        var produced = 0;
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 6; i++)
            {
                await queue.EnqueueAsync(i); // waits (on I/O) while the queue holds two
                produced++;
            }

            queue.CompleteAdding();
        });
        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync();
            await Task.Yield();
            producedBeforeFirstTake = produced;
            while (await queue.OutputAvailableAsync())
            {
                consumed.Add(await queue.DequeueAsync());
            }
        });
        Scheduler.Run();
        Assert.Equal(2, producedBeforeFirstTake); // the bound held the producer back
        Assert.Equal([0, 1, 2, 3, 4, 5], consumed);
    });

    [Fact]
    public void AsyncContext_Run_hosts_main_which_drives_the_tasklets() => Isolated.Run(() =>
    {
        var result = AsyncContext.Run(async () =>
        {
            var channel = new Channel<int>();
            Tasklet.Spawn(async () =>
            {
                for (var i = 1; i <= 3; i++)
                {
                    await Task.Delay(1); // I/O of a tasklet: its continuation comes back through the scheduler's inbox
                    await channel.SendAsync(i);
                }
            });

            var sum = channel.Receive(); // main's synchronous form runs the scheduler
            await Task.Yield(); // main's own await resumes on AsyncContext
            Assert.NotNull(AsyncContext.Current);
            sum += await channel.ReceiveAsync(); // main's async form completes at once, running the scheduler
            sum += channel.Receive();
            Scheduler.Run();
            return sum;
        });
        Assert.Equal(6, result);
    });

    [Fact]
    public void AsyncContext_Run_inside_a_soft_tasklet_raises_a_clear_error() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        InvalidOperationException? error = null;
        Tasklet.Spawn(() =>
        {
            try
            {
                AsyncContext.Run(async () => await channel.ReceiveAsync());
            }
            catch (InvalidOperationException ex)
            {
                error = ex;
            }

            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Contains("AsyncContext.Run", error?.Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance);
    });
}
