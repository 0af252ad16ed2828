using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>Ports of Stackless/unittests/test_miscell.py.</summary>
public class MiscellTests
{
    private const string File = "Stackless/unittests/test_miscell.py";

    // ---------------------------------------------------------------- TestWatchdog

    /// <summary>
    /// Stackless's runtask: a pure loop long enough to be interrupted. C# cannot be interrupted between instructions, so
    /// each iteration passes a preemption point (the emulation's "instruction" for the watchdog).
    /// </summary>
    private static async Task RunTask()
    {
        var x = 0;
        for (var i = 0; i < 1000; i++)
        {
            x++;
            await Scheduler.PreemptionPointAsync();
        }

        Assert.Equal(1000, x);
    }

    private static void Lifecycle(Tasklet t)
    {
        Assert.True(t.Alive);
        Assert.True(t.Scheduled);
        t.SetIgnoreNesting(true);

        var interrupted = Scheduler.Run(10);
        Assert.Same(t, interrupted);
        Assert.True(t.Alive);
        Assert.True(t.Paused);
        Assert.False(t.Scheduled);

        t.Insert();
        Assert.False(t.Paused);
        Assert.True(t.Scheduled);

        Scheduler.Run();
        Assert.False(t.Alive);
        Assert.False(t.Scheduled);
    }

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_aliveness1", "stackless.run", "tasklet.alive", "tasklet.scheduled", "tasklet.paused", "tasklet.insert", "tasklet.set_ignore_nesting", "stackless.run.timeout")]
    public void Test_aliveness1() => Isolated.Run(() => Lifecycle(Tasklet.Spawn(RunTask)));

    /// <summary>RunTask as a restorable frame (pickling needs the library's frame type).</summary>
    private static async TaskletFrame RunTaskFrame()
    {
        var x = 0;
        for (var i = 0; i < 1000; i++)
        {
            x++;
            await Scheduler.PreemptionPointAsync();
        }

        Assert.Equal(1000, x);
    }

    private static Tasklet Copy(Tasklet t) => Tasklet.Load(t.Dump(), new PickleOptions().AllowAssemblyOf<MiscellTests>());

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_aliveness2", "pickle.tasklet", "stackless.run", "tasklet.remove", "tasklet.insert")]
    public void Test_aliveness2() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(RunTaskFrame);
        Assert.True(t.Restorable);
        var copy = Copy(t);
        t.Remove();
        copy.Insert();
        Lifecycle(copy);
        t.Kill();
    });

    [Fact]
    [StacklessTest(File, "TestWatchdog.test_aliveness3", "pickle.tasklet", "stackless.run", "tasklet.kill")]
    public void Test_aliveness3() => Isolated.Run(() =>
    {
        var t = Tasklet.SpawnFrame(RunTaskFrame);
        t.SetIgnoreNesting(true);
        Assert.True(t.Alive);
        Assert.True(t.Scheduled);

        var interrupted = Scheduler.Run(100);
        Assert.Same(t, interrupted);
        Assert.True(t.Paused);

        var copy = Copy(t);
        t.Kill();
        copy.Insert();
        Assert.True(copy.Alive);
        Assert.False(copy.Paused);
        Assert.True(copy.Scheduled);
        Scheduler.Run();
        Assert.False(copy.Alive);
        Assert.False(copy.Scheduled);
    });

    // ---------------------------------------------------------------- TestTaskletSwitching

    [Fact]
    [StacklessTest(File, "TestTaskletSwitching.test_raise_exception", "tasklet.raise_exception", "channel.receive", "tasklet.run")]
    public void Test_raise_exception() => Isolated.Run(() =>
    {
        var c = new Channel();
        var raised = false;
        var s = Tasklet.Spawn(async () =>
        {
            await Assert.ThrowsAsync<IndexOutOfRangeException>(async () => await c.ReceiveAsync());
            raised = true;
        });
        s.Run();
        s.RaiseException(typeof(IndexOutOfRangeException));
        Assert.True(raised);
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletSwitching.test_run", "tasklet.run")]
    public void Test_run() => Isolated.Run(() =>
    {
        var flag = false;
        var s = Tasklet.Spawn(() =>
        {
            flag = true;
            return Task.CompletedTask;
        });
        s.Run();
        Assert.True(flag);
    });

    [Fact]
    [StacklessTest(File, "TestTaskletSwitching.test_switch_to_current", "tasklet.switch", "stackless.current")]
    public void Test_switch_to_current() => Isolated.Run(() =>
    {
        var current = Tasklet.Current;
        current.Switch();
        current.Switch();
        Assert.Same(current, Tasklet.Current);
        Assert.Equal(1, Scheduler.RunCount);
    });

    // ---------------------------------------------------------------- TestTaskletThrowImmediate / NonImmediate

    private static void AfterCheck(Tasklet s, bool pending)
    {
        if (!pending)
        {
            Assert.False(s.Alive); // the tasklet ran immediately
        }
        else
        {
            Assert.True(s.Alive); // after a pending throw the tasklet has not run yet
            s.Run();
            Assert.False(s.Alive);
        }
    }

    private static void ThrowNoArgs(bool pending) => Isolated.Run(() =>
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () => await Assert.ThrowsAsync<IndexOutOfRangeException>(async () => await c.ReceiveAsync()));
        s.Run();
        s.Throw(new IndexOutOfRangeException(), pending);
        AfterCheck(s, pending);
    });

    private static void ThrowArgs(bool pending) => Isolated.Run(() =>
    {
        var c = new Channel();
        string? message = null;
        var s = Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (Exception e)
            {
                Assert.IsType<IndexOutOfRangeException>(e);
                message = e.Message;
            }
        });
        s.Run();
        s.Throw(new IndexOutOfRangeException("(1, 2, 3)"), pending);
        AfterCheck(s, pending);
        Assert.Equal("(1, 2, 3)", message);
    });

    private static void ThrowInst(bool pending) => Isolated.Run(() =>
    {
        var c = new Channel();
        var error = new IndexOutOfRangeException("(1, 2, 3)");
        Exception? received = null;
        var s = Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (Exception e)
            {
                received = e;
            }
        });
        s.Run();
        s.Throw(error, pending);
        AfterCheck(s, pending);
        Assert.Same(error, received);
    });

    private static void ErrFunc(int zero) => _ = 1 / zero;

    private static void ThrowExcInfo(bool pending, bool checkTraceback) => Isolated.Run(() =>
    {
        var c = new Channel();
        Exception? received = null;
        var s = Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (Exception e)
            {
                received = e;
            }
        });
        s.Run();
        try
        {
            ErrFunc(0);
        }
        catch (DivideByZeroException e)
        {
            s.Throw(e, pending);
        }

        AfterCheck(s, pending);
        Assert.IsType<DivideByZeroException>(received);
        if (checkTraceback)
        {
            Assert.Contains(nameof(ErrFunc), received!.StackTrace, StringComparison.Ordinal);
        }
    });

    private static void ThrowNew(bool pending) => Isolated.Run(() =>
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () =>
        {
            try
            {
                await c.ReceiveAsync();
            }
            catch (Exception e)
            {
                Assert.IsType<IndexOutOfRangeException>(e);
                throw;
            }
        });
        Assert.True(s.Alive);

        // The "unhandled exception" behaviour applies to a tasklet that never ran: the error reaches main.
        if (!pending)
        {
            Assert.Throws<IndexOutOfRangeException>(() => s.Throw(new IndexOutOfRangeException(), pending));
        }
        else
        {
            s.Throw(new IndexOutOfRangeException(), pending);
            Assert.Throws<IndexOutOfRangeException>(() => Scheduler.Run());
        }

        Assert.False(s.Alive);
        Assert.Equal(0, c.Balance);
    });

    private static void KillNew() => Isolated.Run(() =>
    {
        var s = Tasklet.Spawn(() =>
        {
            Assert.Fail("should not run this");
            return Task.CompletedTask;
        });
        s.Throw(new TaskletExit());
        Scheduler.Run();
        var error = Assert.ThrowsAny<InvalidOperationException>(() => s.Run());
        Assert.Contains("dead", error.Message, StringComparison.Ordinal);
    });

    private static Tasklet DeadTasklet()
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () => await c.ReceiveAsync());
        s.Run();
        c.Send(null);
        Scheduler.Run();
        Assert.False(s.Alive);
        return s;
    }

    private static void ThrowDead(bool pending) => Isolated.Run(() =>
    {
        var s = DeadTasklet();
        var error = Assert.ThrowsAny<InvalidOperationException>(() => s.Throw(new IndexOutOfRangeException(), pending));
        Assert.Equal("You cannot throw to a dead tasklet", error.Message);
    });

    private static void KillDead(bool pending) => Isolated.Run(() =>
    {
        var s = DeadTasklet();
        s.Throw(new TaskletExit(), pending); // nothing happens
        Assert.False(s.Alive);
    });

    private static void ThrowInvalid(bool pending) => Isolated.Run(() =>
    {
        var s = Tasklet.Current;

        // throw() without an exception, and a class that is not an exception, are TypeErrors. (The original's second case,
        // throw(IndexError(1), (1,2,3)), passes an instance and a separate value, which C#'s Throw(Exception) cannot
        // express; a class with arguments it has no constructor for is built as Python would build IndexError(1, 2, 3),
        // the arguments kept in Data["args"].)
        Assert.ThrowsAny<ArgumentException>(() => s.Throw(null!, pending));
        var raised = Assert.Throws<IndexOutOfRangeException>(() => s.RaiseException(typeof(IndexOutOfRangeException), 1, 2, 3));
        Assert.Equal(new object[] { 1, 2, 3 }, (object?[])raised.Data["args"]!);
        Assert.ThrowsAny<ArgumentException>(() => s.RaiseException(typeof(string)));
    });

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_throw_noargs", "tasklet.throw", "channel.receive")]
    public void Immediate_test_throw_noargs() => ThrowNoArgs(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_throw_args", "tasklet.throw", "channel.receive")]
    public void Immediate_test_throw_args() => ThrowArgs(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_throw_inst", "tasklet.throw", "channel.receive")]
    public void Immediate_test_throw_inst() => ThrowInst(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_throw_exc_info", "tasklet.throw", "channel.receive")]
    public void Immediate_test_throw_exc_info() => ThrowExcInfo(pending: false, checkTraceback: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_throw_traceback", "tasklet.throw", "channel.receive")]
    public void Immediate_test_throw_traceback() => ThrowExcInfo(pending: false, checkTraceback: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_new", "tasklet.throw", "tasklet.alive", "stackless.run")]
    public void Immediate_test_new() => ThrowNew(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_kill_new", "tasklet.throw", "stackless.TaskletExit", "stackless.run", "tasklet.run")]
    public void Immediate_test_kill_new() => KillNew();

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_dead", "tasklet.throw", "tasklet.alive", "channel.send")]
    public void Immediate_test_dead() => ThrowDead(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_kill_dead", "tasklet.throw", "stackless.TaskletExit")]
    public void Immediate_test_kill_dead() => KillDead(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowImmediate.test_throw_invalid", "tasklet.throw", "stackless.getcurrent")]
    public void Immediate_test_throw_invalid() => ThrowInvalid(pending: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_throw_noargs", "tasklet.throw", "channel.receive")]
    public void NonImmediate_test_throw_noargs() => ThrowNoArgs(pending: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_throw_args", "tasklet.throw", "channel.receive")]
    public void NonImmediate_test_throw_args() => ThrowArgs(pending: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_throw_inst", "tasklet.throw", "channel.receive")]
    public void NonImmediate_test_throw_inst() => ThrowInst(pending: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_throw_exc_info", "tasklet.throw", "channel.receive")]
    public void NonImmediate_test_throw_exc_info() => ThrowExcInfo(pending: true, checkTraceback: false);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_throw_traceback", "tasklet.throw", "channel.receive")]
    public void NonImmediate_test_throw_traceback() => ThrowExcInfo(pending: true, checkTraceback: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_new", "tasklet.throw", "tasklet.alive", "stackless.run")]
    public void NonImmediate_test_new() => ThrowNew(pending: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_kill_new", "tasklet.throw", "stackless.TaskletExit", "stackless.run", "tasklet.run")]
    public void NonImmediate_test_kill_new() => KillNew();

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_dead", "tasklet.throw", "tasklet.alive", "channel.send")]
    public void NonImmediate_test_dead() => ThrowDead(pending: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_kill_dead", "tasklet.throw", "stackless.TaskletExit")]
    public void NonImmediate_test_kill_dead() => KillDead(pending: true);

    [Fact]
    [StacklessTest(File, "TestTaskletThrowNonImmediate.test_throw_invalid", "tasklet.throw", "stackless.getcurrent")]
    public void NonImmediate_test_throw_invalid() => ThrowInvalid(pending: true);

    // ---------------------------------------------------------------- TestSwitchTrap

    private static void AssertSwitchTrap(Action action)
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(action);
        Assert.Contains("switch_trap", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_schedule", "stackless.switch_trap", "stackless.schedule", "stackless.run")]
    public void SwitchTrap_test_schedule() => Isolated.Run(() =>
    {
        Tasklet.Spawn(() => Task.CompletedTask);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(Scheduler.Schedule);
        }

        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_schedule_remove", "stackless.switch_trap", "stackless.schedule_remove", "tasklet.insert")]
    public void SwitchTrap_test_schedule_remove() => Isolated.Run(() =>
    {
        var main = Tasklet.Current;
        Tasklet.Spawn(() =>
        {
            main.Insert();
            return Task.CompletedTask;
        });
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(Scheduler.ScheduleRemove);
        }

        Scheduler.ScheduleRemove();
        Assert.True(main.Scheduled);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_run", "stackless.switch_trap", "stackless.run")]
    public void SwitchTrap_test_run() => Isolated.Run(() =>
    {
        var s = Tasklet.Spawn(() => Task.CompletedTask);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(Scheduler.Run);
        }

        Scheduler.Run();
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_run_specific", "stackless.switch_trap", "tasklet.run")]
    public void SwitchTrap_test_run_specific() => Isolated.Run(() =>
    {
        var s = Tasklet.Spawn(() => Task.CompletedTask);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => s.Run());
        }

        s.Run();
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_run_paused", "stackless.switch_trap", "tasklet.run", "tasklet.bind", "tasklet.paused")]
    public void SwitchTrap_test_run_paused() => Isolated.Run(() =>
    {
        // bind(args=()) makes a tasklet alive but not scheduled: Setup() then Remove().
        var s = new Tasklet(() => Task.CompletedTask).Setup().Remove();
        Assert.True(s.Paused);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => s.Run());
        }

        Assert.True(s.Paused);
        Scheduler.Run();
        Assert.True(s.Paused);
        s.Kill();
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_send", "stackless.switch_trap", "channel.send")]
    public void SwitchTrap_test_send() => Isolated.Run(() =>
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () => await c.ReceiveAsync());
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => c.Send(null));
        }

        c.Send(null);
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_send_throw", "stackless.switch_trap", "channel.send_throw")]
    public void SwitchTrap_test_send_throw() => Isolated.Run(() =>
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () => await Assert.ThrowsAsync<NotImplementedException>(async () => await c.ReceiveAsync()));
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => c.SendThrow(new NotImplementedException()));
        }

        c.SendThrow(new NotImplementedException());
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_receive", "stackless.switch_trap", "channel.receive")]
    public void SwitchTrap_test_receive() => Isolated.Run(() =>
    {
        var c = new Channel();
        Tasklet.Spawn(async () => await c.SendAsync(1));
        using (PendingApi.SwitchTrapped())
        {
            Assert.ThrowsAny<InvalidOperationException>(() => c.Receive());
        }

        Assert.Equal(1, c.Receive());
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_receive_throw", "stackless.switch_trap", "channel.receive", "channel.send_throw")]
    public void SwitchTrap_test_receive_throw() => Isolated.Run(() =>
    {
        var c = new Channel();
        Tasklet.Spawn(async () => await c.SendThrowAsync(new NotImplementedException()));
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => c.Receive());
        }

        Assert.Throws<NotImplementedException>(() => c.Receive());
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_raise_exception", "stackless.switch_trap", "tasklet.raise_exception")]
    public void SwitchTrap_test_raise_exception() => Isolated.Run(() =>
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () => await Assert.ThrowsAsync<IndexOutOfRangeException>(async () => await c.ReceiveAsync()));
        s.Run();
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => s.RaiseException(typeof(InvalidOperationException)));
        }

        s.RaiseException(typeof(IndexOutOfRangeException));
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_kill", "stackless.switch_trap", "tasklet.kill", "stackless.TaskletExit")]
    public void SwitchTrap_test_kill() => Isolated.Run(() =>
    {
        var c = new Channel();
        var s = Tasklet.Spawn(async () => await Assert.ThrowsAsync<TaskletExit>(async () => await c.ReceiveAsync()));
        s.Run();
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => s.Kill());
        }

        s.Kill();
        Assert.False(s.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestSwitchTrap.test_run2", "stackless.switch_trap", "tasklet.run")]
    public void SwitchTrap_test_run2() => Isolated.Run(() =>
    {
        var s = Tasklet.Spawn(() => Task.CompletedTask);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => s.Run());
        }

        s.Run();
        Assert.False(s.Alive);
    });

    // ---------------------------------------------------------------- TestKill

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_pending_true", "tasklet.kill", "tasklet.run", "stackless.schedule", "stackless.TaskletExit")]
    public void Test_kill_pending_true() => Isolated.Run(() =>
    {
        var killed = false;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleAsync();
            }
            catch (TaskletExit)
            {
                killed = true;
                throw;
            }
        });
        t.Run();
        Assert.False(killed);
        t.Kill(pending: true);
        Assert.False(killed);
        t.Run();
        Assert.True(killed);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_pending_False", "tasklet.kill", "stackless.TaskletExit")]
    public void Test_kill_pending_False() => Isolated.Run(() =>
    {
        var killed = false;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleAsync();
            }
            catch (TaskletExit)
            {
                killed = true;
                throw;
            }
        });
        t.Run();
        Assert.False(killed);
        t.Kill(pending: false);
        Assert.True(killed);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_current", "tasklet.kill", "stackless.current", "tasklet.thread_id")]
    public void Test_kill_current() => Isolated.Run(() =>
    {
        var killed = false;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Tasklet.Current.KillAsync();
            }
            catch (TaskletExit)
            {
                killed = true;
                throw;
            }
        });
        t.Run();
        Assert.True(killed);
        Assert.False(t.Alive);
        Assert.Equal(Tasklet.Current.ThreadId, t.ThreadId);
    });

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_thread_without_main_tasklet", "tasklet.kill", "tasklet.bind_thread", "tasklet.blocked")]
    public void Test_kill_thread_without_main_tasklet() => Isolated.Run(() =>
    {
        // Stackless binds an unbound tasklet to another thread (bind_thread), blocks it there, and kills it (pending)
        // while that thread is ending. Without bind_thread the tasklet is created in the other thread.
        var channel = new Channel();
        Tasklet? tlet = null;
        using var ready = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            tlet = Tasklet.Spawn(async () => await channel.ReceiveAsync());
            tlet.Run();
            ready.Set();
        });
        thread.Start();
        ready.Wait();
        var isBlocked = tlet!.Blocked;
        try
        {
            tlet.Kill(pending: true);
        }
        catch (InvalidOperationException e)
        {
            Assert.Contains("Target thread isn't initialised", e.Message, StringComparison.Ordinal);
        }

        Assert.True(isBlocked);
        thread.Join();
    });

    private static void KillWithoutThreadState(bool hard, bool block) => Isolated.Run(() =>
    {
        var channel = new Channel();
        var loop = true;

        // Python's bind(task, ()) sets the tasklet up without scheduling it; the other thread binds it and runs it.
        var tlet = hard
            ? Tasklet.CreateHard(() =>
            {
                while (Volatile.Read(ref loop))
                {
                    try
                    {
                        if (block)
                        {
                            channel.Receive();
                        }
                        else
                        {
                            Tasklet.Main.Run();
                        }
                    }
                    catch (TaskletExit)
                    {
                    }
                }
            }).Setup().Remove()
            : new Tasklet(async () =>
            {
                while (Volatile.Read(ref loop))
                {
                    try
                    {
                        if (block)
                        {
                            await channel.ReceiveAsync();
                        }
                        else
                        {
                            await Tasklet.Main.RunAsync();
                        }
                    }
                    catch (TaskletExit)
                    {
                    }
                }
            }).Setup().Remove();
        var thread = new Thread(() =>
        {
            tlet.BindThread();
            tlet.Run();
        })
        { IsBackground = true, Name = "other thread" };
        thread.Start();
        Scheduler.ParkThread(thread.Join); // Python's join releases the GIL: the other thread binds our tasklet meanwhile

        Volatile.Write(ref loop, false);
        Assert.Equal(block, tlet.Blocked);
        Assert.False(tlet.Alive);
        Assert.Equal(-1, tlet.ThreadId);
        var error = Assert.ThrowsAny<InvalidOperationException>(() => tlet.Throw(new TaskletExit(), pending: true));
        Assert.Contains("tasklet has no thread", error.Message, StringComparison.Ordinal);
        tlet.Kill(pending: true);
        Assert.False(tlet.Blocked);
        Assert.False(tlet.Scheduled);
        Assert.Null(tlet.Next);
        Assert.Null(tlet.Prev);
        Assert.False(tlet.Alive);
    }, checkLeftovers: false);

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_without_thread_state_nl0", "tasklet.kill", "tasklet.throw", "tasklet.thread_id", "tasklet.blocked", "tasklet.alive", "tasklet.next", "tasklet.prev")]
    public void Test_kill_without_thread_state_nl0() => KillWithoutThreadState(hard: false, block: false);

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_without_thread_state_nl1", "tasklet.kill", "tasklet.throw", "tasklet.thread_id", "tasklet.blocked", "tasklet.alive", "tasklet.next", "tasklet.prev")]
    public void Test_kill_without_thread_state_nl1() => KillWithoutThreadState(hard: true, block: false);

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_without_thread_state_blocked_nl0", "tasklet.kill", "tasklet.throw", "tasklet.thread_id", "tasklet.blocked", "tasklet.alive", "tasklet.next", "tasklet.prev")]
    public void Test_kill_without_thread_state_blocked_nl0() => KillWithoutThreadState(hard: false, block: true);

    [Fact]
    [StacklessTest(File, "TestKill.test_kill_without_thread_state_blocked_nl1", "tasklet.kill", "tasklet.throw", "tasklet.thread_id", "tasklet.blocked", "tasklet.alive", "tasklet.next", "tasklet.prev")]
    public void Test_kill_without_thread_state_blocked_nl1() => KillWithoutThreadState(hard: true, block: true);

    // ---------------------------------------------------------------- TestErrorHandler

    private sealed class ErrorHandlerState
    {
        public bool Ran;
        public bool Handled;
        public Tasklet? HandledTasklet;

        public void Handler(Exception e)
        {
            Assert.NotNull(e);
            Handled = true;
            HandledTasklet = Tasklet.Current;
        }

        public void BrokenHandler(Exception e)
        {
            Handled = true;
            throw new IndexOutOfRangeException("we are the mods");
        }

        public Func<Task> Func(Action<Exception> handler) => () =>
        {
            Ran = true;
            var h = PendingApi.SetErrorHandler(null);
            PendingApi.SetErrorHandler(h);
            Assert.Equal(handler, h);
            throw new DivideByZeroException("I am broken");
        };

        public static IDisposable With(Action<Exception> handler)
        {
            var old = PendingApi.SetErrorHandler(handler);
            return new Restore(old);
        }

        private sealed class Restore(Action<Exception>? old) : IDisposable
        {
            public void Dispose() => PendingApi.SetErrorHandler(old);
        }
    }

    [Fact]
    [StacklessTest(File, "TestErrorHandler.test_set", "stackless.set_error_handler")]
    public void ErrorHandler_test_set() => Isolated.Run(() =>
    {
        Action<Exception> foo = _ => { };
        Assert.Null(PendingApi.SetErrorHandler(foo));
        Assert.Equal(foo, PendingApi.SetErrorHandler(null));
        Assert.Null(PendingApi.SetErrorHandler(null));
    });

    [Fact]
    [StacklessTest(File, "TestErrorHandler.test_handler", "stackless.set_error_handler", "stackless.run")]
    public void ErrorHandler_test_handler() => Isolated.Run(() =>
    {
        var state = new ErrorHandlerState();
        Action<Exception> handler = state.Handler;
        Tasklet.Spawn(state.Func(handler));
        using (ErrorHandlerState.With(handler))
        {
            Scheduler.Run();
        }

        Assert.True(state.Ran);
        Assert.True(state.Handled);
    });

    [Fact]
    [StacklessTest(File, "TestErrorHandler.test_borken_handler", "stackless.set_error_handler", "stackless.run")]
    public void ErrorHandler_test_broken_handler() => Isolated.Run(() =>
    {
        var state = new ErrorHandlerState();
        Action<Exception> handler = state.BrokenHandler;
        Tasklet.Spawn(state.Func(handler));
        using (ErrorHandlerState.With(handler))
        {
            var error = Assert.Throws<IndexOutOfRangeException>(Scheduler.Run);
            Assert.Contains("mods", error.Message, StringComparison.Ordinal);
        }

        Assert.True(state.Ran);
        Assert.True(state.Handled);
    });

    [Fact]
    [StacklessTest(File, "TestErrorHandler.test_early_hrow", "stackless.set_error_handler", "tasklet.throw")]
    public void ErrorHandler_test_early_throw() => Isolated.Run(() =>
    {
        var state = new ErrorHandlerState();
        Action<Exception> handler = state.Handler;
        var s = Tasklet.Spawn(state.Func(handler));
        using (ErrorHandlerState.With(handler))
        {
            s.Throw(new DivideByZeroException("thrown error"));
        }

        Assert.False(state.Ran);
        Assert.True(state.Handled);
    });

    [Fact]
    [StacklessTest(File, "TestErrorHandler.test_getcurrent", "stackless.set_error_handler", "tasklet.throw", "tasklet.run", "stackless.getcurrent")]
    public void ErrorHandler_test_getcurrent() => Isolated.Run(() =>
    {
        var state = new ErrorHandlerState();
        Action<Exception> handler = state.Handler;
        var s = Tasklet.Spawn(state.Func(handler));
        using (ErrorHandlerState.With(handler))
        {
            s.Throw(new DivideByZeroException("thrown error"));
        }

        Assert.Same(s, state.HandledTasklet);

        state.HandledTasklet = null;
        s = Tasklet.Spawn(state.Func(handler));
        using (ErrorHandlerState.With(handler))
        {
            s.Run();
        }

        Assert.Same(s, state.HandledTasklet);
    });

    [Fact]
    [StacklessTest(File, "TestErrorHandler.test_throw_pending", "stackless.set_error_handler", "tasklet.throw", "tasklet.run", "stackless.schedule")]
    public void ErrorHandler_test_throw_pending() => Isolated.Run(() =>
    {
        var state = new ErrorHandlerState();
        Action<Exception> handler = state.Handler;
        var s = Tasklet.Spawn(async () =>
        {
            state.Ran = true;
            await Scheduler.ScheduleAsync();
            await state.Func(handler)();
        });
        s.Run();
        Assert.True(state.Ran);
        Assert.False(state.Handled);
        using (ErrorHandlerState.With(handler))
        {
            s.Throw(new DivideByZeroException("thrown error"), pending: true);
        }

        Assert.Null(state.HandledTasklet);
        using (ErrorHandlerState.With(handler))
        {
            s.Run();
        }

        Assert.Same(s, state.HandledTasklet);
    });

    // ---------------------------------------------------------------- TestContextManager

    [Fact]
    [StacklessTest(File, "TestContextManager.test_tasklet_switch_in_exitfunc_after_return", "stackless.schedule_remove", "tasklet.tempval", "tasklet.run")]
    public void Test_tasklet_switch_in_exitfunc_after_return() => Isolated.Run(() =>
    {
        // The C# analogue of a context manager's __exit__ switching away after a 'return': a finally block that calls
        // schedule_remove(4711) after the try block returned.
        var reachedEnd = false;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                return;
            }
            finally
            {
                Tasklet.Current.TempVal = 4711;
                await Scheduler.ScheduleRemoveAsync();
                reachedEnd = true;
            }
        });
        t.Run();
        Assert.Equal(4711, t.TempVal); // back from the finally block
        Assert.True(t.Paused);
        t.Run();
        Assert.True(reachedEnd);
        Assert.False(t.Alive);
    });

    // ---------------------------------------------------------------- TestAtomic

    [Fact]
    [StacklessTest(File, "TestAtomic.testAtomic", "tasklet.set_atomic", "tasklet.atomic")]
    public void TestAtomic() => Isolated.Run(() =>
    {
        var current = Tasklet.Current;
        var old = current.Atomic;
        try
        {
            Assert.Equal(old, current.SetAtomic(false));
            Assert.False(current.Atomic);
            Assert.False(current.SetAtomic(true));
            Assert.True(current.Atomic);
            Assert.True(current.SetAtomic(true));
            Assert.True(current.Atomic);
            Assert.True(current.SetAtomic(false));
            Assert.False(current.Atomic);
        }
        finally
        {
            current.SetAtomic(old);
        }

        Assert.Equal(old, current.Atomic);
    });

    [Fact]
    [StacklessTest(File, "TestAtomic.testAtomicCtxt", "stackless.atomic", "tasklet.atomic", "tasklet.set_atomic")]
    public void TestAtomicCtxt() => Isolated.Run(() =>
    {
        var old = Tasklet.Current.SetAtomic(false);
        try
        {
            using (Scheduler.Atomic())
            {
                Assert.True(Tasklet.Current.Atomic);
            }

            Assert.False(Tasklet.Current.Atomic);
        }
        finally
        {
            Tasklet.Current.SetAtomic(old);
        }
    });

    [Fact]
    [StacklessTest(File, "TestAtomic.testAtomicNopCtxt", "stackless.atomic", "tasklet.atomic", "tasklet.set_atomic")]
    public void TestAtomicNopCtxt() => Isolated.Run(() =>
    {
        var old = Tasklet.Current.SetAtomic(true);
        try
        {
            using (Scheduler.Atomic())
            {
                Assert.True(Tasklet.Current.Atomic);
            }

            Assert.True(Tasklet.Current.Atomic);
        }
        finally
        {
            Tasklet.Current.SetAtomic(old);
        }
    });

    // ---------------------------------------------------------------- TestSchedule (runs as a tasklet)

    [Fact]
    [StacklessTest(File, "TestSchedule.testSchedule", "stackless.schedule", "tasklet.scheduled")]
    public void TestSchedule() => Isolated.RunTasklet(async () =>
    {
        var events = new List<string>();
        var previous = Tasklet.Current;
        var t = Tasklet.Spawn(() =>
        {
            events.Add("foo");
            Assert.True(previous.Scheduled);
            return Task.CompletedTask;
        });
        Assert.True(t.Scheduled);
        await Scheduler.ScheduleAsync();
        Assert.Equal(["foo"], events);
    });

    [Fact]
    [StacklessTest(File, "TestSchedule.testScheduleRemoveFail", "stackless.schedule_remove", "tasklet.scheduled", "tasklet.insert")]
    public void TestScheduleRemoveFail() => Isolated.RunTasklet(async () =>
    {
        var events = new List<string>();
        var previous = Tasklet.Current;
        Tasklet.Spawn(() =>
        {
            events.Add("foo");
            Assert.False(previous.Scheduled);
            previous.Insert();
            Assert.True(previous.Scheduled);
            return Task.CompletedTask;
        });
        await Scheduler.ScheduleRemoveAsync();
        Assert.Equal(["foo"], events);
    });

    // ---------------------------------------------------------------- TestBind

    private sealed class BindState
    {
        public int FinallyRunCount;
        public object?[]? Args;
        public string? Hello;

        public async Task Task()
        {
            try
            {
                await Scheduler.ScheduleRemoveAsync();
            }
            finally
            {
                FinallyRunCount++;
            }
        }

        public Task ArgsTest(string? a = null, string? b = null, string? hello = null)
        {
            Args = a is null ? [] : [a, b];
            Hello = hello;
            return System.Threading.Tasks.Task.CompletedTask;
        }
    }

    [Fact]
    [StacklessTest(File, "TestBind.test_bind", "tasklet.bind", "tasklet.setup", "tasklet.alive", "tasklet.insert", "stackless.run")]
    public void Test_bind() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = new Tasklet();
        Assert.False(t.Alive);

        t.Bind(null); // must not change the tasklet
        Assert.False(t.Alive);

        t.Bind(state.Task);
        t.Setup();
        Scheduler.Run();
        Assert.False(t.Scheduled);
        Assert.True(t.Alive);

        // (Stackless also checks restorable and the frame object; a started async body is neither.)
        t.Insert();
        Scheduler.Run();
        Assert.False(t.Alive);
        Assert.Equal(1, state.FinallyRunCount);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_unbind_ok", "tasklet.bind", "tasklet.alive")]
    public void Test_unbind_ok() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = Tasklet.Spawn(state.Task);

        // prepare a paused tasklet
        Scheduler.Run();
        Assert.False(t.Scheduled);
        Assert.True(t.Alive);

        t.Bind(null);
        Assert.False(t.Alive);

        // Unbinding discards the tasklet's progress without running its finally clause.
        Assert.Equal(0, state.FinallyRunCount);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_unbind_fail_current", "tasklet.bind", "stackless.current")]
    public void Test_unbind_fail_current() => Isolated.Run(() =>
    {
        var error = Assert.ThrowsAny<InvalidOperationException>(() => Tasklet.Current.Bind(null));
        Assert.Contains("current tasklet", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_unbind_fail_scheduled", "tasklet.bind", "tasklet.insert", "tasklet.scheduled")]
    public void Test_unbind_fail_scheduled() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = Tasklet.Spawn(state.Task);

        // prepare a paused tasklet
        Scheduler.Run();
        t.Insert();
        Assert.True(t.Scheduled);
        Assert.True(t.Alive);

        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.Bind(null));
        Assert.Contains("scheduled", error.Message, StringComparison.Ordinal);
        Scheduler.Run();
        Assert.Equal(1, state.FinallyRunCount);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_unbind_fail_cstate", "tasklet.bind", "tasklet.nesting_level")]
    public void Test_unbind_fail_cstate() => Isolated.Run(() =>
    {
        // A hard tasklet is the analogue of a tasklet with C state on its stack.
        var finallyRunCount = 0;
        var t = Tasklet.SpawnHard(() =>
        {
            try
            {
                Scheduler.ScheduleRemove();
            }
            finally
            {
                finallyRunCount++;
            }
        });

        // prepare a paused tasklet
        Scheduler.Run();
        Assert.False(t.Scheduled);
        Assert.True(t.Alive);

        var error = Assert.ThrowsAny<InvalidOperationException>(() => t.Bind(null));
        Assert.Contains("C state", error.Message, StringComparison.Ordinal);

        // Removing the tasklet must run its finally clause.
        t.Kill();
        Assert.False(t.Alive);
        Assert.Equal(1, finallyRunCount);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_bind_noargs", "tasklet.bind", "tasklet.run")]
    public void Test_bind_noargs() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = new Tasklet(state.Task);
        t.Bind(() => state.ArgsTest());
        Assert.ThrowsAny<InvalidOperationException>(t.Run);
        Assert.Null(state.Args);
    });

    // Stackless's bind(func, args) makes the tasklet alive but not scheduled; the emulation's equivalent is a closure
    // carrying the arguments, Setup() and Remove().

    [Fact]
    [StacklessTest(File, "TestBind.test_bind_args", "tasklet.bind", "tasklet.run")]
    public void Test_bind_args() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = new Tasklet(state.Task);
        t.Bind(() => state.ArgsTest("foo", "bar")).Setup().Remove();
        t.Run();
        Assert.Equal(["foo", "bar"], state.Args!);
        Assert.Null(state.Hello);

        state.Args = null;
        t = new Tasklet(state.Task);
        t.Bind(body: () => state.ArgsTest(a: "foo", b: "bar")).Setup().Remove();
        t.Run();
        Assert.Equal(["foo", "bar"], state.Args!);
        Assert.Null(state.Hello);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_bind_kwargs", "tasklet.bind", "tasklet.run")]
    public void Test_bind_kwargs() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = new Tasklet(state.Task);
        t.Bind(() => state.ArgsTest(hello: "world")).Setup().Remove();
        t.Run();
        Assert.Empty(state.Args!);
        Assert.Equal("world", state.Hello);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_bind_args_kwargs", "tasklet.bind", "tasklet.run")]
    public void Test_bind_args_kwargs() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = new Tasklet(state.Task);
        t.Bind(() => state.ArgsTest("foo", "bar", hello: "world")).Setup().Remove();
        t.Run();
        Assert.Equal(["foo", "bar"], state.Args!);
        Assert.Equal("world", state.Hello);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_bind_args_kwargs_nofunc", "tasklet.bind", "tasklet.run")]
    public void Test_bind_args_kwargs_nofunc() => Isolated.Run(() =>
    {
        // bind(None, args, kwargs) keeps the bound function: in the emulation, Setup() of a tasklet bound at creation.
        var state = new BindState();
        var t = new Tasklet(() => state.ArgsTest("foo", "bar", hello: "world")).Setup().Remove();
        Assert.True(t.Paused);
        t.Run();
        Assert.Equal(["foo", "bar"], state.Args!);
        Assert.Equal("world", state.Hello);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_bind_args_not_runnable", "tasklet.bind", "tasklet.scheduled", "tasklet.run")]
    public void Test_bind_args_not_runnable() => Isolated.Run(() =>
    {
        var state = new BindState();
        var t = new Tasklet(state.Task);
        t.Bind(() => state.ArgsTest("foo", "bar", hello: "world"));
        Assert.False(t.Scheduled);
        t.Setup().Remove();
        Assert.False(t.Scheduled);
        t.Run();
        Assert.Equal("world", state.Hello);
    });

    [Fact]
    [StacklessTest(File, "TestBind.test_unbind_main", "tasklet.bind", "stackless.main")]
    public void Test_unbind_main() => Isolated.Run(() =>
    {
        // Isolated.Run already runs on a fresh thread whose main tasklet is at nesting level 0.
        var checkedInside = false;
        Assert.True(Tasklet.Current.IsMain);
        Tasklet.Spawn(() =>
        {
            var error = Assert.ThrowsAny<InvalidOperationException>(() => Tasklet.Main.Bind(null));
            Assert.Contains("can't unbind the main tasklet", error.Message, StringComparison.Ordinal);
            checkedInside = true;
            return Task.CompletedTask;
        }).Switch();
        Assert.True(checkedInside);
    });

    [Fact] // the rebound main's thread then stays parked for good, as Stackless's does
    [StacklessTest(File, "TestBind.test_rebind_main", "tasklet.bind", "stackless.main", "tasklet.switch", "tasklet.is_main")]
    public void Test_rebind_main()
    {
        var targetCalled = false;
        var mainReturned = false;
        using var ready = new SemaphoreSlim(0);
        var thread = new Thread(() =>
        {
            Assert.True(Tasklet.Current.IsMain);
            try
            {
                Tasklet.Spawn(() =>
                {
                    Tasklet.Main.Bind(() =>
                    {
                        targetCalled = true;
                        ready.Release();
                        return Task.CompletedTask;
                    });
                    return Task.CompletedTask;
                }).Switch();
            }
            finally
            {
                mainReturned = true;
                ready.Release();
            }
        })
        { IsBackground = true };
        thread.Start();
        Assert.True(ready.Wait(Stress.HangGuard));
        Assert.True(targetCalled);
        Assert.False(mainReturned);
    }

    [Fact]
    [StacklessTest(File, "TestBind.test_unbind_fail_cstate_no_thread", "tasklet.bind", "tasklet.thread_id", "tasklet.restorable", "tasklet.nesting_level")]
    public void Test_unbind_fail_cstate_no_thread()
    {
        var loop = true;
        Tasklet? tlet = null;
        var thread = new Thread(() =>
        {
            tlet = Tasklet.SpawnHard(() =>
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
            });
            tlet.Run();
        })
        { IsBackground = true };
        thread.Start();
        thread.Join();
        Volatile.Write(ref loop, false);

        Assert.Equal(-1, tlet!.ThreadId);
        Assert.False(tlet.Alive);
        Assert.False(tlet.Restorable);
        var error = Assert.ThrowsAny<InvalidOperationException>(() => tlet.Bind(null));
        Assert.Contains("tasklet has C state on its stack", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [StacklessTest(File, "TestBind.test_setup_fail_alive", "tasklet.setup", "tasklet.tempval", "tasklet.alive")]
    public void Test_setup_fail_alive() => Isolated.Run(() =>
    {
        var checkedInside = false;
        var t = Tasklet.Spawn(() =>
        {
            var current = Tasklet.Current;
            current.TempVal = (Func<Task>)(() => Task.CompletedTask);
            Assert.True(current.Alive);
            var error = Assert.ThrowsAny<InvalidOperationException>(() => current.Setup());
            Assert.Contains("tasklet is alive", error.Message, StringComparison.Ordinal);
            checkedInside = true;
            return Task.CompletedTask;
        });
        t.Run();
        Assert.True(checkedInside);
        Assert.False(t.Alive);
    });

    // ---------------------------------------------------------------- TestSwitch

    private sealed class SwitchState
    {
        public readonly Tasklet Source = Tasklet.Current;
        public readonly Channel C = new();
        public bool Finished;

        public Task Target()
        {
            Assert.True(Source.Paused);
            Source.Insert();
            Finished = true;
            return Task.CompletedTask;
        }

        public async Task BlockedTarget()
        {
            await C.ReceiveAsync();
            Finished = true;
        }
    }

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch", "tasklet.switch", "tasklet.paused", "tasklet.insert")]
    public void Test_switch() => Isolated.Run(() =>
    {
        var state = new SwitchState();
        var t = Tasklet.Spawn(state.Target);
        t.Switch();
        Assert.True(state.Finished);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_self", "tasklet.switch", "stackless.getcurrent")]
    public void Test_switch_self() => Isolated.Run(() =>
    {
        var t = Tasklet.Current;
        t.Switch();
        Assert.Same(t, Tasklet.Current);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_blocked", "tasklet.switch", "tasklet.blocked", "channel.send")]
    public void Test_switch_blocked() => Isolated.Run(() =>
    {
        var state = new SwitchState();
        var t = Tasklet.Spawn(state.BlockedTarget);
        t.Run();
        Assert.True(t.Blocked);
        var error = Assert.ThrowsAny<InvalidOperationException>(t.Switch);
        Assert.Contains("blocked", error.Message, StringComparison.Ordinal);
        state.C.Send(null);
        Assert.True(state.Finished);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_paused", "tasklet.switch", "tasklet.bind", "tasklet.paused")]
    public void Test_switch_paused() => Isolated.Run(() =>
    {
        var state = new SwitchState();
        var t = new Tasklet(state.Target).Setup().Remove();
        Assert.True(t.Paused);
        t.Switch();
        Assert.True(state.Finished);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_trapped", "tasklet.switch", "stackless.switch_trap", "tasklet.paused")]
    public void Test_switch_trapped() => Isolated.Run(() =>
    {
        var state = new SwitchState();
        var t = Tasklet.Spawn(state.Target);
        Assert.False(t.Paused);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => t.Switch());
        }

        Assert.False(t.Paused);
        t.Switch();
        Assert.True(state.Finished);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_self_trapped", "tasklet.switch", "stackless.switch_trap")]
    public void Test_switch_self_trapped() => Isolated.Run(() =>
    {
        var t = Tasklet.Current;
        using (PendingApi.SwitchTrapped())
        {
            t.Switch(); // switching to ourselves is allowed
        }

        Assert.Same(t, Tasklet.Current);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_blocked_trapped", "tasklet.switch", "stackless.switch_trap", "tasklet.blocked")]
    public void Test_switch_blocked_trapped() => Isolated.Run(() =>
    {
        var state = new SwitchState();
        var t = Tasklet.Spawn(state.BlockedTarget);
        t.Run();
        Assert.True(t.Blocked);
        using (PendingApi.SwitchTrapped())
        {
            var error = Assert.ThrowsAny<InvalidOperationException>(t.Switch);
            Assert.Contains("blocked", error.Message, StringComparison.Ordinal);
        }

        Assert.True(t.Blocked);
        state.C.Send(null);
        Assert.True(state.Finished);
    });

    [Fact]
    [StacklessTest(File, "TestSwitch.test_switch_paused_trapped", "tasklet.switch", "stackless.switch_trap", "tasklet.paused")]
    public void Test_switch_paused_trapped() => Isolated.Run(() =>
    {
        var state = new SwitchState();
        var t = new Tasklet(state.Target).Setup().Remove();
        Assert.True(t.Paused);
        using (PendingApi.SwitchTrapped())
        {
            AssertSwitchTrap(() => t.Switch());
        }

        Assert.True(t.Paused);
        t.Switch();
        Assert.True(state.Finished);
    });

    // ---------------------------------------------------------------- TestModule

    [Fact]
    [StacklessTest(File, "TestModule.test_get_threads", "stackless.getthreads")]
    public void Test_get_threads() => Isolated.Run(() =>
    {
        // A Python thread always has its thread state; here a thread gets its scheduler when it first uses the API.
        var me = Tasklet.Current.ThreadId;
        var threads = Scheduler.Threads;
        Assert.Contains(me, threads);
    });

    [Fact]
    [StacklessTest(File, "TestModule.test_threads", "stackless.threads")]
    public void Test_threads() => Isolated.Run(() =>
    {
        _ = Tasklet.Current; // a Python thread always has its thread state; here the first use of the API creates it
        var threads = Scheduler.Threads;
        Assert.NotEmpty(threads);
        Assert.Equal(threads.Distinct().Count(), threads.Count);
    });
}
