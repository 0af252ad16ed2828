using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>
/// Port of stackless_testsuite/v3_1/tasklet/test_thread.py: tasklets of other OS threads (each thread has its own
/// scheduler). Remote run/insert/remove/setup take effect at once while the tasklet's thread waits (Python: it released
/// the GIL) and are posted to it otherwise; bind_thread moves a tasklet that is not runnable; a tasklet whose thread has
/// ended is not alive and has thread id -1 until it is bound to a live thread.
/// </summary>
public class TaskletThreadTests
{

    [Fact]
    [StacklessTest(TaskletThread, "TestRemoteSchedule.testFoo", "tasklet.run", "tasklet.remove", "channel.send", "channel.receive")]
    public void TestFoo() => RemoteThreads.AsTasklet(async () =>
    {
        var ran = false;
        var (tasklets, thread) = await RemoteThreads.GetRemoteTaskletsAsync(() => ran = true);
        try
        {
            await tasklets[0].RunAsync(); // another thread's tasklet: made runnable there, the caller goes on
        }
        finally
        {
            thread.JoinWithin();
        }

        Assert.True(ran);
        Assert.False(tasklets[0].Alive);
    });

    [Fact]
    [StacklessTest(TaskletThread, "TestRemoteSchedule.testRun", "tasklet.run")]
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
    [StacklessTest(TaskletThread, "TestRemoteSchedule.testInsert", "tasklet.insert")]
    public void TestInsert() => RemoteThreads.AsTasklet(async () =>
    {
        var events = new List<int>();
        var (tasklets, thread) = await RemoteThreads.GetRemoteTaskletsAsync(() => events.Add(0));
        try
        {
            tasklets[0].Insert();
        }
        finally
        {
            thread.JoinWithin();
        }

        Assert.Equal(Enumerable.Range(0, events.Count), events);
        Assert.Equal([0], events);
    });

    [Fact] // the remote operations of an atomic block take effect together, as under Stackless's GIL
    [StacklessTest(TaskletThread, "TestRemoteSchedule.testRunOrder", "tasklet.insert", "tasklet.run", "stackless.atomic")]
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

    [Fact]
    [StacklessTest(TaskletThread, "TestRebind.test_no_rebind", "tasklet.run", "stackless.schedule_remove")]
    public void Test_no_rebind() => Isolated.Run(() =>
    {
        var result = -1;
        using var e = new ManualResetEventSlim();
        using var thread = new SchedulerThread("remote");
        var task = thread.SpawnAsync(async () =>
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
            Assert.Equal(thread.ThreadId, result);
        }
        finally
        {
            thread.JoinWithin();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "TestRebind.test_rebind", "tasklet.bind_thread", "tasklet.run")]
    public void Test_rebind() => Isolated.Run(() =>
    {
        var ranOn = -1;
        using var thread = new SchedulerThread("remote");
        var task = thread.SpawnAsync(async () =>
        {
            await Scheduler.ScheduleRemoveAsync();
            ranOn = Environment.CurrentManagedThreadId; // the job
        }).Result;
        try
        {
            Assert.True(SpinWait.SpinUntil(() => task.Paused, RemoteThreads.Timeout));

            task.BindThread();
            task.Run();
            Assert.Equal(Environment.CurrentManagedThreadId, ranOn);
        }
        finally
        {
            thread.JoinWithin();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "TestRebind.test_rebind_nontrivial", "tasklet.bind_thread")]
    public void Test_rebind_nontrivial() => Isolated.Run(() =>
    {
        // A hard tasklet has "C state": it cannot change threads.
        var thread = new RemoteThread(() => Tasklet.SpawnHard(() => Scheduler.ScheduleRemove()), scheduling: true);
        try
        {
            Assert.True(SpinWait.SpinUntil(() => thread.Tasklet.Paused, RemoteThreads.Timeout));
            Assert.Equal(TaskletKind.Hard, thread.Tasklet.Kind);
            Assert.ThrowsAny<InvalidOperationException>(() => thread.Tasklet.BindThread());
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "TestRemove.test_remove_balance", "tasklet.remove", "stackless.getruncount")]
    public void Test_remove_balance() => Isolated.Run(() =>
    {
        var before = Scheduler.RunCount;
        var thread = new LingeringThread(() => Tasklet.Spawn(Nop));
        try
        {
            Assert.Equal(before, Scheduler.RunCount);
            thread.Tasklet.Remove();
            Assert.Equal(before, Scheduler.RunCount);
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "TestRemove.test_insert_balance", "tasklet.insert", "tasklet.remove", "stackless.getruncount")]
    public void Test_insert_balance() => Isolated.Run(() =>
    {
        var thread = new LingeringThread(() => Tasklet.Spawn(Nop));
        try
        {
            thread.Tasklet.Remove();
            var before = Scheduler.RunCount;
            thread.Tasklet.Insert();
            Assert.Equal(before, Scheduler.RunCount);
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_tasklet_from_dead_thread", "tasklet.alive")]
    public void Test_tasklet_from_dead_thread()
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(Nop));
        Assert.True(thread.Tasklet.Alive);
        thread.Join();
        Assert.False(thread.Tasklet.Alive); // its thread has ended: a soft tasklet simply stops
    }

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_removed_tasklet_from_dead_thread", "tasklet.scheduled", "tasklet.remove", "tasklet.alive")]
    public void Test_removed_tasklet_from_dead_thread()
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(Nop));
        Assert.True(thread.Tasklet.Scheduled);
        thread.Tasklet.Remove(); // from a foreign thread
        Assert.False(thread.Tasklet.Scheduled);
        thread.Join();
        Assert.False(thread.Tasklet.Alive);
    }

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_rebound_tasklet_from_dead_thread", "tasklet.remove", "tasklet.bind_thread", "tasklet.run", "tasklet.alive")]
    public void Test_rebound_tasklet_from_dead_thread() => Isolated.Run(() =>
    {
        var executed = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            executed = true;
            return Task.CompletedTask;
        }));
        var t = thread.Tasklet;
        t.Remove();
        t.BindThread();
        thread.Join();
        Assert.True(t.Alive);
        t.Run();
        Assert.True(executed);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_bind_runnable", "tasklet.bind_thread")]
    public void Test_bind_runnable()
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(Nop));
        try
        {
            Assert.Contains("runnable", Assert.ThrowsAny<InvalidOperationException>(() => thread.Tasklet.BindThread()).Message, StringComparison.Ordinal);
        }
        finally
        {
            thread.Join();
        }
    }

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_death", "tasklet.thread_id")]
    public void Test_death()
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(Nop).Remove());
        Assert.NotEqual(-1, thread.Tasklet.ThreadId);
        thread.Join();
        Assert.Equal(-1, thread.Tasklet.ThreadId);
    }

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_rebind_from_dead", "tasklet.thread_id", "tasklet.bind_thread")]
    public void Test_rebind_from_dead() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(Nop).Remove());
        Assert.NotEqual(-1, thread.Tasklet.ThreadId);
        thread.Join();
        Assert.Equal(-1, thread.Tasklet.ThreadId);

        thread.Tasklet.BindThread();
        Assert.Equal(Tasklet.Current.ThreadId, thread.Tasklet.ThreadId);
        thread.Tasklet.Kill(); // clean-up: it is alive again on this thread
    });

    [Fact]
    [StacklessTest(TaskletThread, "DeadThreadTest.test_methods_on_dead", "tasklet.alive", "tasklet.paused", "tasklet.blocked", "tasklet.scheduled", "tasklet.restorable", "tasklet.atomic", "tasklet.block_trap", "tasklet.ignore_nesting", "tasklet.next", "tasklet.prev", "tasklet.bind", "tasklet.remove", "tasklet.setup", "tasklet.insert", "tasklet.run", "tasklet.switch", "tasklet.raise_exception", "tasklet.throw", "tasklet.set_atomic", "tasklet.set_ignore_nesting", "tasklet.thread_id")]
    public void Test_methods_on_dead() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(() => Tasklet.Spawn(Nop)); // runnable when its thread ends
        var t = thread.Tasklet;
        thread.Join();
        Assert.Equal(-1, t.ThreadId);
        CheckFlags(t);
        Assert.True(t.Restorable);
        Assert.Null(t.Next);
        Assert.Null(t.Prev);
        t.Bind(null);
        t.Remove();
        t.Bind(Nop);
        Assert.ThrowsAny<InvalidOperationException>(() => t.Setup());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Insert());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Run());
        Assert.ThrowsAny<InvalidOperationException>(() => t.Switch());
        Assert.ThrowsAny<InvalidOperationException>(() => t.RaiseException(typeof(TestError), "test"));
        Assert.ThrowsAny<InvalidOperationException>(() => t.Throw(new TestError()));
        t.SetAtomic(t.SetAtomic(true));
        t.SetIgnoreNesting(t.SetIgnoreNesting(true));
        t.Bind(null);
        Assert.Equal(-1, t.ThreadId);
    });

    [Fact]
    [StacklessTest(TaskletThread, "BindThreadTest.testForeignThread_scheduled", "tasklet.thread_id", "tasklet.remove", "tasklet.bind_thread", "tasklet.insert", "tasklet.paused", "stackless.run")]
    public void TestForeignThread_scheduled() => Isolated.Run(() =>
    {
        var executed = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            executed = true;
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
            Assert.Equal(Environment.CurrentManagedThreadId, t.ThreadId);
            t.Insert();
            Assert.False(t.Paused);
            Scheduler.Run();
            Assert.True(executed);
            Assert.False(t.Alive);
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "BindThreadTest.test_bind_to_current_tid", "tasklet.bind_thread", "tasklet.thread_id", "tasklet.run")]
    public void Test_bind_to_current_tid() => Isolated.Run(() =>
    {
        var currentId = Tasklet.Current.ThreadId;
        Assert.Equal(Environment.CurrentManagedThreadId, currentId);
        var executed = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            executed = true;
            return Task.CompletedTask;
        }));
        var t = thread.Tasklet;
        t.Remove();
        Assert.Equal(thread.Id, t.ThreadId);
        t.BindThread(currentId);
        thread.Join();
        Assert.Equal(currentId, t.ThreadId);
        t.Run();
        Assert.True(executed);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletThread, "BindThreadTest.test_bind_to_bogus_tid", "tasklet.bind_thread", "tasklet.thread_id", "tasklet.run")]
    public void Test_bind_to_bogus_tid() => Isolated.Run(() =>
    {
        var currentId = Tasklet.Current.ThreadId;
        var executed = false;
        var thread = new RemoteThread(() => Tasklet.Spawn(() =>
        {
            executed = true;
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
        Assert.True(executed);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletThread, "SchedulingBindThreadTests.test_bind_to_other_tid", "tasklet.bind_thread", "tasklet.thread_id", "channel.send", "channel.receive")]
    public void Test_bind_to_other_tid() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var executed = false;
        Func<Tasklet> create = () => Tasklet.Spawn(async () =>
        {
            await channel.ReceiveAsync();
            executed = true;
            await channel.SendAsync(null);
        });
        var thread = new RemoteThread(create, scheduling: true);
        var other = new RemoteThread(create, scheduling: true);
        var t = thread.Tasklet;
        try
        {
            Assert.Equal(thread.Id, t.ThreadId);

            Assert.True(SpinWait.SpinUntil(() => t.Blocked, RemoteThreads.Timeout));
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

        Assert.True(executed);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletThread, "SchedulingBindThreadTests.test_rebind_runnable", "tasklet.bind_thread", "channel.balance", "stackless.schedule")]
    public void Test_rebind_runnable() => Isolated.Run(() =>
    {
        var channel = new Channel();
        var thread = new RemoteThread(
            () => Tasklet.Spawn(async () =>
            {
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
            Assert.Contains("runnable", Assert.ThrowsAny<InvalidOperationException>(() => thread.Tasklet.BindThread()).Message, StringComparison.Ordinal);
            channel.Send(null);
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "SwitchTest.test_switch", "tasklet.switch", "tasklet.paused", "stackless.schedule_remove")]
    public void Test_switch() => Isolated.Run(() =>
    {
        var thread = new RemoteThread(
            () =>
            {
                var t = Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
                Scheduler.Run();
                return t;
            });
        try
        {
            Assert.True(thread.Tasklet.Paused);
            var e = Assert.ThrowsAny<InvalidOperationException>(() => thread.Tasklet.Switch());
            Assert.Contains("different thread", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            thread.Join();
        }
    });

    [Fact]
    [StacklessTest(TaskletThread, "SetupFromDifferentThreadTest.test_setup_from_other_thread", "tasklet.setup")]
    public void Test_setup_from_other_thread() => Isolated.Run(() =>
    {
        using var thread = new LingeringThread(() => new Tasklet(Nop));
        var t = thread.Tasklet;
        t.Setup();
        Assert.True(t.Alive);
        thread.Join();
    });
}
