using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>
/// Port of stackless_testsuite/v3_1/test_watchdog.py, class TestWatchdog (hard preemption). The preemptive
/// <c>stackless.run(timeout)</c> has no C# form yet: the tests are written against Scheduler.Run() and describe the
/// intended <c>Scheduler.Run(timeout, soft)</c> call in comments.
/// </summary>
public class WatchdogTests
{

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_simple", "stackless.run", "tasklet", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert", "stackless.runcount")]
    public void TestSimple() => Isolated.Run(() =>
    {
        RunTasklets(BusyLoop, 100, soft: false);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_nested", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert")]
    public void TestNested() => Isolated.Run(() =>
    {
        RunTasklets(RecurseThenSchedule, 100, soft: false);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_nested2", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive")]
    public void TestNested2() => Isolated.Run(() =>
    {
        RunTasklets(RecurseThenSchedule, 0, soft: false);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_tasklet_with_schedule", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting")]
    public void TestTaskletWithSchedule() => Isolated.Run(() =>
    {
        var n1 = RunTasklets(BusyLoop, 10, soft: false);
        var n2 = RunTasklets(BusyLoopWithSchedule, 10, soft: false);
        var soft = false;
        Assert.True(soft ? n1 < n2 : n1 > n2, $"soft={soft}: {n1} vs {n2}");
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_exec_tasklet", "stackless.run", "tasklet.set_ignore_nesting")]
    public void TestExecTasklet() => Isolated.Run(() =>
    {
        // Python exec()s the loop; the closest C# analogue is a dynamically invoked delegate.
        RunTasklets(name => () => (Task)((Func<string, Task>)DynamicLoop).DynamicInvoke(name)!, 100, soft: false);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_send_recv", "stackless.run", "channel", "channel.send", "channel.receive", "channel.send_exception", "tasklet")]
    public void TestSendRecv() => Isolated.Run(() =>
    {
        var chan = new Channel<string>();
        var count = 0;
        var server = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await chan.ReceiveAsync();
                count++;
            }
        });
        foreach (var name in new[] { "client1", "client2", "client3" })
        {
            Tasklet.Spawn(async () =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    if (i % 50 == 0)
                    {
                        await chan.SendAsync(name);
                    }
                }
            });
        }

        Autoschedule(100, soft: false);
        Assert.Equal(60, count);

        // The server dies of the StopIteration, which goes to main.
        Assert.Throws<StopIteration>(() => chan.SendException(new StopIteration()));
        Assert.False(server.Alive);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_atomic", "stackless.run", "tasklet.set_atomic", "stackless.current")]
    public void TestAtomic() => Isolated.Run(() =>
    {
        RunTasklets(AtomicLoops, 100, soft: false);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdog.test_exception", "stackless.run", "tasklet.kill", "tasklet.next")]
    public void TestException() => Isolated.Run(() =>
    {
        Assert.Throws<TestError>(() => RunTasklets(_ => () => throw new TestError("UserWarning"), 100, soft: false));
    });

    [Fact(Skip = NotBuiltWatchdogForPickle)]
    [StacklessTest(Watchdog, "TestWatchdog.test_pickle", "pickle.tasklet", "stackless.run", "tasklet.insert", "tasklet.run", "tasklet.set_ignore_nesting", "stackless.enable_softswitch")]
    public void TestPickle() => Isolated.Run(() =>
    {
        // A tasklet interrupted by Scheduler.Run(timeout: 100) is pickled, restored, inserted and run to the end.
        var orig = Tasklet.SpawnFrame(() => WatchdogTests.BusyLoopFrame("pickleme"));
        Assert.True(orig.Restorable);
        var victim = Unittests.PendingApi.RunWatchdog(100, soft: false);
        Assert.Same(orig, victim);
        var copy = Tasklet.Load(orig.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());
        orig.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
    });

    [Fact(Skip = NotBuiltWatchdogForPickle)]
    [StacklessTest(Watchdog, "TestWatchdog.test_run_return", "pickle.tasklet", "stackless.run", "tasklet")]
    public void TestRunReturn() => Isolated.Run(() =>
    {
        // After restoring a pickled interrupted tasklet, Run(timeout) over a trivial tasklet returns null.
        var orig = Tasklet.SpawnFrame(() => WatchdogTests.BusyLoopFrame("pickleme"));
        Assert.Same(orig, Unittests.PendingApi.RunWatchdog(100));
        var copy = Tasklet.Load(orig.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());
        Tasklet.Spawn(Nop);
        Assert.Null(Unittests.PendingApi.RunWatchdog(0));
        orig.Kill();
        copy.Kill();
    });

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdog.test_lone_receive", "stackless.run", "channel.receive", "tasklet")]
    public void Test_lone_receive() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        Scheduler.Run();
        Assert.True(t.Blocked);
        t.Kill();
    });

    /// <summary>The test suite's SimpleScheduler.autoschedule: run with a timeout until only main is left; returns the number of rounds.</summary>
    internal static int Autoschedule(int ticks, bool soft)
    {
        var count = 0;
        while (Scheduler.RunCount > 1)
        {
            // Intended: var returned = Scheduler.Run(timeout: ticks, soft: soft); count++; returned?.Insert();
            _ = (ticks, soft);
            try
            {
                Scheduler.Run();
            }
            catch
            {
                while (Scheduler.RunCount > 1)
                {
                    Scheduler.Current.Next!.Kill();
                }

                throw;
            }

            count++;
        }

        return count;
    }

    /// <summary>The test suite's run_tasklets: three tasklets with ignore_nesting, autoscheduled; all must end.</summary>
    internal static int RunTasklets(Func<string, Func<Task>> fn, int ticks, bool soft)
    {
        var tasklets = new[] { "t1", "t2", "t3" }.Select(name => Tasklet.Spawn(fn(name))).ToList();
        tasklets.ForEach(t => t.SetIgnoreNesting(true));
        var count = Autoschedule(ticks, soft);
        Assert.All(tasklets, t => Assert.False(t.Alive));
        return count;
    }

    /// <summary>BusyLoop as a restorable frame.</summary>
    internal static async TaskletFrame BusyLoopFrame(string name)
    {
        for (var i = 0; i < 1000; i++)
        {
            await Scheduler.ScheduleAsync();
        }

        GC.KeepAlive(name);
    }

    internal static Func<Task> BusyLoop(string name) => () =>
    {
        var x = 0;
        for (var i = 0; i < 1000; i++)
        {
            x += name.Length;
        }

        return Task.FromResult(x);
    };

    internal static Func<Task> BusyLoopWithSchedule(string name) => async () =>
    {
        var x = 0;
        for (var i = 0; i < 1000; i++)
        {
            if (i % 50 == 0)
            {
                await Scheduler.ScheduleAsync();
            }

            x += name.Length;
        }
    };

    internal static Task DynamicLoop(string name)
    {
        for (var i = 0; i < 1000; i++)
        {
            _ = name;
        }

        return Task.CompletedTask;
    }

    internal static Func<Task> RecurseThenSchedule(string name) => async () =>
    {
        static async Task Recurse(int count)
        {
            if (count == 0)
            {
                await Scheduler.ScheduleAsync();
            }
            else
            {
                await Recurse(count - 1);
            }
        }

        foreach (var depth in new[] { 1, 10, 100, 500 })
        {
            await Recurse(depth);
        }
    };

    internal static Func<Task> AtomicLoops(string name) => () =>
    {
        for (var n = 0; n < 10; n++)
        {
            foreach (var count in new[] { 1, 10, 100, 500 })
            {
                var hold = Tasklet.Current.SetAtomic(true);
                for (var i = 0; i < count; i++)
                {
                    _ = name;
                }

                Tasklet.Current.SetAtomic(hold);
            }
        }

        return Task.CompletedTask;
    };
}

/// <summary>Port of test_watchdog.py, class TestWatchdogSoft (cooperative interruption, soft=True).</summary>
public class WatchdogSoftTests
{
    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_simple", "stackless.run", "tasklet", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert", "stackless.runcount")]
    public void TestSimple() => Isolated.Run(() =>
    {
        WatchdogTests.RunTasklets(WatchdogTests.BusyLoop, 100, soft: true);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_nested", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive", "tasklet.insert")]
    public void TestNested() => Isolated.Run(() =>
    {
        WatchdogTests.RunTasklets(WatchdogTests.RecurseThenSchedule, 100, soft: true);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_nested2", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting", "tasklet.alive")]
    public void TestNested2() => Isolated.Run(() =>
    {
        WatchdogTests.RunTasklets(WatchdogTests.RecurseThenSchedule, 0, soft: true);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_tasklet_with_schedule", "stackless.run", "stackless.schedule", "tasklet.set_ignore_nesting")]
    public void TestTaskletWithSchedule() => Isolated.Run(() =>
    {
        var n1 = WatchdogTests.RunTasklets(WatchdogTests.BusyLoop, 10, soft: true);
        var n2 = WatchdogTests.RunTasklets(WatchdogTests.BusyLoopWithSchedule, 10, soft: true);
        var soft = true;
        Assert.True(soft ? n1 < n2 : n1 > n2, $"soft={soft}: {n1} vs {n2}");
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_exec_tasklet", "stackless.run", "tasklet.set_ignore_nesting")]
    public void TestExecTasklet() => Isolated.Run(() =>
    {
        // Python exec()s the loop; the closest C# analogue is a dynamically invoked delegate.
        WatchdogTests.RunTasklets(name => () => (Task)((Func<string, Task>)WatchdogTests.DynamicLoop).DynamicInvoke(name)!, 100, soft: true);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_send_recv", "stackless.run", "channel", "channel.send", "channel.receive", "channel.send_exception", "tasklet")]
    public void TestSendRecv() => Isolated.Run(() =>
    {
        var chan = new Channel<string>();
        var count = 0;
        var server = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await chan.ReceiveAsync();
                count++;
            }
        });
        foreach (var name in new[] { "client1", "client2", "client3" })
        {
            Tasklet.Spawn(async () =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    if (i % 50 == 0)
                    {
                        await chan.SendAsync(name);
                    }
                }
            });
        }

        WatchdogTests.Autoschedule(100, soft: true);
        Assert.Equal(60, count);

        // The server dies of the StopIteration, which goes to main.
        Assert.Throws<StopIteration>(() => chan.SendException(new StopIteration()));
        Assert.False(server.Alive);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_atomic", "stackless.run", "tasklet.set_atomic", "stackless.current")]
    public void TestAtomic() => Isolated.Run(() =>
    {
        WatchdogTests.RunTasklets(WatchdogTests.AtomicLoops, 100, soft: true);
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_exception", "stackless.run", "tasklet.kill", "tasklet.next")]
    public void TestException() => Isolated.Run(() =>
    {
        Assert.Throws<TestError>(() => WatchdogTests.RunTasklets(_ => () => throw new TestError("UserWarning"), 100, soft: true));
    });

    [Fact(Skip = NotBuiltWatchdogForPickle)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_pickle", "pickle.tasklet", "stackless.run", "tasklet.insert", "tasklet.run", "tasklet.set_ignore_nesting", "stackless.enable_softswitch")]
    public void TestPickle() => Isolated.Run(() =>
    {
        // A tasklet interrupted by Scheduler.Run(timeout: 100) is pickled, restored, inserted and run to the end.
        var orig = Tasklet.SpawnFrame(() => WatchdogTests.BusyLoopFrame("pickleme"));
        Assert.True(orig.Restorable);
        var victim = Unittests.PendingApi.RunWatchdog(100, soft: true);
        Assert.Same(orig, victim);
        var copy = Tasklet.Load(orig.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());
        orig.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
    });

    [Fact(Skip = NotBuiltWatchdogForPickle)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_run_return", "pickle.tasklet", "stackless.run", "tasklet")]
    public void TestRunReturn() => Isolated.Run(() =>
    {
        // After restoring a pickled interrupted tasklet, Run(timeout) over a trivial tasklet returns null.
        var orig = Tasklet.SpawnFrame(() => WatchdogTests.BusyLoopFrame("pickleme"));
        Assert.Same(orig, Unittests.PendingApi.RunWatchdog(100));
        var copy = Tasklet.Load(orig.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());
        Tasklet.Spawn(Nop);
        Assert.Null(Unittests.PendingApi.RunWatchdog(0));
        orig.Kill();
        copy.Kill();
    });

    [Fact]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_lone_receive", "stackless.run", "channel.receive", "tasklet")]
    public void Test_lone_receive() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        Scheduler.Run();
        Assert.True(t.Blocked);
        t.Kill();
    });

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestWatchdogSoft.test_channelchain", "stackless.run", "channel.send", "channel.receive", "stackless.runcount", "tasklet.kill")]
    public void TestChannelchain() => Isolated.Run(() =>
    {
        var chans = Enumerable.Range(0, 3).Select(_ => new Channel<int>()).ToArray();
        var random = new Random(1);
        Func<Task> ChannelTasklet(int i) => async () =>
        {
            var a = i;
            var b = (i + 1) % 3;
            var recv = false;
            while (true)
            {
                if (i != 0 || recv)
                {
                    await chans[a].ReceiveAsync();
                }

                recv = true;
                var j = 0;
                for (var k = 0; k < random.Next(100, 1000); k++)
                {
                    j = k + k;
                }

                await chans[b].SendAsync(j);
            }
        };

        var c = Enumerable.Range(0, 3).Select(i => new Tasklet(ChannelTasklet(i))).ToList();
        foreach (var t in Enumerable.Reverse(c))
        {
            t.Setup();
        }

        try
        {
            for (var i = 0; i < 10; i++)
            {
                // Intended: Scheduler.Run(timeout: 50000, soft: true, totalTimeout: true, ignoreNesting: true);
                Scheduler.Run();
                Assert.True(Scheduler.RunCount is 3 or 4, $"runcount {Scheduler.RunCount}");
            }
        }
        finally
        {
            c.ForEach(t => t.Kill());
        }
    });
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

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_on_tasklet_soft", "stackless.run", "stackless.getruncount", "tasklet.kill", "stackless.schedule")]
    public void TestWatchdogOnTaskletSoft() => WatchdogOnTasklet(soft: true);

    [Fact(Skip = NotBuiltWatchdog)]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_on_tasklet_hard", "stackless.run", "stackless.getruncount", "tasklet.kill", "stackless.schedule")]
    public void TestWatchdogOnTaskletHard() => WatchdogOnTasklet(soft: false);

    [Fact(Skip = NotBuiltWatchdog + " (also skipped in the Python suite: leaks tasklets)")]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_priority_soft", "stackless.run", "stackless.atomic", "tasklet.kill")]
    public void TestWatchdogPrioritySoft() => WatchdogPriority(soft: true);

    [Fact(Skip = NotBuiltWatchdog + " (also skipped in the Python suite: leaks tasklets)")]
    [StacklessTest(Watchdog, "TestNewWatchdog.test_watchdog_priority_hard", "stackless.run", "stackless.atomic", "tasklet.kill")]
    public void TestWatchdogPriorityHard() => WatchdogPriority(soft: false);

    private static Func<Task> Spinner() => async () =>
    {
        while (true)
        {
            for (var i = 0; i < 200; i++)
            {
                _ = i;
            }

            await Scheduler.ScheduleAsync();
        }
    };

    private void WatchdogOnTasklet(bool soft) => Isolated.Run(() =>
    {
        SpawnWorker();
        var t1 = Tasklet.Spawn(Spinner());
        var t2 = Tasklet.Spawn(Spinner());
        Tasklet.SpawnHard(() =>
        {
            // Intended: Scheduler.Run(timeout: 2, soft: soft, totalTimeout: true, ignoreNesting: true);
            _ = soft;
            Scheduler.Run();
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
        var t1 = Tasklet.Spawn(Spinner());
        var t2 = Tasklet.Spawn(Spinner());
        void Runner(int recursive, int start)
        {
            if (recursive > 0)
            {
                Tasklet.SpawnHard(() => Runner(recursive - 1, start));
            }

            int a;
            using (Scheduler.Atomic())
            {
                // Intended: Scheduler.Run(timeout: 2, soft: soft, totalTimeout: true, ignoreNesting: true);
                _ = soft;
                Scheduler.Run();
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
