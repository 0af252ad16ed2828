using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Stackless.Emu.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Stackless.Emu.Tests.Persistence;

/// <summary>
/// Mutational fuzzing of the loader: valid pickles of every feature, mutated by <see cref="PickleMutator"/>, must each
/// either load or be refused with an <see cref="UnpicklingException"/> that is not a defect of the loader; nothing else
/// may escape, no case may hang, and no case may allocate beyond a bounded multiple of its size. 3,000 cases by
/// default; STACKLESS_FUZZ_CASES=n runs n, STACKLESS_FULL_STRESS=1 runs 1,000,000; STACKLESS_FUZZ_SEED picks the seed
/// (default fixed, so CI is reproducible). A failing input is saved to the temp folder and named in the failure.
/// </summary>
public class PickleFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCases = 3_000;
    private const int FullCases = 1_000_000;
    private const int CasesPerScheduler = 2_000;

    /// <summary>Each case may allocate at most this multiple of its input, plus <see cref="AllocationSlack"/>.</summary>
    private const long AllocationFactor = 64;
    private const long AllocationSlack = 16L * 1024 * 1024;

    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void Mutated_pickles_load_or_are_refused_cleanly_within_bounded_memory()
    {
        var cases = Environment.GetEnvironmentVariable("STACKLESS_FUZZ_CASES") is { } text
            ? int.Parse(text, CultureInfo.InvariantCulture)
            : Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1" ? FullCases : DefaultCases;
        var seed = Environment.GetEnvironmentVariable("STACKLESS_FUZZ_SEED") is { } seedText ? int.Parse(seedText, CultureInfo.InvariantCulture) : 1729;
        var stats = new FuzzStats();
        var watch = Stopwatch.StartNew();
        var random = new Random(seed);
        for (var done = 0; done < cases; done += CasesPerScheduler)
        {
            var count = Math.Min(CasesPerScheduler, cases - done);
            var chunkSeed = random.Next();
            Isolated.Run(() => RunCases(count, new Random(chunkSeed), stats, done));
            stats.MaxHeap = Math.Max(stats.MaxHeap, GC.GetGCMemoryInfo().HeapSizeBytes);
            if (stats.Failures.Count >= 10)
            {
                break;
            }
        }

        watch.Stop();
        using var process = Process.GetCurrentProcess();
        output.WriteLine(stats.Report(cases, seed, watch.Elapsed, process.PeakWorkingSet64));
        Assert.True(stats.Failures.Count == 0, string.Join("\n", stats.Failures));
    }

    private static void RunCases(int count, Random random, FuzzStats stats, int first)
    {
        var seeds = Seeds();
        var mutator = new PickleMutator(random, seeds.Select(s => s.Data).ToList());
        var plain = new TaskletPickler(PickleRoundTripTests.Options());
        var signedOptions = PickleRoundTripTests.Options();
        signedOptions.SigningKey = Key;
        var signed = new TaskletPickler(signedOptions);
        for (var i = 0; i < count; i++)
        {
            var (data, isSigned) = seeds[random.Next(seeds.Count)];
            var mutating = Stopwatch.GetTimestamp();
            var mutated = mutator.Mutate(data, out var kind);
            var loading = Stopwatch.GetTimestamp();
            stats.Mutating += loading - mutating;
            var before = GC.GetAllocatedBytesForCurrentThread();
            string? failure = null;
            try
            {
                var contents = (isSigned ? signed : plain).Load(mutated);
                failure = BrokenInvariant(contents);
                foreach (var tasklet in contents.Tasklets)
                {
                    if (tasklet.Alive)
                    {
                        tasklet.Discard();
                    }
                }

                stats.Loaded[kind]++;
            }
            catch (UnpicklingException ex) when (!ex.IsLoaderDefect)
            {
                stats.Refused[kind]++;
            }
#pragma warning disable CA1031 // Every other outcome is the failure this test looks for.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = $"{ex.GetType().Name}: {ex.Message}";
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            stats.Loading += Stopwatch.GetTimestamp() - loading;
            stats.MaxAllocated = Math.Max(stats.MaxAllocated, allocated);
            if (failure is null && allocated > (AllocationFactor * mutated.Length) + AllocationSlack)
            {
                failure = $"allocated {allocated:N0} bytes for a {mutated.Length:N0}-byte pickle";
            }

            if (failure is not null)
            {
                var path = Path.Combine(Path.GetTempPath(), $"stackless-fuzz-{first + i}.pickle");
                File.WriteAllBytes(path, mutated);
                stats.Failures.Add($"case {first + i} ({PickleMutator.Kinds[kind]}{(isSigned ? ", signed" : string.Empty)}): {failure} (input saved to {path})");
                if (stats.Failures.Count >= 10)
                {
                    return;
                }
            }
        }
    }

    /// <summary>What a loaded pickle must satisfy: each channel's balance counts its waiters, who all wait in it.</summary>
    private static string? BrokenInvariant(PickleContents contents)
    {
        foreach (var channel in contents.Channels)
        {
            var waiters = 0;
            for (var t = channel.Queue; t is not null && waiters <= contents.Tasklets.Count; t = t.Next)
            {
                waiters++;
                if (!t.Blocked || !t.Alive)
                {
                    return $"a loaded channel queues {t}, which is not alive and blocked";
                }
            }

            if (waiters != Math.Abs(channel.Balance))
            {
                return $"a loaded channel has balance {channel.Balance} but {waiters} waiters";
            }
        }

        return null;
    }

    // ---------------------------------------------------------------- seeds: valid pickles of every feature

    private static async TaskletFrame Waits(int depth)
    {
        if (depth == 0)
        {
            await Scheduler.ScheduleAsync();
        }
        else
        {
            await Waits(depth - 1);
        }
    }

    private static async TaskletFrame Receive(Channel<string> input, Channel<int> other)
    {
        var value = await input.ReceiveAsync();
        GC.KeepAlive(value);
        GC.KeepAlive(other);
    }

    private static async TaskletFrame Send(Channel<int> output, int value) => await output.SendAsync(value);

    [PickleByFields]
    private sealed class Node
    {
        public Node? Next;
        public Channel<int>? Inbox;
        public Func<int, TaskletFrame<int>>? Callback;
    }

    private static async TaskletFrame<int> Twice(int value)
    {
        await Scheduler.ScheduleAsync();
        return value * 2;
    }

    private static async TaskletFrame Graph(
        Dictionary<string, int> map, HashSet<string> set, Queue<int> queue, (Node Node, double Ratio) pair, int[] numbers, List<object?> mixed)
    {
        foreach (var entry in map)
        {
            foreach (var item in Evens(numbers))
            {
                await Scheduler.ScheduleAsync();
                GC.KeepAlive(item);
            }

            GC.KeepAlive(entry);
        }

        GC.KeepAlive((set, queue, pair, mixed));
    }

    private static IEnumerable<int> Evens(IEnumerable<int> source)
    {
        foreach (var value in source)
        {
            if (value % 2 == 0)
            {
                yield return value;
            }
        }
    }

    private static async TaskletFrame Closure(int start)
    {
        var count = start;
        Func<int, TaskletFrame<int>>? recurse = null;
        recurse = async n => n == 0 ? await Twice(count) : await recurse!(n - 1);
        count += await recurse(2);
        Tasklet.Current.TempVal = count;
    }

    private static async TaskletFrame Catches()
    {
        try
        {
            throw new InvalidOperationException("boom");
        }
        catch (InvalidOperationException e)
        {
            Tasklet.Current.TempVal = (e, 2.5, "text", 'c', long.MaxValue, double.NaN);
            await Scheduler.ScheduleAsync();
        }
    }

    [PickleDelegateTarget]
    private static Task PlainBody() => Task.CompletedTask;

    /// <summary>Builds the seed pickles in this thread's scheduler and drops the originals.</summary>
    private static List<(byte[] Data, bool Signed)> Seeds()
    {
        var options = PickleRoundTripTests.Options();
        var signedOptions = PickleRoundTripTests.Options();
        signedOptions.SigningKey = Key;
        var pickler = new TaskletPickler(options);
        var seeds = new List<(byte[] Data, bool Signed)>();

        var deep = Tasklet.SpawnFrame(() => Waits(4));
        deep.Run();
        seeds.Add((pickler.Dump([deep]), false));
        seeds.Add((new TaskletPickler(signedOptions).Dump([deep]), true));

        var strings = new Channel<string> { Name = "strings", Preference = 1 };
        var ints = new Channel<int>();
        var receiver = Tasklet.SpawnFrame(() => Receive(strings, ints));
        var senders = Enumerable.Range(1, 2).Select(i => Tasklet.SpawnFrame(() => Send(ints, i))).ToList();
        Scheduler.Run();
        seeds.Add((pickler.Dump([receiver, .. senders], [strings]), false));

        var node = new Node { Inbox = ints, Callback = Twice };
        node.Next = node;
        var graph = Tasklet.SpawnFrame(() => Graph(
            new() { ["a"] = 1, ["b"] = 2 }, new(StringComparer.Ordinal) { "x" }, new([1, 2]), (node, 0.5), [0, 1, 2, 3, 4], [1, "two", null, ints]));
        graph.Items["owner"] = "fuzz";
        graph.Items["node"] = node;
        graph.Run();
        graph.Run();
        seeds.Add((pickler.Dump([graph]), false));

        var closure = Tasklet.SpawnFrame(() => Closure(5));
        closure.Run();
        var catches = Tasklet.SpawnFrame(Catches);
        catches.Run();
        var fresh = Tasklet.CreateFrame(() => Waits(1));
        var plain = new Tasklet(PlainBody) { Name = "plain" }.Setup();
        seeds.Add((pickler.Dump([closure, catches, fresh, plain]), false));

        // A woken receiver: the value handed over waits in its slot.
        var wakeup = new Channel<string> { Preference = 1 };
        var woken = Tasklet.SpawnFrame(() => Receive(wakeup, ints));
        woken.Run();
        wakeup.Send("handed over"); // preference 1: main goes on, the receiver is runnable with the value
        seeds.Add((pickler.Dump([woken]), false));

        foreach (var t in Scheduler.AliveTasklets().Where(t => !t.IsMain).ToList())
        {
            t.Discard();
        }

        return seeds;
    }

    private sealed class FuzzStats
    {
        public int[] Loaded { get; } = new int[PickleMutator.Kinds.Length];

        public int[] Refused { get; } = new int[PickleMutator.Kinds.Length];

        public List<string> Failures { get; } = [];

        public long MaxAllocated { get; set; }

        public long MaxHeap { get; set; }

        public long Mutating { get; set; }

        public long Loading { get; set; }

        public string Report(int cases, int seed, TimeSpan elapsed, long peakWorkingSet)
        {
            var lines = new List<string>
            {
                $"fuzz: {cases:N0} cases (seed {seed}) in {elapsed.TotalSeconds:N1} s: {Loaded.Sum():N0} loaded, {Refused.Sum():N0} refused with UnpicklingException, {Failures.Count} failures",
                $"fuzz: {Stopwatch.GetElapsedTime(0, Loading).TotalSeconds:N1} s loading, {Stopwatch.GetElapsedTime(0, Mutating).TotalSeconds:N1} s mutating (the rest: building the seeds)",
                $"fuzz: largest allocation of one case {MaxAllocated / 1024.0 / 1024.0:N1} MiB; largest GC heap after a chunk {MaxHeap / 1024.0 / 1024.0:N1} MiB; peak working set of the process {peakWorkingSet / 1024.0 / 1024.0:N0} MiB",
            };
            for (var k = 0; k < PickleMutator.Kinds.Length; k++)
            {
                lines.Add($"fuzz:   {PickleMutator.Kinds[k],-20} {Loaded[k],9:N0} loaded {Refused[k],9:N0} refused");
            }

            return string.Join("\n", lines);
        }
    }
}
