using BenchmarkDotNet.Attributes;

namespace Stackless.Emu.Benchmarks;

// Each benchmark runs a loop of N operations per invocation (OperationsPerInvoke), so the figures are per operation.
// Long-lived tasklets are created in GlobalSetup (or the invocation, or IterationSetup) and driven by the main tasklet
// (BenchmarkDotNet's thread, which owns the scheduler) through a start/done channel pair: two extra switches per N
// operations, and no allocation in the steady state.

/// <summary>Switching between tasklets: schedule() between two soft tasklets.</summary>
[MemoryDiagnoser]
public class ScheduleBenchmarks
{
    private const int N = 10_000;
    private readonly Channel<int> _startA = new(), _startB = new(), _done = new();
    private Tasklet? _a, _b;

    [GlobalSetup]
    public void Setup()
    {
        _a = Tasklet.Spawn(() => Yielder(_startA, _done));
        _b = Tasklet.Spawn(() => Yielder(_startB, _done));
        Scheduler.Run();
    }

    private static async Task Yielder(Channel<int> start, Channel<int> done)
    {
        while (true)
        {
            var n = await start.ReceiveAsync();
            for (var i = 0; i < n; i++)
            {
                await Scheduler.ScheduleAsync();
            }

            await done.SendAsync(0);
        }
    }

    /// <summary>One schedule() switch of a soft tasklet to the other (2N per invocation).</summary>
    [Benchmark(OperationsPerInvoke = 2 * N)]
    public void ScheduleSoftSoft()
    {
        _startA.Send(N);
        _startB.Send(N);
        _done.Receive();
        _done.Receive();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _a?.Kill();
        _b?.Kill();
    }
}

/// <summary>Channel round trips: a value there and back (two rendezvous and the switches they imply).</summary>
[MemoryDiagnoser]
public class RoundTripBenchmarks
{
    private const int N = 10_000;
    private readonly Channel<int> _request = new(), _reply = new(), _start = new(), _done = new();
    private readonly Channel<int> _hardRequest = new(), _hardReply = new(), _hardStart = new(), _hardDone = new();
    private readonly Channel<int> _mainHardRequest = new(), _mainHardReply = new();
    private readonly List<Tasklet> _tasklets = [];

    [GlobalSetup]
    public void Setup()
    {
        _tasklets.Add(Tasklet.Spawn(() => Echo(_request, _reply)));
        _tasklets.Add(Tasklet.Spawn(() => Pinger(_start, _done, _request, _reply)));
        _tasklets.Add(Tasklet.SpawnHard(() => HardEcho(_hardRequest, _hardReply)));
        _tasklets.Add(Tasklet.Spawn(() => Pinger(_hardStart, _hardDone, _hardRequest, _hardReply)));
        _tasklets.Add(Tasklet.SpawnHard(() => HardEcho(_mainHardRequest, _mainHardReply)));
        Scheduler.Run();
    }

    internal static async Task Echo(Channel<int> request, Channel<int> reply)
    {
        while (true)
        {
            var v = await request.ReceiveAsync();
            await reply.SendAsync(v);
        }
    }

    private static void HardEcho(Channel<int> request, Channel<int> reply)
    {
        while (true)
        {
            reply.Send(request.Receive());
        }
    }

    private static async Task Pinger(Channel<int> start, Channel<int> done, Channel<int> request, Channel<int> reply)
    {
        while (true)
        {
            var n = await start.ReceiveAsync();
            for (var i = 0; i < n; i++)
            {
                await request.SendAsync(i);
                _ = await reply.ReceiveAsync();
            }

            await done.SendAsync(0);
        }
    }

    /// <summary>Soft tasklet to soft tasklet and back.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public void RoundTripSoftSoft()
    {
        _start.Send(N);
        _done.Receive();
    }

    /// <summary>Main tasklet (sync forms) to soft tasklet and back.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public int RoundTripMainSoft()
    {
        var sum = 0;
        for (var i = 0; i < N; i++)
        {
            _request.Send(i);
            sum += _reply.Receive();
        }

        return sum;
    }

    /// <summary>
    /// Main tasklet to hard tasklet and back: both are threaded, so every hop is a baton hand-over between two OS threads
    /// (the hard-switch cost).
    /// </summary>
    [Benchmark(OperationsPerInvoke = N / 10)]
    public int RoundTripMainHard()
    {
        var sum = 0;
        for (var i = 0; i < N / 10; i++)
        {
            _mainHardRequest.Send(i);
            sum += _mainHardReply.Receive();
        }

        return sum;
    }

    /// <summary>
    /// Soft tasklet to hard tasklet and back. After the first hand-over the hard tasklet's thread drives the scheduler and
    /// runs the soft tasklet's steps itself, so no OS switch happens per round trip.
    /// </summary>
    [Benchmark(OperationsPerInvoke = N / 10)]
    public void RoundTripSoftHard()
    {
        _hardStart.Send(N / 10);
        _hardDone.Receive();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in _tasklets)
        {
            if (t.Alive)
            {
                t.Kill();
            }
        }
    }
}

/// <summary>Tasklet lifecycle: spawn, run to the end; send_exception; kill.</summary>
[MemoryDiagnoser]
public class LifecycleBenchmarks
{
    private const int N = 1_000;
    private static readonly Func<Task> EmptyBody = static () => Task.CompletedTask;
    private readonly Channel<int> _exceptions = new();
    private readonly InvalidOperationException _error = new("benchmark");
    private readonly Channel<int> _parking = new();
    private readonly List<Tasklet> _blocked = new(N);
    private Tasklet? _catcher;

    [GlobalSetup(Target = nameof(SendException))]
    public void SetupCatcher()
    {
        _catcher = Tasklet.Spawn(() => Catcher(_exceptions));
        Scheduler.Run();
    }

    private static async Task Catcher(Channel<int> channel)
    {
        while (true)
        {
            try
            {
                _ = await channel.ReceiveAsync();
            }
            catch (InvalidOperationException)
            {
            }
        }
    }

    private static async Task Parked(Channel<int> channel) => _ = await channel.ReceiveAsync();

    [GlobalCleanup(Target = nameof(SendException))]
    public void CleanupCatcher() => _catcher?.Kill();

    /// <summary>Spawn a soft tasklet, run it, let it finish (N spawned, then one Run()).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public void SpawnRunFinish()
    {
        for (var i = 0; i < N; i++)
        {
            Tasklet.Spawn(EmptyBody);
        }

        Scheduler.Run();
    }

    /// <summary>Main sends an exception; a blocked soft receiver catches it and waits again.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public void SendException()
    {
        for (var i = 0; i < N; i++)
        {
            _exceptions.SendException(_error);
        }
    }

    [IterationSetup(Target = nameof(KillBlocked))]
    public void SetupBlocked()
    {
        _blocked.Clear();
        for (var i = 0; i < N; i++)
        {
            _blocked.Add(Tasklet.Spawn(() => Parked(_parking)));
        }

        Scheduler.Run();
    }

    /// <summary>Kill a soft tasklet blocked on a channel (it unwinds with TaskletExit and ends).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public void KillBlocked()
    {
        foreach (var t in _blocked)
        {
            t.Kill();
        }
    }
}
