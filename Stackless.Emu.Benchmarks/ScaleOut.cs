using System.Globalization;
using System.Text;
using Stackless.Emu.Samples;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The scale-out harness: the sample's prime sieve with its filter stages sharded over 1, 2, ... scheduler threads
/// (`async Task` bodies, the sample's code) and its `async TaskletFrame` twin over 1 and 2 threads,
/// medians of several runs, written to the "scale-out" section of docs/benchmarks.md.
/// </summary>
internal static class ScaleOut
{
    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var limit = quick ? 20_000 : 50_000;
        var reps = quick ? 3 : 5;
        var maxThreads = Math.Max(2, Environment.ProcessorCount);
        ScaleOutSieve.Run(2_000, 1); // warm-up: JIT and tiering
        ScaleOutSieve.Run(2_000, 2);
        ScaleOutFrameSieve.Run(2_000, 1);
        ScaleOutFrameSieve.Run(2_000, 2);

        var rows = new List<(string Body, int Threads, double Median, double Cpu, double Load, int Primes)>();
        void Measure(string body, int threads, Func<ScaleOutSieve.Result> run)
        {
            var times = new List<double>();
            var cpus = new List<double>();
            var loads = new List<double>();
            var primes = 0;
            for (var r = 0; r < reps; r++)
            {
                loads.Add(CpuClock.LoadAverage());
                var cpu0 = CpuClock.ProcessSeconds();
                var result = run();
                cpus.Add((CpuClock.ProcessSeconds() - cpu0) * 1000);
                primes = result.Primes;
                times.Add(result.Elapsed.TotalMilliseconds);
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\rscale-out: {body}, {threads} thread(s), run {r + 1}/{reps}   "));
            }

            rows.Add((body, threads, Median(times), Median(cpus), Median(loads), primes));
        }

        for (var threads = 1; threads <= maxThreads * 2; threads *= 2)
        {
            var t = threads;
            Measure("`async Task`", t, () => ScaleOutSieve.Run(limit, t));
        }

        for (var threads = 1; threads <= maxThreads; threads *= 2)
        {
            var t = threads;
            Measure("`async TaskletFrame`", t, () => ScaleOutFrameSieve.Run(limit, t));
        }

        Console.Error.WriteLine();
        if (rows.Select(r => r.Primes).Distinct().Count() != 1)
        {
            throw new InvalidOperationException("scale-out: the runs disagree on the number of primes");
        }

        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Sieve to {limit:N0} ({rows[0].Primes:N0} primes, one filter tasklet per prime, filters dealt out in blocks of 64),")
            .AppendLine(CultureInfo.InvariantCulture, $"median of {reps} runs, {Environment.ProcessorCount} cores, measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.")
            .AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project Stackless.Emu.Benchmarks -- scale-out{(quick ? " --quick" : string.Empty)}`.")
            .AppendLine("`async Task` bodies are the sample's own code (`samples/Stackless.Emu.Samples/ScaleOutSieve.cs`); `async TaskletFrame` bodies the same stages")
            .AppendLine("written as `async TaskletFrame` methods (`Stackless.Emu.Benchmarks/ScaleOutFrameSieve.cs`). CPU = the process's CPU time over the run (all")
            .AppendLine("scheduler threads); load = the 1-minute load average of the machine when the runs started (median). The machine is shared: with other")
            .AppendLine("work on both cores, a second scheduler thread can only win what the other processes leave it.")
            .AppendLine()
            .AppendLine("| body type | scheduler threads | wall median | process CPU median | load | speed-up vs 1 thread (wall) |")
            .AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var group in rows.GroupBy(r => r.Body))
        {
            var single = group.First().Median;
            foreach (var (body, threads, median, cpu, load, _) in group)
            {
                table.AppendLine(CultureInfo.InvariantCulture, $"| {body} | {threads} | {median:F0} ms | {cpu:F0} ms | {load:F1} | {single / median:F2}x |");
            }
        }

        Console.WriteLine(table);
        Macro.UpdateSection("scale-out", table.ToString());
        return 0;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
