using System.Collections.Concurrent;
using System.Net.Sockets;
using Stackless.Emu.Tests.Infrastructure;
using Stackless.Emu.Tests.Monkeypatch;

namespace Stackless.Emu.Tests.Threads;

/// <summary><see cref="SchedulerPool"/>: dealing, loads, errors, disposal, channels between its threads, fairness on each thread.</summary>
public class SchedulerPoolTests
{
    [Fact]
    public void ByDefault_OneThreadPerCore_RoundRobin()
    {
        using var pool = new SchedulerPool();
        Assert.Equal(Environment.ProcessorCount, pool.Count);
        Assert.Equal(SchedulerPoolDealing.RoundRobin, pool.Dealing);
        Assert.Equal(pool.Count, pool.Threads.Select(t => t.ThreadId).Distinct().Count());
    }

    [Fact]
    public void BadArguments_AreRefusedWithClearExceptions()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SchedulerPool(-1));
        var dealing = Assert.Throws<ArgumentOutOfRangeException>(() => new SchedulerPool(1, (SchedulerPoolDealing)7));
        Assert.Contains("SchedulerPoolDealing.LeastLoaded", dealing.Message, StringComparison.Ordinal);
        using var pool = new SchedulerPool(1);
        Assert.Throws<ArgumentNullException>(() => pool.Post(null!));
        Assert.Throws<ArgumentNullException>(() => pool.PostFrame(null!));
        Assert.Throws<ArgumentNullException>(() => pool.PostHard(null!));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetLoad(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.GetLoad(-1));
    }

    [Fact]
    public void RoundRobin_DealsEachKindOfBodyInTurn_AndTheyRunOnTheThreadTheyWereDealtTo() => Isolated.Run(() =>
    {
        using var pool = new SchedulerPool(3);
        var ran = new Channel<(int Index, int ThreadId)>();
        var release = new Channel<int>();
        var dealt = new List<SchedulerThread>();
        for (var i = 0; i < 9; i++)
        {
            var index = i;
            dealt.Add((i % 3) switch
            {
                0 => pool.Post(async () =>
                {
                    await ran.SendAsync((index, Tasklet.Current.ThreadId));
                    await release.ReceiveAsync();
                }),
                1 => pool.PostFrame(async () =>
                {
                    await ran.SendAsync((index, Tasklet.Current.ThreadId));
                    await release.ReceiveAsync();
                }),
                _ => pool.PostHard(() =>
                {
                    ran.Send((index, Tasklet.Current.ThreadId));
                    release.Receive();
                }),
            });
        }

        Assert.Equal(Enumerable.Range(0, 9).Select(i => pool.Threads[i % 3]), dealt);
        var reports = Enumerable.Range(0, 9).Select(_ => ran.Receive()).OrderBy(r => r.Index).ToList();
        Assert.Equal(dealt.Select(t => t.ThreadId), reports.Select(r => r.ThreadId));

        // Every tasklet has started and waits: each thread carries three.
        Assert.Equal([3, 3, 3], Enumerable.Range(0, 3).Select(pool.GetLoad));
        for (var i = 0; i < 9; i++)
        {
            release.Send(i);
        }

        pool.Join();
        Assert.Equal([0, 0, 0], Enumerable.Range(0, 3).Select(pool.GetLoad));
    });

    [Fact]
    public void LeastLoaded_DealsToTheThreadsCarryingFewerTasklets() => Isolated.Run(() =>
    {
        using var pool = new SchedulerPool(3, SchedulerPoolDealing.LeastLoaded);
        var started = new Channel<int>();
        var release = new Channel<int>();
        Func<Task> waiter = async () =>
        {
            await started.SendAsync(Tasklet.Current.ThreadId);
            await release.ReceiveAsync();
        };

        // Thread 0 carries three tasklets that stay, spawned there directly, not through the pool.
        for (var i = 0; i < 3; i++)
        {
            pool.Threads[0].Post(waiter);
            started.Receive();
        }

        Assert.Equal([3, 0, 0], Enumerable.Range(0, 3).Select(pool.GetLoad));

        // A burst: tasklets dealt and not started yet count too, so the two idle threads share it and thread 0 gets none.
        var burst = Enumerable.Range(0, 4).Select(_ => pool.Post(waiter)).ToList();
        Assert.DoesNotContain(pool.Threads[0], burst);
        Assert.NotEqual(burst[0], burst[1]);
        for (var i = 0; i < burst.Count; i++)
        {
            started.Receive();
        }

        Assert.Equal(3, pool.GetLoad(0));
        Assert.Equal(4, pool.GetLoad(1) + pool.GetLoad(2));

        // Once thread 0's tasklets end, it is the least loaded one.
        for (var i = 0; i < 3; i++)
        {
            pool.Threads[0].Post(async () => await release.SendAsync(0));
        }

        SpinWait.SpinUntil(() => pool.GetLoad(0) == 0, Isolated.Timeout);
        Assert.Equal(0, pool.GetLoad(0));
        Assert.Same(pool.Threads[0], pool.Post(waiter));
        started.Receive();
        for (var i = 0; i < 5; i++)
        {
            release.Send(i);
        }

        pool.Join();
    });

    [Fact]
    public void ErrorsOfEveryThread_AreCollected_AndRaisedByJoin() => Isolated.Run(() =>
    {
        var pool = new SchedulerPool(2);
        pool.Post(() => throw new InvalidProgramException("soft on thread 0"));
        pool.PostFrame(async () =>
        {
            await Scheduler.ScheduleAsync();
            throw new InvalidProgramException("frame on thread 1");
        });
        pool.PostHard(() => throw new InvalidProgramException("hard on thread 0"));

        var error = Assert.Throws<AggregateException>(pool.Join);
        Assert.Equal(["frame on thread 1", "hard on thread 0", "soft on thread 0"], error.InnerExceptions.Select(e => e.Message).Order());
        Assert.True(pool.Completion.IsFaulted);
        Assert.Same(pool.Completion, pool.Completion);
        Assert.Equal(3, pool.Completion.Exception!.InnerExceptions.Count);
        Assert.Throws<ObjectDisposedException>(() => pool.Post(() => Task.CompletedTask));
        pool.Dispose();
    });

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Disposal_KillsLeftoversOnEveryThread_SoTheirFinallyRuns(bool asynchronously) => Isolated.Run(() =>
    {
        var cleanedUp = new ConcurrentBag<string>();
        var blocked = 0;
        var (client, server) = Loopback.Pair();
        using var clientSocket = client;
        using var serverSocket = server;
        var pool = new SchedulerPool(2);
        for (var i = 0; i < 2; i++)
        {
            pool.Post(async () =>
            {
                try
                {
                    Interlocked.Increment(ref blocked);
                    await new Channel<int>().ReceiveAsync();
                }
                finally
                {
                    cleanedUp.Add("soft on a channel");
                }
            });
            pool.PostFrame(async () =>
            {
                try
                {
                    Interlocked.Increment(ref blocked);
                    await Task.Delay(Timeout.Infinite, Tasklet.Current.CancellationToken);
                }
                finally
                {
                    cleanedUp.Add("frame on a timer");
                }
            });
            pool.PostHard(() =>
            {
                try
                {
                    Interlocked.Increment(ref blocked);
                    new Channel<int>().Receive();
                }
                finally
                {
                    cleanedUp.Add("hard on a channel");
                }
            });
        }

        pool.Post(async () =>
        {
            try
            {
                Interlocked.Increment(ref blocked);
                await server.ReceiveAsync(new byte[8], SocketFlags.None, Tasklet.Current.CancellationToken);
            }
            finally
            {
                cleanedUp.Add("soft on a socket");
            }
        });

        SpinWait.SpinUntil(() => Volatile.Read(ref blocked) == 7, Isolated.Timeout);
        if (asynchronously)
        {
            pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        else
        {
            pool.Dispose();
        }

        Assert.Equal(
            ["frame on a timer", "frame on a timer", "hard on a channel", "hard on a channel", "soft on a channel", "soft on a channel", "soft on a socket"],
            cleanedUp.Order());
        Assert.True(pool.Completion.IsCompletedSuccessfully);
        Assert.Equal([0, 0], Enumerable.Range(0, 2).Select(pool.GetLoad));
        Assert.Throws<ObjectDisposedException>(() => pool.PostFrame(async () => await Scheduler.ScheduleAsync()));
    });

    [Fact]
    public void TaskletsOfDifferentThreads_TalkThroughChannels() => Isolated.Run(() =>
    {
        // Light by default (each message crosses threads twice; a loaded 2-core machine wakes threads slowly).
        var messages = Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1" ? 100_000 : 1_000;
        using var pool = new SchedulerPool(2);
        var ping = new Channel<int>();
        var pong = new Channel<int>();
        var result = new Channel<(int ThreadId, long Sum)>();
        var first = pool.PostFrame(async () =>
        {
            long sum = 0;
            for (var i = 0; i < messages; i++)
            {
                await ping.SendAsync(i);
                sum += await pong.ReceiveAsync();
            }

            await result.SendAsync((Tasklet.Current.ThreadId, sum));
        });
        var second = pool.Post(async () =>
        {
            long sum = 0;
            for (var i = 0; i < messages; i++)
            {
                var got = await ping.ReceiveAsync();
                Assert.Equal(i, got);
                sum += got;
                await pong.SendAsync(got * 2);
            }

            await result.SendAsync((Tasklet.Current.ThreadId, sum));
        });

        Assert.NotEqual(first, second);
        var reports = new[] { result.Receive(), result.Receive() }.OrderBy(r => r.Sum).ToList();
        long expected = (long)messages * (messages - 1) / 2;
        Assert.Equal([(second.ThreadId, expected), (first.ThreadId, 2 * expected)], reports);
        pool.Join();
    });

    [Fact]
    public void ItsOwnTasklets_CanDealNewTaskletsToThePool() => Isolated.Run(() =>
    {
        using var pool = new SchedulerPool(2);
        var ran = new Channel<int>();
        pool.PostFrame(async () =>
        {
            // An accept loop living on the pool: it deals each new tasklet, to its own thread or the other one.
            for (var i = 0; i < 4; i++)
            {
                pool.Post(async () => await ran.SendAsync(Tasklet.Current.ThreadId));
                await Scheduler.ScheduleAsync();
            }
        });

        var threads = Enumerable.Range(0, 4).Select(_ => ran.Receive()).ToList();
        Assert.Equal(pool.Threads.Select(t => t.ThreadId).Order(), threads.Distinct().Order());
        pool.Join();
    });

    [Fact]
    public void StoppingASchedulerThread_KillsItsTaskletsBlockedOnIo_SoTheirFinallyRuns() => Isolated.Run(() =>
    {
        var cleanedUp = 0;
        var worker = new SchedulerThread();
        var waiting = worker.SpawnAsync(async () =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, Tasklet.Current.CancellationToken);
            }
            finally
            {
                Interlocked.Increment(ref cleanedUp);
            }
        }).GetAwaiter().GetResult();
        SpinWait.SpinUntil(() => waiting.BlockedOnIO, Isolated.Timeout);

        worker.Join(); // pending I/O does not keep a stopping thread serving: the tasklet is killed
        Assert.Equal(1, cleanedUp);
        Assert.False(waiting.Alive);
        Assert.True(worker.Completion.IsCompletedSuccessfully);
    });

    /// <summary>How a waiter's foreign await completes in <see cref="ABusyTasklet_NeverStarvesIo_OnAnyThreadOfThePool"/>.</summary>
    public enum Completion
    {
        /// <summary>A task completed by a thread-pool work item.</summary>
        ThreadPool,

        /// <summary>A timer (<c>Task.Delay</c>).</summary>
        Timer,

        /// <summary>A loopback socket receive, its data sent from another thread.</summary>
        Socket,
    }

    /// <summary>
    /// Issue 12's fairness rule on every thread of a pool: on each thread a busy tasklet loops on
    /// <c>ScheduleAsync</c> while a waiter awaits a foreign completion; the waiter must run within two rounds of the
    /// busy loop after its completion reached the inbox (and the scheduler's <c>InboxPosts</c> must show that it came through
    /// the inbox), never after the loop.
    /// </summary>
    [Theory]
    [InlineData(false, Completion.ThreadPool)]
    [InlineData(true, Completion.ThreadPool)]
    [InlineData(false, Completion.Timer)]
    [InlineData(true, Completion.Timer)]
    [InlineData(false, Completion.Socket)]
    [InlineData(true, Completion.Socket)]
    public void ABusyTasklet_NeverStarvesIo_OnAnyThreadOfThePool(bool frameBodies, Completion completion) => Isolated.Run(() =>
    {
        // Past this many rounds after the hand-in, the waiter counts as starved; a fair scheduler needs 1 or 2.
        const long Starved = 100_000;
        var threads = Math.Max(2, Environment.ProcessorCount);
        using var pool = new SchedulerPool(threads);
        var outcomes = new Channel<(int ThreadId, long HandedInAt, long ResumedAt, long Rounds, bool CameThroughInbox)>();
        var sockets = new List<Socket>();
        for (var t = 0; t < threads; t++)
        {
            var (client, server) = Loopback.Pair();
            sockets.Add(client);
            sockets.Add(server);
            var probe = new FairnessProbe();
            Task StartPending(Tasklet waiter)
            {
                Volatile.Write(ref probe.Baseline, ThreadScheduler.Current.InboxPosts); // before anything can be handed in
                return completion switch
                {
                    Completion.ThreadPool => CompleteWhenBlockedOnIo(waiter),
                    Completion.Timer => Task.Delay(1),
                    _ => ReceiveWhenSentAsync(waiter, client, server),
                };
            }

            void Resumed()
            {
                probe.ResumedAt = probe.Rounds;
                probe.HandedInAt = probe.HandedInAt < 0 ? probe.Rounds : probe.HandedInAt; // delivered between two looks
                probe.CameThroughInbox = ThreadScheduler.Current.InboxPosts > probe.Baseline;
                probe.Done = true;
            }

            bool BusyGoesOn()
            {
                if (probe.Done || (probe.HandedInAt >= 0 && probe.Rounds - probe.HandedInAt >= Starved))
                {
                    return false;
                }

                // A round starts; the hand-in counts from the first round that finds it in the inbox.
                probe.Rounds++;
                if (probe.HandedInAt < 0 && ThreadScheduler.Current.HasInboxWork)
                {
                    probe.HandedInAt = probe.Rounds;
                }

                return true;
            }

            (int, long, long, long, bool) Outcome() => (Tasklet.Current.ThreadId, probe.HandedInAt, probe.ResumedAt, probe.Rounds, probe.CameThroughInbox);

            async Task Waiter()
            {
                await StartPending(Tasklet.Current);
                Resumed();
            }

            async Task Busy()
            {
                while (BusyGoesOn())
                {
                    await Scheduler.ScheduleAsync();
                }

                await outcomes.SendAsync(Outcome());
            }

            async TaskletFrame WaiterFrame()
            {
                await StartPending(Tasklet.Current);
                Resumed();
            }

            async TaskletFrame BusyFrame()
            {
                while (BusyGoesOn())
                {
                    await Scheduler.ScheduleAsync();
                }

                await outcomes.SendAsync(Outcome());
            }

            // Both tasklets of a pair go to one thread: the waiter first, so it is waiting when the busy loop starts.
            pool.Threads[t].PostToThread(() =>
            {
                if (frameBodies)
                {
                    Tasklet.SpawnFrame(WaiterFrame);
                    Tasklet.SpawnFrame(BusyFrame);
                }
                else
                {
                    Tasklet.Spawn(Waiter);
                    Tasklet.Spawn(Busy);
                }
            });
        }

        var results = Enumerable.Range(0, threads).Select(_ => outcomes.Receive()).ToList();
        foreach (var socket in sockets)
        {
            socket.Dispose();
        }

        pool.Join();
        Assert.Equal(pool.Threads.Select(t => t.ThreadId).Order(), results.Select(r => r.ThreadId).Order());
        foreach (var (threadId, handedInAt, resumedAt, rounds, cameThroughInbox) in results)
        {
            Assert.True(resumedAt > 0, $"thread {threadId}: the waiter starved ({rounds} rounds, handed in at round {handedInAt})");
            Assert.True(cameThroughInbox, $"thread {threadId}: the completion did not come through the scheduler's inbox (InboxPosts did not grow)");
            Assert.True(
                resumedAt - handedInAt is >= 0 and <= 2,
                $"thread {threadId}: handed in at round {handedInAt}, the waiter resumed at round {resumedAt} ({rounds} rounds)");
        }
    });

    /// <summary>A task completed on the thread pool once <paramref name="waiter"/> waits for it (so it cannot complete synchronously).</summary>
    private static Task CompleteWhenBlockedOnIo(Tasklet waiter)
    {
        var gate = new TaskCompletionSource();
        _ = Task.Run(() =>
        {
            SpinWait.SpinUntil(() => waiter.BlockedOnIO);
            gate.SetResult();
        });
        return gate.Task;
    }

    /// <summary>A receive on <paramref name="server"/>; the peer sends once <paramref name="waiter"/> waits for it.</summary>
    private static Task<int> ReceiveWhenSentAsync(Tasklet waiter, Socket client, Socket server)
    {
        var receive = server.ReceiveAsync(new byte[8].AsMemory(), SocketFlags.None).AsTask();
        _ = Task.Run(() =>
        {
            SpinWait.SpinUntil(() => waiter.BlockedOnIO);
            client.Send([1, 2, 3]);
        });
        return receive;
    }

    /// <summary>What the busy loop and the waiter of one thread share (touched by that thread only).</summary>
    private sealed class FairnessProbe
    {
        /// <summary>The scheduler's hand-in count (<c>InboxPosts</c>) just before the waiter awaited; -1 until then.</summary>
        public long Baseline = -1;

        public long Rounds;

        /// <summary>The first round that found the completion in the inbox (or the waiter resumed); -1 until then.</summary>
        public long HandedInAt = -1;

        /// <summary>Whether the scheduler counted a hand-in between the waiter's await and its resumption.</summary>
        public bool CameThroughInbox;

        public long ResumedAt = -1;

        public bool Done;
    }
}
