using System.Globalization;
using System.Text;
using Stackless.Emu.Samples;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The scale-out harness: the sample's prime sieve with its filter stages sharded over 1, 2, ... scheduler threads,
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

        var rows = new List<(int Threads, double Median, int Primes)>();
        for (var threads = 1; threads <= maxThreads * 2; threads *= 2)
        {
            var times = new List<double>();
            var primes = 0;
            for (var r = 0; r < reps; r++)
            {
                var result = ScaleOutSieve.Run(limit, threads);
                primes = result.Primes;
                times.Add(result.Elapsed.TotalMilliseconds);
                Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\rscale-out: {threads} thread(s), run {r + 1}/{reps}   "));
            }

            times.Sort();
            rows.Add((threads, times[times.Count / 2], primes));
        }

        Console.Error.WriteLine();
        var single = rows[0].Median;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"Sieve to {limit:N0} ({rows[0].Primes:N0} primes, one filter tasklet per prime, filters dealt out in blocks of 64),")
            .AppendLine(CultureInfo.InvariantCulture, $"median of {reps} runs, {Environment.ProcessorCount} cores, measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC.")
            .AppendLine(CultureInfo.InvariantCulture, $"Command: `dotnet run -c Release --project Stackless.Emu.Benchmarks -- scale-out{(quick ? " --quick" : string.Empty)}`.")
            .AppendLine()
            .AppendLine("| scheduler threads | median | speed-up vs 1 thread |")
            .AppendLine("|---:|---:|---:|");
        foreach (var (threads, median, _) in rows)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"| {threads} | {median:F0} ms | {single / median:F2}x |");
        }

        Console.WriteLine(table);
        Macro.UpdateSection("scale-out", table.ToString());
        return 0;
    }
}
