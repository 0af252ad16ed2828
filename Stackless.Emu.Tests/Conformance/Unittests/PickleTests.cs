using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of the tasklet-pickling tests of Stackless/unittests/test_pickle.py (TestPickledTasklets). Each test suspends a
/// tasklet at a schedule() inside some construct, copies it with <c>Tasklet.Load(t.Dump())</c> (see <see cref="Pickling"/>),
/// and checks that original and copy both finish with the same result. The body reports its result in its TempVal when
/// it ends. Bodies are <see cref="TaskletFrame"/> methods, the restorable frames of the emulation; a Python loop over a
/// list, dict, set or generator is a C# <c>foreach</c> over the BCL collection or a <c>yield return</c> iterator, whose
/// live enumerator the pickler saves as its collection and position (or, for an iterator, field by field).
/// </summary>
public class PickleTests
{
    private const string File = "Stackless/unittests/test_pickle.py";
    /// <summary>Stackless's run_pickled: run to the first schedule(), pickle, then finish original and copy.</summary>
    private static void RunPickled(Func<TaskletFrame<object?>> body, object? expected) => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(async () => Tasklet.Current.TempVal = await body());
        t.Run(); // runs until the body's schedule()
        Assert.True(t.Alive);
        t.Remove();
        var copy = Pickling.RoundTrip(t);
        Assert.True(copy.Alive);
        Assert.False(copy.Scheduled);

        t.Insert();
        Scheduler.Run();
        Assert.False(t.Alive);
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
        Assert.Equal(expected, t.TempVal);
        Assert.Equal(t.TempVal, copy.TempVal);
    });

    private static async TaskletFrame<object?> IterateAndSchedule<T>(IEnumerable<T> items, int at)
    {
        var seen = new List<T>();
        var i = 0;
        foreach (var item in items)
        {
            if (i++ == at)
            {
                await Scheduler.ScheduleAsync();
            }

            seen.Add(item);
        }

        return string.Join(",", seen);
    }

    private static string Joined<T>(IEnumerable<T> items) => string.Join(",", items);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testClassPersistence", "pickle.tasklet", "tasklet.__reduce__", "tasklet.__setstate__")]
    public void TestClassPersistence() => Isolated.Run(() =>
    {
        // Tasklet is sealed in the emulation; the persistent per-tasklet attribute is its Name.
        var t = new Tasklet([PickleDelegateTarget] () => Task.CompletedTask) { Name = "custom" };
        var copy = Pickling.RoundTrip(t);
        Assert.Equal("custom", copy.Name);
        Assert.NotSame(t, copy);
    });

    private static IEnumerable<int> Generator(int n)
    {
        for (var i = 0; i < n; i++)
        {
            yield return i;
        }
    }

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testGenerator", "pickle.tasklet", "pickle.generator")]
    public void TestGenerator() => RunPickled(() => IterateAndSchedule(Generator(20), 13), Joined(Enumerable.Range(0, 20)));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testList", "pickle.tasklet")]
    public void TestList() => RunPickled(() => IterateAndSchedule(Enumerable.Range(0, 20).ToList(), 13), Joined(Enumerable.Range(0, 20)));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testXrange", "pickle.tasklet")]
    public void TestXrange() => RunPickled(() => CountAndSchedule(20, 13), Joined(Enumerable.Range(0, 20)));

    /// <summary>Python's <c>for i in xrange(n)</c>: in C#, a for loop (its counter is a plain local of the frame).</summary>
    private static async TaskletFrame<object?> CountAndSchedule(int n, int at)
    {
        var seen = new List<int>();
        for (var i = 0; i < n; i++)
        {
            if (i == at)
            {
                await Scheduler.ScheduleAsync();
            }

            seen.Add(i);
        }

        return string.Join(",", seen);
    }

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testXrangeExhausted", "pickle.tasklet")]
    public void TestXrangeExhausted() => RunPickled(() => CountAndSchedule(20, 19), Joined(Enumerable.Range(0, 20)));

    private static async TaskletFrame<List<int>> RecTest(int level)
    {
        if (level == 0)
        {
            await Scheduler.ScheduleAsync();
            return [0];
        }

        var inner = await RecTest(level - 1);
        inner.Add(level);
        return inner;
    }

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testRecursive", "pickle.tasklet")]
    public void TestRecursive() => RunPickled(async () => Joined(await RecTest(13)), Joined(Enumerable.Range(0, 14)));

    private static readonly Dictionary<string, int> Dict = Enumerable.Range(0, 20).ToDictionary(i => "k" + i, i => i);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testDictIterkeys", "pickle.tasklet")]
    public void TestDictIterkeys() => RunPickled(() => IterateAndSchedule(Dict.Keys, 13), Joined(Dict.Keys));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testDictItervalues", "pickle.tasklet")]
    public void TestDictItervalues() => RunPickled(() => IterateAndSchedule(Dict.Values, 13), Joined(Dict.Values));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testDictIteritems", "pickle.tasklet")]
    public void TestDictIteritems() => RunPickled(() => IterateAndSchedule(Dict, 13), Joined(Dict));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testSet", "pickle.tasklet")]
    public void TestSet() => RunPickled(() => IterateAndSchedule(new HashSet<int>(Enumerable.Range(0, 20)), 13), Joined(new HashSet<int>(Enumerable.Range(0, 20))));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testEnumerate", "pickle.tasklet")]
    public void TestEnumerate() => RunPickled(() => IterateAndSchedule(Enumerate(Enumerable.Repeat<object?>(null, 20).ToList()), 13), Joined(Enumerable.Range(0, 20).Select(i => (i, (object?)null))));

    /// <summary>
    /// Python's <c>enumerate</c>, a C iterator Stackless pickles: in C#, an iterator of the program's own (the pickler
    /// restores iterators and the BCL collections' enumerators; LINQ's <c>Select((x, i) =&gt; ...)</c> is an internal
    /// class of System.Linq, which it refuses by name).
    /// </summary>
    private static IEnumerable<(int Index, T Item)> Enumerate<T>(IEnumerable<T> items)
    {
        var index = 0;
        foreach (var item in items)
        {
            yield return (index++, item);
        }
    }

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testTuple", "pickle.tasklet")]
    public void TestTuple() => RunPickled(() => IterateArray(Enumerable.Range(0, 20).ToArray(), 13), Joined(Enumerable.Range(0, 20)));

    /// <summary>A foreach over an array, which the compiler turns into an index loop (a tuple iterator in Python).</summary>
    private static async TaskletFrame<object?> IterateArray(int[] items, int at)
    {
        var seen = new List<int>();
        var i = 0;
        foreach (var item in items)
        {
            if (i++ == at)
            {
                await Scheduler.ScheduleAsync();
            }

            seen.Add(item);
        }

        return string.Join(",", seen);
    }

    private static async IAsyncEnumerable<int> ScheduleGenerator(int n)
    {
        for (var i = 0; i < n; i++)
        {
            if (i == 13)
            {
                await Scheduler.ScheduleAsync();
            }

            yield return i;
        }
    }

    [Fact(Skip = "Cannot hold on .NET: the generator schedules while suspended, so in C# it is an async iterator (IAsyncEnumerable), and C# does not let an async iterator use a custom builder such as TaskletFrame's: its frame is the BCL's, not restorable. Iterators that do not await (yield return) pickle (TestGenerator)")]
    [StacklessTest(File, "TestPickledTasklets.testGeneratorScheduling", "pickle.tasklet", "pickle.generator", "stackless.schedule")]
    public void TestGeneratorScheduling() => RunPickled(
        async () =>
        {
            var seen = new List<int>();
            await foreach (var i in ScheduleGenerator(20))
            {
                seen.Add(i);
            }

            return Joined(seen);
        },
        Joined(Enumerable.Range(0, 20)));

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testRecursiveLambda", "pickle.tasklet")]
    public void TestRecursiveLambda() => RunPickled(
        async () =>
        {
            Func<int, TaskletFrame<int>>? recurse = null;
            recurse = async n =>
            {
                if (n == 0)
                {
                    await Scheduler.ScheduleAsync();
                    return 42;
                }

                return await recurse!(n - 1);
            };
            return await recurse(13);
        },
        42);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testRecursiveEmbedded", "pickle.tasklet")]
    public void TestRecursiveEmbedded() => RunPickled(
        async () =>
        {
            async TaskletFrame<int> Rec(int n)
            {
                if (n == 0)
                {
                    await Scheduler.ScheduleAsync();
                    return 0;
                }

                return n + await Rec(n - 1);
            }

            return await Rec(13);
        },
        Enumerable.Range(0, 14).Sum());

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCell", "pickle.tasklet")]
    public void TestCell() => RunPickled(
        async () =>
        {
            // a closure whose captured variable refers to the closure itself
            Func<TaskletFrame<string>>? self = null;
            self = async () =>
            {
                await Scheduler.ScheduleAsync();
                return self is null ? "lost" : "self";
            };
            return await self();
        },
        "self");

    // ---------------------------------------------------------------- testCtx_*: a using block (with statement)

    private enum Phase
    {
        Enter,
        Body,
        Exit,
    }

    private sealed class Context : IDisposable
    {
        public int Entered;
        public int Exited;
        public int BodyRan;
        public bool SawException;

        public void Dispose() => Exited++;
    }

    private static void CtxTest(Phase phase, int depth, bool raises) => RunPickled(
        async () =>
        {
            var ctx = new Context();
            Exception? escaped = null;
            try
            {
                if (phase == Phase.Enter)
                {
                    await RecTest(depth); // suspended while entering
                }

                ctx.Entered++;
                try
                {
                    if (phase == Phase.Body)
                    {
                        await RecTest(depth);
                    }

                    ctx.BodyRan++;
                    if (raises)
                    {
                        throw new InvalidOperationException("body");
                    }
                }
                catch (InvalidOperationException)
                {
                    ctx.SawException = true;
                    throw;
                }
                finally
                {
                    if (phase == Phase.Exit)
                    {
                        await RecTest(depth); // suspended while exiting
                    }

                    ctx.Dispose();
                }
            }
            catch (InvalidOperationException e)
            {
                escaped = e;
            }

            return $"{ctx.Entered}/{ctx.BodyRan}/{ctx.Exited}/{ctx.SawException}/{escaped?.Message}";
        },
        $"1/1/1/{raises}/{(raises ? "body" : null)}");

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_enter_0", "pickle.tasklet")]
    public void TestCtx_enter_0() => CtxTest(Phase.Enter, 0, raises: false);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_enter_1", "pickle.tasklet")]
    public void TestCtx_enter_1() => CtxTest(Phase.Enter, 1, raises: false);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_enter_2", "pickle.tasklet")]
    public void TestCtx_enter_2() => CtxTest(Phase.Enter, 2, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_enter_3", "pickle.tasklet")]
    public void TestCtx_enter_3() => CtxTest(Phase.Enter, 1, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_0", "pickle.tasklet")]
    public void TestCtx_body_0() => CtxTest(Phase.Body, 0, raises: false);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_1", "pickle.tasklet")]
    public void TestCtx_body_1() => CtxTest(Phase.Body, 1, raises: false);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_2", "pickle.tasklet")]
    public void TestCtx_body_2() => CtxTest(Phase.Body, 2, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_3", "pickle.tasklet")]
    public void TestCtx_body_3() => CtxTest(Phase.Body, 1, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_4", "pickle.tasklet")]
    public void TestCtx_body_4() => CtxTest(Phase.Body, 2, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_5", "pickle.tasklet")]
    public void TestCtx_body_5() => CtxTest(Phase.Body, 1, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_6", "pickle.tasklet")]
    public void TestCtx_body_6() => CtxTest(Phase.Body, 0, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_body_7", "pickle.tasklet")]
    public void TestCtx_body_7() => CtxTest(Phase.Body, 0, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_exit_0", "pickle.tasklet")]
    public void TestCtx_exit_0() => CtxTest(Phase.Exit, 0, raises: false);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_exit_1", "pickle.tasklet")]
    public void TestCtx_exit_1() => CtxTest(Phase.Exit, 1, raises: false);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_exit_2", "pickle.tasklet")]
    public void TestCtx_exit_2() => CtxTest(Phase.Exit, 2, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_exit_3", "pickle.tasklet")]
    public void TestCtx_exit_3() => CtxTest(Phase.Exit, 0, raises: true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testCtx_exit_4", "pickle.tasklet")]
    public void TestCtx_exit_4() => CtxTest(Phase.Exit, 1, raises: true);

    private sealed class Started
    {
        public bool IsStarted;

        public static async TaskletFrame<Started> CreateAsync()
        {
            var result = new Started();
            await Scheduler.ScheduleAsync(); // suspended while constructing
            result.IsStarted = true;
            return result;
        }
    }

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.test__init__", "pickle.tasklet")]
    public void Test__init__() => RunPickled(async () => (await Started.CreateAsync()).IsStarted, true);

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testGarbageCollection", "pickle.tasklet", "channel.receive", "channel.__reduce__", "channel.__setstate__")]
    public void TestGarbageCollection() => Isolated.Run(() =>
    {
        var c = new Channel();
        var t = Tasklet.SpawnFrame(async () => await c.ReceiveAsync());
        t.Run();
        Assert.True(t.Blocked);

        // unpickle without keeping a reference, then collect: must not crash
        Pickling.RoundTrip(t);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        t.Kill();
        foreach (var leftover in Scheduler.AliveTasklets().Where(x => !x.IsMain))
        {
            leftover.Kill(); // the copy waits on its own copy of c
        }
    });

    [Fact]
    [StacklessTest(File, "TestPickledTasklets.testSendSequence", "pickle.tasklet", "channel.send_sequence")]
    public void TestSendSequence() => Isolated.Run(() =>
    {
        var c = new Channel<int>();
        var t = Tasklet.SpawnFrame(async () => await c.SendSequenceAsync([1, 2, 3, 4])); // SendSequenceAsync is a TaskletFrame method
        t.Run();
        Assert.True(t.Blocked);

        // a tasklet blocked inside send_sequence can be pickled (Persistence/LibraryFrameTests runs the copy)
        var copy = Pickling.RoundTrip(t);
        Assert.NotNull(copy);
        Assert.Equal([1, 2, 3, 4], new[] { c.Receive(), c.Receive(), c.Receive(), c.Receive() });
        Scheduler.Run();
        copy.Kill(); // it waits in its own copy of c
    });

    // ---------------------------------------------------------------- TestDictViewPickling

    /// <summary>Holds a dictionary view across a suspension and reports its elements.</summary>
    private static async TaskletFrame<object?> HoldView<T>(IEnumerable<T> view)
    {
        await Scheduler.ScheduleAsync();
        return Joined(view);
    }

    /// <summary>Stackless pickles the view itself; a C# pickle's roots are tasklets, so a tasklet holds the view.</summary>
    private static void ViewPickling<T>(IEnumerable<T> view) => RunPickled(() => HoldView(view), Joined(view));

    private static Dictionary<int, int> OneEntry() => new() { [1] = 2 };

    [Fact]
    [StacklessTest(File, "TestDictViewPickling.testDictKeyViewPickling", "pickle.tasklet")]
    public void TestDictKeyViewPickling() => ViewPickling(OneEntry().Keys);

    [Fact]
    [StacklessTest(File, "TestDictViewPickling.testDictItemViewPickling", "pickle.tasklet")]
    public void TestDictItemViewPickling() => ViewPickling(OneEntry()); // a Dictionary is its own items view (KeyValuePair)

    [Fact]
    [StacklessTest(File, "TestDictViewPickling.testDictValueViewPickling", "pickle.tasklet")]
    public void TestDictValueViewPickling() => ViewPickling(OneEntry().Values);
}

/// <summary>Stackless's <c>pickle.loads(pickle.dumps(t))</c>: a copy of a suspended tasklet, not scheduled.</summary>
internal static class Pickling
{
    /// <summary>Pickles <paramref name="tasklet"/> and loads the copy, allowing this test assembly's frames.</summary>
    public static Tasklet RoundTrip(Tasklet tasklet) => Tasklet.Load(tasklet.Dump(), new PickleOptions().AllowAssemblyOf<PickleTests>());
}
