using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Threading.Tasks.Sources;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The CPU cost of one foreign await's round trip, the path every socket completion takes: the operation completes on
/// a thread-pool thread, hands the tasklet back to its scheduler's inbox, the scheduler wakes (if it sleeps), drains
/// and resumes the tasklet. Measured for <c>async TaskletFrame</c> bodies (lock-free intrusive hand-back), <c>async
/// Task</c> bodies (routing synchronization context, locked queue) and plain async/await on the thread pool (the
/// continuation runs on the completing pool thread): CPU time of the process and of the scheduler thread, voluntary
/// context switches and allocations, per round trip. Written to the "foreign-await" section of docs/benchmarks.md.
/// </summary>
internal static class ForeignAwaitCost
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>What one measurement saw, per round trip.</summary>
    internal sealed record Figures(double WallNs, double ProcessCpuNs, double SchedulerCpuNs, double SwitchesPerTrip, double BytesPerTrip);

    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick") || args.Contains("--allocations");
        var trips = quick ? 50_000 : 200_000;
        var reps = quick ? 3 : 5;
        int[] concurrencies = [1, 100, 1000];
        var kinds = new[] { "TaskletFrame body", "async Task body", "plain async/await (thread pool)" };
        ThreadPool.SetMinThreads(Math.Max(Environment.ProcessorCount * 2, 8), 8);

        if (args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault() is { } only)
        {
            // One configuration, no warm-up, no file: for instruction counts under callgrind (run it at two sizes and
            // take the difference, so start-up and JIT drop out). --only frame|task|plain [--concurrency N] [--trips N]
            var kind = kinds.First(k => k.StartsWith(only switch { "frame" => "TaskletFrame", "task" => "async Task", _ => "plain" }, StringComparison.Ordinal));
            var concurrency = args.SkipWhile(a => a != "--concurrency").Skip(1).Select(a => int.Parse(a, Inv)).FirstOrDefault(100);
            var count = args.SkipWhile(a => a != "--trips").Skip(1).Select(a => int.Parse(a, Inv)).FirstOrDefault(10_000);
            var figures = Measure(kind, concurrency, count);
            Console.WriteLine(string.Create(Inv, $"{kind}, {concurrency} in flight, {count} round trips: {figures}"));
            return 0;
        }

        if (args.Contains("--allocations"))
        {
            // What the bytes per round trip are: the GC's allocation samples (one per ~100 KB) by type, per body kind.
            foreach (var kind in kinds)
            {
                using var sampler = new AllocationSampler();
                Measure(kind, 1000, trips);
                Console.WriteLine($"{kind}: {sampler.Describe()}");
            }

            return 0;
        }

        foreach (var kind in kinds)
        {
            Measure(kind, 10, 2_000); // warm-up: JIT and tiering of every path
        }

        var rows = new List<(string Kind, int Concurrency, Figures Figures, double Load)>();
        foreach (var concurrency in concurrencies)
        {
            foreach (var kind in kinds)
            {
                var runs = new List<Figures>();
                for (var r = 0; r < reps; r++)
                {
                    runs.Add(Measure(kind, concurrency, trips));
                    Console.Error.Write(string.Create(Inv, $"\rforeign-await: {kind}, {concurrency} in flight, run {r + 1}/{reps}      "));
                }

                rows.Add((kind, concurrency, Median(runs), CpuClock.LoadAverage()));
            }
        }

        Console.Error.WriteLine();
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{trips:N0} round trips per run, median of {reps} runs (by process CPU), {Environment.ProcessorCount} cores, .NET {Environment.Version}, measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.")
            .AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project Stackless.Emu.Benchmarks -- foreign-await{(quick ? " --quick" : string.Empty)}`.")
            .AppendLine("A round trip: the body awaits an `IValueTaskSource` whose completion a thread-pool work item sets, queued once the await has registered (as a pending socket receive completes).")
            .AppendLine("Process CPU: `clock_gettime(CLOCK_PROCESS_CPUTIME_ID)`; scheduler thread CPU: `CLOCK_THREAD_CPUTIME_ID` on the scheduler thread; switches: voluntary context switches of the process (`getrusage`); bytes: `GC.GetTotalAllocatedBytes(true)`.")
            .AppendLine()
            .AppendLine("| body | in flight | wall | process CPU | of it, scheduler thread | CPU vs plain | voluntary switches | allocated | load average |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (kind, concurrency, f, load) in rows)
        {
            var plain = rows.First(r => r.Concurrency == concurrency && r.Kind.StartsWith("plain", StringComparison.Ordinal)).Figures;
            table.AppendLine(Inv, $"| {kind} | {concurrency:N0} | {f.WallNs:N0} ns | {f.ProcessCpuNs:N0} ns | {(kind.StartsWith("plain", StringComparison.Ordinal) ? "-" : f.SchedulerCpuNs.ToString("N0", Inv) + " ns")} | {f.ProcessCpuNs / plain.ProcessCpuNs:F2}x | {f.SwitchesPerTrip:F2} | {f.BytesPerTrip:F1} B | {load:F2} |");
        }

        Console.WriteLine(table);
        Macro.UpdateSection("foreign-await", table.ToString());
        return 0;
    }

    /// <summary>Runs <paramref name="trips"/> round trips with <paramref name="concurrency"/> bodies in flight.</summary>
    internal static Figures Measure(string kind, int concurrency, int trips)
    {
        var perBody = Math.Max(1, trips / concurrency);
        var total = (double)perBody * concurrency;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var bytes = GC.GetTotalAllocatedBytes(true);
        var switches = CpuClock.ProcessVoluntarySwitches();
        var cpu = CpuClock.ProcessSeconds();
        var watch = Stopwatch.StartNew();
        double schedulerCpu = 0;
        if (kind.StartsWith("plain", StringComparison.Ordinal))
        {
            var bodies = new Task[concurrency];
            for (var i = 0; i < concurrency; i++)
            {
                bodies[i] = Task.Run(() => PlainBodyAsync(new PoolCompletion(), perBody));
            }

#pragma warning disable VSTHRD002 // The harness's own thread waits for its workload.
            Task.WaitAll(bodies);
#pragma warning restore VSTHRD002
        }
        else
        {
            var frames = kind.StartsWith("TaskletFrame", StringComparison.Ordinal);
            var thread = new Thread(() =>
            {
                var start = CpuClock.ThreadSeconds();
                for (var i = 0; i < concurrency; i++)
                {
                    var completion = new PoolCompletion();
                    if (frames)
                    {
                        Tasklet.SpawnFrame(() => FrameBody(completion, perBody));
                    }
                    else
                    {
                        Tasklet.Spawn(() => TaskBodyAsync(completion, perBody));
                    }
                }

                Scheduler.Run();
                schedulerCpu = CpuClock.ThreadSeconds() - start;
            })
            { Name = "foreign-await scheduler" };
            thread.Start();
            thread.Join();
        }

        watch.Stop();
        cpu = CpuClock.ProcessSeconds() - cpu;
        switches = CpuClock.ProcessVoluntarySwitches() - switches;
        bytes = GC.GetTotalAllocatedBytes(true) - bytes;
        return new Figures(watch.Elapsed.TotalNanoseconds / total, cpu * 1e9 / total, schedulerCpu * 1e9 / total, switches / total, bytes / total);
    }

    private static Figures Median(List<Figures> runs) => runs.OrderBy(f => f.ProcessCpuNs).ElementAt(runs.Count / 2);

    private static async TaskletFrame FrameBody(PoolCompletion completion, int trips)
    {
        for (var i = 0; i < trips; i++)
        {
            await completion.NextAsync();
        }
    }

    private static async Task TaskBodyAsync(PoolCompletion completion, int trips)
    {
        for (var i = 0; i < trips; i++)
        {
            await completion.NextAsync();
        }
    }

    private static async Task PlainBodyAsync(PoolCompletion completion, int trips)
    {
        for (var i = 0; i < trips; i++)
        {
            await completion.NextAsync();
        }
    }

    /// <summary>Counts the runtime's allocation samples (GC AllocationTick events) by type while it exists.</summary>
    private sealed class AllocationSampler : System.Diagnostics.Tracing.EventListener
    {
        private readonly Dictionary<string, int> _samples = [];

        public string Describe()
        {
            lock (_samples)
            {
                return string.Join(", ", _samples.OrderByDescending(p => p.Value).Select(p => $"{p.Key} x{p.Value}"));
            }
        }

        protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, System.Diagnostics.Tracing.EventLevel.Verbose, (System.Diagnostics.Tracing.EventKeywords)0x1);
            }
        }

        protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs eventData)
        {
            if (eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.PayloadNames is null)
            {
                return;
            }

            var index = eventData.PayloadNames.IndexOf("TypeName");
            var type = index >= 0 ? eventData.Payload?[index] as string ?? "?" : "?";
            lock (_samples)
            {
                _samples[type] = _samples.GetValueOrDefault(type) + 1;
            }
        }
    }

    /// <summary>
    /// A reusable operation, like a socket's: each <see cref="NextAsync"/> is pending; registering the continuation queues
    /// a thread-pool work item that completes it, so every await takes the asynchronous path and allocates nothing.
    /// </summary>
    private sealed class PoolCompletion : IValueTaskSource, IThreadPoolWorkItem
    {
        private ManualResetValueTaskSourceCore<bool> _core;

        public ValueTask NextAsync()
        {
            _core.Reset();
            return new ValueTask(this, _core.Version);
        }

        void IThreadPoolWorkItem.Execute() => _core.SetResult(true);

        public void GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            _core.OnCompleted(continuation, state, token, flags);
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }
}
