using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_watchdog.py. Tasklets that call the nested stackless.run() are hard tasklets here,
/// because Scheduler.Run() is a synchronous form (there is no Scheduler.RunAsync()).
/// </summary>
public class WatchdogTests
{
    private const string File = "Stackless/unittests/test_watchdog.py";
    private const string NoWatchdog = "Not built yet: Scheduler.Run(timeout) watchdog";
    private const string NoWatchdogForPickle = "Not built yet: Scheduler.Run(timeout) watchdog (the pickling half is built and called here)";

    // ---------------------------------------------------------------- TestWatchdog / TestWatchdogSoft (preemptive run)

    /// <summary>
    /// Stackless's autoschedule loop: run(100) until the queue is empty, re-inserting each interrupted tasklet. The
    /// emulation cannot interrupt between instructions, so the bodies below contain switch points.
    /// </summary>
    private static void RunWatchdogLoop(bool soft, int timeout = 100)
    {
        while (Scheduler.RunCount > 1)
        {
            var victim = PendingApi.RunWatchdog(timeout, soft: soft);
            victim?.Insert();
        }
    }

    private static async TaskletFrame LoopFrame(int n)
    {
        for (var i = 0; i < n; i++)
        {
            if (i % 10 == 0)
            {
                await Scheduler.ScheduleAsync();
            }
        }
    }

    private static async Task Loop(int n)
    {
        for (var i = 0; i < n; i++)
        {
            if (i % 10 == 0)
            {
                await Scheduler.ScheduleAsync();
            }
        }
    }

    private static void Simple(bool soft) => Isolated.Run(() =>
    {
        var tasklets = Enumerable.Range(0, 3).Select(_ => Tasklet.Spawn(() => Loop(1000))).ToList();
        RunWatchdogLoop(soft);
        Assert.All(tasklets, t => Assert.False(t.Alive));
    });

    private static async Task Nested(int depth)
    {
        if (depth > 0)
        {
            await Nested(depth - 1);
        }
        else
        {
            await Scheduler.ScheduleAsync();
        }
    }

    private static void NestedTest(bool soft, int timeout) => Isolated.Run(() =>
    {
        var tasklets = new[] { 1, 10, 100, 500 }.Select(d => Tasklet.Spawn(() => Nested(d))).ToList();
        if (timeout == 0)
        {
            Assert.Null(PendingApi.RunWatchdog(0, soft: soft));
        }
        else
        {
            RunWatchdogLoop(soft, timeout);
        }

        Assert.All(tasklets, t => Assert.False(t.Alive));
    });

    private static void TaskletWithSchedule(bool soft) => Isolated.Run(() =>
    {
        // n1: interrupts of a pure loop; n2: of a loop that schedules every 50 iterations.
        static int CountInterrupts(Func<Task> body, bool soft)
        {
            var t = Tasklet.Spawn(body);
            var n = 0;
            while (t.Alive)
            {
                var victim = PendingApi.RunWatchdog(10, soft: soft);
                if (victim is not null)
                {
                    n++;
                    victim.Insert();
                }
            }

            return n;
        }

        var n1 = CountInterrupts(() => Loop(1000), soft);
        var n2 = CountInterrupts(
            async () =>
            {
                for (var i = 0; i < 1000; i++)
                {
                    if (i % 50 == 0)
                    {
                        await Scheduler.ScheduleAsync();
                    }
                }
            },
            soft);
        if (soft)
        {
            Assert.True(n1 < n2, $"soft: {n1} < {n2}");
        }
        else
        {
            Assert.True(n1 > n2, $"hard: {n1} > {n2}");
        }
    });

    private static void ExecTasklet(bool soft) => Isolated.Run(() =>
    {
        // Stackless runs code strings via exec; the emulation's analogue is a dynamically created delegate.
        var code = (Func<Task>)Delegate.CreateDelegate(typeof(Func<Task>), typeof(WatchdogTests).GetMethod(nameof(ExecBody), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!);
        var tasklets = Enumerable.Range(0, 3).Select(_ => Tasklet.Spawn(code)).ToList();
        RunWatchdogLoop(soft);
        Assert.All(tasklets, t => Assert.False(t.Alive));
    });

    private static Task ExecBody() => Loop(500);

    private static void SendRecv(bool soft) => Isolated.Run(() =>
    {
        var chan = new Channel();
        var count = 0;
        var server = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await chan.ReceiveAsync();
                count++;
            }
        });
        for (var i = 0; i < 3; i++)
        {
            Tasklet.Spawn(async () =>
            {
                for (var j = 0; j < 20; j++)
                {
                    await chan.SendAsync(j);
                }
            });
        }

        RunWatchdogLoop(soft);
        Assert.Equal(60, count);
        Assert.Throws<StopIteration>(() => chan.SendException(typeof(StopIteration)));
        Assert.False(server.Alive);
    });

    private static void AtomicTest(bool soft) => Isolated.Run(() =>
    {
        var tasklets = Enumerable.Range(0, 3).Select(_ => Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 10; i++)
            {
                var old = Tasklet.Current.SetAtomic(true);
                await Loop(50);
                Tasklet.Current.SetAtomic(old);
                await Loop(50);
            }
        })).ToList();
        RunWatchdogLoop(soft);
        Assert.All(tasklets, t => Assert.False(t.Alive));
    });

    private static void ExceptionTest(bool soft) => Isolated.Run(() =>
    {
        Tasklet.Spawn(async () =>
        {
            await Loop(10);
            throw new ArithmeticException("UserWarning");
        });
        Assert.Throws<ArithmeticException>(() => PendingApi.RunWatchdog(100, soft: soft));
    });

    private static void PickleTest(bool soft) => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => LoopFrame(1000));
        var victim = PendingApi.RunWatchdog(100, soft: soft);
        Assert.Same(t, victim);
        Assert.True(t.Restorable, "an interrupted soft tasklet must be restorable for pickling");
        var copy = Tasklet.Load(t.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());
        t.Kill();
        copy.Insert();
        Scheduler.Run();
        Assert.False(copy.Alive);
    });

    private static void RunReturn(bool soft) => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(() => LoopFrame(1000));
        var victim = PendingApi.RunWatchdog(100, soft: soft);
        Assert.Same(t, victim);

        // Unpickle the interrupted tasklet, then run() with a trivial tasklet returns None.
        var copy = Tasklet.Load(t.Dump(), new PickleOptions().AllowAssemblyOf<WatchdogTests>());
        Tasklet.Spawn(() => Task.CompletedTask);
        Assert.Null(PendingApi.RunWatchdog(0));
        t.Kill();
        copy.Kill();
    });

    private static void LoneReceive() => Isolated.Run(() =>
    {
        // run() with only a tasklet that blocks forever returns normally.
        var t = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        Scheduler.Run();
        Assert.True(t.Blocked);
        t.Kill();
    });

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_simple", "stackless.run", "tasklet.insert")]
    public void Hard_test_simple() => Simple(soft: false);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_nested", "stackless.run", "stackless.schedule")]
    public void Hard_test_nested() => NestedTest(soft: false, timeout: 100);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_nested2", "stackless.run", "stackless.schedule")]
    public void Hard_test_nested2() => NestedTest(soft: false, timeout: 0);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_tasklet_with_schedule", "stackless.run", "stackless.schedule")]
    public void Hard_test_tasklet_with_schedule() => TaskletWithSchedule(soft: false);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_exec_tasklet", "stackless.run")]
    public void Hard_test_exec_tasklet() => ExecTasklet(soft: false);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_send_recv", "stackless.run", "channel.send", "channel.receive", "channel.send_exception")]
    public void Hard_test_send_recv() => SendRecv(soft: false);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_atomic", "stackless.run", "tasklet.set_atomic")]
    public void Hard_test_atomic() => AtomicTest(soft: false);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdog.test_exception", "stackless.run")]
    public void Hard_test_exception() => ExceptionTest(soft: false);

    [Fact(Skip = NoWatchdogForPickle)]
    [StacklessTest(File, "TestWatchdog.test_pickle", "stackless.run", "pickle.tasklet")]
    public void Hard_test_pickle() => PickleTest(soft: false);

    [Fact(Skip = NoWatchdogForPickle)]
    [StacklessTest(File, "TestWatchdog.test_run_return", "stackless.run", "pickle.tasklet")]
    public void Hard_test_run_return() => RunReturn(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_lone_receive", "stackless.run", "channel.receive")]
    public void Hard_test_lone_receive() => LoneReceive();

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_simple", "stackless.run", "tasklet.insert")]
    public void Soft_test_simple() => Simple(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_nested", "stackless.run", "stackless.schedule")]
    public void Soft_test_nested() => NestedTest(soft: true, timeout: 100);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_nested2", "stackless.run", "stackless.schedule")]
    public void Soft_test_nested2() => NestedTest(soft: true, timeout: 0);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_tasklet_with_schedule", "stackless.run", "stackless.schedule")]
    public void Soft_test_tasklet_with_schedule() => TaskletWithSchedule(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_exec_tasklet", "stackless.run")]
    public void Soft_test_exec_tasklet() => ExecTasklet(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_send_recv", "stackless.run", "channel.send", "channel.receive", "channel.send_exception")]
    public void Soft_test_send_recv() => SendRecv(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_atomic", "stackless.run", "tasklet.set_atomic")]
    public void Soft_test_atomic() => AtomicTest(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_exception", "stackless.run")]
    public void Soft_test_exception() => ExceptionTest(soft: true);

    [Fact(Skip = NoWatchdogForPickle)]
    [StacklessTest(File, "TestWatchdogSoft.test_pickle", "stackless.run", "pickle.tasklet")]
    public void Soft_test_pickle() => PickleTest(soft: true);

    [Fact(Skip = NoWatchdogForPickle)]
    [StacklessTest(File, "TestWatchdogSoft.test_run_return", "stackless.run", "pickle.tasklet")]
    public void Soft_test_run_return() => RunReturn(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_lone_receive", "stackless.run", "channel.receive")]
    public void Soft_test_lone_receive() => LoneReceive();

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestWatchdogSoft.test_channelchain", "stackless.run", "channel.send", "channel.receive", "stackless.getruncount")]
    public void Soft_test_channelchain() => Isolated.Run(() =>
    {
        var channels = Enumerable.Range(0, 3).Select(_ => new Channel()).ToArray();
        var random = new Random(42);
        var tasklets = new List<Tasklet>();
        for (var i = 0; i < 3; i++)
        {
            var input = channels[i];
            var output = channels[(i + 1) % 3];
            tasklets.Add(Tasklet.Spawn(async () =>
            {
                while (true)
                {
                    var token = await input.ReceiveAsync();
                    await Loop(random.Next(100));
                    await output.SendAsync(token);
                }
            }));
        }

        channels[0].Send("token");
        for (var i = 0; i < 10; i++)
        {
            PendingApi.RunWatchdog(50000, soft: true, totalTimeout: true);
            Assert.InRange(Scheduler.RunCount, 3, 4);
        }

        tasklets.ForEach(t => t.Kill());
    });

    // ---------------------------------------------------------------- TestDeadlock

    [Fact]
    [StacklessTest(File, "TestDeadlock.testReceiveOnMain", "channel.receive")]
    public void TestReceiveOnMain() => Isolated.Run(() =>
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() => new Channel().Receive());
        Assert.Contains("Deadlock", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(File, "TestDeadlock.test_main_receiving_endttasklet", "channel.receive")]
    public void Test_main_receiving_endttasklet() => Isolated.Run(() =>
    {
        var c = new Channel();
        Tasklet.Spawn(() => Task.CompletedTask);
        var error = Assert.ThrowsAny<InvalidOperationException>(() => c.Receive());
        Assert.Contains("receiving", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, c.Balance);
    });

    [Fact]
    [StacklessTest(File, "TestDeadlock.test_main_sending_enddtasklet", "channel.send")]
    public void Test_main_sending_enddtasklet() => Isolated.Run(() =>
    {
        var c = new Channel();
        Tasklet.Spawn(() => Task.CompletedTask);
        var error = Assert.ThrowsAny<InvalidOperationException>(() => c.Send(null));
        Assert.Contains("sending", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, c.Balance);
    });

    [Fact]
    [StacklessTest(File, "TestDeadlock.test_main_gets_exception", "channel.receive")]
    public void Test_main_gets_exception() => Isolated.Run(() =>
    {
        Tasklet.Spawn(() => throw new DivideByZeroException("mumbai"));
        var error = Assert.Throws<DivideByZeroException>(() => new Channel().Receive());
        Assert.Contains("mumbai", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(File, "TestDeadlock.test_tasklet_deadlock", "channel.receive", "channel.send")]
    public void Test_tasklet_deadlock() => Isolated.Run(() =>
    {
        var mc = new Channel();
        var raised = false;
        Tasklet.Spawn(async () =>
        {
            var c = new Channel();
            var error = await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await c.ReceiveAsync());
            Assert.Contains("Deadlock", error.Message, StringComparison.Ordinal);
            raised = true;
            await mc.SendAsync(null);
        });
        mc.Receive();
        Assert.True(raised);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestDeadlock.test_tasklet_and_main_receive", "channel.receive")]
    public void Test_tasklet_and_main_receive() => Isolated.Run(() =>
    {
        var mc = new Channel();
        var t = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());

        // main gets the tasklet's deadlock exception
        var error = Assert.ThrowsAny<InvalidOperationException>(() => mc.Receive());
        Assert.Contains("Deadlock", error.Message, StringComparison.Ordinal);
        Assert.False(t.Alive);
        Assert.Equal(0, mc.Balance);
    });

    [Fact]
    [StacklessTest(File, "TestDeadlock.test_error_propagation_when_not_deadlock", "stackless.run", "stackless.schedule")]
    public void Test_error_propagation_when_not_deadlock() => Isolated.Run(() =>
    {
        Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        Tasklet.Spawn(() => throw new DivideByZeroException("bar"));
        var error = Assert.Throws<DivideByZeroException>(Scheduler.Run);
        Assert.Equal("bar", error.Message);
        Scheduler.Run();
    });

    // ---------------------------------------------------------------- TestNewWatchdog (nested run())

    private sealed class NewWatchdog
    {
        public int Done;
        public readonly Tasklet Worker;

        public NewWatchdog() => Worker = Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync();
            Done++;
        });
    }

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_run_from_worker", "stackless.run", "stackless.schedule", "tasklet.run")]
    public void Test_run_from_worker() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        var t = Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            state.Done++;
        });

        // main runs as a normal tasklet now
        while (state.Done == 0)
        {
            Scheduler.Schedule();
        }

        // the runner is still inside its run(), because main was not blocked
        Assert.Equal(1, state.Done);
        Assert.True(t.Alive);

        // make the runner exit
        t.Run();
        Assert.Equal(2, state.Done);
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_run_from_worker_main_blocked", "stackless.run", "channel.receive", "channel.send")]
    public void Test_run_from_worker_main_blocked() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        var c = new Channel();
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            state.Done++;
            c.Send(null);
        });

        // main blocks
        c.Receive();
        Assert.Equal(2, state.Done);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_run_from_worker_main_running", "stackless.run")]
    public void Test_run_from_worker_main_running() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            Assert.Equal(1, state.Done);
            state.Done++;
        });
        Scheduler.Run();
        Assert.Equal(2, state.Done);
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_inner_run_completes_first", "stackless.run", "tasklet.paused", "stackless.main")]
    public void Test_inner_run_completes_first() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        var mainPaused = false;
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            mainPaused = Tasklet.Main.Paused;
            state.Done++;
        });
        Scheduler.Run();
        Assert.True(mainPaused, "the outer run() is paused when the inner one completes");
        Assert.Equal(2, state.Done);
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_inner_run_gets_error", "stackless.run")]
    public void Test_inner_run_gets_error() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        Tasklet.SpawnHard(() =>
        {
            Tasklet.Spawn(() => throw new InvalidOperationException("foo"));
            var error = Assert.Throws<InvalidOperationException>(Scheduler.Run);
            Assert.Equal("foo", error.Message);
            state.Done++;
        });
        Scheduler.Run();
        Assert.Equal(2, state.Done);
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_manual_wakeup", "stackless.run", "tasklet.run", "stackless.main")]
    public void Test_manual_wakeup() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        var runner = Tasklet.SpawnHard(() =>
        {
            Tasklet.Spawn(async () =>
            {
                await Tasklet.Main.RunAsync();
                state.Done++;
            });
            Scheduler.Run();
            state.Done++;
        });
        Scheduler.Run();
        Assert.Equal(1, state.Done); // only the worker has run now

        // Waking main also woke the inner watchdog: the runner is runnable again, not left paused in its run().
        Assert.True(runner.Scheduled);

        // empty all tasklets
        Scheduler.Run();
        Assert.Equal(3, state.Done);
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_main_exiting", "stackless.run", "stackless.schedule", "tasklet.kill")]
    public void Test_main_exiting() => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        var t = Tasklet.SpawnHard(() =>
        {
            Scheduler.Run();
            state.Done++;
        });

        while (state.Done == 0)
        {
            Scheduler.Schedule();
        }

        Assert.Equal(1, state.Done); // only the worker has finished
        Scheduler.Run();
        Assert.Equal(1, state.Done); // nothing happened: the other watchdog is not runnable
        Scheduler.Run();
        Assert.Equal(1, state.Done);
        Scheduler.Schedule();
        Assert.Equal(1, state.Done); // it won't leave its run() while main is runnable
        Assert.True(t.Alive);
        t.Kill();
        Assert.False(t.Alive);
    });

    private static void WatchdogOnTasklet(bool soft) => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        Tasklet? t1 = null, t2 = null;
        Func<Task> task = async () =>
        {
            while (true)
            {
                await Loop(500);
                await Scheduler.ScheduleAsync();
            }
        };
        t1 = Tasklet.Spawn(task);
        t2 = Tasklet.Spawn(task);
        Tasklet.SpawnHard(() =>
        {
            PendingApi.RunWatchdog(150, soft: soft, totalTimeout: true);
            if (Scheduler.RunCount > 0)
            {
                state.Done++; // we were interrupted
            }

            t1.Kill();
            t2.Kill();
        });
        Scheduler.Run();
        Assert.Equal(2, state.Done);
    });

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_on_tasklet_soft", "stackless.run", "stackless.getruncount")]
    public void Test_watchdog_on_tasklet_soft() => WatchdogOnTasklet(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_on_tasklet_hard", "stackless.run", "stackless.getruncount")]
    public void Test_watchdog_on_tasklet_hard() => WatchdogOnTasklet(soft: false);

    private static void WatchdogPriority(bool soft) => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        var awoken = 0;
        Func<Task> task = async () =>
        {
            while (true)
            {
                await Loop(100);
                await Scheduler.ScheduleAsync();
            }
        };
        var t1 = Tasklet.Spawn(task);
        var t2 = Tasklet.Spawn(task);

        void Runner(int recursive, int start)
        {
            if (recursive > 0)
            {
                Tasklet.SpawnHard(() => Runner(recursive - 1, start));
            }

            int a;
            using (Scheduler.Atomic())
            {
                PendingApi.RunWatchdog(10000, soft: soft, totalTimeout: true);
                a = awoken++;
            }

            if (recursive == start)
            {
                Assert.Equal(0, a); // the outermost watchdog wakes first
                state.Done++;
            }

            t1.Kill();
            t2.Kill();
        }

        Tasklet.SpawnHard(() => Runner(3, 3));
        Scheduler.Run();
        Assert.Equal(2, state.Done);
    });

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_priority_soft", "stackless.run", "stackless.atomic")]
    public void Test_watchdog_priority_soft() => WatchdogPriority(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_priority_hard", "stackless.run", "stackless.atomic")]
    public void Test_watchdog_priority_hard() => WatchdogPriority(soft: false);

    private static void ScheduleDeeper(bool soft) => Isolated.Run(() =>
    {
        var state = new NewWatchdog();
        Scheduler.Run(); // get rid of the worker
        Assert.False(state.Worker.Alive);
        Assert.Equal(1, state.Done);

        var tasklets = new Tasklet?[3]; // watchdog1, watchdog2, worker
        tasklets[0] = Tasklet.SpawnHard(() =>
        {
            tasklets[1] = Tasklet.SpawnHard(() =>
            {
                tasklets[2] = Tasklet.Spawn(async () =>
                {
                    Assert.False(tasklets[1]!.Scheduled);
                    tasklets[1]!.Insert();
                    state.Done++;
                    await Loop(1000);
                    if (soft)
                    {
                        await Scheduler.ScheduleAsync();
                    }

                    state.Done++;
                });
                Scheduler.Run();
            });
            var victim = PendingApi.RunWatchdog(1000, soft: soft, totalTimeout: true);
            Assert.Equal(3, state.Done);
            if (!soft)
            {
                Assert.Same(tasklets[2], victim);
            }
        });
        Scheduler.Run();
        Scheduler.Run();
        foreach (var t in tasklets)
        {
            t?.Kill();
        }
    });

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestNewWatchdog.test_schedule_deeper_soft", "stackless.run", "tasklet.insert")]
    public void Test_schedule_deeper_soft() => ScheduleDeeper(soft: true);

    [Fact(Skip = NoWatchdog)]
    [StacklessTest(File, "TestNewWatchdog.test_schedule_deeper_hard", "stackless.run", "tasklet.insert")]
    public void Test_schedule_deeper_hard() => ScheduleDeeper(soft: false);
}
