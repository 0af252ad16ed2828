using Stackless.Emu.Tests.Conformance.TestSuite;
using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.WatchdogSupport;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>
/// Ports of Stackless/unittests/test_watchdog.py. Tasklets that call the nested stackless.run() are hard tasklets here,
/// because Scheduler.Run() is a synchronous form (there is no Scheduler.RunAsync()).
/// </summary>
public class WatchdogTests
{
    private const string File = "Stackless/unittests/test_watchdog.py";

    // ---------------------------------------------------------------- TestWatchdog / TestWatchdogSoft (preemptive run)
    // The Python bodies are the same as the test suite's copy: see TestSuite.WatchdogBodies and WatchdogSupport.

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_simple", "stackless.run", "tasklet.insert", "stackless.run.timeout")]
    public void Hard_test_simple() => WatchdogBodies.Simple(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_nested", "stackless.run", "stackless.schedule", "stackless.run.timeout")]
    public void Hard_test_nested() => WatchdogBodies.Nested(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_nested2", "stackless.run", "stackless.schedule")]
    public void Hard_test_nested2() => WatchdogBodies.Nested2(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_tasklet_with_schedule", "stackless.run", "stackless.schedule", "stackless.run.timeout")]
    public void Hard_test_tasklet_with_schedule() => WatchdogBodies.TaskletWithSchedule(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_exec_tasklet", "stackless.run", "stackless.run.timeout")]
    public void Hard_test_exec_tasklet() => WatchdogBodies.ExecTasklet(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_send_recv", "stackless.run", "channel.send", "channel.receive", "channel.send_exception", "stackless.run.timeout")]
    public void Hard_test_send_recv() => WatchdogBodies.SendRecv(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_atomic", "stackless.run", "tasklet.set_atomic", "stackless.run.timeout")]
    public void Hard_test_atomic() => WatchdogBodies.AtomicLoops(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_exception", "stackless.run", "stackless.run.timeout")]
    public void Hard_test_exception() => WatchdogBodies.ExceptionRaised(soft: false);

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_pickle", "stackless.run", "pickle.tasklet")]
    public void Hard_test_pickle() => WatchdogBodies.Pickle();

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_run_return", "stackless.run", "pickle.tasklet")]
    public void Hard_test_run_return() => WatchdogBodies.RunReturn();

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_lone_receive", "stackless.run", "channel.receive")]
    public void Hard_test_lone_receive() => WatchdogBodies.LoneReceive();

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_simple", "stackless.run", "tasklet.insert", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_simple() => WatchdogBodies.Simple(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_nested", "stackless.run", "stackless.schedule", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_nested() => WatchdogBodies.Nested(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_nested2", "stackless.run", "stackless.schedule")]
    public void Soft_test_nested2() => WatchdogBodies.Nested2(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_tasklet_with_schedule", "stackless.run", "stackless.schedule", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_tasklet_with_schedule() => WatchdogBodies.TaskletWithSchedule(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_exec_tasklet", "stackless.run", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_exec_tasklet() => WatchdogBodies.ExecTasklet(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_send_recv", "stackless.run", "channel.send", "channel.receive", "channel.send_exception", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_send_recv() => WatchdogBodies.SendRecv(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_atomic", "stackless.run", "tasklet.set_atomic", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_atomic() => WatchdogBodies.AtomicLoops(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_exception", "stackless.run", "stackless.run.timeout", "stackless.run.soft")]
    public void Soft_test_exception() => WatchdogBodies.ExceptionRaised(soft: true);

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_pickle", "stackless.run", "pickle.tasklet")]
    public void Soft_test_pickle() => WatchdogBodies.Pickle();

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_run_return", "stackless.run", "pickle.tasklet")]
    public void Soft_test_run_return() => WatchdogBodies.RunReturn();

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_lone_receive", "stackless.run", "channel.receive")]
    public void Soft_test_lone_receive() => WatchdogBodies.LoneReceive();

    [Fact]
    [StacklessTest(File, "TestWatchdogSoft.test_channelchain", "stackless.run", "channel.send", "channel.receive", "stackless.getruncount", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void Soft_test_channelchain() => WatchdogBodies.ChannelChain();

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
        Func<Task> task = async () =>
        {
            while (true)
            {
                await Loop(500);
                await Scheduler.ScheduleAsync();
            }
        };
        var t1 = Tasklet.Spawn(task);
        var t2 = Tasklet.Spawn(task);
        Tasklet.SpawnHard(() =>
        {
            // run the watchdog long enough to start t1 and t2
            Scheduler.Run(Ticks(150), soft: soft, ignoreNesting: true, totalTimeout: true);
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

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_on_tasklet_soft", "stackless.run", "stackless.getruncount", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void Test_watchdog_on_tasklet_soft() => WatchdogOnTasklet(soft: true);

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_on_tasklet_hard", "stackless.run", "stackless.getruncount", "stackless.run.timeout", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
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
                Scheduler.Run(Ticks(10000), soft: soft, ignoreNesting: true, totalTimeout: true);
                a = awoken++;
            }

            if (recursive == start)
            {
                // we are the first watchdog
                Assert.Equal(0, a); // the first to wake up
                state.Done++; // we were interrupted
            }

            t1.Kill();
            t2.Kill();
        }

        Tasklet.SpawnHard(() => Runner(3, 3));
        Scheduler.Run();
        Assert.Equal(2, state.Done);
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_priority_soft", "stackless.run", "stackless.atomic", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void Test_watchdog_priority_soft() => WatchdogPriority(soft: true);

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_watchdog_priority_hard", "stackless.run", "stackless.atomic", "stackless.run.timeout", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void Test_watchdog_priority_hard() => WatchdogPriority(soft: false);

    private static void ScheduleDeeper(bool soft) => Isolated.Run(() =>
    {
        // Python also compares the watchdog stack (support.get_current_watchdog_list), C internals with no C# form.
        var state = new NewWatchdog();
        Scheduler.Run(); // get rid of the worker
        Assert.False(state.Worker.Alive);
        Assert.Equal(1, state.Done);

        var tasklets = new Tasklet?[3]; // watchdog1, watchdog2, worker
        tasklets[0] = Tasklet.SpawnHard(() =>
        {
            // watchdog1
            tasklets[1] = Tasklet.SpawnHard(() =>
            {
                // watchdog2
                tasklets[2] = Tasklet.Spawn(async () =>
                {
                    // worker
                    Assert.False(tasklets[1]!.Scheduled);
                    tasklets[1]!.Insert();
                    state.Done++;
                    for (var i = 0; i < 100; i++)
                    {
                        await Loop(100);
                    }

                    if (soft)
                    {
                        await Scheduler.ScheduleAsync();
                    }

                    state.Done++;
                });
                Scheduler.Run();
            });
            var victim = Scheduler.Run(Ticks(1000), soft: soft, ignoreNesting: true, totalTimeout: true);
            Assert.True(state.Done == 2, $"worker interrupted too early or too late, adapt timeout: {state.Done}");
            if (!soft)
            {
                Assert.Same(tasklets[2], victim);
            }
        });
        Scheduler.Run();
        Scheduler.Run();

        // avoid a resource leak
        foreach (var t in tasklets)
        {
            t?.Kill();
        }
    });

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_schedule_deeper_soft", "stackless.run", "tasklet.insert", "stackless.run.timeout", "stackless.run.soft", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void Test_schedule_deeper_soft() => ScheduleDeeper(soft: true);

    [Fact]
    [StacklessTest(File, "TestNewWatchdog.test_schedule_deeper_hard", "stackless.run", "tasklet.insert", "stackless.run.timeout", "stackless.run.totaltimeout", "stackless.run.ignore_nesting")]
    public void Test_schedule_deeper_hard() => ScheduleDeeper(soft: false);
}
