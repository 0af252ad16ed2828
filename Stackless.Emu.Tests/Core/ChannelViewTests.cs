using Stackless.Emu.Tests.Infrastructure;
using Bcl = System.Threading.Channels;

namespace Stackless.Emu.Tests.Core;

/// <summary>The channel as the BCL's shapes: LINQ over AsAsyncEnumerable/AsEnumerable, ChannelReader and ChannelWriter views.</summary>
public class ChannelViewTests
{
    private static Tasklet SpawnSender(Channel<int> channel, int count, bool complete = true) => Tasklet.Spawn(async () =>
    {
        for (var i = 0; i < count; i++)
        {
            await channel.SendAsync(i);
        }

        if (complete)
        {
            channel.Complete();
        }
    });

    [Fact]
    public void Async_LINQ_over_AsAsyncEnumerable_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        SpawnSender(channel, 10);
        var taken = new List<int>();
        Tasklet.Spawn(async () =>
        {
            // channel.Where(...) alone would not compile (CS0121): the channel is IEnumerable and IAsyncEnumerable.
            await foreach (var square in channel.AsAsyncEnumerable().Where(v => v % 2 == 1).Select(v => v * v))
            {
                taken.Add(square);
            }
        });
        Scheduler.Run();
        Assert.Equal([1, 9, 25, 49, 81], taken);
    });

    [Fact]
    public void Sync_LINQ_over_AsEnumerable_on_main() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var sender = SpawnSender(channel, 5, complete: false);
        Assert.Equal([0, 1, 2], channel.AsEnumerable().Take(3).ToList());
        sender.Kill();
    });

    [Fact]
    public void A_ChannelReader_outside_the_tasklet_world_reads_until_completion() => Isolated.Run(() =>
    {
        using var worker = new SchedulerThread("senders");
        var channel = worker.InvokeAsync(() => new Channel<int>()).GetAwaiter().GetResult();
        worker.Post(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                await channel.SendAsync(i);
            }

            channel.Complete();
        });

        var reader = channel.AsChannelReader();
        var read = Task.Run(async () =>
        {
            var values = new List<int>();
            await foreach (var value in reader.ReadAllAsync())
            {
                values.Add(value);
            }

            await reader.Completion;
            return values;
        }).GetAwaiter().GetResult();
        Assert.Equal([0, 1, 2, 3, 4], read);
        worker.Join();
    });

    [Fact]
    public void WaitToRead_and_TryRead_in_a_soft_tasklet() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        SpawnSender(channel, 3);
        var reader = channel.AsChannelReader();
        var values = new List<int>();
        var waits = 0;
        Tasklet.Spawn(async () =>
        {
            while (await reader.WaitToReadAsync())
            {
                waits++;
                while (reader.TryRead(out var value))
                {
                    values.Add(value);
                }
            }
        });
        Scheduler.Run();
        Assert.Equal([0, 1, 2], values);
        Assert.Equal(3, waits); // each wait found a sender: no empty wake-ups
    });

    [Fact]
    public void A_ChannelWriter_from_the_thread_pool_feeds_tasklets_with_the_canonical_write_loop() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var received = new List<int>();
        var writer = channel.AsChannelWriter();
        var emptyWakeUps = 0;
        var produce = Task.Run(async () =>
        {
            for (var i = 0; i < 4; i++)
            {
                while (await writer.WaitToWriteAsync())
                {
                    if (writer.TryWrite(i))
                    {
                        break;
                    }

                    emptyWakeUps++;
                }
            }

            await writer.WriteAsync(4);
            writer.Complete();
        });

        // Once the pool thread has used the channel it is in main's deadlock group: main's receives wait for it.
        Assert.True(SpinWait.SpinUntil(() => channel.IsShared, Isolated.Timeout));
        foreach (var value in channel)
        {
            received.Add(value);
        }

        produce.GetAwaiter().GetResult();
        Assert.Equal([0, 1, 2, 3, 4], received);
        Assert.Equal(0, emptyWakeUps); // WaitToWriteAsync completes only when a receiver waits
    });

    [Fact]
    public void The_views_raise_the_BCLs_ChannelClosedException_once_completed() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        channel.Complete(new IOException("source failed"));
        var writer = channel.AsChannelWriter();
        var reader = channel.AsChannelReader();
        Assert.False(writer.TryWrite(1));
        Assert.False(writer.WaitToWriteAsync().AsTask().GetAwaiter().GetResult());
        Assert.False(writer.TryComplete());
        var write = Assert.Throws<Bcl.ChannelClosedException>(() => writer.WriteAsync(1).AsTask().GetAwaiter().GetResult());
        Assert.IsType<IOException>(write.InnerException);
        var read = Assert.Throws<Bcl.ChannelClosedException>(() => reader.ReadAsync().AsTask().GetAwaiter().GetResult());
        Assert.IsType<IOException>(read.InnerException);
        Assert.Throws<IOException>(() => reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult());
    });

    [Fact]
    public void WaitToReadAsync_honours_its_token() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var cancel = new CancellationTokenSource();
        var wait = channel.AsChannelReader().WaitToReadAsync(cancel.Token).AsTask();
        Assert.False(wait.IsCompleted);
        cancel.Cancel();
        Assert.Throws<TaskCanceledException>(() => wait.GetAwaiter().GetResult());

        // A later sender completes a later wait; the cancelled one left nothing behind.
        var sender = Tasklet.Spawn(async () => await channel.SendAsync(5));
        var next = channel.AsChannelReader().WaitToReadAsync().AsTask();
        Scheduler.Run();
        Assert.True(next.GetAwaiter().GetResult());
        Assert.True(channel.TryReceive(out var value));
        Assert.Equal(5, value);
        Scheduler.Run();
        Assert.False(sender.Alive);
    });
}
