using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Stackless.Emu.Benchmarks;

/// <summary>The macro harness: every workload against every peer in one run; medians; a table; docs/benchmarks.md.</summary>
internal static class Macro
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    internal const string Stackless = "Stackless.Emu";
    internal const string Floor = "floor (bare loop + rendezvous)";
    internal const string Ctx0 = "AsyncContext + Channel bounded(0)";
    internal const string Ctx1 = "AsyncContext + Channel bounded(1)";
    internal const string Pool0 = "ThreadPool + Channel bounded(0)";
    internal const string Pool1 = "ThreadPool + Channel bounded(1)";

    private static readonly string[] Implementations = [Stackless, Floor, Ctx0, Ctx1, Pool0, Pool1];

    private sealed record Row(string Workload, string Implementation, double MedianMs, double PerOpNs, string Extra, int Runs);

    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var full = args.Contains("--full");
        var reps = quick ? 3 : 5;
        var rows = new List<Row>();
        var notes = new List<string>();
        var capacity0 = CheckCapacityZero();
        notes.Add(capacity0);
        Console.WriteLine(capacity0);

        // Sieves. The number of sends is counted by the floor's channel.
        var sieves = new List<(int Limit, int Reps)> { (9_973, reps), (100_000, quick ? 1 : 3) };
        if (full)
        {
            sieves.Add((1_149_193, 1));
        }

        foreach (var (limit, sieveReps) in sieves)
        {
            var name = $"sieve to {limit:N0}";
            FloorWorkloads.Sieve(Math.Min(limit, 9_973)); // warm-up and count check below
            using var progress = limit > 100_000 ? StartProgress(name) : null;
            var floor = Measure(name, Floor, sieveReps, () => FloorWorkloads.Sieve(limit));
            var sends = SieveSends(limit);
            var executed = FloorWorkloads.LastSieveSends;
            name = $"sieve to {limit:N0} ({sends:N0} sends)";
            notes.Add(string.Create(Inv,
                $"{name}: the send count is that of the numbers 2..{limit:N0} (each number's sends through the filters it passes, plus the primes' sends); " +
                $"the floor's run executed {executed:N0} sends, because numbers past the limit are already in flight in the pipeline when the last prime arrives (how many depends on the scheduling order)."));
            var results = new Dictionary<string, (double Median, long Check, int Runs)> { [Floor] = floor };
            foreach (var impl in Implementations.Where(i => i != Floor))
            {
                if (limit > 100_000 && impl is Pool0 or Pool1)
                {
                    continue; // hours on the thread pool; see the notes
                }

                results[impl] = Measure(name, impl, sieveReps, impl switch
                {
                    Stackless => () => StacklessWorkloads.Sieve(limit),
                    Ctx0 => () => ChannelsWorkloads.Sieve(true, 0, limit),
                    Ctx1 => () => ChannelsWorkloads.Sieve(true, 1, limit),
                    Pool0 => () => ChannelsWorkloads.Sieve(false, 0, limit),
                    _ => () => ChannelsWorkloads.Sieve(false, 1, limit),
                });
            }

            AddRows(rows, name, results, sends, "ns/send");
        }

        // Ping-pong.
        {
            const int n = 1_000_000;
            var name = $"ping-pong ({n:N0} round trips)";
            var results = new Dictionary<string, (double Median, long Check, int Runs)>();
            foreach (var impl in Implementations)
            {
                results[impl] = Measure(name, impl, reps, impl switch
                {
                    Stackless => () => StacklessWorkloads.PingPong(n),
                    Floor => () => FloorWorkloads.PingPong(n),
                    Ctx0 => () => ChannelsWorkloads.PingPong(true, 0, n),
                    Ctx1 => () => ChannelsWorkloads.PingPong(true, 1, n),
                    Pool0 => () => ChannelsWorkloads.PingPong(false, 0, n),
                    _ => () => ChannelsWorkloads.PingPong(false, 1, n),
                });
            }

            AddRows(rows, name, results, n, "ns/round trip");
        }

        // Spawn: each repetition in a child process, so the peak working set is the implementation's own.
        {
            const int n = 1_000_000;
            var name = $"spawn {n:N0} blocked, then wake all";
            var results = new Dictionary<string, (double Median, long Check, int Runs)>();
            var extras = new Dictionary<string, string>();
            foreach (var impl in Implementations)
            {
                var runs = new List<RunResult>();
                for (var r = 0; r < reps; r++)
                {
                    runs.Add(SpawnChild(impl, n));
                }

                var median = Median(runs.Select(x => x.Milliseconds));
                var bytes = Median(runs.Select(x => x.BytesPerItem));
                var peak = Median(runs.Select(x => (double)x.PeakWorkingSet));
                results[impl] = (median, runs[0].Check, runs.Count);
                extras[impl] = string.Create(Inv, $"{bytes:N0} B/blocked tasklet (GC heap), peak WS {peak / 1048576.0:N0} MiB");
                Console.WriteLine(string.Create(Inv, $"  {name} | {impl}: {median:N1} ms, {extras[impl]}"));
            }

            AddRows(rows, name, results, n, "ns/tasklet", extras);
        }

        var table = Table(rows);
        Console.WriteLine();
        Console.WriteLine(table);
        var command = "dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro" + (quick ? " --quick" : "") + (full ? " --full" : "");
        WriteDoc(table, command, reps, quick, full, notes);
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
        return new Timer(_ => Console.Error.WriteLine(string.Create(Inv, $"[{name}] {clock.Elapsed.TotalSeconds:N0} s, last prime {Progress.LastPrime:N0}")), null, 5000, 5000);
    }

    private static (double Median, long Check, int Runs) Measure(string workload, string impl, int reps, Func<RunResult> run)
    {
        var times = new List<double>();
        long check = 0;
        for (var r = 0; r < reps; r++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            GC.Collect();
            var result = run();
            if (r > 0 && result.Check != check)
            {
                throw new InvalidOperationException($"{workload} {impl}: check {result.Check} != {check}");
            }

            check = result.Check;
            times.Add(result.Milliseconds);
        }

        var median = Median(times);
        Console.WriteLine(string.Create(Inv, $"  {workload} | {impl}: median {median:N1} ms of [{string.Join(", ", times.Select(t => t.ToString("N1", Inv)))}] (check {check})"));
        return (median, check, reps);
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
            long.Parse(parts[1], Inv), double.Parse(parts[2], Inv), double.Parse(parts[3], Inv), long.Parse(parts[4], Inv));
    }

    /// <summary>The child side of the spawn workload: one run, printed as RESULT check ms bytes peak.</summary>
    public static int SpawnChildMain(string impl, int n)
    {
        var result = impl switch
        {
            Stackless => StacklessWorkloads.Spawn(n),
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
        Console.WriteLine(string.Create(Inv, $"RESULT {result.Check} {result.Milliseconds:R} {result.BytesPerItem:R} {self.PeakWorkingSet64}"));
        return 0;
    }

    private static void AddRows(
        List<Row> rows, string workload, Dictionary<string, (double Median, long Check, int Runs)> results, long ops, string unit,
        Dictionary<string, string>? extras = null)
    {
        var checks = results.Values.Select(v => v.Check).Distinct().ToList();
        if (checks.Count != 1)
        {
            throw new InvalidOperationException($"{workload}: implementations disagree: {string.Join(", ", results.Select(r => $"{r.Key}={r.Value.Check}"))}");
        }

        foreach (var (impl, value) in results)
        {
            var perOp = value.Median * 1e6 / ops;
            var extra = string.Create(Inv, $"{perOp:N1} {unit}");
            if (extras is not null && extras.TryGetValue(impl, out var more))
            {
                extra += "; " + more;
            }

            rows.Add(new Row(workload, impl, value.Median, perOp, extra, value.Runs));
        }
    }

    private static string Table(List<Row> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| workload | implementation | median | per operation | ratio to Stackless.Emu | ratio to floor | runs |");
        sb.AppendLine("| --- | --- | ---: | --- | ---: | ---: | ---: |");
        foreach (var group in rows.GroupBy(r => r.Workload))
        {
            var stackless = group.First(r => r.Implementation == Stackless).MedianMs;
            var floor = group.First(r => r.Implementation == Floor).MedianMs;
            foreach (var r in group)
            {
                sb.AppendLine(string.Create(Inv,
                    $"| {r.Workload} | {r.Implementation} | {FormatMs(r.MedianMs)} | {r.Extra} | {r.MedianMs / stackless:N2} | {r.MedianMs / floor:N2} | {r.Runs} |"));
            }
        }

        return sb.ToString();
    }

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

    private static void WriteDoc(string table, string command, int reps, bool quick, bool full, List<string> notes)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(Inv, $"Produced by `{command}` on {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC. Do not edit by hand: rerun the harness."));
        sb.AppendLine();
        sb.Append(MachineInfo());
        sb.AppendLine(string.Create(Inv, $"- Repetitions: {reps} per workload and implementation ({(quick ? "quick mode: the 100,000 sieve once" : "the 100,000 sieve 3 times")}{(full ? "; the 1,149,193 sieve once" : "; the 1,149,193 sieve not run (needs --full)")}); the figure is the median."));
        sb.AppendLine("- Per operation = median / number of operations (sends for the sieve, round trips, tasklets).");
        sb.AppendLine("- Spawn: each repetition runs in a child process; bytes per blocked tasklet = GC.GetTotalMemory(true) delta / 1,000,000 " +
            "(the tasklet or task, its channel and its array slot); peak WS = that child's Process.PeakWorkingSet64.");
        foreach (var note in notes)
        {
            sb.AppendLine("- " + note);
        }

        sb.AppendLine();
        sb.Append(table);
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
        # macro workloads, all implementations, medians, this file's "Macro" section
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro --quick   # 3 repetitions, the 100,000 sieve once
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro           # 5 repetitions, the 100,000 sieve 3 times
        dotnet run -c Release --project Stackless.Emu.Benchmarks -- macro --full    # adds the sieve to 1,149,193 (3.99 billion sends; progress on stderr)
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

        - **Stackless.Emu**: soft tasklets (async bodies), `Channel<T>` rendezvous, the main tasklet with sync forms.
        - **floor**: a minimal single-threaded continuation queue and a minimal rendezvous channel (one waiter per channel,
          no Stackless logic, no checks), with the same async bodies: the physical limit of the approach.
        - **AsyncContext + Channel bounded(n)**: `System.Threading.Channels` bounded channels (SingleReader, SingleWriter)
          on Nito.AsyncEx's single-threaded `AsyncContext`.
        - **ThreadPool + Channel bounded(n)**: the same channels with the bodies on the thread pool.

        The machine has 2 cores shared with other work (builds of other worktrees); timings are noisy when
        others build. Medians of several repetitions dampen but do not remove that.

        ## Macro

        <!-- macro:begin -->
        <!-- macro:end -->

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
