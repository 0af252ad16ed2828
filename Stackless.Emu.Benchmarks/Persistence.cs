using System.Diagnostics;
using System.Globalization;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The cost of tasklet persistence: pickle and load of one tasklet suspended 1,000 frames deep, and of 10,000 small
/// suspended tasklets (each with a few locals), and the size of each pickle. Medians of several runs after a warm-up.
/// Run: <c>dotnet run -c Release --project Stackless.Emu.Benchmarks -- persistence</c>.
/// </summary>
internal static class Persistence
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static int Run(string[] args)
    {
        var reps = args.Contains("--quick") ? 3 : 7;
        var options = new PickleOptions().AllowAssemblyOf<Marker>();
        var pickler = new TaskletPickler(options);
        Console.WriteLine("| workload | frames | tasklets | pickle (median) | load (median) | size |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        Report("one tasklet 1,000 frames deep", 1_000, 1, reps, pickler, () => [Tasklet.SpawnFrame(() => Deep(1_000, 0))]);
        Report("10,000 small tasklets", 10_000, 10_000, reps, pickler, () =>
            [.. Enumerable.Range(0, 10_000).Select(i => Tasklet.SpawnFrame(() => Small(i, "item " + i.ToString(Inv))))]);
        return 0;
    }

    private static void Report(string name, int frames, int tasklets, int reps, TaskletPickler pickler, Func<List<Tasklet>> create)
    {
        var originals = create();
        foreach (var t in originals)
        {
            t.Run(); // to its first suspension
        }

        var pickleTimes = new List<double>();
        var loadTimes = new List<double>();
        var size = 0L;
        for (var rep = -1; rep < reps; rep++)
        {
            using var stream = new MemoryStream();
            var watch = Stopwatch.StartNew();
            pickler.Dump(stream, originals);
            watch.Stop();
            var pickleMs = watch.Elapsed.TotalMilliseconds;
            size = stream.Length;
            stream.Position = 0;
            watch.Restart();
            var contents = pickler.Load(stream);
            watch.Stop();
            if (contents.Tasklets.Count != tasklets)
            {
                throw new InvalidOperationException($"{name}: {contents.Tasklets.Count} tasklets loaded");
            }

            foreach (var copy in contents.Tasklets)
            {
                copy.Bind(null); // discard the copy (paused) without running it
            }

            if (rep >= 0)
            {
                pickleTimes.Add(pickleMs);
                loadTimes.Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        foreach (var t in originals)
        {
            t.Kill();
        }

        Console.WriteLine(string.Create(Inv,
            $"| {name} | {frames:N0} | {tasklets:N0} | {Median(pickleTimes):F2} ms | {Median(loadTimes):F2} ms | {size:N0} bytes ({(double)size / frames:F0} per frame) |"));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static async TaskletFrame Deep(int depth, int level)
    {
        if (level < depth)
        {
            await Deep(depth, level + 1);
        }
        else
        {
            await Scheduler.ScheduleAsync();
        }
    }

    private static async TaskletFrame Small(int id, string label)
    {
        var total = id * 2L;
        while (true)
        {
            await Scheduler.ScheduleAsync();
            total += label.Length;
        }
    }

    /// <summary>Names this assembly for the allow-list.</summary>
    private sealed class Marker;
}
