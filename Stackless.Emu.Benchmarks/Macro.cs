using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The macro harness: every workload against every peer in one run; medians of wall-clock and CPU time, with the load
/// average beside them; a table; docs/benchmarks.md. Every row leaves nothing running behind it (checked after each row:
/// thread-pool work items queued and the process's CPU use while idle).
/// </summary>
internal static class Macro
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal const string StacklessTask = "Stackless.Emu, async Task bodies";
    internal const string StacklessFrame = "Stackless.Emu, async TaskletFrame bodies";
    internal const string Floor = "floor (bare loop + rendezvous)";
    internal const string Ctx0 = "AsyncContext + Channel bounded(0)";
    internal const string Ctx1 = "AsyncContext + Channel bounded(1)";
    internal const string Pool0 = "ThreadPool + Channel bounded(0)";
    internal const string Pool1 = "ThreadPool + Channel bounded(1)";

    /// <summary>The limit of the long sieve (<c>--full</c>): 3.99 billion sends.</summary>
    private const int FullSieveLimit = 1_149_193;

    private static readonly string[] Implementations = [StacklessFrame, StacklessTask, Floor, Ctx0, Ctx1, Pool0, Pool1];

    /// <summary>The medians of one workload on one implementation.</summary>
    private sealed record Stat(double WallMs, double CpuMs, long Check, int Runs, double Load, string After);

    private sealed record Row(string Workload, string Implementation, Stat Stat, long Ops, string Unit, string Extra);

    public static int Run(string[] args)
    {
        if (args.Contains("--full"))
        {
            return RunFull();
        }

        var quick = args.Contains("--quick");
        var reps = quick ? 3 : 5;
        var rows = new List<Row>();
        var notes = new List<string>();
        var capacity0 = CheckCapacityZero();
        notes.Add(capacity0);
        Console.WriteLine(capacity0);

        // Bytes per blocked tasklet with its channel, first: nothing else has run on the pool yet.
        var memory = new List<(string Implementation, double Allocated, double Retained)>();
        {
            const int n = 100_000;
            StacklessWorkloads.BytesPerBlocked(1_000, frame: true); // warm-up: JIT
            StacklessWorkloads.BytesPerBlocked(1_000, frame: false);
            foreach (var frame in new[] { true, false })
            {
                var (allocated, retained) = StacklessWorkloads.BytesPerBlocked(n, frame);
                memory.Add((frame ? StacklessFrame : StacklessTask, allocated, retained));
                Console.WriteLine(string.Create(Inv, $"  memory | {(frame ? StacklessFrame : StacklessTask)}: {allocated:N0} B allocated, {retained:N0} B retained per blocked tasklet"));
            }
        }

        // Sieves. The number of sends is counted by the floor's channel.
        foreach (var (limit, sieveReps) in new[] { (9_973, reps), (100_000, quick ? 1 : 3) })
        {
            var name = $"sieve to {limit:N0}";
            FloorWorkloads.Sieve(Math.Min(limit, 9_973)); // warm-up and count check below
            var floor = Measure(name, Floor, sieveReps, () => FloorWorkloads.Sieve(limit), warmUp: false); // warmed just above
            var sends = SieveSends(limit);
            var executed = FloorWorkloads.LastSieveSends;
            name = $"sieve to {limit:N0} ({sends:N0} sends)";
            notes.Add(string.Create(Inv,
                $"{name}: the send count is that of the numbers 2..{limit:N0} (each number's sends through the filters it passes, plus the primes' sends); " +
                $"the floor's run executed {executed:N0} sends, because numbers past the limit are already in flight in the pipeline when the last prime arrives (how many depends on the scheduling order)."));
            var results = new Dictionary<string, Stat> { [Floor] = floor };
            foreach (var impl in Implementations.Where(i => i != Floor))
            {
                if (limit > 10_000 && impl is Ctx0 or Ctx1)
                {
                    continue; // minutes per run; see the notes
                }

                // The sieve to 100,000 runs after the sieve to 9,973 of the same implementation: warm already.
                results[impl] = Measure(name, impl, limit > 10_000 && impl is Pool0 or Pool1 ? 1 : sieveReps, warmUp: limit < 10_000, run: impl switch
                {
                    StacklessFrame => () => StacklessWorkloads.Sieve(limit, frame: true),
                    StacklessTask => () => StacklessWorkloads.Sieve(limit, frame: false),
                    Ctx0 => () => ChannelsWorkloads.Sieve(true, 0, limit),
                    Ctx1 => () => ChannelsWorkloads.Sieve(true, 1, limit),
                    Pool0 => () => ChannelsWorkloads.Sieve(false, 0, limit),
                    _ => () => ChannelsWorkloads.Sieve(false, 1, limit),
                });
            }

            AddRows(rows, name, results, sends, "ns/send");
        }

        notes.Add("sieve to 100,000: the AsyncContext peers are not run (about a minute and a half of CPU per run at their per-send cost in the 9,973 row, which the shared machine " +
            "stretches to several minutes of wall clock); the ThreadPool peers run once (their figure is one run, not a median): they are here to show that a pipeline of 9,592 filters on the pool is stopped and awaited.");

        // Ping-pong.
        {
            const int n = 1_000_000;
            var name = $"ping-pong ({n:N0} round trips)";
            var results = new Dictionary<string, Stat>();
            foreach (var impl in Implementations)
            {
                results[impl] = Measure(name, impl, reps, impl switch
                {
                    StacklessFrame => () => StacklessWorkloads.PingPong(n, frame: true),
                    StacklessTask => () => StacklessWorkloads.PingPong(n, frame: false),
                    Floor => () => FloorWorkloads.PingPong(n),
                    Ctx0 => () => ChannelsWorkloads.PingPong(true, 0, n),
                    Ctx1 => () => ChannelsWorkloads.PingPong(true, 1, n),
                    Pool0 => () => ChannelsWorkloads.PingPong(false, 0, n),
                    _ => () => ChannelsWorkloads.PingPong(false, 1, n),
                });
            }

            AddRows(rows, name, results, n, "ns/round trip");
        }

        // Switches: schedule() for tasklets, a yield to the loop for the floor, Task.Yield for the peers (no channel).
        {
            const int n = 1_000_000;
            var name = $"ScheduleAsync, 2 tasklets ({2 * n:N0} switches)";
            var results = new Dictionary<string, Stat>();
            foreach (var impl in Implementations.Where(i => i is not (Ctx1 or Pool1)))
            {
                results[impl] = Measure(name, impl, reps, impl switch
                {
                    StacklessFrame => () => StacklessWorkloads.Schedule(n, frame: true),
                    StacklessTask => () => StacklessWorkloads.Schedule(n, frame: false),
                    Floor => () => FloorWorkloads.Schedule(n),
                    Ctx0 => () => ChannelsWorkloads.Schedule(true, n),
                    _ => () => ChannelsWorkloads.Schedule(false, n),
                });
            }

            notes.Add("ScheduleAsync: the AsyncContext and ThreadPool rows await Task.Yield() (no channel is involved, so one row per runner).");
            AddRows(rows, name, results, 2 * n, "ns/switch", rename: i => i switch
            {
                Ctx0 => "AsyncContext, Task.Yield",
                Pool0 => "ThreadPool, Task.Yield",
                _ => i,
            });
        }

        // Spawn + block + wake in this process, 100,000 tasklets (the scale of the per-tasklet goal).
        {
            const int n = 100_000;
            var name = $"spawn {n:N0} blocked, then wake all (in process)";
            var results = new Dictionary<string, Stat>();
            foreach (var impl in Implementations)
            {
                results[impl] = Measure(name, impl, reps, impl switch
                {
                    StacklessFrame => () => StacklessWorkloads.Spawn(n, frame: true),
                    StacklessTask => () => StacklessWorkloads.Spawn(n, frame: false),
                    Floor => () => FloorWorkloads.Spawn(n),
                    Ctx0 => () => ChannelsWorkloads.Spawn(true, 0, n),
                    Ctx1 => () => ChannelsWorkloads.Spawn(true, 1, n),
                    Pool0 => () => ChannelsWorkloads.Spawn(false, 0, n),
                    _ => () => ChannelsWorkloads.Spawn(false, 1, n),
                });
            }

            AddRows(rows, name, results, n, "ns/tasklet");
        }

        // Spawn 1,000,000: each repetition in a child process, so the peak working set is the implementation's own.
        {
            const int n = 1_000_000;
            var childReps = Math.Min(reps, 3);
            var name = $"spawn {n:N0} blocked, then wake all (child process)";
            var results = new Dictionary<string, Stat>();
            var extras = new Dictionary<string, string>();
            foreach (var impl in Implementations)
            {
                var runs = new List<RunResult>();
                var loads = new List<double>();
                for (var r = 0; r < childReps; r++)
                {
                    loads.Add(CpuClock.LoadAverage());
                    runs.Add(SpawnChild(impl, n));
                }

                var bytes = Median(runs.Select(x => x.BytesPerItem));
                var peak = Median(runs.Select(x => (double)x.PeakWorkingSet));
                results[impl] = new Stat(Median(runs.Select(x => x.Milliseconds)), Median(runs.Select(x => x.CpuMs)), runs[0].Check, runs.Count, Median(loads), "child process");
                extras[impl] = string.Create(Inv, $"{bytes:N0} B/blocked tasklet (GC heap), peak WS {peak / 1048576.0:N0} MiB");
                Console.WriteLine(string.Create(Inv, $"  {name} | {impl}: {results[impl].WallMs:N1} ms wall, {results[impl].CpuMs:N1} ms CPU, {extras[impl]}"));
            }

            AddRows(rows, name, results, n, "ns/tasklet", extras: extras);
        }

        var table = Table(rows);
        var memoryTable = MemoryTable(memory, 100_000);
        Console.WriteLine();
        Console.WriteLine(table);
        Console.WriteLine(memoryTable);
        var command = "dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro" + (quick ? " --quick" : "");
        WriteDoc(table, memoryTable, command, reps, quick, notes);
        var targets = Targets(rows, memory, command);
        Console.WriteLine(targets);
        UpdateSection("targets", targets);
        return 0;
    }

    /// <summary><c>macro --full</c>: the sieve to 1,149,193 on the fast body type, once, in a section of its own.</summary>
    private static int RunFull()
    {
        var sends = SieveSends(FullSieveLimit);
        var name = $"sieve to {FullSieveLimit:N0} ({sends:N0} sends)";
        StacklessWorkloads.Sieve(9_973, frame: true); // warm-up: JIT and tiering
        Stat stat;
        using (StartProgress(name))
        {
            stat = Measure(name, StacklessFrame, 1, () => StacklessWorkloads.Sieve(FullSieveLimit, frame: true), warmUp: false);
        }

        var rows = new List<Row>();
        AddRows(rows, name, new Dictionary<string, Stat> { [StacklessFrame] = stat }, sends, "ns/send");
        const double GoalSeconds = 180;
        var seconds = stat.WallMs / 1000;
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"Produced by `dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro --full` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Do not edit by hand: rerun the harness."))
            .AppendLine()
            .Append(MachineInfo())
            .AppendLine("- One run on one scheduler thread, `async TaskletFrame` bodies (the fast body type). Before the core rework (issue 15) this sieve took 602 s with `async Task` bodies.")
            .AppendLine("- The other implementations are not run here: at their per-send cost in the Macro table the floor takes about 5 minutes, `async Task` bodies about 8, and the System.Threading.Channels peers hours.")
            .AppendLine(string.Create(Inv, $"- Goal (issue 15): at most {GoalSeconds:N0} s. Wall clock {seconds:N1} s, thread CPU {stat.CpuMs / 1000:N1} s: {(seconds <= GoalSeconds ? "met" : stat.CpuMs / 1000 <= GoalSeconds ? "met in thread CPU time (the wall clock includes the time other processes of the shared machine took)" : "missed")}."))
            .AppendLine()
            .Append(Table(rows));
        Console.WriteLine(sb);
        UpdateSection("macro-full", sb.ToString());
        return 0;
    }

    /// <summary>The sends of the sieve for the numbers 2..limit: counter, filters passed, and the prime's own send.</summary>
    private static long SieveSends(int limit)
    {
        var smallest = new int[limit + 1];
        var index = new int[limit + 1];
        var primes = 0;
        long sends = 0;
        for (var n = 2; n <= limit; n++)
        {
            if (smallest[n] == 0)
            {
                index[n] = primes++;
                for (long m = n; m <= limit; m += n)
                {
                    if (smallest[m] == 0)
                    {
                        smallest[m] = n;
                    }
                }
            }

            var q = smallest[n];
            sends += 1 + index[q] + (q == n ? 1 : 0);
        }

        return sends;
    }

    private static Timer StartProgress(string name)
    {
        var clock = Stopwatch.StartNew();
        return new Timer(_ => Console.Error.WriteLine(string.Create(Inv, $"[{name}] {clock.Elapsed.TotalSeconds:N0} s, last prime {Progress.LastPrime:N0}, load {CpuClock.LoadAverage():N1}")), null, 10_000, 10_000);
    }

    private static Stat Measure(string workload, string impl, int reps, Func<RunResult> run, bool warmUp = true)
    {
        if (warmUp)
        {
            run(); // untimed: JIT and tiering, so that every timed run executes optimized code
        }

        var walls = new List<double>();
        var cpus = new List<double>();
        var loads = new List<double>();
        long check = 0;
        for (var r = 0; r < reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            loads.Add(CpuClock.LoadAverage());
            var result = run();
            if (r > 0 && result.Check != check)
            {
                throw new InvalidOperationException($"{workload} {impl}: check {result.Check} != {check}");
            }

            check = result.Check;
            walls.Add(result.Milliseconds);
            cpus.Add(result.CpuMs);
        }

        var after = Quiet();
        var stat = new Stat(Median(walls), Median(cpus), check, reps, Median(loads), after);
        Console.WriteLine(string.Create(Inv,
            $"  {workload} | {impl}: wall median {stat.WallMs:N1} ms of [{string.Join(", ", walls.Select(t => t.ToString("N1", Inv)))}], " +
            $"CPU median {stat.CpuMs:N1} ms of [{string.Join(", ", cpus.Select(t => t.ToString("N1", Inv)))}], load {stat.Load:N1}, after: {after} (check {check})"));
        return stat;
    }

    /// <summary>
    /// What runs on after a row: the thread pool's queued work items and the process's CPU use over a quarter second
    /// of idling. A row that left work behind (a pipeline still feeding itself on the pool) shows here.
    /// </summary>
    private static string Quiet()
    {
        var pending = ThreadPool.PendingWorkItemCount;
        var cpu0 = CpuClock.ProcessSeconds();
        var clock = Stopwatch.StartNew();
        Thread.Sleep(250);
        var busy = (CpuClock.ProcessSeconds() - cpu0) / clock.Elapsed.TotalSeconds;
        return string.Create(Inv, $"{pending} queued, {busy * 100:N0}% CPU");
    }

    private static RunResult SpawnChild(string impl, int n)
    {
        var path = Environment.ProcessPath!;
        var info = new ProcessStartInfo(path) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            info.ArgumentList.Add(typeof(Macro).Assembly.Location);
        }

        info.ArgumentList.Add("spawn-child");
        info.ArgumentList.Add(impl);
        info.ArgumentList.Add(n.ToString(Inv));
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"spawn child {impl} failed: {output}");
        var parts = line.Trim().Split(' ');
        return new RunResult(
            long.Parse(parts[1], Inv), double.Parse(parts[2], Inv), double.Parse(parts[3], Inv), long.Parse(parts[4], Inv), double.Parse(parts[5], Inv));
    }

    /// <summary>The child side of the spawn workload: one run, printed as RESULT check ms bytes peak cpu-ms.</summary>
    public static int SpawnChildMain(string impl, int n)
    {
        var result = impl switch
        {
            StacklessFrame => StacklessWorkloads.Spawn(n, frame: true),
            StacklessTask => StacklessWorkloads.Spawn(n, frame: false),
            Floor => FloorWorkloads.Spawn(n),
            Ctx0 => ChannelsWorkloads.Spawn(true, 0, n),
            Ctx1 => ChannelsWorkloads.Spawn(true, 1, n),
            Pool0 => ChannelsWorkloads.Spawn(false, 0, n),
            Pool1 => ChannelsWorkloads.Spawn(false, 1, n),
            _ => throw new ArgumentException("unknown implementation " + impl),
        };
        if (result.Check != n)
        {
            throw new InvalidOperationException($"spawn {impl}: {result.Check} of {n} woken");
        }

        using var self = Process.GetCurrentProcess();
        self.Refresh();
        Console.WriteLine(string.Create(Inv, $"RESULT {result.Check} {result.Milliseconds:R} {result.BytesPerItem:R} {self.PeakWorkingSet64} {result.CpuMs:R}"));
        return 0;
    }

    private static void AddRows(
        List<Row> rows, string workload, Dictionary<string, Stat> results, long ops, string unit,
        Dictionary<string, string>? extras = null, Func<string, string>? rename = null)
    {
        var checks = results.Values.Select(v => v.Check).Distinct().ToList();
        if (checks.Count != 1)
        {
            throw new InvalidOperationException($"{workload}: implementations disagree: {string.Join(", ", results.Select(r => $"{r.Key}={r.Value.Check}"))}");
        }

        foreach (var (impl, value) in results)
        {
            var extra = extras is not null && extras.TryGetValue(impl, out var more) ? more : string.Empty;
            rows.Add(new Row(workload, rename?.Invoke(impl) ?? impl, value, ops, unit, extra));
        }
    }

    private static bool IsPool(string implementation) => implementation.StartsWith("ThreadPool", StringComparison.Ordinal);

    private static string Table(List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| workload | implementation | wall median | CPU median | per operation: CPU (wall) | load | CPU ratio to TaskletFrame bodies | CPU ratio to floor | after the row | runs |");
        sb.AppendLine("| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | --- | ---: |");
        foreach (var group in rows.GroupBy(r => r.Workload))
        {
            var frame = group.FirstOrDefault(r => r.Implementation == StacklessFrame)?.Stat.CpuMs;
            var floor = group.FirstOrDefault(r => r.Implementation == Floor)?.Stat.CpuMs;
            foreach (var r in group)
            {
                var s = r.Stat;
                var cpuKind = IsPool(r.Implementation) ? " (process)" : string.Empty;
                var perOp = string.Create(Inv, $"{s.CpuMs * 1e6 / r.Ops:N1} ({s.WallMs * 1e6 / r.Ops:N1}) {r.Unit}");
                if (r.Extra.Length > 0)
                {
                    perOp += "; " + r.Extra;
                }

                sb.AppendLine(string.Create(Inv,
                    $"| {r.Workload} | {r.Implementation} | {FormatMs(s.WallMs)} | {FormatMs(s.CpuMs)}{cpuKind} | {perOp} | {s.Load:N1} | {Ratio(s.CpuMs, frame)} | {Ratio(s.CpuMs, floor)} | {s.After} | {s.Runs} |"));
            }
        }

        return sb.ToString();
    }

    private static string Ratio(double value, double? reference) => reference is { } r ? string.Create(Inv, $"{value / r:N2}") : "–";

    private static string MemoryTable(List<(string Implementation, double Allocated, double Retained)> memory, int n)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"Bytes per blocked tasklet with its channel ({n:N0} tasklets spawned on a fresh thread, each blocked receiving on a channel of its own; the array of channels excluded):"))
            .AppendLine()
            .AppendLine("| body type | allocated (GC.GetAllocatedBytesForCurrentThread) | retained (GC.GetTotalMemory after a full collection) |")
            .AppendLine("| --- | ---: | ---: |");
        foreach (var (impl, allocated, retained) in memory)
        {
            sb.AppendLine(string.Create(Inv, $"| {impl} | {allocated:N0} B | {retained:N0} B |"));
        }

        return sb.ToString();
    }

    /// <summary>The goals of issue 15 against this run's figures (CPU time of the scheduler thread; wall clock beside it).</summary>
    private static string Targets(List<Row> rows, List<(string Implementation, double Allocated, double Retained)> memory, string command)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"Produced by `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC from the Macro rows below; the `--full` goal is in its own section. Do not edit by hand: rerun the harness."))
            .AppendLine()
            .AppendLine("Measured = the scheduler thread's CPU time per operation (median); the wall-clock figure and the load average are beside it. The load of the shared machine " +
                "inflates CPU time too (the other processes share the cores' caches and execution units): read a figure against the floor's row of the same workload in the Macro table, " +
                "and against the instruction counts (hand-run section), which the load does not move.")
            .AppendLine()
            .AppendLine("| goal (issue 15) | body type | measured: thread CPU | wall clock | load | goal | verdict |")
            .AppendLine("| --- | --- | ---: | ---: | ---: | ---: | --- |");

        void Line(string goal, string workloadPrefix, string impl, double target, string unit)
        {
            var row = rows.FirstOrDefault(r => r.Workload.StartsWith(workloadPrefix, StringComparison.Ordinal) && r.Implementation == impl);
            if (row is null)
            {
                return;
            }

            var cpu = row.Stat.CpuMs * 1e6 / row.Ops;
            var wall = row.Stat.WallMs * 1e6 / row.Ops;
            sb.AppendLine(string.Create(Inv,
                $"| {goal} | {BodyType(impl)} | {cpu:N1} {unit} | {wall:N1} {unit} | {row.Stat.Load:N1} | ≤ {target:N0} {unit} | {(cpu <= target ? "met" : "missed")} |"));
        }

        Line("soft↔soft ping-pong, per round trip", "ping-pong", StacklessFrame, 60, "ns");
        Line("soft↔soft ping-pong, per round trip", "ping-pong", StacklessTask, 60, "ns");
        Line("`ScheduleAsync`, per switch", "ScheduleAsync", StacklessFrame, 10, "ns");
        Line("`ScheduleAsync`, per switch", "ScheduleAsync", StacklessTask, 10, "ns");
        Line("prime sieve to 9,973, per send", "sieve to 9,973", StacklessFrame, 40, "ns");
        Line("prime sieve to 9,973, per send", "sieve to 9,973", StacklessTask, 40, "ns");
        Line("prime sieve to 100,000, per send", "sieve to 100,000", StacklessFrame, 40, "ns");
        Line("prime sieve to 100,000, per send", "sieve to 100,000", StacklessTask, 40, "ns");
        Line("spawn + block + wake, per tasklet (100,000)", "spawn 100,000", StacklessFrame, 400, "ns");
        Line("spawn + block + wake, per tasklet (100,000)", "spawn 100,000", StacklessTask, 400, "ns");
        Line("spawn + block + wake, per tasklet (1,000,000, child process)", "spawn 1,000,000", StacklessFrame, 400, "ns");
        Line("spawn + block + wake, per tasklet (1,000,000, child process)", "spawn 1,000,000", StacklessTask, 400, "ns");
        foreach (var (impl, allocated, retained) in memory)
        {
            var target = impl == StacklessFrame ? 250 : 400;
            sb.AppendLine(string.Create(Inv,
                $"| bytes per blocked tasklet with its channel (retained) | {BodyType(impl)} | {retained:N0} B ({allocated:N0} B allocated) | – | – | ≤ {target} B | {(retained <= target ? "met" : "missed")} |"));
        }

        sb.AppendLine()
            .AppendLine("Bytes: retained = what a blocked tasklet with its channel holds (GC.GetTotalMemory after a full collection); allocated also counts what the spawn " +
                "allocates and drops once the tasklet has started: the body delegate and its closure (88 B, made by the caller's lambda) and the first step's garbage.");

        return sb.ToString();
    }

    private static string BodyType(string impl) => impl == StacklessFrame ? "`async TaskletFrame`" : "`async Task`";

    private static string FormatMs(double ms) => ms >= 10_000 ? string.Create(Inv, $"{ms / 1000:N2} s") : string.Create(Inv, $"{ms:N1} ms");

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    /// <summary>Whether System.Threading.Channels accepts capacity 0 and then behaves as a rendezvous.</summary>
    private static string CheckCapacityZero()
    {
        try
        {
            var channel = ChannelsWorkloads.Create(0);
            var written = channel.Writer.TryWrite(1);
            var pending = channel.Writer.WriteAsync(2);
            var completedBeforeRead = pending.IsCompleted;
            var read = channel.Reader.TryRead(out var value);
            return string.Format(Inv,
                "{0}",
                $"Channel.CreateBounded(capacity 0) on {RuntimeInformation.FrameworkDescription}: accepted; TryWrite with no reader waiting = {written}, " +
                $"WriteAsync completes before a read = {completedBeforeRead}, then TryRead = {read} (value {value}), write completed = {pending.IsCompleted}: " +
                (!written && !completedBeforeRead && read && pending.IsCompleted ? "a true rendezvous (unbuffered) channel." : "NOT a rendezvous."));
        }
        catch (ArgumentOutOfRangeException ex)
        {
            return "Channel.CreateBounded(capacity 0) is rejected: " + ex.Message;
        }
    }

    // ---- docs/benchmarks.md -------------------------------------------------------------------------------

    internal static string DocPath()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Emu.sln")))
                {
                    return Path.Combine(dir.FullName, "docs", "benchmarks.md");
                }
            }
        }

        throw new InvalidOperationException("Cannot find Emu.sln above the current directory.");
    }

    internal static string MachineInfo()
    {
        var cpu = "unknown CPU";
        try
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }
#pragma warning disable CA1031 // Best effort.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        return string.Create(Inv,
            $"- Machine: {Environment.ProcessorCount} logical cores ({cpu}), {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})\n" +
            $"- Runtime: {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.RuntimeIdentifier}; GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, " +
            $"{(System.Runtime.GCSettings.LatencyMode)}\n");
    }

    private static void WriteDoc(string table, string memoryTable, string command, int reps, bool quick, List<string> notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"Produced by `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Do not edit by hand: rerun the harness."));
        sb.AppendLine();
        sb.Append(MachineInfo());
        sb.AppendLine(string.Create(Inv, $"- Repetitions: {reps} per workload and implementation ({(quick ? "quick mode: the 100,000 sieve once" : "the 100,000 sieve 3 times")}; the sieve to 1,149,193 has its own section, `macro --full`); the figures are medians."));
        sb.AppendLine("- CPU = CPU time (CLOCK_THREAD_CPUTIME_ID) of the thread that runs the workload: the scheduler thread for Stackless.Emu, the loop's thread for the floor, " +
            "AsyncContext's thread; for the ThreadPool rows, marked (process), the whole process's CPU time (CLOCK_PROCESS_CPUTIME_ID), since their work runs on pool threads. " +
            "On this shared machine the wall clock also counts the time other processes took; CPU time does not (it still suffers from cache and frequency effects of the load).");
        sb.AppendLine("- Each row starts with one untimed run of its workload (JIT and tiering; the sieve to 100,000 follows the same implementation's sieve to 9,973 instead).");
        sb.AppendLine("- Per operation = median / number of operations (sends for the sieve, round trips, switches, tasklets): CPU first, wall clock in parentheses. Ratios are of CPU medians.");
        sb.AppendLine("- Load = the 1-minute load average of the machine (2 cores) when the repetitions started (median).");
        sb.AppendLine("- After the row = the thread pool's queued work items and the process's CPU use over 250 ms of idling once the row's runs have returned: " +
            "every run completes or cancels all of its tasks and waits for them (the ThreadPool sieve cancels its counter and filters), so nothing of a row runs during the next.");
        sb.AppendLine("- Spawn: bytes per blocked tasklet = GC.GetTotalMemory(true) delta / number of tasklets (the tasklet or task, its channel and its array slot); " +
            "in the child-process rows each of 3 repetitions runs in a child process of its own, and peak WS = that child's Process.PeakWorkingSet64.");
        foreach (var note in notes)
        {
            sb.AppendLine("- " + note);
        }

        sb.AppendLine();
        sb.Append(table);
        sb.AppendLine();
        sb.Append(memoryTable);
        UpdateSection("macro", sb.ToString());
    }

    /// <summary>Replaces the section between &lt;!-- name:begin --&gt; and &lt;!-- name:end --&gt; in docs/benchmarks.md.</summary>
    internal static void UpdateSection(string name, string content)
    {
        var path = DocPath();
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var text = File.Exists(path) ? File.ReadAllText(path) : Skeleton;
        var begin = $"<!-- {name}:begin -->";
        var end = $"<!-- {name}:end -->";
        var i = text.IndexOf(begin, StringComparison.Ordinal);
        var j = text.IndexOf(end, StringComparison.Ordinal);
        if (i < 0 || j < i)
        {
            // A section the file does not have yet goes at its end; the rest of the file stays as it is.
            text = text.TrimEnd() + "\n\n" + begin + "\n" + end + "\n";
            i = text.IndexOf(begin, StringComparison.Ordinal);
            j = text.IndexOf(end, StringComparison.Ordinal);
        }

        text = text[..(i + begin.Length)] + "\n" + content.TrimEnd() + "\n" + text[j..];
        File.WriteAllText(path, text);
        Console.WriteLine($"Wrote the {name} section of {path}");
    }

    private const string Skeleton = """
        # Benchmarks

        Stackless.Emu side by side with in-process peers, in one run of one console app
        (`Stackless.Emu.Benchmarks`). Every figure below is written by the harness itself.

        ## How to reproduce

        ```sh
        # macro workloads, all implementations, medians, this file's "Targets" and "Macro" sections
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro --quick   # 3 repetitions, the 100,000 sieve once
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro           # 5 repetitions, the 100,000 sieve 3 times
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro --full    # the sieve to 1,149,193 alone (3.99 billion sends, TaskletFrame bodies; progress on stderr), its own section
        # micro benchmarks (BenchmarkDotNet), this file's "Micro" section
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- micro --filter '*' --job short
        # the sieve sharded over 1, 2, 4 scheduler threads, this file's "Scale-out" section
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- scale-out
        # CPU cost of a foreign await's round trip through the inbox, this file's "Foreign awaits" section
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- foreign-await
        # samples/EchoServer: tasklets on 1 and N scheduler threads, hard tasklets, plain async/await, this file's "Echo server" section
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- echo
        ```

        The implementations:

        - **Stackless.Emu**: soft tasklets, `Channel<T>` rendezvous, the main tasklet with sync forms; each workload twice, with
          `async TaskletFrame` bodies (`Tasklet.SpawnFrame`, the fast path) and with `async Task` bodies (`Tasklet.Spawn`).
        - **floor**: a minimal single-threaded continuation queue and a minimal rendezvous channel (one waiter per channel,
          no Stackless logic, no checks), with the same async bodies: the physical limit of the approach.
        - **AsyncContext + Channel bounded(n)**: `System.Threading.Channels` bounded channels (SingleReader, SingleWriter)
          on Nito.AsyncEx's single-threaded `AsyncContext`.
        - **ThreadPool + Channel bounded(n)**: the same channels with the bodies on the thread pool.

        The machine has 2 cores shared with other work (builds of other worktrees); timings are noisy when
        others build. Medians of several repetitions dampen but do not remove that.

        ## Targets of issue 15

        <!-- targets:begin -->
        <!-- targets:end -->

        ## Macro

        <!-- macro:begin -->
        <!-- macro:end -->

        ## The long sieve (`macro --full`)

        <!-- macro-full:begin -->
        <!-- macro-full:end -->

        ## Micro

        <!-- micro:begin -->
        <!-- micro:end -->

        ## Scale-out over scheduler threads

        <!-- scale-out:begin -->
        <!-- scale-out:end -->

        ## Foreign awaits through the inbox

        A soft tasklet's await of anything but the library's own awaitables (a socket, a timer, a task) completes on another
        thread and comes back through its scheduler's inbox: completion on the pool, hand-back, wake, resume. `async
        TaskletFrame` bodies hand the tasklet back through a lock-free intrusive stack; `async Task` bodies through their routing
        `SynchronizationContext` and a locked queue. Plain async/await on the thread pool runs the continuation on the
        completing pool thread.

        <!-- foreign-await:begin -->
        <!-- foreign-await:end -->

        ## Echo server

        `samples/EchoServer`: the same echo protocol served by soft tasklets on one scheduler thread and on a `SchedulerPool`
        (one scheduler thread per core), by hard tasklets running a blocking handler, and by plain async/await on the thread
        pool, against a load client in a child process.

        <!-- echo:begin -->
        <!-- echo:end -->

        """;
}
