using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>Port of stackless_testsuite/v3_1/test_functionality.py.</summary>
public class ModuleFunctionalityTests
{
    [Fact]
    [StacklessTest(ModuleFunctionality, "AtomicTest.testAtomicCtxt", "stackless.atomic", "tasklet.atomic", "tasklet.set_atomic", "stackless.getcurrent")]
    public void TestAtomicCtxt() => Isolated.Run(() =>
    {
        var old = Scheduler.Current.SetAtomic(false);
        try
        {
            using (Scheduler.Atomic())
            {
                Assert.True(Scheduler.Current.Atomic);
            }

            Assert.False(Scheduler.Current.Atomic);
        }
        finally
        {
            Scheduler.Current.SetAtomic(old);
        }
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "AtomicTest.testAtomicNopCtxt", "stackless.atomic", "tasklet.atomic", "tasklet.set_atomic", "stackless.getcurrent")]
    public void TestAtomicNopCtxt() => Isolated.Run(() =>
    {
        var old = Scheduler.Current.SetAtomic(true);
        try
        {
            using (Scheduler.Atomic())
            {
                Assert.True(Scheduler.Current.Atomic);
            }

            Assert.True(Scheduler.Current.Atomic);
        }
        finally
        {
            Scheduler.Current.SetAtomic(old);
        }
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testSig_run", "stackless.run")]
    public void TestSig_run() => Isolated.Run(() =>
    {
        // Portable core: run() with an empty run queue returns at once (the keyword signature is Python-only).
        Scheduler.Run();
        Scheduler.Run();
        Assert.Equal(1, Scheduler.RunCount);
        Assert.True(Scheduler.Current.IsMain);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testSig_schedule", "stackless.schedule", "stackless.current", "stackless.run", "tasklet.kill")]
    public void TestSig_schedule() => Isolated.Run(() =>
    {
        // schedule(retval=stackless.current): C# has no default that is the caller, so the default is passed explicitly;
        // the parameterless ScheduleAsync() returns nothing.
        var done = new List<bool>();
        var t = Tasklet.Spawn(async () =>
        {
            Assert.Same(Scheduler.Current, await Scheduler.ScheduleAsync(Scheduler.Current));
            var o = new object();
            Assert.Same(o, await Scheduler.ScheduleAsync(o));
            done.Add(true);
        });
        Scheduler.Run();
        t.Kill();
        Assert.Equal([true], done);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testSig_schedule_remove", "stackless.schedule_remove", "stackless.current", "tasklet.insert", "stackless.schedule", "stackless.run", "tasklet.alive")]
    public void TestSig_schedule_remove() => Isolated.Run(() =>
    {
        var done = new List<bool>();
        var t = Tasklet.Spawn(async () =>
        {
            var tlet = Scheduler.Current;
            Assert.Same(tlet, await Scheduler.ScheduleRemoveAsync(tlet));
            var o = new object();
            Assert.Same(o, await Scheduler.ScheduleRemoveAsync(o));
            done.Add(true);
        });
        var t2 = Tasklet.Spawn(async () =>
        {
            while (t.Alive)
            {
                t.Insert();
                await Scheduler.ScheduleAsync();
            }
        });
        Scheduler.Run();
        t.Kill();
        t2.Kill();
        Assert.Equal([true], done);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testMain", "stackless.main", "stackless.getmain", "tasklet")]
    public void TestMain() => Isolated.Run(() =>
    {
        Assert.Same(Scheduler.Main, Tasklet.Main);
        Assert.True(Scheduler.Main.IsMain);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testCurrent", "stackless.current", "stackless.getcurrent", "tasklet")]
    public void TestCurrent() => Isolated.Run(() =>
    {
        Assert.Same(Scheduler.Current, Tasklet.Current);
        Assert.True(Scheduler.Current.IsCurrent);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testCurrent2", "stackless.current", "tasklet", "tasklet.bind", "tasklet.run")]
    public void TestCurrent2() => Isolated.Run(() =>
    {
        var current = new List<Tasklet>();
        var task = Paused(() =>
        {
            current.Add(Tasklet.Current);
            return Task.CompletedTask;
        });
        task.Run();
        Assert.Same(task, current[0]);
        Assert.NotSame(task, Tasklet.Current);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testMainIsCurrentInThread", "stackless.main", "stackless.current")]
    public void TestMainIsCurrentInThread() => Isolated.Run(() =>
    {
        bool? same = null;
        var thread = new Thread(() => same = ReferenceEquals(Scheduler.Main, Scheduler.Current));
        thread.Start();
        thread.Join();
        Assert.True(same);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testMainIsCurrentInMainThread", "stackless.main", "stackless.current")]
    public void TestMainIsCurrentInMainThread() =>
        // A fresh scheduler (Isolated's new thread) stands in for a new interpreter process.
        Isolated.Run(() => Assert.Same(Scheduler.Main, Scheduler.Current));

    [Fact]
    [StacklessTest(ModuleFunctionality, "OtherTestCases.testRuncount", "stackless.runcount", "stackless.getruncount", "tasklet", "tasklet.run")]
    public void TestRuncount() => Isolated.Run(() =>
    {
        var rc1 = Scheduler.RunCount;
        Assert.True(rc1 >= 1);
        var c = new List<int>();
        var tlet = Tasklet.Spawn(() =>
        {
            c.Add(Scheduler.RunCount);
            c.Add(Scheduler.RunCount);
            return Task.CompletedTask;
        });
        Assert.Equal(rc1 + 1, Scheduler.RunCount);

        var thread = new Thread(() =>
        {
            c.Add(Scheduler.RunCount);
            c.Add(Scheduler.RunCount);
        });
        thread.Start();
        thread.Join();
        Assert.Equal([1, 1], c);

        tlet.Run();
        Assert.Equal([1, 1, rc1 + 1, rc1 + 1], c);
        Assert.Equal(rc1, Scheduler.RunCount);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "GetThreadInfoTest.testWithTasklets", "stackless.get_thread_info", "stackless.main", "tasklet.bind", "tasklet.run")]
    public void TestWithTasklets() => Isolated.Run(() =>
    {
        var threadId = Environment.CurrentManagedThreadId;
        ThreadInfo? info = null;
        var task = Paused(() =>
        {
            info = Scheduler.GetThreadInfo(threadId);
            return Task.CompletedTask;
        });
        task.Run();
        Assert.NotNull(info);
        Assert.Same(Scheduler.Main, info.Value.Main);
        Assert.Same(task, info.Value.Current);
        Assert.Equal(2, info.Value.RunCount);
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "GetThreadInfoTest.testAllThreads", "stackless.get_thread_info")]
    public void TestAllThreads() => Isolated.Run(() =>
    {
        // Python checks every thread of the process, all idle: (main, main, 1). Here the test's own threads are the
        // idle ones (other tests run in parallel on theirs): this one and a thread lingering after it used the API.
        _ = Scheduler.RunCount; // this thread has its scheduler (a Python thread always has its thread state)
        using var lingering = new LingeringThread();
        var ours = new[] { Environment.CurrentManagedThreadId, lingering.ThreadId };
        Assert.Subset(Scheduler.Threads.ToHashSet(), ours.ToHashSet());
        foreach (var threadId in ours)
        {
            var info = Scheduler.GetThreadInfo(threadId);
            Assert.True(info.Main.IsMain);
            Assert.Same(info.Main, info.Current);
            Assert.Equal(1, info.RunCount);
        }
    });

    [Fact]
    [StacklessTest(ModuleFunctionality, "GetThreadInfoTest.testThreads_main", "stackless.threads")]
    public void TestThreads_main() => Isolated.Run(() =>
    {
        // Stackless lists the interpreter's main thread first and exactly the threads of the process. Here the list
        // holds the threads that have a scheduler, oldest first: the test's thread, then a thread started after it.
        var me = Environment.CurrentManagedThreadId;
        _ = Scheduler.RunCount; // this thread has its scheduler
        int other;
        using (var lingering = new LingeringThread())
        {
            other = lingering.ThreadId;
            var threads = Scheduler.Threads;
            Assert.True(threads.Count >= 2);
            Assert.Equal(threads.Count, threads.Distinct().Count());
            Assert.Contains(me, threads);
            Assert.Contains(other, threads);
            Assert.True(threads.ToList().IndexOf(me) < threads.ToList().IndexOf(other), "the oldest thread comes first");
        }

        Assert.DoesNotContain(other, Scheduler.Threads);
        Assert.Contains(me, Scheduler.Threads);
    });

    /// <summary>The test suite's idle thread: it uses the scheduler once, then lingers until disposed.</summary>
    private sealed class LingeringThread : IDisposable
    {
        private readonly ManualResetEventSlim _shutdown = new();
        private readonly Thread _thread;

        public LingeringThread()
        {
            using var ready = new ManualResetEventSlim();
            _thread = new Thread(() =>
            {
                ThreadId = Tasklet.Current.ThreadId;
                ready.Set();
                _shutdown.Wait();
            })
            { IsBackground = true, Name = "lingering thread" };
            _thread.Start();
            ready.Wait();
        }

        public int ThreadId { get; private set; }

        public void Dispose()
        {
            _shutdown.Set();
            Assert.True(_thread.Join(Stress.HangGuard));
            _shutdown.Dispose();
        }
    }
}
