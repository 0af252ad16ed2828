using System.Collections.Concurrent;
using Stackless.Emu.Tests.Conformance.TestSuite;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_thread.py: tasklets of other threads. Remote run/insert/remove/setup/bind take effect
/// at once while the tasklet's thread waits (Python: it released the GIL) and are performed by that thread otherwise;
/// bind_thread moves a tasklet that is not runnable; a tasklet whose thread has ended is not alive and has thread id -1.
/// </summary>
public class ThreadTests
{
    private const string File = "Stackless/unittests/test_thread.py";

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
                // Python's time.sleep releases the GIL: other threads change this thread's tasklets meanwhile.
                Action? action = null;
                Scheduler.ParkThread(() => _work.TryTake(out action, 1));
                action?.Invoke();
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

    [Fact] // the remote operations of an atomic block take effect together, as under Stackless's GIL
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

    [Fact]
    [StacklessTest(File, "TestRebindCrash.test_crash", "tasklet.bind", "pickle.tasklet")]
    public void Test_crash() => Isolated.Run(() =>
    {
        // Stackless moves a paused tasklet of another thread here through __reduce__, bind(None) and __setstate__.
        using var remote = new SchedulingThread();
        s_crashRanOn = 0;
        var t = remote.Invoke(() =>
        {
            var t = Tasklet.SpawnFrame(RecordThreadAfterRemove);
            t.Run();
            return t;
        });
        Assert.True(SpinWait.SpinUntil(() => t.Paused, Stress.HangGuard));
        var state = remote.Invoke(() => t.Dump()); // the emulation pickles a tasklet on its own thread
        t.Bind(null); // unbinding another thread's paused tasklet: performed by that thread
        Assert.False(t.Alive);
        var copy = Tasklet.Load(state, new PickleOptions().AllowAssemblyOf<ThreadTests>());
        copy.Run();
        Assert.Equal(Tasklet.Current.ThreadId, s_crashRanOn);
        Assert.False(copy.Alive);
    });

    private static int s_crashRanOn;

    /// <summary>test_crash's taskletfunc: pauses itself (schedule_remove), then records the thread it runs on.</summary>
    private static async TaskletFrame RecordThreadAfterRemove()
    {
        await Scheduler.ScheduleRemoveAsync();
        s_crashRanOn = Tasklet.Current.ThreadId;
    }

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
            Assert.True(SpinWait.SpinUntil(() => task.Paused, Stress.HangGuard));
            task.Run();
            Assert.True(e.Wait(Stress.HangGuard));
            Assert.NotEqual(Environment.CurrentManagedThreadId, result);
        }
        finally
        {
            remote.JoinWithin();
        }
    });

    [Fact]
    [StacklessTest(File, "TestRebindCrash.test_rebind", "tasklet.bind_thread", "tasklet.thread_id")]
    public void Test_rebind() => Isolated.Run(() =>
    {
        using var remote = new SchedulingThread();
        var ranOn = 0;
        var t = remote.Invoke(() =>
        {
            var t = Tasklet.Spawn(async () =>
            {
                await Scheduler.ScheduleRemoveAsync();
                ranOn = Tasklet.Current.ThreadId; // the job
            });
            t.Run();
            return t;
        });
        Assert.True(SpinWait.SpinUntil(() => t.Paused, Stress.HangGuard));
        t.BindThread();
        t.Run();
        Assert.Equal(Tasklet.Current.ThreadId, ranOn);
    });

    [Fact]
    [StacklessTest(File, "TestRebindCrash.test_rebind_nontrivial", "tasklet.bind_thread")]
    public void Test_rebind_nontrivial() => Isolated.Run(() =>
    {
        // A hard tasklet has "C state": bind_thread refuses it.
        using var remote = new SchedulingThread();
        var t = remote.Invoke(() => Tasklet.SpawnHard(Scheduler.ScheduleRemove));
        Assert.True(SpinWait.SpinUntil(() => t.Paused, Stress.HangGuard));
        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.BindThread());
        Assert.Contains("C state", error.Message, StringComparison.Ordinal);
        remote.Invoke(() =>
        {
            t.Kill();
            return true;
        });
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

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_tasklet_from_dead_thread", "tasklet.alive")]
    public void Test_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        var t = thread.Tasklet;
        Assert.True(t.Alive);
        thread.Join();
        Assert.False(t.Alive); // its thread has ended: a soft tasklet simply stops
    });

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_removed_tasklet_from_dead_thread", "tasklet.alive", "tasklet.remove")]
    public void Test_removed_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        var t = thread.Tasklet;
        Assert.True(t.Scheduled);
        t.Remove();
        Assert.False(t.Scheduled);
        thread.Join();
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_rebound_tasklet_from_dead_thread", "tasklet.bind_thread", "tasklet.run")]
    public void Test_rebound_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        var ran = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }));
        var t = thread.Tasklet;
        t.Remove();
        t.BindThread();
        thread.Join();
        Assert.True(t.Alive);
        t.Run();
        Assert.True(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_bind_runnable", "tasklet.bind_thread")]
    public void Test_bind_runnable() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        try
        {
            var error = Assert.ThrowsAny<InvalidOperationException>(() => thread.Tasklet.BindThread());
            Assert.Contains("runnable", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            thread.Join();
        }
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

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_rebind_from_dead", "tasklet.bind_thread", "tasklet.thread_id")]
    public void Test_rebind_from_dead() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        var t = thread.Tasklet;
        Assert.NotEqual(-1, t.ThreadId);
        thread.Join();
        Assert.Equal(-1, t.ThreadId);
        t.BindThread();
        Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
        t.Kill(); // clean-up: alive again on this thread
    });

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_rebind_from_dead_fail_cstate", "tasklet.bind_thread", "tasklet.thread_id", "tasklet.restorable")]
    public void Test_rebind_from_dead_fail_cstate() => Isolated.Run(() =>
    {
        // A tasklet with C state (a hard tasklet) on a thread that has ended: bind_thread refuses it.
        var loop = true;
        var tlet = Tasklet.CreateHard(() =>
        {
            while (Volatile.Read(ref loop))
            {
                try
                {
                    Tasklet.Main.Switch();
                }
                catch (TaskletExit)
                {
                }
            }
        }).Setup().Remove(); // Python's bind(f, ()) sets the tasklet up without scheduling it
        var thread = new Thread(() =>
        {
            tlet.BindThread();
            tlet.Run();
        })
        { IsBackground = true, Name = "other thread" };
        thread.Start();
        Scheduler.ParkThread(thread.Join); // Python's join releases the GIL: the other thread binds our tasklet meanwhile

        Assert.Equal(-1, tlet.ThreadId);
        Assert.False(tlet.Alive);
        Assert.False(tlet.Restorable);
        Volatile.Write(ref loop, false);
        var error = Assert.ThrowsAny<InvalidOperationException>(() => tlet.BindThread());
        Assert.Contains("tasklet has C state on its stack", error.Message, StringComparison.Ordinal);
        Assert.Equal(-1, tlet.ThreadId); // the tasklet has no thread (its OS thread stays parked, as the original leaks it)
    }, checkLeftovers: false);

    [Fact]
    [StacklessTest(File, "DeadThreadTest.test_methods_on_dead", "tasklet.alive", "tasklet.bind", "tasklet.remove", "tasklet.setup", "tasklet.insert", "tasklet.run", "tasklet.switch", "tasklet.throw")]
    public void Test_methods_on_dead() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(() => Task.CompletedTask));
        var t = thread.Tasklet;
        Assert.NotEqual(-1, t.ThreadId);
        thread.Join();
        Assert.Equal(-1, t.ThreadId);

        Assert.False(t.Alive);
        Assert.False(t.Paused);
        Assert.False(t.Blocked);
        Assert.False(t.Scheduled);
        Assert.True(t.Restorable);
        Assert.False(t.Atomic);
        Assert.False(t.BlockTrap);
        Assert.False(t.IgnoreNesting);
        Assert.Null(t.Next);
        Assert.Null(t.Prev);
        t.Bind(null);
        Assert.Equal(-1, t.ThreadId);
        t.Remove();
        Assert.Equal(-1, t.ThreadId);
        t.Bind(() => Task.CompletedTask);
        Assert.Equal(-1, t.ThreadId);
        Assert.ThrowsAny<InvalidOperationException>(() => t.Setup());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Insert());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Run());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Switch());
        Assert.ThrowsAny<InvalidOperationException>(() => t.RaiseException(typeof(IndexOutOfRangeException), "test"));
        Assert.ThrowsAny<InvalidOperationException>(() => t.Throw(new IndexOutOfRangeException()));
        Assert.Equal(-1, t.ThreadId);
        t.SetAtomic(t.SetAtomic(true));
        t.SetIgnoreNesting(t.SetIgnoreNesting(true));
        t.Bind(null);
        Assert.Equal(-1, t.ThreadId);
    });

    // ---------------------------------------------------------------- BindThreadTest

    [Fact]
    [StacklessTest(File, "BindThreadTest.testForeignThread_scheduled", "tasklet.bind_thread", "tasklet.thread_id", "tasklet.remove", "tasklet.insert", "stackless.run")]
    public void TestForeignThread_scheduled() => Isolated.Run(() =>
    {
        var ran = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }));
        var t = thread.Tasklet;
        try
        {
            Assert.Equal(thread.Id, t.ThreadId);
            Assert.True(t.Alive);
            Assert.False(t.Paused);
            t.Remove();
            Assert.True(t.Paused);

            t.BindThread();
            Assert.True(t.Alive);
            Assert.True(t.Paused);
            Assert.NotEqual(thread.Id, t.ThreadId);
            Assert.Equal(Environment.CurrentManagedThreadId, t.ThreadId);
            t.Insert();
            Assert.False(t.Paused);
            Scheduler.Run();
            Assert.True(ran);
            Assert.False(t.Alive);
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(File, "BindThreadTest.test_bind_to_current_tid", "tasklet.bind_thread", "tasklet.run")]
    public void Test_bind_to_current_tid() => Isolated.Run(() =>
    {
        var currentId = Tasklet.Current.ThreadId;
        Assert.Equal(Environment.CurrentManagedThreadId, currentId);
        var ran = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }));
        var t = thread.Tasklet;
        t.Remove();
        Assert.Equal(thread.Id, t.ThreadId);
        t.BindThread(currentId);
        thread.Join();
        Assert.Equal(currentId, t.ThreadId);
        t.Run();
        Assert.True(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "BindThreadTest.test_bind_to_bogus_tid", "tasklet.bind_thread")]
    public void Test_bind_to_bogus_tid() => Isolated.Run(() =>
    {
        var currentId = Tasklet.Current.ThreadId;
        var ran = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }));
        var t = thread.Tasklet;
        t.Remove();
        Assert.Equal(thread.Id, t.ThreadId);
        Assert.ThrowsAny<ArgumentException>(() => t.BindThread(-2));
        t.BindThread(currentId);
        thread.Join();
        Assert.Equal(currentId, t.ThreadId);
        t.Run();
        Assert.True(ran);
        Assert.False(t.Alive);
    });

    // ---------------------------------------------------------------- SchedulingBindThreadTests

    [Fact]
    [StacklessTest(File, "SchedulingBindThreadTests.test_bind_to_other_tid", "tasklet.bind_thread", "channel.send", "channel.receive")]
    public void Test_bind_to_other_tid() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var ran = false;
        Func<Tasklet> create = () => Tasklet.Spawn(async () =>
        {
            await channel.ReceiveAsync();
            ran = true;
            await channel.SendAsync(null);
        });
        var thread = new RemoteThread(create, scheduling: true);
        var other = new RemoteThread(create, scheduling: true);
        var t = thread.Tasklet;
        try
        {
            Assert.Equal(thread.Id, t.ThreadId);
            Assert.True(SpinWait.SpinUntil(() => t.Blocked, Stress.HangGuard));
            t.BindThread(other.Id);
            Assert.Equal(other.Id, t.ThreadId);
            channel.Send(null);
            channel.Receive();
        }
        finally
        {
            other.Join();
            thread.Join();
        }

        Assert.True(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "SchedulingBindThreadTests.test_rebind_runnable", "tasklet.bind_thread")]
    public void Test_rebind_runnable() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var thread = new RemoteThread(
            () => Tasklet.Spawn(async () =>
            {
                // A tasklet that keeps itself runnable.
                while (channel.Balance == 0)
                {
                    await Scheduler.ScheduleAsync();
                    await Task.Delay(1);
                }

                await channel.ReceiveAsync();
            }),
            scheduling: true);
        try
        {
            var error = Assert.ThrowsAny<InvalidOperationException>(() => thread.Tasklet.BindThread());
            Assert.Contains("runnable", error.Message, StringComparison.Ordinal);
            channel.Send(null);
        }
        finally
        {
            thread.Join();
        }
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
            Assert.True(SpinWait.SpinUntil(() => t.Paused, Stress.HangGuard));
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

    [Fact]
    [StacklessTest(File, "SetupFromDifferentThreadTest.test_setup_from_other_thread", "tasklet.setup")]
    public void Test_setup_from_other_thread() => Isolated.Run(() =>
    {
        using var thread = new LingeringThread(() => new Tasklet(() => Task.CompletedTask));
        var t = thread.Tasklet;
        t.Setup();
        Assert.True(t.Alive);
        thread.Join();
    });
}
