using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Stackless.Emu;
using Stackless.Emu.Orleans;

namespace ClusterEcho;

/// <summary>
/// Measures the cost of distribution on two silos in this process and rewrites the measured section of
/// docs/distributed.md: local vs distributed round trips, throughput with 1/8/32 pairs, migration and checkpoint cost.
/// </summary>
internal static class Bench
{
    private const string Begin = "<!-- BEGIN MEASURED: written by `dotnet run -c Release --project samples/ClusterEcho -- bench`; do not edit -->";
    private const string End = "<!-- END MEASURED -->";

    private static readonly ConcurrentDictionary<string, ConcurrentQueue<double>> Samples = new(StringComparer.Ordinal);

    public static async Task<int> RunAsync(string[] args)
    {
        var quick = args.Contains("--quick");
        var loadBefore = LoadAverage();
        var rounds = quick ? 200 : 1000;
        var rows = new List<(string What, string Figure, string How)>();

        await using (var silos = await TwoSilos.StartAsync(durableChannels: true, basePort: 11211))
        {
            var t = silos.Tasklets;
            var local = await RoundTripsAsync(t, "local", silos.A, silos.A, rounds * 20, distributed: false);
            rows.Add(("round trip, local channels (two tasklets of one group)", Micro(local), $"median of {rounds * 20:N0}"));
            var same = await RoundTripsAsync(t, "same", silos.A, silos.A, rounds, distributed: true);
            rows.Add(("round trip, distributed channels, both groups on one silo", Micro(same), $"median of {rounds:N0}"));
            var cross = await RoundTripsAsync(t, "cross", silos.A, silos.B, rounds, distributed: true);
            rows.Add(("round trip, distributed channels, groups on two silos", Micro(cross), $"median of {rounds:N0}; p90 {Micro(Percentile(cross, 0.9))}"));
            rows.Add(("cross-silo / local", $"{Median(cross) / Median(local):N0}x", "ratio of the medians"));
            foreach (var pairs in new[] { 1, 8, 32 })
            {
                var perPair = Math.Max(quick ? 20 : 100, rounds / pairs);
                var rate = await ThroughputAsync(t, silos, pairs, perPair);
                rows.Add(($"throughput, {pairs} pair(s) across the silos", $"{rate:N0} round trips/s", $"{pairs} x {perPair:N0} round trips, wall clock"));
            }

            var (migrations, bytes) = await MigrationAndCheckpointAsync(t, silos, quick ? 5 : 15);
            rows.Add(("live migration of a blocked echo group (call to return)", Milli(Median(migrations.Migrate)), $"median of {migrations.Migrate.Count}; includes its activation on the other silo"));
            rows.Add(("checkpoint of the blocked echo group into grain storage", Milli(Median(migrations.Checkpoint)), $"median of {migrations.Checkpoint.Count}; {bytes:N0} bytes of pickle"));
        }

        await using (var silos = await TwoSilos.StartAsync(durableChannels: false, basePort: 11311))
        {
            var cross = await RoundTripsAsync(silos.Tasklets, "volatile", silos.A, silos.B, rounds, distributed: true);
            rows.Add(("round trip across silos, channels not durable (DurableChannels = false)", Micro(cross), $"median of {rounds:N0}"));
        }

        var doc = Path.Combine(FindRoot(), "docs", "distributed.md");
        var load = $"load average {loadBefore} before, {LoadAverage()} after";
        Rewrite(doc, Render(rows, quick, load));
        Console.WriteLine(Render(rows, quick, load));
        Console.WriteLine($"wrote {doc}");
        return 0;
    }

    /// <summary>Per-round-trip times (µs) of a request/reply conversation between two groups (or two tasklets of one).</summary>
    private static async Task<List<double>> RoundTripsAsync(TaskletCluster t, string label, SiloAddress echoOn, SiloAddress askOn, int rounds, bool distributed)
    {
        var key = $"{label}-{Guid.NewGuid():N}";
        if (!distributed)
        {
            await t.SpawnAsync($"local-{key}", () => LocalPingPong(rounds, key), on: echoOn);
        }
        else
        {
            var requests = new DistributedChannel<string>($"req-{key}");
            var replies = new DistributedChannel<string>($"rep-{key}");
            await t.SpawnAsync($"echo-{key}", () => Tasklets.Echo(requests, replies), on: echoOn);
            await t.SpawnAsync($"ask-{key}", () => Ask(requests, replies, rounds / 10, key + "-warmup"), on: askOn);
            await WaitAsync(key + "-warmup", rounds / 10);
            await t.SpawnAsync($"ask2-{key}", () => Ask(requests, replies, rounds, key), on: askOn);
        }

        var samples = await WaitAsync(key, rounds);
        if (distributed)
        {
            await t.KillAsync($"echo-{key}");
        }

        return samples.Skip(distributed ? 0 : rounds / 10).ToList();
    }

    private static async Task<double> ThroughputAsync(TaskletCluster t, TwoSilos silos, int pairs, int perPair)
    {
        var key = $"pairs{pairs}-{Guid.NewGuid():N}";
        for (var p = 0; p < pairs; p++)
        {
            var requests = new DistributedChannel<string>($"req-{key}-{p}");
            var replies = new DistributedChannel<string>($"rep-{key}-{p}");
            await t.SpawnAsync($"echo-{key}-{p}", () => Tasklets.Echo(requests, replies), on: silos.A);
        }

        var clock = Stopwatch.StartNew();
        for (var p = 0; p < pairs; p++)
        {
            var requests = new DistributedChannel<string>($"req-{key}-{p}");
            var replies = new DistributedChannel<string>($"rep-{key}-{p}");
            await t.SpawnAsync($"ask-{key}-{p}", () => Ask(requests, replies, perPair, key), on: silos.B);
        }

        await WaitAsync(key, pairs * perPair);
        var rate = pairs * perPair / clock.Elapsed.TotalSeconds;
        for (var p = 0; p < pairs; p++)
        {
            await t.KillAsync($"echo-{key}-{p}");
        }

        return rate;
    }

    private static async Task<((List<double> Migrate, List<double> Checkpoint), int Bytes)> MigrationAndCheckpointAsync(TaskletCluster t, TwoSilos silos, int times)
    {
        var requests = new DistributedChannel<string>($"req-move-{Guid.NewGuid():N}");
        var replies = new DistributedChannel<string>($"rep-move-{Guid.NewGuid():N}");
        var group = $"echo-move-{Guid.NewGuid():N}";
        await t.SpawnAsync(group, () => Tasklets.Echo(requests, replies), on: silos.A);
        await t.DescribeGroupAsync(group);
        var migrate = new List<double>();
        var checkpoint = new List<double>();
        var bytes = 0;
        for (var i = 0; i < times; i++)
        {
            var clock = Stopwatch.StartNew();
            await t.MigrateAsync(group, i % 2 == 0 ? silos.B : silos.A);
            migrate.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            bytes = (await t.CheckpointAsync(group)).Bytes;
            checkpoint.Add(clock.Elapsed.TotalMilliseconds);
        }

        await t.KillAsync(group);
        return ((migrate, checkpoint), bytes);
    }

    /// <summary>Two tasklets of one group on local channels; records each round trip in µs.</summary>
    private static async TaskletFrame LocalPingPong(int rounds, string key)
    {
        var requests = new Channel<string>();
        var replies = new Channel<string>();
        TaskletGroup.Spawn(() => Tasklets.Echo(requests, replies));
        await Ask(requests, replies, rounds, key);
    }

    /// <summary>Sends requests and records each round trip's time in µs under <paramref name="key"/>.</summary>
    private static async TaskletFrame Ask(IRendezvousChannel<string> requests, IRendezvousChannel<string> replies, int rounds, string key)
    {
        var samples = Samples.GetOrAdd(key, _ => new ConcurrentQueue<double>());
        for (var i = 0; i < rounds; i++)
        {
            var start = Stopwatch.GetTimestamp();
            await requests.SendAsync("ping");
            await replies.ReceiveAsync();
            samples.Enqueue(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
    }

    private static async Task<List<double>> WaitAsync(string key, int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(5);
        while (true)
        {
            if (Samples.TryGetValue(key, out var samples) && samples.Count >= count)
            {
                return [.. samples];
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{key}: only {Samples.GetValueOrDefault(key)?.Count ?? 0} of {count} round trips in 5 minutes.");
            }

            await Task.Delay(10);
        }
    }

    private static double Median(List<double> values) => Percentile(values, 0.5);

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }

    private static string Micro(List<double> values) => Micro(Median(values));

    private static string Micro(double microseconds) => microseconds >= 1000
        ? string.Create(CultureInfo.InvariantCulture, $"{microseconds / 1000:0.00} ms")
        : string.Create(CultureInfo.InvariantCulture, $"{microseconds:0.0} µs");

    private static string Milli(double milliseconds) => string.Create(CultureInfo.InvariantCulture, $"{milliseconds:0.0} ms");

    /// <summary>The one-minute load average (Linux), or "n/a": the figures mean little on a busy machine.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";

    private static string Render(List<(string What, string Figure, string How)> rows, bool quick, string load)
    {
        var md = new StringBuilder();
        md.Append(Begin).Append('\n');
        md.Append(CultureInfo.InvariantCulture, $"Measured {DateTime.UtcNow:yyyy-MM-dd} with `dotnet run -c Release --project samples/ClusterEcho -- bench{(quick ? " --quick" : string.Empty)}`: ")
            .Append(CultureInfo.InvariantCulture, $"two silos in one process on loopback, {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, .NET {Environment.Version}, ")
            .Append(CultureInfo.InvariantCulture, $"{load}, ")
            .Append("grain storage in memory (Orleans' memory provider, itself a grain), channels durable unless stated.\n\n");
        md.Append("| what | figure | how |\n|---|---:|---|\n");
        foreach (var (what, figure, how) in rows)
        {
            md.Append(CultureInfo.InvariantCulture, $"| {what} | {figure} | {how} |\n");
        }

        md.Append(End);
        return md.ToString();
    }

    private static void Rewrite(string path, string section)
    {
        var text = File.Exists(path) ? File.ReadAllText(path) : $"# Distributed tasklets\n\n{Begin}\n{End}\n";
        var start = text.IndexOf(Begin, StringComparison.Ordinal);
        var end = text.IndexOf(End, StringComparison.Ordinal);
        if (start < 0 || end < start)
        {
            throw new InvalidDataException($"{path} has no measured section ({Begin} ... {End}).");
        }

        File.WriteAllText(path, string.Concat(text.AsSpan(0, start), section, text.AsSpan(end + End.Length)));
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Emu.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
