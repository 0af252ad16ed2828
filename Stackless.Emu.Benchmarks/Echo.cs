using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The echo harness: runs samples/EchoServer once (every server in one run: soft tasklets on 1 and on N scheduler
/// threads, hard tasklets, plain async/await; its load generator in a child process of its own), reads its JSON
/// report, checks issue 19's targets and writes the "echo" section of docs/benchmarks.md.
/// </summary>
internal static class Echo
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One server's figures, as the sample reports them.</summary>
    internal sealed record ServerReport(string Label, int SchedulerThreads, int Connections, ClientReport Connected, ClientReport Done, double ServerCpuSeconds, double LoadAverage, string Profile)
    {
        public double RoundTripsPerSecond => Done.Count / Done.Seconds;

        public double CpuPerRoundTripMicroseconds => ServerCpuSeconds * 1e6 / Done.Count;

        public long Errors => Connected.Errors + Done.Errors;
    }

    /// <summary>A client report line.</summary>
    internal sealed record ClientReport(long Count, long Errors, double Seconds);

    public static int Run(string[] args)
    {
        var quick = args.Contains("--quick");
        var connections = quick ? 2_000 : 10_000;
        var roundTrips = 10;
        var hardConnections = quick ? 500 : 1_000;
        var sample = Path.Combine(AppContext.BaseDirectory, "EchoServer.dll");
        if (!File.Exists(sample))
        {
            Console.Error.WriteLine($"echo: {sample} is missing; build Stackless.Emu.Benchmarks (it references samples/EchoServer).");
            return 2;
        }

        var defaultRuns = quick ? 1 : 3;
        var runs = args.SkipWhile(a => a != "--runs").Skip(1).Select(a => int.Parse(a, Inv)).FirstOrDefault(defaultRuns);
        var loadBefore = CpuClock.LoadAverage();
        var reports = new List<List<ServerReport>>();
        for (var run = 0; run < runs; run++)
        {
            Console.Error.WriteLine($"echo: run {run + 1}/{runs}");
            var report = RunSample(sample, connections, roundTrips, hardConnections);
            if (report is null)
            {
                return 1;
            }

            reports.Add(report);
        }

        // Per server, the run with the median round trips/s (its other figures come from the same run).
        var servers = reports[0].Select((_, i) => reports.Select(r => r[i]).OrderBy(s => s.RoundTripsPerSecond).ElementAt(runs / 2)).ToList();
        var plain = servers.Single(s => s.SchedulerThreads == 0);
        var pooled = servers.Single(s => s.SchedulerThreads > 1 && s.Label.StartsWith("soft", StringComparison.Ordinal));

        var text = new StringBuilder();
        text.AppendLine(Inv, $"{runs} run(s) of `samples/EchoServer` ({connections:N0} loopback connections x {roundTrips} round trips of 64 B; hard tasklets {hardConnections:N0} connections, one OS thread each), load generator in a child process,")
            .AppendLine(Inv, $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, measured {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; 1-minute load average {loadBefore:F2} before the run (the machine is shared; the column shows it before each server).")
            .AppendLine(Inv, $"Command: `dotnet run -c Release --project Stackless.Emu.Benchmarks -- echo{(quick ? " --quick" : string.Empty)}{(runs != defaultRuns ? $" --runs {runs}" : string.Empty)}` (the sample alone: `dotnet run -c Release --project samples/EchoServer`).")
            .AppendLine("Server CPU: the server process's CPU time (every thread) during the echo phase, divided by the round trips. Each row is the run with the median round trips/s for that server.")
            .AppendLine()
            .AppendLine("| server | connections | connect time | round trips/s | vs plain | server CPU per round trip | vs plain | errors | load average |")
            .AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var s in servers)
        {
            text.AppendLine(Inv, $"| {s.Label} | {s.Connections:N0} | {s.Connected.Seconds:F2} s | {s.RoundTripsPerSecond:N0} | {s.RoundTripsPerSecond / plain.RoundTripsPerSecond:F2}x | {s.CpuPerRoundTripMicroseconds:F1} us | {s.CpuPerRoundTripMicroseconds / plain.CpuPerRoundTripMicroseconds:F2}x | {s.Errors} | {s.LoadAverage:F2} |");
        }

        text.AppendLine()
            .AppendLine("Where each server's CPU went in the echo phase (its thread groups, from /proc/self/task: run time and voluntary sleeps per round trip):")
            .AppendLine();
        foreach (var s in servers)
        {
            text.AppendLine(Inv, $"- {s.Label}: {s.Profile.Trim()}");
        }

        text.AppendLine();
        for (var run = 0; run < runs; run++)
        {
            var p = reports[run].Single(s => s.SchedulerThreads == 0);
            var t = reports[run].Single(s => s.SchedulerThreads > 1 && s.Label.StartsWith("soft", StringComparison.Ordinal));
            text.AppendLine(Inv, $"Run {run + 1}: soft tasklets on {t.SchedulerThreads} scheduler threads {t.RoundTripsPerSecond / p.RoundTripsPerSecond:F2}x plain's round trips/s, {t.CpuPerRoundTripMicroseconds / p.CpuPerRoundTripMicroseconds:F2}x its CPU per round trip, connect {t.Connected.Seconds / p.Connected.Seconds:F2}x, {t.Connections:N0} connections, {t.Errors} errors; load average {t.LoadAverage:F2}.  ");
        }

        // Each target is a ratio within one run (both servers under the same load); the median over the runs counts.
        var ratios = reports.Select(r =>
        {
            var p = r.Single(s => s.SchedulerThreads == 0);
            var t = r.Single(s => s.SchedulerThreads > 1 && s.Label.StartsWith("soft", StringComparison.Ordinal));
            return (Rate: t.RoundTripsPerSecond / p.RoundTripsPerSecond, Cpu: t.CpuPerRoundTripMicroseconds / p.CpuPerRoundTripMicroseconds, Connect: t.Connected.Seconds / p.Connected.Seconds, t.Connections, t.Errors);
        }).ToList();
        double MedianOf(Func<(double Rate, double Cpu, double Connect, int Connections, long Errors), double> pick) => ratios.Select(pick).Order().ElementAt(runs / 2);
        var rate = MedianOf(r => r.Rate);
        var cpuRatio = MedianOf(r => r.Cpu);
        var connect = MedianOf(r => r.Connect);
        var fewest = ratios.Min(r => r.Connections);
        var errors = ratios.Sum(r => r.Errors);
        text.AppendLine()
            .AppendLine(Inv, $"Targets (issue 19), soft tasklets on {pooled.SchedulerThreads} scheduler threads against plain async/await: each ratio is taken within one run, the figure is the median over the {runs} run(s):")
            .AppendLine()
            .AppendLine(Target("round trips/s at least 0.9x plain", rate >= 0.9, $"{rate:F2}x"))
            .AppendLine(Target("CPU per round trip at most 1.1x plain", cpuRatio <= 1.1, $"{cpuRatio:F2}x"))
            .AppendLine(Target("10,000 concurrent connections, 0 errors", fewest >= 10_000 && errors == 0, $"at least {fewest:N0} connections in every run, {errors} errors in all"))
            .AppendLine(Target("connect phase within 1.2x plain", connect <= 1.2, $"{connect:F2}x"));

        Console.WriteLine(text);
        Macro.UpdateSection("echo", text.ToString());
        return servers.All(s => s.Errors == 0) ? 0 : 1;
    }

    /// <summary>Runs the sample once (all its servers) and returns its report, or null when it wrote none.</summary>
    private static List<ServerReport>? RunSample(string sample, int connections, int roundTrips, int hardConnections)
    {
        var json = Path.Combine(Path.GetTempPath(), $"echo-{Environment.ProcessId}.json");
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false };
        foreach (var argument in new[] { sample, connections.ToString(Inv), roundTrips.ToString(Inv), "--hard-connections", hardConnections.ToString(Inv), "--profile", "--json", json })
        {
            start.ArgumentList.Add(argument);
        }

        using (var process = Process.Start(start)!)
        {
            process.WaitForExit();
            if (!File.Exists(json))
            {
                Console.Error.WriteLine($"echo: the sample exited with {process.ExitCode} and wrote no report.");
                return null;
            }
        }

        var report = JsonSerializer.Deserialize<List<ServerReport>>(File.ReadAllText(json))!;
        File.Delete(json);
        return report;
    }

    private static string Target(string what, bool met, string figure) => $"- {what}: {(met ? "met" : "MISSED")} ({figure})";
}
