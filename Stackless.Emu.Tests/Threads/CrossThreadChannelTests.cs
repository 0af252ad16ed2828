using System.Collections.Concurrent;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>Channels whose partners wait on other threads' schedulers.</summary>
public class CrossThreadChannelTests
{
    [Fact]
    public void MainReceivesFromASchedulerThread_WaitsInsteadOfDeadlocking() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var worker = new SchedulerThread();
        worker.Post(async () =>
        {
            for (var i = 0; i < 100; i++)
            {
                await channel.SendAsync(i);
            }
        });

        var received = Enumerable.Range(0, 100).Select(_ => channel.Receive()).ToList();

        Assert.Equal(Enumerable.Range(0, 100), received);
        Assert.True(channel.IsShared);
        Assert.Equal(0, channel.Balance);
        worker.Join();
    });

    [Fact]
    public void PingPongBetweenTwoSchedulerThreads_LosesNothing() => Isolated.Run(() =>
    {
        var rounds = Stress.Size(5_000, 100_000); // round trips between two threads, light by default
        var ping = new Channel<int>();
        var pong = new Channel<int>();
        var done = new Channel<long>();
        using var a = new SchedulerThread("ping");
        using var b = new SchedulerThread("pong");
        b.Post(async () =>
        {
            for (var i = 0; i < rounds; i++)
            {
                await pong.SendAsync(await ping.ReceiveAsync() + 1);
            }
        });
        a.Post(async () =>
        {
            long sum = 0;
            for (var i = 0; i < rounds; i++)
            {
                await ping.SendAsync(i);
                sum += await pong.ReceiveAsync();
            }

            await done.SendAsync(sum);
        });

        Assert.Equal(((long)rounds * (rounds + 1)) / 2, done.Receive());
        a.Join();
        b.Join();
    });

    [Fact]
    public void ReceiverOnAnotherThread_IsWokenOnItsOwnThread_AndTheSenderGoesOn() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        var ack = new Channel<int>();
        using var worker = new SchedulerThread();
        var receiver = worker.SpawnAsync(async () =>
        {
            var value = await channel.ReceiveAsync();
            await ack.SendAsync(Tasklet.Current.ThreadId + value.Length);
        }).GetAwaiter().GetResult();

        SpinWait.SpinUntil(() => receiver.Blocked, Stress.HangGuard);
        Assert.Equal(-1, channel.Balance);

        // Preference -1 would switch to a local receiver; a remote one is only appended to its own queue.
        channel.Send("abc");
        Assert.True(Tasklet.Current.IsMain);
        Assert.Equal(worker.ThreadId + 3, ack.Receive());
        worker.Join();
    });

    [Fact]
    public void SendExceptionAcrossThreads_RaisesInTheReceiver() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var result = new Channel<string>();
        using var worker = new SchedulerThread();
        worker.Post(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
                await result.SendAsync("no exception");
            }
            catch (InvalidTimeZoneException ex)
            {
                await result.SendAsync(ex.Message);
            }
        });

        channel.SendException(new InvalidTimeZoneException("across"));
        Assert.Equal("across", result.Receive());
        worker.Join();
    });

    [Fact]
    public void BlockedSenderOnAnotherThread_HandsItsValueToALocalReceiver() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var worker = new SchedulerThread();
        var sender = worker.SpawnAsync(async () => await channel.SendAsync(42)).GetAwaiter().GetResult();
        SpinWait.SpinUntil(() => channel.Balance == 1, Stress.HangGuard);

        Assert.Equal(42, channel.Receive());
        worker.Join();
        Assert.False(sender.Alive);
    });

    [Fact]
    public void TrueDeadlockAcrossThreads_IsReportedInTheLastLiveThread() => Isolated.Run(() =>
    {
        var neverSent = new Channel<int>();
        var alsoNeverSent = new Channel<int>();
        using var worker = new SchedulerThread();

        var blocked = worker.SpawnAsync(async () => await alsoNeverSent.ReceiveAsync()).GetAwaiter().GetResult();
        SpinWait.SpinUntil(() => blocked.Blocked, Stress.HangGuard);

        // Both threads would wait for each other: the worker is idle, so main is the last live thread of the group.
        var error = Assert.Throws<DeadlockException>(() => neverSent.Receive());
        // Raised as main blocks ("Deadlock: ...") or, if the worker was still live then, once it goes idle and wakes
        // main to re-check ("the main tasklet is receiving without a sender available.").
        Assert.True(
            error.Message.StartsWith("Deadlock", StringComparison.Ordinal) ||
            error.Message.StartsWith("the main tasklet is receiving without a sender available.", StringComparison.Ordinal),
            error.Message);

        worker.Join(); // kills the blocked tasklet
        Assert.False(blocked.Alive);
    });

    [Fact]
    public void UnrelatedThreads_DoNotHideALocalDeadlock() => Isolated.Run(() =>
    {
        using var unrelated = new ManualResetEventSlim();
        var other = new Thread(() =>
        {
            Tasklet.Spawn(() => Task.CompletedTask);
            unrelated.Wait();
        });
        other.Start();
        try
        {
            Assert.Throws<DeadlockException>(() => new Channel<int>().Receive());
        }
        finally
        {
            unrelated.Set();
            other.Join();
        }
    });

    [Fact]
    public void KillingALocalWaiterOfASharedChannel_RestoresTheBalance() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var worker = new SchedulerThread();
        worker.InvokeAsync(() => channel.Balance).GetAwaiter().GetResult();
        var remoteSender = worker.SpawnAsync(async () => await channel.SendAsync(7)).GetAwaiter().GetResult();
        Assert.Equal(7, channel.Receive()); // now shared
        var finallyRan = false;
        var local = Tasklet.Spawn(async () =>
        {
            try
            {
                await channel.ReceiveAsync();
            }
            finally
            {
                finallyRan = true;
            }
        });
        Scheduler.Run();
        Assert.Equal(-1, channel.Balance);

        local.Kill();

        Assert.True(finallyRan);
        Assert.Equal(0, channel.Balance);
        worker.Join();
        Assert.False(remoteSender.Alive);
    });

    [Fact]
    public void ManySendersOnManyThreads_EveryMessageArrivesExactlyOnce() => Isolated.Run(() =>
    {
        const int Threads = 3;
        const int PerThread = 5_000;
        var channel = new Channel<int>();
        var workers = Enumerable.Range(0, Threads).Select(i => new SchedulerThread($"sender {i}")).ToList();
        for (var t = 0; t < Threads; t++)
        {
            var first = t * PerThread;
            workers[t].Post(async () =>
            {
                for (var i = 0; i < PerThread; i++)
                {
                    await channel.SendAsync(first + i);
                }
            });
        }

        var seen = new HashSet<int>();
        for (var i = 0; i < Threads * PerThread; i++)
        {
            Assert.True(seen.Add(channel.Receive()), "a message arrived twice");
        }

        Assert.Equal(Threads * PerThread, seen.Count);
        workers.ForEach(w => w.Join());
        workers.ForEach(w => w.Dispose());
    });
}
