using System.Net.Sockets;
using Microsoft.Extensions.Time.Testing;
using Stackless.Emu.Tests.Infrastructure;
using Stackless.Emu.Tests.Monkeypatch;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// The game loop (a tasklet that ticks and calls <c>schedule()</c> for ever) never starves I/O, timers or other threads:
/// a completion handed to the scheduler wakes its tasklet within a bounded number of rounds of the busy loop. Counted in
/// rounds from the moment the completion reaches the inbox (the scheduler's hand-in counter), never timed.
/// </summary>
public class FairnessTests
{
    /// <summary>At most this many rounds of the busy loop pass between a hand-in and the wake of its tasklet.</summary>
    private const int MaxRounds = 2;

    /// <summary>A guard against a hang: the busy loop gives up after this many rounds (never reached when fair).</summary>
    private const long Guard = 200_000_000;

    public static TheoryData<string> Waiters => ["sleep (fake time)", "Task.Delay", "socket receive", "file read", "cross-thread send", "posted work"];

    [Theory]
    [MemberData(nameof(Waiters))]
    public void A_busy_loop_of_schedule_calls_lets_each_kind_of_completion_in_within_two_rounds(string waiter) => Isolated.Run(() =>
    {
        var loop = new BusyLoop();
        var start = StartWaiter(waiter, loop, frame: false);
        Tasklet.Spawn(loop.RunAsync);
        start();
        Scheduler.Run();
        loop.AssertFair(waiter);
    });

    [Theory]
    [MemberData(nameof(Waiters))]
    public void The_same_holds_for_TaskletFrame_bodies(string waiter) => Isolated.Run(() =>
    {
        var loop = new BusyLoop();
        var start = StartWaiter(waiter, loop, frame: true);
        Tasklet.SpawnFrame(loop.RunFrame);
        start();
        Scheduler.Run();
        loop.AssertFair(waiter);
    });

    [Fact]
    public void A_busy_main_calling_schedule_lets_completions_in_too() => Isolated.Run(() =>
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var scheduler = ThreadScheduler.Current;
        long round = 0, posted = -1, woke = -1;
        var posts = -1L;
        Tasklet.Spawn(async () =>
        {
            await gate.Task;
            woke = round;
            if (posted < 0 && scheduler.InboxPosts != posts)
            {
                posted = round; // delivered before any round found it in the inbox: it waited no round
            }
        });
        Scheduler.Schedule(); // the waiter runs up to its await
        posts = scheduler.InboxPosts;
        var completer = new Thread(() => gate.SetResult());
        completer.Start();
        while (woke < 0 && round < Guard)
        {
            round++;
            if (posted < 0 && scheduler.InboxPosts != posts && scheduler.HasInboxWork) // in the inbox, not only counted
            {
                posted = round;
            }

            Scheduler.Schedule();
        }

        completer.Join();
        Assert.True(woke >= 0, "the waiter never woke");
        Assert.InRange(woke - posted, 0, MaxRounds);
    });

    /// <summary>Starts one waiter of <paramref name="kind"/>; returns what makes its completion happen, from another thread.</summary>
    private static Action StartWaiter(string kind, BusyLoop loop, bool frame)
    {
        switch (kind)
        {
            case "sleep (fake time)":
            {
                var time = new FakeTimeProvider();
                Spawn(frame, () => Scheduler.SleepAsync(TimeSpan.FromSeconds(1), time).AsTask(), loop);
                return () => loop.FromOtherThread(() => time.Advance(TimeSpan.FromSeconds(1)));
            }

            case "Task.Delay":
                Spawn(frame, () => Task.Delay(5), loop);
                return () => { };

            case "socket receive":
            {
                var (client, server) = Loopback.Pair();
                var buffer = new byte[4];
                Spawn(frame, () => server.ReceiveAsync(buffer, SocketFlags.None), loop, () =>
                {
                    client.Dispose();
                    server.Dispose();
                });
                return () => loop.FromOtherThread(() => client.Send([1, 2, 3, 4]));
            }

            case "file read":
            {
                // A FIFO: reading it is file I/O that really waits (a regular file's read completes at once). Opening one
                // end blocks until the other is opened, so the writer opens it on its own thread.
                var path = Fifo.Create();
                using var opened = new ManualResetEventSlim();
                FileStream? writer = null;
                var opener = new Thread(() =>
                {
                    writer = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
                    opened.Set();
                });
                opener.Start();
                var reader = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1, FileOptions.Asynchronous);
                opened.Wait();
                opener.Join();
                var buffer = new byte[4];
                Spawn(frame, () => reader.ReadAsync(buffer, 0, buffer.Length), loop, () =>
                {
                    reader.Dispose();
                    File.Delete(path);
                });
                return () => loop.FromOtherThread(() =>
                {
                    writer!.Write([1, 2, 3, 4]);
                    writer.Dispose();
                });
            }

            case "cross-thread send":
            {
                var channel = new Channel<int>();
                if (frame)
                {
                    Tasklet.SpawnFrame(() => ReceiveFrame(channel, loop));
                }
                else
                {
                    Tasklet.Spawn(async () =>
                    {
                        Assert.Equal(7, await channel.ReceiveAsync());
                        loop.Woke();
                    });
                }

                return () => loop.FromOtherThread(() => channel.Send(7));
            }

            default:
            {
                var context = Scheduler.SynchronizationContext;
                return () => loop.FromOtherThread(() => context.Post(_ => loop.Woke(), null));
            }
        }
    }

    /// <summary>
    /// A tasklet awaiting <paramref name="operation"/> directly: an async-delegate body, or a TaskletFrame body (whose
    /// builder routes the foreign await itself).
    /// </summary>
    private static void Spawn(bool frame, Func<Task> operation, BusyLoop loop, Action? cleanup = null)
    {
        if (frame)
        {
            Tasklet.SpawnFrame(() => WaitFrame(operation, loop, cleanup));
        }
        else
        {
            Tasklet.Spawn(async () =>
            {
                try
                {
                    await operation();
                    loop.Woke();
                }
                finally
                {
                    cleanup?.Invoke();
                }
            });
        }
    }

    private static async TaskletFrame WaitFrame(Func<Task> operation, BusyLoop loop, Action? cleanup)
    {
        try
        {
            await operation();
            loop.Woke();
        }
        finally
        {
            cleanup?.Invoke();
        }
    }

    private static async TaskletFrame ReceiveFrame(Channel<int> channel, BusyLoop loop)
    {
        Assert.Equal(7, await channel.ReceiveAsync());
        loop.Woke();
    }

    /// <summary>The game loop: counts its rounds and the round at which the inbox first got something.</summary>
    private sealed class BusyLoop
    {
        private readonly ThreadScheduler _scheduler = ThreadScheduler.Current;
        private readonly List<Thread> _threads = [];
        private long _round;
        private long _posted = -1;
        private long _woke = -1;
        private long _postsAtStart = -1;

        public void Woke()
        {
            _woke = _round;
            if (_posted < 0 && _scheduler.InboxPosts != _postsAtStart)
            {
                _posted = _round; // delivered before any round found it in the inbox: it waited no round
            }
        }

        /// <summary>Runs <paramref name="action"/> on a thread of its own once the loop is running.</summary>
        public void FromOtherThread(Action action)
        {
            var thread = new Thread(() =>
            {
                SpinWait.SpinUntil(() => Volatile.Read(ref _round) > 1000);
                action();
            });
            _threads.Add(thread);
            thread.Start();
        }

        public async Task RunAsync()
        {
            _postsAtStart = _scheduler.InboxPosts;
            while (_woke < 0 && _round < Guard)
            {
                Tick();
                await Scheduler.ScheduleAsync();
            }
        }

        public async TaskletFrame RunFrame()
        {
            _postsAtStart = _scheduler.InboxPosts;
            while (_woke < 0 && _round < Guard)
            {
                Tick();
                await Scheduler.ScheduleAsync();
            }
        }

        public void AssertFair(string waiter)
        {
            foreach (var thread in _threads)
            {
                thread.Join();
            }

            Assert.True(_woke >= 0, $"{waiter}: the waiter never woke within {Guard} rounds of the busy loop");
            Assert.True(_posted >= 0, $"{waiter}: the completion never reached the inbox");
            Assert.InRange(_woke - _posted, 0, MaxRounds);
        }

        private void Tick()
        {
            Volatile.Write(ref _round, _round + 1);
            // Counted from the first round that finds the completion in the inbox: the poster counts it before it
            // publishes it, and on a loaded machine it may be descheduled in between for any number of rounds. A
            // completion drained before this check saw it counts from the round its waiter woke (Woke).
            if (_posted < 0 && _scheduler.InboxPosts != _postsAtStart && _scheduler.HasInboxWork)
            {
                _posted = _round;
            }
        }
    }
}
