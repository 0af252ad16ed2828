using System.Threading.Channels;
using Nito.AsyncEx;
using SysChan = System.Threading.Channels.Channel<int>;
using SysChannel = System.Threading.Channels.Channel;

namespace Stackless.Emu.Benchmarks;

/// <summary>The result of one run of a workload: the check value (all implementations must agree) and the time.</summary>
internal readonly record struct RunResult(long Check, double Milliseconds, double BytesPerItem = double.NaN, long PeakWorkingSet = 0);

/// <summary>Progress of the long sieve, read by the progress reporter.</summary>
internal static class Progress
{
    public static volatile int LastPrime;
}

/// <summary>The Stackless.Emu side of the macro workloads. Each runs on a fresh thread, hence a fresh scheduler.</summary>
internal static class StacklessWorkloads
{
    public static RunResult Sieve(int limit) => OnFreshThread(() =>
    {
        var prime = new Channel<int>();
        var numbers = new Channel<int>();

        static async Task Counter(Channel<int> c)
        {
            for (var i = 2; ; i++)
            {
                await c.SendAsync(i);
            }
        }

        static async Task Filter(int p, Channel<int> listen, Channel<int> send)
        {
            await foreach (var i in listen)
            {
                if (i % p != 0)
                {
                    await send.SendAsync(i);
                }
            }
        }

        static async Task SieveBody(Channel<int> primes, Channel<int> c)
        {
            while (true)
            {
                var p = await c.ReceiveAsync();
                await primes.SendAsync(p);
                var next = new Channel<int>();
                var (pp, cc) = (p, c);
                Tasklet.Spawn(() => Filter(pp, cc, next));
                c = next;
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Tasklet.Spawn(() => Counter(numbers));
        Tasklet.Spawn(() => SieveBody(prime, numbers));
        long count = 0;
        while (true)
        {
            var p = prime.Receive();
            count++;
            Progress.LastPrime = p;
            if (p >= limit)
            {
                break;
            }
        }

        var elapsed = clock.Elapsed.TotalMilliseconds;
        KillAll();
        return new RunResult(count, elapsed);
    });

    public static RunResult PingPong(int n) => OnFreshThread(() =>
    {
        var request = new Channel<int>();
        var reply = new Channel<int>();
        long sum = 0;

        async Task Ping()
        {
            for (var i = 0; i < n; i++)
            {
                await request.SendAsync(i);
                sum += await reply.ReceiveAsync();
            }
        }

        async Task Pong()
        {
            for (var i = 0; i < n; i++)
            {
                var v = await request.ReceiveAsync();
                await reply.SendAsync(v);
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Tasklet.Spawn(Ping);
        Tasklet.Spawn(Pong);
        Scheduler.Run();
        return new RunResult(sum, clock.Elapsed.TotalMilliseconds);
    });

    public static RunResult Spawn(int n) => OnFreshThread(() =>
    {
        static async Task Waiter(Channel<int> c) => _ = await c.ReceiveAsync();

        var before = GC.GetTotalMemory(true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var channels = new Channel<int>[n];
        for (var i = 0; i < n; i++)
        {
            var c = channels[i] = new Channel<int>();
            Tasklet.Spawn(() => Waiter(c));
        }

        Scheduler.Run();
        clock.Stop();
        var blocked = GC.GetTotalMemory(true);
        long check = 0;
        for (var i = 0; i < n; i++)
        {
            check += channels[i].Balance;
        }

        clock.Start();
        for (var i = 0; i < n; i++)
        {
            channels[i].Send(i);
        }

        clock.Stop();
        return new RunResult(-check + Scheduler.AliveTasklets().Count - 1, clock.Elapsed.TotalMilliseconds, (blocked - before) / (double)n);
    });

    private static void KillAll()
    {
        foreach (var tasklet in Scheduler.AliveTasklets())
        {
            if (!tasklet.IsMain && tasklet.Alive)
            {
                tasklet.Kill();
            }
        }
    }

    internal static RunResult OnFreshThread(Func<RunResult> body)
    {
        RunResult result = default;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = body();
            }
#pragma warning disable CA1031 // Reported by the caller.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }
        });
        thread.Start();
        thread.Join();
        if (error is not null)
        {
            throw new InvalidOperationException("The workload failed.", error);
        }

        return result;
    }
}

/// <summary>The floor: the same workloads on <see cref="FloorLoop"/> and <see cref="FloorChannel{T}"/>.</summary>
internal static class FloorWorkloads
{
    /// <summary>Sends counted by the last sieve run (the workload's size).</summary>
    public static long LastSieveSends;

    public static RunResult Sieve(int limit)
    {
        var loop = new FloorLoop();
        var prime = new FloorChannel<int>(loop);
        var numbers = new FloorChannel<int>(loop);
        long count = 0;

        async Task Counter(FloorChannel<int> c)
        {
            for (var i = 2; ; i++)
            {
                await c.SendAsync(i);
            }
        }

        async Task Filter(int p, FloorChannel<int> listen, FloorChannel<int> send)
        {
            while (true)
            {
                var i = await listen.ReceiveAsync();
                if (i % p != 0)
                {
                    await send.SendAsync(i);
                }
            }
        }

        async Task SieveBody(FloorChannel<int> primes, FloorChannel<int> c)
        {
            while (true)
            {
                var p = await c.ReceiveAsync();
                await primes.SendAsync(p);
                var next = new FloorChannel<int>(loop);
                var (pp, cc) = (p, c);
                loop.Spawn(() => Filter(pp, cc, next));
                c = next;
            }
        }

        async Task Main()
        {
            while (true)
            {
                var p = await prime.ReceiveAsync();
                count++;
                Progress.LastPrime = p;
                if (p >= limit)
                {
                    // Stop the loop: leave everything else blocked, as the other implementations do.
                    return;
                }
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var main = Main();
        loop.Spawn(() => Counter(numbers));
        loop.Spawn(() => SieveBody(prime, numbers));
        loop.Run();
        var elapsed = clock.Elapsed.TotalMilliseconds;
        if (!main.IsCompleted)
        {
            throw new InvalidOperationException("floor sieve did not finish");
        }

        LastSieveSends = loop.Sends;
        return new RunResult(count, elapsed);
    }

    public static RunResult PingPong(int n)
    {
        var loop = new FloorLoop();
        var request = new FloorChannel<int>(loop);
        var reply = new FloorChannel<int>(loop);
        long sum = 0;

        async Task Ping()
        {
            for (var i = 0; i < n; i++)
            {
                await request.SendAsync(i);
                sum += await reply.ReceiveAsync();
            }
        }

        async Task Pong()
        {
            for (var i = 0; i < n; i++)
            {
                var v = await request.ReceiveAsync();
                await reply.SendAsync(v);
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        loop.Spawn(Ping);
        loop.Spawn(Pong);
        loop.Run();
        return new RunResult(sum, clock.Elapsed.TotalMilliseconds);
    }

    public static RunResult Spawn(int n)
    {
        var loop = new FloorLoop();
        long done = 0;

        async Task Waiter(FloorChannel<int> c)
        {
            _ = await c.ReceiveAsync();
            done++;
        }

        var before = GC.GetTotalMemory(true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var channels = new FloorChannel<int>[n];
        for (var i = 0; i < n; i++)
        {
            var c = channels[i] = new FloorChannel<int>(loop);
            loop.Spawn(() => Waiter(c));
        }

        loop.Run();
        clock.Stop();
        var blocked = GC.GetTotalMemory(true);
        clock.Start();
        for (var i = 0; i < n; i++)
        {
            _ = channels[i].SendAsync(i);
            loop.Run();
        }

        clock.Stop();
        return new RunResult(done, clock.Elapsed.TotalMilliseconds, (blocked - before) / (double)n);
    }
}

/// <summary>System.Threading.Channels on a single-threaded AsyncContext or on the thread pool.</summary>
internal static class ChannelsWorkloads
{
    public static SysChan Create(int capacity) =>
        SysChannel.CreateBounded<int>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true });

    /// <summary>Runs <paramref name="root"/> to completion on the chosen runner.</summary>
    public static void RunOn(bool asyncContext, Func<Task> root)
    {
        if (asyncContext)
        {
            AsyncContext.Run(root);
        }
        else
        {
            Task.Run(root).GetAwaiter().GetResult();
        }
    }

    public static RunResult Sieve(bool asyncContext, int capacity, int limit)
    {
        long count = 0;

        static async Task Counter(ChannelWriter<int> c)
        {
            for (var i = 2; ; i++)
            {
                await c.WriteAsync(i);
            }
        }

        static async Task Filter(int p, ChannelReader<int> listen, ChannelWriter<int> send)
        {
            while (true)
            {
                var i = await listen.ReadAsync();
                if (i % p != 0)
                {
                    await send.WriteAsync(i);
                }
            }
        }

        async Task SieveBody(ChannelWriter<int> primes, ChannelReader<int> c)
        {
            while (true)
            {
                var p = await c.ReadAsync();
                await primes.WriteAsync(p);
                var next = Create(capacity);
                _ = Filter(p, c, next.Writer);
                c = next.Reader;
            }
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        RunOn(asyncContext, async () =>
        {
            var prime = Create(capacity);
            var numbers = Create(capacity);
            _ = Counter(numbers.Writer);
            _ = SieveBody(prime.Writer, numbers.Reader);
            while (true)
            {
                var p = await prime.Reader.ReadAsync();
                count++;
                Progress.LastPrime = p;
                if (p >= limit)
                {
                    return;
                }
            }
        });
        return new RunResult(count, clock.Elapsed.TotalMilliseconds);
    }

    public static RunResult PingPong(bool asyncContext, int capacity, int n)
    {
        long sum = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        RunOn(asyncContext, async () =>
        {
            var request = Create(capacity);
            var reply = Create(capacity);

            async Task Pong()
            {
                for (var i = 0; i < n; i++)
                {
                    var v = await request.Reader.ReadAsync();
                    await reply.Writer.WriteAsync(v);
                }
            }

            var pong = Pong();
            for (var i = 0; i < n; i++)
            {
                await request.Writer.WriteAsync(i);
                sum += await reply.Reader.ReadAsync();
            }

            await pong;
        });
        return new RunResult(sum, clock.Elapsed.TotalMilliseconds);
    }

    public static RunResult Spawn(bool asyncContext, int capacity, int n)
    {
        long done = 0;
        double bytes = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clock = new System.Diagnostics.Stopwatch();

        async Task Waiter(ChannelReader<int> c)
        {
            _ = await c.ReadAsync();
            if (Interlocked.Increment(ref done) == n)
            {
                all.SetResult();
            }
        }

        var before = GC.GetTotalMemory(true);
        clock.Start();
        RunOn(asyncContext, async () =>
        {
            var channels = new SysChan[n];
            for (var i = 0; i < n; i++)
            {
                var c = channels[i] = Create(capacity);
                _ = Waiter(c.Reader);
            }

            clock.Stop();
            bytes = (GC.GetTotalMemory(true) - before) / (double)n;
            clock.Start();
            for (var i = 0; i < n; i++)
            {
                await channels[i].Writer.WriteAsync(i);
            }

            await all.Task;
        });
        clock.Stop();
        return new RunResult(done, clock.Elapsed.TotalMilliseconds, bytes);
    }
}
