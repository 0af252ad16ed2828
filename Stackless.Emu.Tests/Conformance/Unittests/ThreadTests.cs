using System.Collections.Concurrent;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_thread.py: tasklets of other threads. Remote run/insert/remove are posted to the
/// tasklet's own scheduler (a <see cref="SchedulerThread"/> here); bind_thread and tasklets of dead threads cannot be
/// emulated, as every tasklet stays on the thread that created it: those tests are written against the intended
/// behaviour and skipped.
/// </summary>
public class ThreadTests
{
    private const string File = "Stackless/unittests/test_thread.py";
    private const string BindThread = "Cannot hold: tasklets are bound to their creating thread's scheduler for life; the emulation has no bind_thread (a soft tasklet's continuations and a hard tasklet's OS thread belong to that scheduler)";
    private const string DeadThread = "Cannot hold: a tasklet keeps its thread id and scheduler after its thread ends (Stackless: thread_id becomes -1 and the thread's end kills its tasklets); the end of a plain thread neither kills nor strands its tasklets in the emulation, only SchedulerThread.Join kills the leftovers";
    private const string MoveByPickling = "Cannot hold: moves a paused tasklet to this thread through __reduce__/bind(None)/__setstate__; the emulation has neither tasklet pickling nor a way to rebind a tasklet to another thread's scheduler";
    private const string SetupOtherThread = "Cannot hold: Setup() of another thread's tasklet raises \"cannot setup or insert a tasklet of another thread\" in the emulation, where Stackless (issue #60) sets it up in the tasklet's own thread";

    /// <summary>A thread with its own scheduler that runs its runnables until stopped (Stackless's scheduling threads).</summary>
    private sealed class SchedulingThread : IDisposable
    {
        private readonly BlockingCollection<Action> _work = [];
        private readonly Thread _thread;
        private volatile bool _stop;

        public SchedulingThread()
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = "scheduling thread" };
            _thread.Start();
        }

        public int ThreadId { get; private set; }

        /// <summary>Runs <paramref name="action"/> on the thread's main tasklet and waits for it.</summary>
        public T Invoke<T>(Func<T> action)
        {
            T result = default!;
            using var done = new ManualResetEventSlim();
            _work.Add(() =>
            {
                result = action();
                done.Set();
            });
            Assert.True(done.Wait(Stress.HangGuard), "the scheduling thread did not respond");
            return result;
        }

        public void Dispose()
        {
            _stop = true;
            _work.CompleteAdding();
            _thread.Join(Stress.HangGuard);
            _work.Dispose();
        }

        private void Loop()
        {
            ThreadId = Tasklet.Current.ThreadId;
            while (!_stop)
            {
                if (_work.TryTake(out var action, 1))
                {
                    action();
                }

                Scheduler.Run();
            }
        }
    }

    /// <summary>Creates a tasklet on a short-lived thread, which ends afterwards.</summary>
    private static Tasklet FromDeadThread(Func<Task> body, Action<Tasklet>? prepare = null)
    {
        Tasklet? tasklet = null;
        var thread = new Thread(() =>
        {
            tasklet = Tasklet.Spawn(body);
            prepare?.Invoke(tasklet);
        })
        { IsBackground = true };
        thread.Start();
        thread.Join();
        return tasklet!;
    }

    // ---------------------------------------------------------------- TestRemoteSchedule

    [Fact]
    [StacklessTest(File, "TestRemoteSchedule.testFoo", "tasklet.run")]
    public void TestFoo() => RemoteThreads.AsTasklet(async () =>
    {
        var ran = false;
        var (tasklets, thread) = await RemoteThreads.GetRemoteTaskletsAsync(() => ran = true);
        try
        {
            await tasklets[0].RunAsync(); // runs the paused remote tasklet in its own thread; the caller goes on
        }
        finally
        {
            thread.JoinWithin();
        }

        Assert.True(ran);
        Assert.False(tasklets[0].Alive);
    });

    [Fact]
    [StacklessTest(File, "TestRemoteSchedule.testRun", "tasklet.run")]
    public void TestRun() => RemoteThreads.AsTasklet(async () =>
    {
        var events = new List<int>();
        var (tasklets, thread) = await RemoteThreads.GetRemoteTaskletsAsync(() => events.Add(0));
        try
        {
            await tasklets[0].RunAsync();
        }
        finally
        {
            thread.JoinWithin();
        }

        Assert.Equal(Enumerable.Range(0, events.Count), events);
        Assert.Equal([0], events);
    });

    [Fact]
    [StacklessTest(File, "TestRemoteSchedule.testInsert", "tasklet.insert")]
    public void TestInsert() => RemoteThreads.AsTasklet(async () =>
    {
        var ranOn = new List<int>();
        var (tasklets, thread) = await RemoteThreads.GetRemoteTaskletsAsync(() => ranOn.Add(Tasklet.Current.ThreadId));
        try
        {
            tasklets[0].Insert();
        }
        finally
        {
            thread.JoinWithin();
        }

        Assert.Equal([thread.ThreadId], ranOn);
    });

    [Fact(Skip = "Cannot hold: Stackless.atomic holds the GIL, so the other thread cannot run between the caller's insert() calls and run(); here threads run in parallel and an atomic block only binds its own thread, so the remote thread may run the first inserted tasklet before run() makes another one next (remote Run() does make its tasklet run next)")]
    [StacklessTest(File, "TestRemoteSchedule.testRunOrder", "tasklet.insert", "tasklet.run", "stackless.atomic")]
    public void TestRunOrder() => RemoteThreads.AsTasklet(async () =>
    {
        var events = new List<int>();
        var (tasklets, thread) = await RemoteThreads.GetRemoteTaskletsAsync(() => events.Add(0), () => events.Add(1), () => events.Add(2));
        try
        {
            using (Scheduler.Atomic())
            {
                tasklets[1].Insert();
                tasklets[2].Insert();
                await tasklets[0].RunAsync(); // t1 should run first
            }
        }
        finally
        {
            thread.JoinWithin();
        }

        Assert.Equal([0, 1, 2], events);
    });

    // ---------------------------------------------------------------- TestRebindCrash

    [Fact(Skip = MoveByPickling)]
    [StacklessTest(File, "TestRebindCrash.test_crash", "tasklet.bind", "pickle.tasklet")]
    public void Test_crash() => Isolated.Run(() =>
    {
        // Stackless moves a paused tasklet of another thread here via __reduce__, bind(None) and __setstate__.
        // Intended: var state = t.Dump(); t.Bind(null); var copy = Tasklet.Load(state); copy.Run();
        using var remote = new SchedulingThread();
        var ran = 0;
        var t = remote.Invoke(() => new Tasklet(() =>
        {
            ran = Tasklet.Current.ThreadId;
            return Task.CompletedTask;
        }).Setup().Remove());
        t.Remove();
        t.Bind(null);
        Assert.False(t.Alive);
        Assert.Equal(0, ran);
    });

    [Fact]
    [StacklessTest(File, "TestRebindCrash.test_no_rebind", "tasklet.run", "tasklet.thread_id")]
    public void Test_no_rebind() => Isolated.Run(() =>
    {
        var result = -1;
        using var e = new ManualResetEventSlim();
        using var remote = new SchedulerThread("remote");
        var task = remote.SpawnAsync(async () =>
        {
            await Scheduler.ScheduleRemoveAsync();
            result = Environment.CurrentManagedThreadId; // the job
            e.Set();
        }).Result;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => task.Paused, RemoteThreads.Timeout));
            task.Run();
            Assert.True(e.Wait(RemoteThreads.Timeout));
            Assert.NotEqual(Environment.CurrentManagedThreadId, result);
        }
        finally
        {
            remote.JoinWithin();
        }
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "TestRebindCrash.test_rebind", "tasklet.bind_thread", "tasklet.thread_id")]
    public void Test_rebind() => Isolated.Run(() =>
    {
        // Intended: t.BindThread(); t.Run(); the tasklet continues on this thread.
        using var remote = new SchedulingThread();
        var ranOn = 0;
        var t = remote.Invoke(() => new Tasklet(() =>
        {
            ranOn = Tasklet.Current.ThreadId;
            return Task.CompletedTask;
        }).Setup().Remove());
        Assert.Equal(remote.ThreadId, t.ThreadId);
        t.Run();
        Assert.Equal(Tasklet.Current.ThreadId, ranOn);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "TestRebindCrash.test_rebind_nontrivial", "tasklet.bind_thread")]
    public void Test_rebind_nontrivial() => Isolated.Run(() =>
    {
        // A hard tasklet has "C state": bind_thread must refuse it. Intended: t.BindThread() throws "C state".
        using var remote = new SchedulingThread();
        var t = remote.Invoke(() => Tasklet.SpawnHard(Scheduler.ScheduleRemove));
        SpinWait.SpinUntil(() => t.Paused, Stress.HangGuard);
        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.Bind(null));
        Assert.Contains("C state", error.Message, StringComparison.Ordinal);
    });

    // ---------------------------------------------------------------- TestRemove

    [Fact]
    [StacklessTest(File, "TestRemove.test_remove_balance", "tasklet.remove", "stackless.getruncount")]
    public void Test_remove_balance() => Isolated.Run(() =>
    {
        var before = Scheduler.RunCount;
        using var thread = new LingeringThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        Assert.Equal(before, Scheduler.RunCount);
        thread.Tasklet.Remove();

        // only the runnable count on the remote thread should change
        Assert.Equal(before, Scheduler.RunCount);
    });

    [Fact]
    [StacklessTest(File, "TestRemove.test_insert_balance", "tasklet.insert", "stackless.getruncount")]
    public void Test_insert_balance() => Isolated.Run(() =>
    {
        using var thread = new LingeringThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        thread.Tasklet.Remove();
        var before = Scheduler.RunCount;
        thread.Tasklet.Insert();

        // only the runnable count on the remote thread should change
        Assert.Equal(before, Scheduler.RunCount);
    });

    // ---------------------------------------------------------------- DeadThreadTest

    [Fact(Skip = DeadThread)]
    [StacklessTest(File, "DeadThreadTest.test_tasklet_from_dead_thread", "tasklet.alive")]
    public void Test_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        var t = FromDeadThread(() => Task.CompletedTask);
        Assert.False(t.Alive); // a scheduled tasklet of an ended thread is killed
    });

    [Fact(Skip = DeadThread)]
    [StacklessTest(File, "DeadThreadTest.test_removed_tasklet_from_dead_thread", "tasklet.alive", "tasklet.remove")]
    public void Test_removed_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        var t = FromDeadThread(() => Task.CompletedTask, t => t.Remove());
        Assert.False(t.Alive);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "DeadThreadTest.test_rebound_tasklet_from_dead_thread", "tasklet.bind_thread", "tasklet.run")]
    public void Test_rebound_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        // Intended: the other thread removes the tasklet and calls t.BindThread(mainThreadId) before ending.
        var ran = false;
        var t = FromDeadThread(
            () =>
            {
                ran = true;
                return Task.CompletedTask;
            },
            t => t.Remove());
        Assert.True(t.Alive);
        t.Run();
        Assert.True(ran);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "DeadThreadTest.test_bind_runnable", "tasklet.bind_thread")]
    public void Test_bind_runnable() => Isolated.Run(() =>
    {
        // Intended: t.BindThread() on a runnable tasklet of another thread throws "can't (re)bind a runnable tasklet".
        using var remote = new SchedulingThread();
        var t = remote.Invoke(() => new Tasklet(() => Task.CompletedTask).Setup());
        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.Bind(null));
        Assert.Contains("runnable", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_death", "tasklet.thread_id")]
    public void Test_death() => Isolated.Run(() =>
    {
        Tasklet? t = null;
        using (var remote = new SchedulingThread())
        {
            t = remote.Invoke(() => new Tasklet(() => Task.CompletedTask));
            Assert.NotEqual(-1, t.ThreadId);
        }

        Assert.Equal(-1, t.ThreadId);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "DeadThreadTest.test_rebind_from_dead", "tasklet.bind_thread", "tasklet.thread_id")]
    public void Test_rebind_from_dead() => Isolated.Run(() =>
    {
        // Intended: t.BindThread() gives a fresh tasklet of a dead thread to this thread.
        var t = FromDeadThread(() => Task.CompletedTask, t => t.Remove().Bind(null));
        Assert.Equal(-1, t.ThreadId);
        t.Bind(() => Task.CompletedTask);
        Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
    });

    [Fact(Skip = DeadThread)]
    [StacklessTest(File, "DeadThreadTest.test_rebind_from_dead_fail_cstate", "tasklet.bind_thread", "tasklet.thread_id", "tasklet.restorable")]
    public void Test_rebind_from_dead_fail_cstate() => Isolated.Run(() =>
    {
        Tasklet? t = null;
        var thread = new Thread(() =>
        {
            t = Tasklet.SpawnHard(() => Tasklet.Main.Switch());
            t.Run();
        })
        { IsBackground = true };
        thread.Start();
        thread.Join();
        Assert.Equal(-1, t!.ThreadId);
        Assert.False(t.Alive);
        Assert.False(t.Restorable);

        // Intended: t.BindThread() throws "tasklet has C state on its stack" and thread_id stays -1.
        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.Bind(null));
        Assert.Contains("tasklet has C state on its stack", error.Message, StringComparison.Ordinal);
        Assert.Equal(-1, t.ThreadId);
    });

    [Fact(Skip = DeadThread)]
    [StacklessTest(File, "DeadThreadTest.test_methods_on_dead", "tasklet.alive", "tasklet.bind", "tasklet.remove", "tasklet.setup", "tasklet.insert", "tasklet.run", "tasklet.switch", "tasklet.throw")]
    public void Test_methods_on_dead() => Isolated.Run(() =>
    {
        var t = FromDeadThread(async () => await Scheduler.ScheduleRemoveAsync(), t => t.Run());
        Assert.False(t.Alive);
        Assert.False(t.Blocked);
        Assert.False(t.Scheduled);
        Assert.False(t.Paused);
        Assert.False(t.Atomic);
        Assert.False(t.IsCurrent);
        Assert.False(t.IsMain);
        Assert.Null(t.Next);
        Assert.Null(t.Prev);
        t.Bind(null);
        t.Remove();
        t.Bind(() => Task.CompletedTask);
        Assert.ThrowsAny<InvalidOperationException>(() => t.Setup());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Insert());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Run());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Switch());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Throw(new IndexOutOfRangeException()));
    });

    // ---------------------------------------------------------------- BindThreadTest

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "BindThreadTest.testForeignThread_scheduled", "tasklet.bind_thread", "tasklet.thread_id", "tasklet.remove", "tasklet.insert", "stackless.run")]
    public void TestForeignThread_scheduled() => Isolated.Run(() =>
    {
        using var remote = new SchedulingThread();
        var ran = false;
        var t = remote.Invoke(() =>
        {
            using (Scheduler.Atomic())
            {
                return new Tasklet(() =>
                {
                    ran = true;
                    return Task.CompletedTask;
                }).Setup().Remove();
            }
        });
        Assert.Equal(remote.ThreadId, t.ThreadId);
        Assert.True(t.Paused);

        // Intended: t.BindThread(); Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
        Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
        Assert.True(t.Alive);
        t.Insert();
        Assert.False(t.Paused);
        Scheduler.Run();
        Assert.True(ran);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "BindThreadTest.test_bind_to_current_tid", "tasklet.bind_thread", "tasklet.run")]
    public void Test_bind_to_current_tid() => Isolated.Run(() =>
    {
        using var remote = new SchedulingThread();
        var ran = false;
        var t = remote.Invoke(() => new Tasklet(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }).Setup().Remove());

        // Intended: t.BindThread(Tasklet.Current.ThreadId);
        Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
        t.Run();
        Assert.True(ran);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "BindThreadTest.test_bind_to_bogus_tid", "tasklet.bind_thread")]
    public void Test_bind_to_bogus_tid() => Isolated.Run(() =>
    {
        // Intended: Assert.Throws<ArgumentException>(() => t.BindThread(-2)); t.BindThread(current id); t.Run();
        var ran = false;
        var t = FromDeadThread(
            () =>
            {
                ran = true;
                return Task.CompletedTask;
            },
            t => t.Remove());
        Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
        t.Run();
        Assert.True(ran);
    });

    // ---------------------------------------------------------------- SchedulingBindThreadTests

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "SchedulingBindThreadTests.test_bind_to_other_tid", "tasklet.bind_thread", "channel.send", "channel.receive")]
    public void Test_bind_to_other_tid() => Isolated.Run(() =>
    {
        using var a = new SchedulingThread();
        using var b = new SchedulingThread();
        var c = new Channel();
        var ranOn = 0;
        var t = a.Invoke(() => Tasklet.Spawn(async () =>
        {
            await c.ReceiveAsync();
            ranOn = Tasklet.Current.ThreadId;
            await c.SendAsync(null);
        }));
        SpinWait.SpinUntil(() => t.Blocked, Stress.HangGuard);

        // Intended: t.BindThread(b.ThreadId);
        c.Send(null);
        c.Receive();
        Assert.Equal(b.ThreadId, ranOn);
    });

    [Fact(Skip = BindThread)]
    [StacklessTest(File, "SchedulingBindThreadTests.test_rebind_runnable", "tasklet.bind_thread")]
    public void Test_rebind_runnable() => Isolated.Run(() =>
    {
        using var a = new SchedulingThread();
        var stop = false;
        var t = a.Invoke(() => Tasklet.Spawn(async () =>
        {
            while (!Volatile.Read(ref stop))
            {
                await Scheduler.ScheduleAsync();
            }
        }));

        // Intended: t.BindThread() throws "can't (re)bind a runnable tasklet".
        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.Bind(null));
        Assert.Contains("runnable", error.Message, StringComparison.Ordinal);
        Volatile.Write(ref stop, true);
    });

    // ---------------------------------------------------------------- SwitchTest / SetupFromDifferentThreadTest

    [Fact]
    [StacklessTest(File, "SwitchTest.test_switch", "tasklet.switch")]
    public void Test_switch() => Isolated.Run(() =>
    {
        var executed = false;
        using var remote = new SchedulerThread("scheduling thread");
        var t = remote.SpawnAsync(async () =>
        {
            await Scheduler.ScheduleRemoveAsync(); // pause it
            executed = true;
        }).Result;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => t.Paused, RemoteThreads.Timeout));
            var error = Assert.ThrowsAny<InvalidOperationException>(t.Switch);
            Assert.Contains("different thread", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            remote.JoinWithin(); // kills the paused tasklet
        }

        Assert.False(executed);
        Assert.False(t.Alive);
    });

    [Fact(Skip = SetupOtherThread)]
    [StacklessTest(File, "SetupFromDifferentThreadTest.test_setup_from_other_thread", "tasklet.setup")]
    public void Test_setup_from_other_thread() => Isolated.Run(() =>
    {
        var ran = false;
        Tasklet? t = null;
        var thread = new Thread(() => t = new Tasklet(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }))
        { IsBackground = true };
        thread.Start();
        thread.Join();
        t!.Setup();
        Scheduler.Run();
        Assert.True(ran);
    });
}
