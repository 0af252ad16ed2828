using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>
/// Port of stackless_testsuite/v3_1/tasklet/test_functionality.py. C# has no bind-with-arguments: the Python
/// "paused" state reached by <c>tasklet().bind(f, ())</c> is reached by <c>Setup().Remove()</c> (<see cref="TestSuiteSupport.Paused"/>),
/// and the bound function is not kept in <see cref="Tasklet.TempVal"/> (a free slot in C#), so tempval is checked to be null.
/// </summary>
public class TaskletFunctionalityTests
{
    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_constructor", "tasklet")]
    public void TestSig_constructor() => Isolated.Run(() =>
    {
        // Portable core: both constructors return a new, not alive tasklet; the body may not be null.
        AssertNotAlive(new Tasklet());
        AssertBound(new Tasklet(Nop));
        Assert.Throws<ArgumentNullException>(() => new Tasklet(null!));
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_bind", "tasklet.bind")]
    public void TestSig_bind() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        Assert.Same(t, t.Bind(Nop));
        Assert.Same(t, t.Bind(null));
        Assert.Same(t, t.Bind(Nop));
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_setup", "tasklet.setup", "tasklet.remove", "tasklet.bind", "tasklet.kill")]
    public void TestSig_setup() => Isolated.Run(() =>
    {
        var t = new Tasklet(Nop);
        for (var i = 0; i < 3; i++)
        {
            Assert.Same(t, t.Setup());
            t.Remove().Bind(Nop);
        }
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_insert", "tasklet.insert", "tasklet.kill")]
    public void TestSig_insert() => Isolated.Run(() =>
    {
        var t = Paused(Nop);
        Assert.Same(t, t.Insert());
        Assert.Same(t, t.Insert());
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_remove", "tasklet.remove", "tasklet.kill")]
    public void TestSig_remove() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        Assert.Same(t, t.Remove());
        Assert.Same(t, t.Remove());
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_run", "tasklet.run", "tasklet.tempval", "stackless.current")]
    public void TestSig_run() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        var o = new object();
        Tasklet.Current.TempVal = o;
        Assert.Same(o, t.Run());
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_switch", "tasklet.switch", "tasklet.tempval", "stackless.current")]
    public void TestSig_switch() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        var o = new object();
        Tasklet.Current.TempVal = o;
        Assert.Same(o, t.Switch());
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_raise_exception", "tasklet.raise_exception", "stackless.schedule_remove", "stackless.run")]
    public void TestSig_raise_exception() => Isolated.Run(() =>
    {
        string? message = null;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleRemoveAsync();
            }
            catch (TestError e)
            {
                message = e.Message;
            }
        });
        Scheduler.Run();
        t.RaiseException(typeof(TestError), "some args");
        Assert.Equal("some args", message);
        Assert.Throws<ArgumentException>(() => t.RaiseException(typeof(string)));
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_throw", "tasklet.throw", "stackless.schedule_remove", "stackless.run")]
    public void TestSig_throw() => Isolated.Run(() =>
    {
        foreach (var pending in new[] { false, true })
        {
            var done = false;
            var t = Tasklet.Spawn(async () =>
            {
                try
                {
                    await Scheduler.ScheduleRemoveAsync();
                }
                catch (TestError)
                {
                    done = true;
                }
            });
            Scheduler.Run();
            t.Throw(new TestError(), pending);
            Scheduler.Run();
            Assert.True(done);
            Assert.False(t.Alive);
        }
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_kill", "tasklet.kill")]
    public void TestSig_kill() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        t.TempVal = 1;
        t.Kill();
        Assert.False(t.Alive);
        t = Tasklet.Spawn(Nop);
        t.Kill(pending: true);
        Assert.True(t.Scheduled);
        Scheduler.Run();
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_set_atomic", "tasklet.set_atomic")]
    public void TestSig_set_atomic() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        Assert.False(t.SetAtomic(false)); // a new tasklet is not atomic
        Assert.False(t.SetAtomic(true));
        Assert.True(t.SetAtomic(false));
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testSig_bind_thread", "tasklet.bind_thread")]
    public void TestSig_bind_thread() => Isolated.Run(() =>
    {
        // bind_thread([thread_id]): bind_thread() and bind_thread(-1) on a tasklet of this thread keep its thread.
        var t = new Tasklet(Nop);
        Assert.Same(t, t.BindThread());
        Assert.Same(t, t.BindThread(-1));
        Assert.Same(t, t.BindThread(threadId: -1));
        Assert.Equal(Environment.CurrentManagedThreadId, t.ThreadId);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testAttr_prev_next", "tasklet.prev", "tasklet.next", "tasklet.bind", "stackless.main", "stackless.current")]
    public void TestAttr_prev_next() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        Assert.Null(t.Prev);
        Assert.Null(t.Next);
        t.Bind(Nop);
        Assert.Null(t.Prev);
        Assert.Null(t.Next);
        t.Setup();
        Assert.Same(Scheduler.Main, t.Prev);
        Assert.Same(Scheduler.Current, t.Next);
        var t2 = Tasklet.Spawn(Nop);
        Assert.Same(Scheduler.Current, t.Prev);
        Assert.Same(t2, t.Next);
        Assert.Same(t, t2.Prev);
        Assert.Same(Scheduler.Current, t2.Next);
        t.Kill();
        t2.Kill();
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_initial_notalive", "tasklet", "tasklet.alive", "tasklet.paused", "tasklet.blocked", "tasklet.scheduled", "tasklet.restorable", "tasklet.tempval")]
    public void TestLC_initial_notalive() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        AssertNotAlive(t);
        Assert.Null(t.TempVal);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_initial_bound", "tasklet", "tasklet.tempval", "tasklet.alive")]
    public void TestLC_initial_bound() => Isolated.Run(() =>
    {
        var t = new Tasklet(Nop);
        AssertBound(t);
        Assert.True(t.Restorable);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_notalive_bound", "tasklet.bind", "tasklet.tempval")]
    public void TestLC_notalive_bound() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        AssertNotAlive(t);
        t.Bind(Nop);
        AssertBound(t);
        Assert.True(t.Restorable);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_bound_notalive", "tasklet.bind", "tasklet.tempval")]
    public void TestLC_bound_notalive() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        t.Bind(Nop);
        AssertBound(t);
        t.Bind(null);
        AssertNotAlive(t);
        Assert.Throws<InvalidOperationException>(() => t.Setup()); // unbound: "the tasklet was not bound to a function"
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_bound_scheduled", "tasklet.setup", "tasklet.__call__", "tasklet.scheduled", "tasklet.alive")]
    public void TestLC_bound_scheduled() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        t.Bind(Nop);
        AssertBound(t);
        t.Setup();
        AssertScheduled(t);
        Assert.Null(t.TempVal);

        // Variant tasklet(f)(): Spawn.
        var t2 = Tasklet.Spawn(Nop);
        AssertScheduled(t2);
        t.Kill();
        t2.Kill();
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_scheduled_paused", "tasklet.remove", "tasklet.paused", "tasklet.alive")]
    public void TestLC_scheduled_paused() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        AssertScheduled(t);
        t.Remove();
        AssertPaused(t);
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_scheduled_notalive", "tasklet.kill", "tasklet.alive")]
    public void TestLC_scheduled_notalive() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        AssertScheduled(t);
        t.Kill();
        AssertNotAlive(t);
        Assert.Null(t.TempVal);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_paused_scheduled", "tasklet.bind", "tasklet.insert", "tasklet.kill", "tasklet.paused", "tasklet.scheduled")]
    public void TestLC_paused_scheduled() => Isolated.Run(() =>
    {
        var t = Paused(Nop);
        AssertPaused(t);
        t.Insert();
        AssertScheduled(t);
        t.Kill();

        // Variant kill(pending=True).
        t = Paused(Nop);
        AssertPaused(t);
        t.Kill(pending: true);
        AssertScheduled(t);
        Scheduler.Run();
        AssertNotAlive(t);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_notalive_paused", "tasklet.bind", "tasklet.paused")]
    public void TestLC_notalive_paused() => Isolated.Run(() =>
    {
        // Python: tasklet().bind(nop, ()) goes straight to paused. C#: bind, then setup + remove.
        var t = new Tasklet();
        AssertNotAlive(t);
        t.Bind(Nop).Setup().Remove();
        AssertPaused(t);
        Assert.Null(t.TempVal);
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_paused_notalive", "tasklet.bind", "tasklet.kill", "tasklet.alive")]
    public void TestLC_paused_notalive() => Isolated.Run(() =>
    {
        var ran = false;
        Task Body()
        {
            ran = true;
            return Task.CompletedTask;
        }

        // bind(None) on a paused tasklet discards it.
        var t = Paused(Body);
        AssertPaused(t);
        t.Bind(null);
        AssertNotAlive(t);

        // Variant kill().
        t = Paused(Body);
        AssertPaused(t);
        t.Kill();
        AssertNotAlive(t);
        Assert.False(ran);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_paused_current_notalive", "tasklet.run", "tasklet.switch", "tasklet.is_current", "tasklet.is_main", "tasklet.scheduled", "tasklet.paused")]
    public void TestLC_paused_current_notalive() => Isolated.Run(() =>
    {
        var result = new List<int>();
        var main = Scheduler.Current;
        Tasklet t = null!;
        t = Paused(() =>
        {
            AssertCurrent(t);
            AssertScheduled(main, isMain: true);
            result.Add(0);
            return Task.CompletedTask;
        });
        AssertPaused(t);
        t.Run();
        Assert.Equal([0], result);
        AssertNotAlive(t);

        // Variant switch(): main is paused meanwhile.
        result.Clear();
        t = Paused(() =>
        {
            AssertCurrent(t);
            AssertPaused(main, isMain: true);
            result.Add(1);
            return Task.CompletedTask;
        });
        AssertPaused(t);
        t.Switch();
        Assert.Equal([1], result);
        AssertNotAlive(t);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_scheduled_current_notalive", "tasklet.run", "tasklet.switch", "stackless.run", "tasklet.setup", "tasklet.paused")]
    public void TestLC_scheduled_current_notalive() => Isolated.Run(() =>
    {
        var result = new List<int>();
        var main = Scheduler.Current;
        Tasklet t = null!;
        t = Tasklet.Spawn(() =>
        {
            AssertCurrent(t);
            AssertScheduled(main, isMain: true);
            result.Add(0);
            return Task.CompletedTask;
        });
        AssertScheduled(t);
        t.Run();
        Assert.Equal([0], result);
        AssertNotAlive(t);

        result.Clear();
        t = Tasklet.Spawn(() =>
        {
            AssertCurrent(t);
            AssertPaused(main, isMain: true);
            result.Add(1);
            return Task.CompletedTask;
        });
        AssertScheduled(t);
        t.Switch();
        Assert.Equal([1], result);
        AssertNotAlive(t);

        // Variant Scheduler.Run(): main is in the "scheduler" state (alive, paused).
        result.Clear();
        t = Tasklet.Spawn(() =>
        {
            AssertCurrent(t);
            AssertPaused(main, isMain: true);
            result.Add(2);
            return Task.CompletedTask;
        });
        AssertScheduled(t);
        Scheduler.Run();
        Assert.Equal([2], result);
        AssertNotAlive(t);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_current_notalive", "tasklet.kill", "tasklet.run", "tasklet.is_current")]
    public void TestLC_current_notalive() => Isolated.Run(() =>
    {
        var result = new List<int>();
        Tasklet t = null!;
        t = Tasklet.Spawn(async () =>
        {
            AssertCurrent(t);
            result.Add(0);
            await t.KillAsync();
            result.Add(99);
        });
        AssertScheduled(t);
        t.Run();
        Assert.Equal([0], result);
        AssertNotAlive(t);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_current_blocked_scheduled", "channel.send", "channel.receive", "channel.send_throw", "channel.send_exception", "tasklet.blocked", "tasklet.kill")]
    public void TestLC_current_blocked_scheduled() => Isolated.Run(() =>
    {
        var result = new List<int>();
        var c = new Channel();
        Tasklet t = null!;

        t = Tasklet.Spawn(async () =>
        {
            AssertCurrent(t);
            result.Add(0);
            await c.SendAsync(123);
        });
        AssertScheduled(t);
        t.Run();
        Assert.Equal([0], result);
        AssertBlocked(t);
        Assert.Equal(123, c.Receive());
        AssertScheduled(t);
        t.Kill();
        AssertNotAlive(t);
        result.Clear();

        // Variant receive.
        t = Tasklet.Spawn(async () =>
        {
            AssertCurrent(t);
            result.Add(1);
            Assert.Equal(456, await c.ReceiveAsync());
        });
        t.Run();
        Assert.Equal([1], result);
        AssertBlocked(t);
        c.Send(456);
        AssertNotAlive(t);
        result.Clear();

        // Variant send_throw.
        t = Tasklet.Spawn(async () =>
        {
            AssertCurrent(t);
            result.Add(2);
            await c.SendThrowAsync(new TestError("f_send_throw"));
        });
        t.Run();
        Assert.Equal([2], result);
        AssertBlocked(t);
        Assert.Equal("f_send_throw", Assert.Throws<TestError>(() => c.Receive()).Message);
        AssertScheduled(t);
        t.Kill();
        AssertNotAlive(t);
        result.Clear();

        // Variant send_exception.
        t = Tasklet.Spawn(async () =>
        {
            AssertCurrent(t);
            result.Add(3);
            await c.SendExceptionAsync(typeof(TestError), "f_send_exception");
        });
        t.Run();
        Assert.Equal([3], result);
        AssertBlocked(t);
        Assert.Equal("f_send_exception", Assert.Throws<TestError>(() => c.Receive()).Message);
        AssertScheduled(t);
        t.Kill();
        AssertNotAlive(t);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.testLC_blocked_current", "channel.receive", "channel.send", "channel.preference", "tasklet.blocked", "tasklet.is_current")]
    public void TestLC_blocked_current() => Isolated.Run(() =>
    {
        var result = new List<int>();
        var c = new Channel();
        Tasklet t = null!;
        t = Tasklet.Spawn(async () =>
        {
            Assert.Equal(123, await c.ReceiveAsync());
            AssertCurrent(t);
            result.Add(0);
        });
        t.Run();
        AssertBlocked(t);
        c.Send(123);
        result.Add(1);
        Assert.Equal([0, 1], result);
        AssertNotAlive(t);
        result.Clear();

        // Variant: the sender is preferred.
        c.Preference = 1;
        t = Tasklet.Spawn(async () =>
        {
            await c.SendAsync(123);
            AssertCurrent(t);
            result.Add(0);
        });
        t.Run();
        AssertBlocked(t);
        Assert.Equal(123, c.Receive());
        result.Add(1);
        Assert.Equal([0, 1], result);
        AssertNotAlive(t);
    });

    [Fact]
    [StacklessTest(TaskletFunctionality, "TaskletTest.test_unbind_scheduled", "tasklet.bind")]
    public void Test_unbind_scheduled() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        AssertScheduled(t);
        Assert.StartsWith("tasklet is scheduled", Assert.Throws<InvalidOperationException>(() => t.Bind(Nop)).Message);
        Assert.StartsWith("tasklet is scheduled", Assert.Throws<InvalidOperationException>(() => t.Bind(null)).Message);
        t.Kill();
    });
}
