using System.Globalization;
using System.Text;

/// <summary>
/// Where a server's CPU goes, without a profiler (Linux): each thread's run time (/proc/self/task/*/schedstat, in ns)
/// and voluntary context switches (/proc/self/task/*/status), grouped by thread name, between two snapshots.
/// </summary>
internal sealed class ThreadProfile
{
    private readonly Dictionary<int, (string Name, long RunNs, long Switches)> _threads;

    /// <summary>Methods the JIT had compiled when this was taken.</summary>
    private readonly long _jitted = System.Runtime.JitInfo.GetCompiledMethodCount();

    private ThreadProfile(Dictionary<int, (string Name, long RunNs, long Switches)> threads) => _threads = threads;

    /// <summary>Reads every thread of this process now (empty where /proc is missing).</summary>
    public static ThreadProfile Take()
    {
        var threads = new Dictionary<int, (string, long, long)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return new ThreadProfile(threads);
        }

        foreach (var dir in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var name = File.ReadAllText(Path.Combine(dir, "comm")).Trim();
                var run = long.Parse(File.ReadAllText(Path.Combine(dir, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                var switches = File.ReadAllLines(Path.Combine(dir, "status"))
                    .Where(l => l.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal))
                    .Select(l => long.Parse(l.Split(':')[1].Trim(), CultureInfo.InvariantCulture))
                    .FirstOrDefault();
                threads[int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture)] = (name, run, switches);
            }
            catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
            {
                // The thread ended while being read.
            }
        }

        return new ThreadProfile(threads);
    }

    /// <summary>
    /// Waits (at most <paramref name="limit"/>) until the runtime's tiered-compilation thread has been idle for 100 ms,
    /// so a measurement does not pay for recompiling what the previous runs made hot.
    /// </summary>
    public static void WaitForQuietJit(TimeSpan limit)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var before = JitNs();
        while (watch.Elapsed < limit)
        {
            Thread.Sleep(100);
            var now = JitNs();
            if (now - before < 1_000_000)
            {
                return;
            }

            before = now;
        }
    }

    private static long JitNs() => Take()._threads.Values.Where(t => t.Name.StartsWith(".NET Tiered", StringComparison.Ordinal)).Sum(t => t.RunNs);

    /// <summary>CPU and voluntary switches per round trip since <paramref name="before"/>, by thread group, largest first.</summary>
    public string Since(ThreadProfile before, long roundTrips)
    {
        var groups = new Dictionary<string, (long RunNs, long Switches, int Threads)>();
        foreach (var (id, (name, run, switches)) in _threads)
        {
            var (_, run0, switches0) = before._threads.TryGetValue(id, out var b) ? b : (name, 0, 0);
            var group = Group(name);
            var g = groups.GetValueOrDefault(group);
            groups[group] = (g.RunNs + run - run0, g.Switches + switches - switches0, g.Threads + (run > run0 ? 1 : 0));
        }

        var text = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"    {_jitted - before._jitted} methods jitted meanwhile; CPU per round trip by thread:"));
        foreach (var (group, (run, switches, threads)) in groups.Where(g => g.Value.RunNs > 0).OrderByDescending(g => g.Value.RunNs))
        {
            text.Append(CultureInfo.InvariantCulture, $" {group} ({threads} busy) {run / 1e3 / roundTrips:F2} us, {(double)switches / roundTrips:F2} sleeps;");
        }

        return text.ToString();
    }

    private static string Group(string name) =>
        name.StartsWith("echo #", StringComparison.Ordinal) ? "scheduler threads"
        : name.StartsWith(".NET TP Worker", StringComparison.Ordinal) ? "thread pool"
        : name.StartsWith(".NET Sockets", StringComparison.Ordinal) || name.Contains("Sock", StringComparison.Ordinal) ? "socket engine (epoll)"
        : name.StartsWith("Stackless hard", StringComparison.Ordinal) ? "hard tasklet threads"
        : name;
}
