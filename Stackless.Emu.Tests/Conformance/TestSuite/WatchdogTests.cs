using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;
using static Stackless.Emu.Tests.Conformance.WatchdogSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>
/// The bodies of stackless_testsuite/v3_1/test_watchdog.py's TestWatchdog tests, shared by TestWatchdog (hard) and
/// TestWatchdogSoft (soft=True), on <see cref="Scheduler.Run(int, bool, bool, bool, bool)"/>. The tasklet bodies emulate
/// Python loops with a preemption point per iteration; see <see cref="WatchdogSupport"/>.
/// </summary>
internal static class WatchdogBodies
{
    public static void Simple(bool soft) => Isolated.Run(() => RunTasklets(RunTask, 100, soft));

    public static void Nested(bool soft) => Isolated.Run(() => RunTasklets(RunTask5, 100, soft));

    public static void Nested2(bool soft) => Isolated.Run(() => RunTasklets(RunTask5, 0, soft));

    public static void TaskletWithSchedule(bool soft) => Isolated.Run(() =>
    {
        var n1 = RunTasklets(RunTask, 100, soft);
        var n2 = RunTasklets(RunTask2, 100, soft);
        if (!soft)
        {
            Assert.True(n1 > n2, $"hard: runtask {n1} > runtask2 {n2}");
        }
        else
        {
            Assert.True(n1 < n2, $"soft: runtask {n1} < runtask2 {n2}");
        }
    });

    public static void ExecTasklet(bool soft) => Isolated.Run(() => RunTasklets(RunTask3, 100, soft));

    public static void SendRecv(bool soft) => Isolated.Run(() =>
    {
        var chan = new Channel<string>();
        var count = new System.Runtime.CompilerServices.StrongBox<int>(0);
        var server = Tasklet.Spawn(ServerTask(chan, count));
        foreach (var name in new[] { "client1", "client2", "client3" })
        {
            Tasklet.Spawn(RunTask4(name, chan));
        }

        Autoschedule(100, soft);
        Assert.Equal(60, count.Value);

        // Kill the server: it dies of the StopIteration, which goes to main.
        Assert.Throws<StopIteration>(() => chan.SendException(new StopIteration()));
        Assert.False(server.Alive);
    });

    public static void AtomicLoops(bool soft) => Isolated.Run(() => RunTasklets(RunTaskAtomic, 100, soft));

    public static void ExceptionRaised(bool soft) => Isolated.Run(() =>
    {
        Assert.Throws<UserWarningException>(() => RunTasklets(RunTaskBad, 100, soft));
    });

    /// <summary>The test's get_pickled_tasklet up to the pickling: run(100) interrupts the tasklet and returns it.</summary>
    /// <summary>runtask_print as a restorable frame (pickling needs the library's frame type).</summary>
    private static async TaskletFrame RunTaskPrintFrame(string name)
    {
        var x = 0;
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.PreemptionPointAsync();
            x++;
        }

        Assert.Equal(1000, x);
        GC.KeepAlive(name);
    }

    private static Tasklet GetInterruptedTasklet()
    {
        var orig = Tasklet.SpawnFrame(() => RunTaskPrintFrame("pickleme"));
        orig.SetIgnoreNesting(true);
        var notFinished = Scheduler.Run(Ticks(100));
        Assert.Same(orig, notFinished);
        return orig;
    }

    private static Tasklet Copy(Tasklet t) => Tasklet.Load(t.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());

    public static void Pickle() => Isolated.Run(() =>
    {
        // The interrupted tasklet is pickled, restored, inserted and run to the end three ways: by Scheduler.Run(),
        // by t.Run(), and by a Scheduler.Run(timeout) loop.
        var orig = GetInterruptedTasklet();
        Assert.True(orig.Restorable);

        var first = Copy(orig).Insert();
        Scheduler.Run();
        Assert.False(first.Alive);

        var second = Copy(orig).Insert();
        second.Run();
        Scheduler.Run();
        Assert.False(second.Alive);

        var third = Copy(orig).Insert();
        Autoschedule(Ticks(100), soft: false);
        Assert.False(third.Alive);
        orig.Kill();
    });

    public static void RunReturn() => Isolated.Run(() =>
    {
        // Unpickle the interrupted tasklet, then run() over a trivial tasklet returns null.
        var orig = GetInterruptedTasklet();
        var copy = Copy(orig);
        Tasklet.Spawn(Nop);
        Assert.Null(Scheduler.Run(0));
        orig.Kill();
        copy.Kill();
    });

    public static void ChannelChain() => Isolated.Run(() =>
    {
        var chans = Enumerable.Range(0, 3).Select(_ => new Channel<int>()).ToArray();
        var random = new Random(1);
        Func<Task> ChannelTasklet(int i) => async () =>
        {
            var a = i;
            var b = (i + 1) % 3;
            var recv = false; // to bootstrap the cycle
            while (true)
            {
                if (i != 0 || recv)
                {
                    await chans[a].ReceiveAsync();
                }

                recv = true;
                var j = 0;
                for (var k = 0; k < random.Next(100, 1001); k++)
                {
                    await Scheduler.PreemptionPointAsync();
                    j = k + k;
                }

                await chans[b].SendAsync(j);
            }
        };

        var c = Enumerable.Range(0, 3).Select(_ => new Tasklet()).ToList();
        var index = 0;
        foreach (var t in Enumerable.Reverse(c))
        {
            t.Bind(ChannelTasklet(index++)).Setup();
        }

        try
        {
            for (var i = 0; i < 10; i++)
            {
                Scheduler.Run(Ticks(50000), soft: true, ignoreNesting: true, totalTimeout: true);
                Assert.True(Scheduler.RunCount is 3 or 4, $"runcount {Scheduler.RunCount}");
            }
        }
        finally
        {
            c.ForEach(t => t.Kill());
        }
    });

    public static void LoneReceive() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        Assert.Null(Scheduler.Run(0));
        Assert.True(t.Blocked);
        t.Kill();
    });
}

/// <summary>Port of test_watchdog.py, class TestWatchdog (hard preemption).</summary>
public class WatchdogTests
{
    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_simple", "stackless.run", "tasklet", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert", "stackless.runcount", "stackless.run.timeout")]
    public void TestSimple() => WatchdogBodies.Simple(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_nested", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert", "stackless.run.timeout")]
    public void TestNested() => WatchdogBodies.Nested(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_nested2", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive")]
    public void TestNested2() => WatchdogBodies.Nested2(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_tasklet_with_schedule", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "stackless.run.timeout")]
    public void TestTaskletWithSchedule() => WatchdogBodies.TaskletWithSchedule(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_exec_tasklet", "stackless.run", "tasklet.set_ignore_nesting", "stackless.run.timeout")]
    public void TestExecTasklet() => WatchdogBodies.ExecTasklet(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_send_recv", "stackless.run", "channel", "channel.send", "channel.receive", "channel.send_exception", "tasklet", "stackless.run.timeout")]
    public void TestSendRecv() => WatchdogBodies.SendRecv(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_atomic", "stackless.run", "tasklet.set_atomic", "stackless.current", "stackless.run.timeout")]
    public void TestAtomic() => WatchdogBodies.AtomicLoops(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_exception", "stackless.run", "tasklet.kill", "tasklet.next", "stackless.run.timeout")]
    public void TestException() => WatchdogBodies.ExceptionRaised(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_pickle", "pickle.tasklet", "stackless.run", "tasklet.insert", "tasklet.run", "tasklet.set_ignore_nesting", "stackless.enable_softswitch")]
    public void TestPickle() => WatchdogBodies.Pickle();

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_run_return", "pickle.tasklet", "stackless.run", "tasklet")]
    public void TestRunReturn() => WatchdogBodies.RunReturn();

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_lone_receive", "stackless.run", "channel.receive", "tasklet")]
    public void Test_lone_receive() => WatchdogBodies.LoneReceive();
}

/// <summary>Port of test_watchdog.py, class TestWatchdogSoft (soft=True), with test_channelchain.</summary>
public class WatchdogSoftTests
{
    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_simple", "stackless.run", "tasklet", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert", "stackless.runcount", "stackless.run.timeout", "stackless.run.soft")]
    public void TestSimple() => WatchdogBodies.Simple(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_nested", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert", "stackless.run.timeout", "stackless.run.soft")]
    public void TestNested() => WatchdogBodies.Nested(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_nested2", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive")]
    public void TestNested2() => WatchdogBodies.Nested2(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_tasklet_with_schedule", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "stackless.run.timeout", "stackless.run.soft")]
    public void TestTaskletWithSchedule() => WatchdogBodies.TaskletWithSchedule(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_exec_tasklet", "stackless.run", "tasklet.set_ignore_nesting", "stackless.run.timeout", "stackless.run.soft")]
    public void TestExecTasklet() => WatchdogBodies.ExecTasklet(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_send_recv", "stackless.run", "channel", "channel.send", "channel.receive", "channel.send_exception", "tasklet", "stackless.run.timeout", "stackless.run.soft")]
    public void TestSendRecv() => WatchdogBodies.SendRecv(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_atomic", "stackless.run", "tasklet.set_atomic", "stackless.current", "stackless.run.timeout", "stackless.run.soft")]
    public void TestAtomic() => WatchdogBodies.AtomicLoops(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_exception", "stackless.run", "tasklet.kill", "tasklet.next", "stackless.run.timeout", "stackless.run.soft")]
    public void TestException() => WatchdogBodies.ExceptionRaised(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_pickle", "pickle.tasklet", "stackless.run", "tasklet.insert", "tasklet.run", "tasklet.set_ignore_nesting", "stackless.enable_softswitch")]
    public void TestPickle() => WatchdogBodies.Pickle();

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_run_return", "pickle.tasklet", "stackless.run", "tasklet")]
    public void TestRunReturn() => WatchdogBodies.RunReturn();

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_lone_receive", "stackless.run", "channel.receive", "tasklet")]
    public void Test_lone_receive() => WatchdogBodies.LoneReceive();

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_channelchain", "stackless.run", "channel.send", "channel.receive", "stackless.runcount", "tasklet.kill", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void TestChannelchain() => WatchdogBodies.ChannelChain();
}

/// <summary>Port of test_watchdog.py, class TestDeadlock.</summary>
public class DeadlockTests
{
    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.testReceiveOnMain", "channel.receive")]
    public void TestReceiveOnMain() => Isolated.Run(() =>
    {
        var c = new Channel();
        Assert.Contains("Deadlock", Assert.ThrowsAny<InvalidOperationException>(() => c.Receive()).Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.test_main_receiving_endttasklet", "channel.receive", "tasklet")]
    public void TestMainReceivingEndttasklet() => Isolated.Run(() =>
    {
        var c = new Channel();
        Tasklet.Spawn(Nop);
        Assert.Contains("receiving", Assert.ThrowsAny<InvalidOperationException>(() => c.Receive()).Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.test_main_sending_enddtasklet", "channel.send", "tasklet")]
    public void TestMainSendingEnddtasklet() => Isolated.Run(() =>
    {
        var c = new Channel();
        Tasklet.Spawn(Nop);
        Assert.Contains("sending", Assert.ThrowsAny<InvalidOperationException>(() => c.Send(null)).Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.test_main_gets_exception", "channel.receive", "tasklet")]
    public void TestMainGetsException() => Isolated.Run(() =>
    {
        Tasklet.Spawn(() => throw new DivideByZeroException("mumbai"));
        Assert.Contains("mumbai", Assert.Throws<DivideByZeroException>(() => new Channel().Receive()).Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.test_tasklet_deadlock", "channel.receive", "channel.send", "tasklet")]
    public void TestTaskletDeadlock() => Isolated.Run(() =>
    {
        var mc = new Channel();
        string? message = null;
        Tasklet.Spawn(async () =>
        {
            var c = new Channel();
            message = (await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await c.ReceiveAsync())).Message;
            await mc.SendAsync(null);
        });
        mc.Receive();
        Assert.Contains("Deadlock", message, StringComparison.Ordinal);
        Scheduler.Run(); // the sender, appended by the rendezvous, ends
    });

    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.test_tasklet_and_main_receive", "channel.receive", "tasklet")]
    public void TestTaskletAndMainReceive() => Isolated.Run(() =>
    {
        var mc = new Channel();
        Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        Assert.Contains("Deadlock", Assert.ThrowsAny<InvalidOperationException>(() => mc.Receive()).Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestDeadlock.test_error_propagation_when_not_deadlock", "stackless.run", "stackless.schedule", "tasklet")]
    public void TestErrorPropagationWhenNotDeadlock() => Isolated.Run(() =>
    {
        Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        Tasklet.Spawn(() => throw new DivideByZeroException("bar"));
        Assert.Contains("bar", Assert.Throws<DivideByZeroException>(Scheduler.Run).Message, StringComparison.Ordinal);
        Scheduler.Run(); // let the first tasklet end (the Python suite's tear-down kills it)
    });
}

/// <summary>
/// Port of test_watchdog.py, class TestNewWatchdog: run() called from a tasklet (nested watchdogs). Scheduler.Run() is a
/// synchronous form, so the tasklets that call it are hard tasklets.
/// </summary>
public class NewWatchdogTests
{
    private int _done;

    private void SpawnWorker() => Tasklet.Spawn(async () =>
    {
        await Scheduler.ScheduleAsync();
        _done++;
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_run_from_worker", "stackless.run", "stackless.schedule", "tasklet.run")]
    public void TestRunFromWorker() => Isolated.Run(() =>
    {
        SpawnWorker();
        var t = Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            _done++;
        });
        while (_done == 0)
        {
            Scheduler.Schedule();
        }

        // The runner is still inside its run(), because main was never blocked.
        Assert.Equal(1, _done);
        t.Run();
        Assert.Equal(2, _done);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_run_from_worker_main_blocked", "stackless.run", "channel.receive", "channel.send")]
    public void TestRunFromWorkerMainBlocked() => Isolated.Run(() =>
    {
        SpawnWorker();
        var c = new Channel();
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            _done++;
            c.Send(null);
        });
        c.Receive();
        Assert.Equal(2, _done);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_run_from_worker_main_running", "stackless.run")]
    public void TestRunFromWorkerMainRunning() => Isolated.Run(() =>
    {
        SpawnWorker();
        var inner = -1;
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            inner = _done;
            _done++;
        });
        Scheduler.Run();
        Assert.Equal(1, inner);
        Assert.Equal(2, _done);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_inner_run_completes_first", "stackless.run", "stackless.main", "tasklet.paused")]
    public void TestInnerRunCompletesFirst() => Isolated.Run(() =>
    {
        SpawnWorker();
        bool? mainPaused = null;
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            mainPaused = Scheduler.Main.Paused;
            _done++;
        });
        Scheduler.Run();
        Assert.True(mainPaused);
        Assert.Equal(2, _done);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_inner_run_gets_error", "stackless.run", "tasklet")]
    public void TestInnerRunGetsError() => Isolated.Run(() =>
    {
        SpawnWorker();
        string? message = null;
        Tasklet.SpawnHard(() =>
        {
            Tasklet.Spawn(() => throw new InvalidOperationException("foo"));
            message = Assert.Throws<InvalidOperationException>(Scheduler.Run).Message;
            _done++;
        });
        Scheduler.Run();
        Assert.Equal("foo", message);
        Assert.Equal(2, _done);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_manual_wakeup", "stackless.run", "stackless.main", "tasklet.run")]
    public void TestManualWakeup() => Isolated.Run(() =>
    {
        SpawnWorker();
        Tasklet.SpawnHard(() =>
        {
            Tasklet.SpawnHard(() =>
            {
                Scheduler.Main.Run();
                _done++;
            });
            Scheduler.Run();
            _done++;
        });
        Scheduler.Run();
        Assert.Equal(1, _done); // only the worker has run
        Scheduler.Run();
        Assert.Equal(3, _done); // all tasklets have completed
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_main_exiting", "stackless.run", "stackless.schedule", "tasklet.alive", "tasklet.kill")]
    public void TestMainExiting() => Isolated.Run(() =>
    {
        SpawnWorker();
        var t = Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            _done++;
        });
        while (_done == 0)
        {
            Scheduler.Schedule();
        }

        Assert.Equal(1, _done);
        Scheduler.Run();
        Assert.Equal(1, _done); // the other watchdog is not runnable
        Scheduler.Run();
        Assert.Equal(1, _done);
        Scheduler.Schedule();
        Assert.Equal(1, _done); // it won't leave its run() while main is runnable
        Assert.True(t.Alive);
        t.Kill();
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_on_tasklet_soft", "stackless.run", "stackless.getruncount", "tasklet.kill", "stackless.schedule", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void TestWatchdogOnTaskletSoft() => WatchdogOnTasklet(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_on_tasklet_hard", "stackless.run", "stackless.getruncount", "tasklet.kill", "stackless.schedule", "stackless.run.timeout", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void TestWatchdogOnTaskletHard() => WatchdogOnTasklet(soft: false);

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_priority_soft", "stackless.run", "stackless.atomic", "tasklet.kill", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void TestWatchdogPrioritySoft() => WatchdogPriority(soft: true);

    [Fact]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_priority_hard", "stackless.run", "stackless.atomic", "tasklet.kill", "stackless.run.timeout", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void TestWatchdogPriorityHard() => WatchdogPriority(soft: false);

    private static Func<Task> Spinner(int iterations) => async () =>
    {
        while (true)
        {
            await Loop(iterations);
            await Scheduler.ScheduleAsync();
        }
    };

    private void WatchdogOnTasklet(bool soft) => Isolated.Run(() =>
    {
        SpawnWorker();
        var t1 = Tasklet.Spawn(Spinner(200));
        var t2 = Tasklet.Spawn(Spinner(200));
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run(Ticks(2), soft: soft, ignoreNesting: true, totalTimeout: true);
            if (Scheduler.RunCount > 0)
            {
                _done++; // interrupted
            }

            t1.Kill();
            t2.Kill();
        });
        Scheduler.Run();
        Assert.Equal(2, _done);
    });

    private void WatchdogPriority(bool soft) => Isolated.Run(() =>
    {
        SpawnWorker();
        var awoken = 0;
        var t1 = Tasklet.Spawn(Spinner(100));
        var t2 = Tasklet.Spawn(Spinner(100));
        void Runner(int recursive, int start)
        {
            if (recursive > 0)
            {
                Tasklet.SpawnHard(() => Runner(recursive - 1, start));
            }

            int a;
            using (Scheduler.Atomic())
            {
                Scheduler.Run(Ticks(10000), soft: soft, ignoreNesting: true, totalTimeout: true);
                a = awoken++;
            }

            if (recursive == start)
            {
                Assert.Equal(0, a); // the outermost watchdog wakes first
                _done++;
            }

            t1.Kill();
            t2.Kill();
        }

        Tasklet.SpawnHard(() => Runner(3, 3));
        Scheduler.Run();
        Assert.Equal(2, _done);
    });
}
