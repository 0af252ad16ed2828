using System.Threading.Channels;
using Nito.AsyncEx;
using SysChan = System.Threading.Channels.Channel<int>;
using SysChannel = System.Threading.Channels.Channel;

namespace Stackless.Emu.Benchmarks;

/// <summary>The result of one run of a workload: the check value (all implementations must agree) and the time.</summary>
/// <param name="CpuMs">CPU time of the run: the running thread's (single-threaded runners) or the process's (thread pool).</param>
internal readonly record struct RunResult(long Check, double Milliseconds, double BytesPerItem = double.NaN, long PeakWorkingSet = 0, double CpuMs = double.NaN);

/// <summary>
/// Wall-clock and CPU time of a timed window that may be paused. Single-threaded runners read the calling thread's CPU
/// clock; thread-pool runners the whole process's, since their work runs on pool threads.
/// </summary>
internal sealed class Meter
{
    private readonly System.Diagnostics.Stopwatch _clock = new();
    private readonly bool _process;
    private double _cpuStart, _cpu;

    private Meter(bool process) => _process = process;

    public static Meter Start(bool process = false)
    {
        var meter = new Meter(process);
        meter.Resume();
        return meter;
    }

    private double Now() => _process ? CpuClock.ProcessSeconds() : CpuClock.ThreadSeconds();

    public void Pause()
    {
        _clock.Stop();
        _cpu += Now() - _cpuStart;
    }

    public void Resume()
    {
        _cpuStart = Now();
        _clock.Start();
    }

    public RunResult Stop(long check)
    {
        Pause();
        return new RunResult(check, _clock.Elapsed.TotalMilliseconds, CpuMs: _cpu * 1000);
    }
}

/// <summary>Progress of the long sieve, read by the progress reporter.</summary>
internal static class Progress
{
    public static volatile int LastPrime;
}

/// <summary>
/// The Stackless.Emu side of the macro workloads, for both body types: <c>async Task</c> bodies (<see cref="Tasklet.Spawn"/>)
/// and <c>async TaskletFrame</c> bodies (<see cref="Tasklet.SpawnFrame"/>). Each run is on a fresh thread, hence a fresh
/// scheduler; its CPU figure is that thread's CPU time (CLOCK_THREAD_CPUTIME_ID) over the timed window.
/// </summary>
internal static class StacklessWorkloads
{
    public static RunResult Sieve(int limit, bool frame) => OnFreshThread(() =>
    {
        var prime = new Channel<int>();
        var numbers = new Channel<int>();
        var meter = Meter.Start();
        if (frame)
        {
            Tasklet.SpawnFrame(() => CounterFrame(numbers));
            Tasklet.SpawnFrame(() => SieveBodyFrame(prime, numbers));
        }
        else
        {
            Tasklet.Spawn(() => Counter(numbers));
            Tasklet.Spawn(() => SieveBody(prime, numbers));
        }

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

        var result = meter.Stop(count);
        KillAll();
        return result;
    });

    private static async Task Counter(Channel<int> c)
    {
        for (var i = 2; ; i++)
        {
            await c.SendAsync(i);
        }
    }

    private static async Task Filter(int p, Channel<int> listen, Channel<int> send)
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

    private static async Task SieveBody(Channel<int> primes, Channel<int> c)
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

    private static async TaskletFrame CounterFrame(Channel<int> c)
    {
        for (var i = 2; ; i++)
        {
            await c.SendAsync(i);
        }
    }

    private static async TaskletFrame FilterFrame(int p, Channel<int> listen, Channel<int> send)
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

    private static async TaskletFrame SieveBodyFrame(Channel<int> primes, Channel<int> c)
    {
        while (true)
        {
            var p = await c.ReceiveAsync();
            await primes.SendAsync(p);
            var next = new Channel<int>();
            var (pp, cc) = (p, c);
            Tasklet.SpawnFrame(() => FilterFrame(pp, cc, next));
            c = next;
        }
    }

    public static RunResult PingPong(int n, bool frame) => OnFreshThread(() =>
    {
        var request = new Channel<int>();
        var reply = new Channel<int>();
        var sum = new long[1];
        var meter = Meter.Start();
        if (frame)
        {
            Tasklet.SpawnFrame(() => PingFrame(n, request, reply, sum));
            Tasklet.SpawnFrame(() => PongFrame(n, request, reply));
        }
        else
        {
            Tasklet.Spawn(() => Ping(n, request, reply, sum));
            Tasklet.Spawn(() => Pong(n, request, reply));
        }

        Scheduler.Run();
        return meter.Stop(sum[0]);
    });

    private static async Task Ping(int n, Channel<int> request, Channel<int> reply, long[] sum)
    {
        for (var i = 0; i < n; i++)
        {
            await request.SendAsync(i);
            sum[0] += await reply.ReceiveAsync();
        }
    }

    private static async Task Pong(int n, Channel<int> request, Channel<int> reply)
    {
        for (var i = 0; i < n; i++)
        {
            var v = await request.ReceiveAsync();
            await reply.SendAsync(v);
        }
    }

    private static async TaskletFrame PingFrame(int n, Channel<int> request, Channel<int> reply, long[] sum)
    {
        for (var i = 0; i < n; i++)
        {
            await request.SendAsync(i);
            sum[0] += await reply.ReceiveAsync();
        }
    }

    private static async TaskletFrame PongFrame(int n, Channel<int> request, Channel<int> reply)
    {
        for (var i = 0; i < n; i++)
        {
            var v = await request.ReceiveAsync();
            await reply.SendAsync(v);
        }
    }

    /// <summary>Two tasklets, each calling <see cref="Scheduler.ScheduleAsync()"/> <paramref name="n"/> times: 2n switches.</summary>
    public static RunResult Schedule(int n, bool frame) => OnFreshThread(() =>
    {
        var done = new long[1];
        var meter = Meter.Start();
        for (var t = 0; t < 2; t++)
        {
            if (frame)
            {
                Tasklet.SpawnFrame(() => YielderFrame(n, done));
            }
            else
            {
                Tasklet.Spawn(() => Yielder(n, done));
            }
        }

        Scheduler.Run();
        return meter.Stop(done[0]);
    });

    private static async Task Yielder(int n, long[] done)
    {
        for (var i = 0; i < n; i++)
        {
            await Scheduler.ScheduleAsync();
        }

        done[0] += n;
    }

    private static async TaskletFrame YielderFrame(int n, long[] done)
    {
        for (var i = 0; i < n; i++)
        {
            await Scheduler.ScheduleAsync();
        }

        done[0] += n;
    }

    public static RunResult Spawn(int n, bool frame) => OnFreshThread(() =>
    {
        var before = GC.GetTotalMemory(true);
        var meter = Meter.Start();
        var channels = new Channel<int>[n];
        for (var i = 0; i < n; i++)
        {
            var c = channels[i] = new Channel<int>();
            if (frame)
            {
                Tasklet.SpawnFrame(() => WaiterFrame(c));
            }
            else
            {
                Tasklet.Spawn(() => Waiter(c));
            }
        }

        Scheduler.Run();
        meter.Pause();
        var blocked = GC.GetTotalMemory(true);
        long check = 0;
        for (var i = 0; i < n; i++)
        {
            check += channels[i].Balance;
        }

        meter.Resume();
        for (var i = 0; i < n; i++)
        {
            channels[i].Send(i);
        }

        return meter.Stop(-check + Scheduler.AliveTasklets().Count - 1) with { BytesPerItem = (blocked - before) / (double)n };
    });

    private static async Task Waiter(Channel<int> c) => _ = await c.ReceiveAsync();

    private static async TaskletFrame WaiterFrame(Channel<int> c) => _ = await c.ReceiveAsync();

    /// <summary>
    /// Bytes per blocked tasklet with its channel, <paramref name="n"/> of them on a fresh thread, in the steady state:
    /// a first round (spawn, block, wake) grows the scheduler's queues, the second round is counted. Allocated =
    /// <see cref="GC.GetAllocatedBytesForCurrentThread"/> over the spawns and the first steps; retained =
    /// <see cref="GC.GetTotalMemory"/> after a full collection; the array of channels excluded from both.
    /// </summary>
    public static (double Allocated, double Retained) BytesPerBlocked(int n, bool frame)
    {
        (double, double) result = default;
        OnFreshThread(() =>
        {
            var channels = new Channel<int>[n];
            for (var round = 0; round < 2; round++)
            {
                Array.Clear(channels);
                var retained0 = GC.GetTotalMemory(true);
                var allocated0 = GC.GetAllocatedBytesForCurrentThread();
                for (var i = 0; i < n; i++)
                {
                    var c = channels[i] = new Channel<int>();
                    if (frame)
                    {
                        Tasklet.SpawnFrame(() => WaiterFrame(c));
                    }
                    else
                    {
                        Tasklet.Spawn(() => Waiter(c));
                    }
                }

                Scheduler.Run();
                var allocated = GC.GetAllocatedBytesForCurrentThread() - allocated0;
                var retained = GC.GetTotalMemory(true) - retained0;
                for (var i = 0; i < n; i++)
                {
                    if (channels[i].Balance != -1)
                    {
                        throw new InvalidOperationException("a tasklet is not blocked on its channel");
                    }

                    channels[i].Send(i);
                }

                result = (allocated / (double)n, retained / (double)n);
            }

            return default;
        });
        return result;
    }

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

        var meter = Meter.Start();
        var main = Main();
        loop.Spawn(() => Counter(numbers));
        loop.Spawn(() => SieveBody(prime, numbers));
        loop.Run();
        var result = meter.Stop(count);
        if (!main.IsCompleted)
        {
            throw new InvalidOperationException("floor sieve did not finish");
        }

        LastSieveSends = loop.Sends;
        return result;
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

        var meter = Meter.Start();
        loop.Spawn(Ping);
        loop.Spawn(Pong);
        loop.Run();
        return meter.Stop(sum);
    }

    /// <summary>Two bodies, each yielding to the loop <paramref name="n"/> times: 2n switches.</summary>
    public static RunResult Schedule(int n)
    {
        var loop = new FloorLoop();
        long done = 0;

        async Task Yielder()
        {
            for (var i = 0; i < n; i++)
            {
                await loop.Yield();
            }

            done += n;
        }

        var meter = Meter.Start();
        loop.Spawn(Yielder);
        loop.Spawn(Yielder);
        loop.Run();
        return meter.Stop(done);
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
        var meter = Meter.Start();
        var channels = new FloorChannel<int>[n];
        for (var i = 0; i < n; i++)
        {
            var c = channels[i] = new FloorChannel<int>(loop);
            loop.Spawn(() => Waiter(c));
        }

        loop.Run();
        meter.Pause();
        var blocked = GC.GetTotalMemory(true);
        meter.Resume();
        for (var i = 0; i < n; i++)
        {
            _ = channels[i].SendAsync(i);
            loop.Run();
        }

        return meter.Stop(done) with { BytesPerItem = (blocked - before) / (double)n };
    }
}

/// <summary>
/// System.Threading.Channels on a single-threaded AsyncContext or on the thread pool. Every run ends with all of its
/// tasks completed: a pipeline that would run on (the sieve's counter and filters) is cancelled and awaited before the
/// run returns, so nothing of one row runs on the pool during a later row. The CPU figure is the calling thread's on
/// AsyncContext and the whole process's on the thread pool.
/// </summary>
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
        RunResult result = default;
        using var stop = new CancellationTokenSource();
        var token = stop.Token;

        // Written by the sieve body only; read once the body has ended.
        var filters = new List<Task>();

        static async Task Counter(ChannelWriter<int> c, CancellationToken token)
        {
            for (var i = 2; ; i++)
            {
                await c.WriteAsync(i, token);
            }
        }

        static async Task Filter(int p, ChannelReader<int> listen, ChannelWriter<int> send, CancellationToken token)
        {
            while (true)
            {
                var i = await listen.ReadAsync(token);
                if (i % p != 0)
                {
                    await send.WriteAsync(i, token);
                }
            }
        }

        async Task SieveBody(ChannelWriter<int> primes, ChannelReader<int> c)
        {
            while (true)
            {
                var p = await c.ReadAsync(token);
                await primes.WriteAsync(p, token);
                var next = Create(capacity);
                filters.Add(Filter(p, c, next.Writer, token));
                c = next.Reader;
            }
        }

        RunOn(asyncContext, async () =>
        {
            var meter = Meter.Start(process: !asyncContext);
            var prime = Create(capacity);
            var numbers = Create(capacity);
            var counter = Counter(numbers.Writer, token);
            var body = SieveBody(prime.Writer, numbers.Reader);
            while (true)
            {
                var p = await prime.Reader.ReadAsync();
                count++;
                Progress.LastPrime = p;
                if (p >= limit)
                {
                    break;
                }
            }

            result = meter.Stop(count);

            // Untimed: stop the pipeline and wait for every stage of it.
            await stop.CancelAsync();
            await Ended(body);
            await Ended(counter);
            foreach (var filter in filters)
            {
                await Ended(filter);
            }
        });
        return result;
    }

    private static async Task Ended(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
    }

    public static RunResult PingPong(bool asyncContext, int capacity, int n)
    {
        long sum = 0;
        RunResult result = default;
        RunOn(asyncContext, async () =>
        {
            var meter = Meter.Start(process: !asyncContext);
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
            result = meter.Stop(sum);
        });
        return result;
    }

    /// <summary>Two tasks, each awaiting <see cref="Task.Yield"/> <paramref name="n"/> times: 2n switches.</summary>
    public static RunResult Schedule(bool asyncContext, int n)
    {
        long done = 0;
        RunResult result = default;

        async Task Yielder()
        {
            for (var i = 0; i < n; i++)
            {
                await Task.Yield();
            }

            Interlocked.Add(ref done, n);
        }

        RunOn(asyncContext, async () =>
        {
            var meter = Meter.Start(process: !asyncContext);
            await Task.WhenAll(Yielder(), Yielder());
            result = meter.Stop(done);
        });
        return result;
    }

    public static RunResult Spawn(bool asyncContext, int capacity, int n)
    {
        long done = 0;
        double bytes = 0;
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Meter? meter = null;

        async Task Waiter(ChannelReader<int> c)
        {
            _ = await c.ReadAsync();
            if (Interlocked.Increment(ref done) == n)
            {
                all.SetResult();
            }
        }

        var before = GC.GetTotalMemory(true);
        RunOn(asyncContext, async () =>
        {
            meter = Meter.Start(process: !asyncContext);
            var channels = new SysChan[n];
            for (var i = 0; i < n; i++)
            {
                var c = channels[i] = Create(capacity);
                _ = Waiter(c.Reader);
            }

            meter.Pause();
            bytes = (GC.GetTotalMemory(true) - before) / (double)n;
            meter.Resume();
            for (var i = 0; i < n; i++)
            {
                await channels[i].Writer.WriteAsync(i);
            }

            await all.Task;
        });
        return meter!.Stop(done) with { BytesPerItem = bytes };
    }
}
