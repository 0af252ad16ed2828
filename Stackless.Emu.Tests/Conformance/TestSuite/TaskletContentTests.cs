using System.Reflection;
using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>
/// Port of stackless_testsuite/v3_1/tasklet/test_content.py: the tasklet's attributes are C# properties of the mapped type
/// ("on class": reflection on <see cref="Tasklet"/>; "on instance": the value on the current tasklet), its methods are
/// public methods ("on instance": the method works on an instance). tasklet.frame is not ported (CPython frame object).
/// </summary>
public class TaskletContentTests
{
    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testDeclaredNames", "tasklet")]
    public void TestDeclaredNames()
    {
        string[] names =
        [
            "Alive", "Atomic", "Bind", "BindThread", "Blocked", "Insert", "IsCurrent", "IsMain", "Kill", "Next", "Paused",
            "Prev", "RaiseException", "Remove", "Restorable", "Run", "Scheduled", "SetAtomic", "Setup", "Switch", "TempVal",
            "ThreadId", "Throw",
        ];
        var members = typeof(Tasklet).GetMembers(BindingFlags.Public | BindingFlags.Instance).Select(m => m.Name).ToHashSet();
        Assert.Equal([], names.Except(members));
    }

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_alive", "tasklet.alive")]
    public void TestAttributeTypeOnClass_alive() => AssertProperty(typeof(Tasklet), "Alive", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_alive", "tasklet.alive")]
    public void TestAttributeTypeOnInstance_alive() => Isolated.Run(() =>
    {
        Assert.True(Tasklet.Current.Alive);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_atomic", "tasklet.atomic")]
    public void TestAttributeTypeOnClass_atomic() => AssertProperty(typeof(Tasklet), "Atomic", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_atomic", "tasklet.atomic")]
    public void TestAttributeTypeOnInstance_atomic() => Isolated.Run(() =>
    {
        Assert.False(Tasklet.Current.Atomic);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_bind", "tasklet.bind")]
    public void TestAttributeTypeOnClass_bind() => AssertMethod(typeof(Tasklet), "Bind");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_bind", "tasklet.bind")]
    public void TestAttributeTypeOnInstance_bind() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        Assert.Same(t, t.Bind(Nop));
        Assert.Same(t, t.Bind(null));
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_bind_thread", "tasklet.bind_thread")]
    public void TestAttributeTypeOnClass_bind_thread() => AssertMethod(typeof(Tasklet), "BindThread");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_bind_thread", "tasklet.bind_thread")]
    public void TestAttributeTypeOnInstance_bind_thread() => Isolated.Run(() =>
    {
        var t = Paused(Nop);
        AssertMethod(typeof(Tasklet), "BindThread");
        Assert.Same(t, t.BindThread());
        Assert.Equal(Environment.CurrentManagedThreadId, t.ThreadId);
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_blocked", "tasklet.blocked")]
    public void TestAttributeTypeOnClass_blocked() => AssertProperty(typeof(Tasklet), "Blocked", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_blocked", "tasklet.blocked")]
    public void TestAttributeTypeOnInstance_blocked() => Isolated.Run(() =>
    {
        Assert.False(Tasklet.Current.Blocked);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_insert", "tasklet.insert")]
    public void TestAttributeTypeOnClass_insert() => AssertMethod(typeof(Tasklet), "Insert");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_insert", "tasklet.insert")]
    public void TestAttributeTypeOnInstance_insert() => Isolated.Run(() =>
    {
        var t = Paused(Nop);
        Assert.Same(t, t.Insert());
        Assert.True(t.Scheduled);
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_is_current", "tasklet.is_current")]
    public void TestAttributeTypeOnClass_is_current() => AssertProperty(typeof(Tasklet), "IsCurrent", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_is_current", "tasklet.is_current")]
    public void TestAttributeTypeOnInstance_is_current() => Isolated.Run(() =>
    {
        Assert.True(Tasklet.Current.IsCurrent);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_is_main", "tasklet.is_main")]
    public void TestAttributeTypeOnClass_is_main() => AssertProperty(typeof(Tasklet), "IsMain", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_is_main", "tasklet.is_main")]
    public void TestAttributeTypeOnInstance_is_main() => Isolated.Run(() =>
    {
        Assert.True(Tasklet.Current.IsMain);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_kill", "tasklet.kill")]
    public void TestAttributeTypeOnClass_kill() => AssertMethod(typeof(Tasklet), "Kill");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_kill", "tasklet.kill")]
    public void TestAttributeTypeOnInstance_kill() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        t.Kill();
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_next", "tasklet.next")]
    public void TestAttributeTypeOnClass_next() => AssertProperty(typeof(Tasklet), "Next", typeof(Tasklet));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_next", "tasklet.next")]
    public void TestAttributeTypeOnInstance_next() => Isolated.Run(() =>
    {
        Assert.Same(Tasklet.Current, Tasklet.Current.Next); // alone in the circular run queue
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_paused", "tasklet.paused")]
    public void TestAttributeTypeOnClass_paused() => AssertProperty(typeof(Tasklet), "Paused", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_paused", "tasklet.paused")]
    public void TestAttributeTypeOnInstance_paused() => Isolated.Run(() =>
    {
        Assert.False(Tasklet.Current.Paused);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_prev", "tasklet.prev")]
    public void TestAttributeTypeOnClass_prev() => AssertProperty(typeof(Tasklet), "Prev", typeof(Tasklet));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_prev", "tasklet.prev")]
    public void TestAttributeTypeOnInstance_prev() => Isolated.Run(() =>
    {
        Assert.Same(Tasklet.Current, Tasklet.Current.Prev); // alone in the circular run queue
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_raise_exception", "tasklet.raise_exception")]
    public void TestAttributeTypeOnClass_raise_exception() => AssertMethod(typeof(Tasklet), "RaiseException");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_raise_exception", "tasklet.raise_exception")]
    public void TestAttributeTypeOnInstance_raise_exception() => Isolated.Run(() =>
    {
        var caught = false;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleRemoveAsync();
            }
            catch (TestError)
            {
                caught = true;
            }
        });
        Scheduler.Run();
        t.RaiseException(typeof(TestError), "x");
        Assert.True(caught);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_remove", "tasklet.remove")]
    public void TestAttributeTypeOnClass_remove() => AssertMethod(typeof(Tasklet), "Remove");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_remove", "tasklet.remove")]
    public void TestAttributeTypeOnInstance_remove() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(Nop);
        Assert.Same(t, t.Remove());
        Assert.True(t.Paused);
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_restorable", "tasklet.restorable")]
    public void TestAttributeTypeOnClass_restorable() => AssertProperty(typeof(Tasklet), "Restorable", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_restorable", "tasklet.restorable")]
    public void TestAttributeTypeOnInstance_restorable() => Isolated.Run(() =>
    {
        // Main runs plain .NET frames: never restorable. A soft tasklet that has not started is.
        Assert.False(Tasklet.Current.Restorable);
        Assert.True(new Tasklet(() => Task.CompletedTask).Restorable);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_run", "tasklet.run")]
    public void TestAttributeTypeOnClass_run() => AssertMethod(typeof(Tasklet), "Run");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_run", "tasklet.run")]
    public void TestAttributeTypeOnInstance_run() => Isolated.Run(() =>
    {
        var ran = false;
        var t = Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        t.Run();
        Assert.True(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_scheduled", "tasklet.scheduled")]
    public void TestAttributeTypeOnClass_scheduled() => AssertProperty(typeof(Tasklet), "Scheduled", typeof(bool));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_scheduled", "tasklet.scheduled")]
    public void TestAttributeTypeOnInstance_scheduled() => Isolated.Run(() =>
    {
        Assert.True(Tasklet.Current.Scheduled);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_set_atomic", "tasklet.set_atomic")]
    public void TestAttributeTypeOnClass_set_atomic() => AssertMethod(typeof(Tasklet), "SetAtomic");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_set_atomic", "tasklet.set_atomic")]
    public void TestAttributeTypeOnInstance_set_atomic() => Isolated.Run(() =>
    {
        var t = new Tasklet();
        Assert.False(t.SetAtomic(true));
        Assert.True(t.SetAtomic(false));
        Assert.False(t.Atomic);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_setup", "tasklet.setup")]
    public void TestAttributeTypeOnClass_setup() => AssertMethod(typeof(Tasklet), "Setup");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_setup", "tasklet.setup")]
    public void TestAttributeTypeOnInstance_setup() => Isolated.Run(() =>
    {
        var t = new Tasklet(Nop);
        Assert.Same(t, t.Setup());
        Assert.True(t.Scheduled);
        t.Kill();
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_switch", "tasklet.switch")]
    public void TestAttributeTypeOnClass_switch() => AssertMethod(typeof(Tasklet), "Switch");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_switch", "tasklet.switch")]
    public void TestAttributeTypeOnInstance_switch() => Isolated.Run(() =>
    {
        var ran = false;
        var t = Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        t.Switch();
        Assert.True(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_tempval", "tasklet.tempval")]
    public void TestAttributeTypeOnClass_tempval() => AssertProperty(typeof(Tasklet), "TempVal", typeof(object));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_tempval", "tasklet.tempval")]
    public void TestAttributeTypeOnInstance_tempval() => Isolated.Run(() =>
    {
        Assert.Null(Tasklet.Current.TempVal);
        var marker = new object();
        Tasklet.Current.TempVal = marker;
        Assert.Same(marker, Tasklet.Current.TempVal);
        Tasklet.Current.TempVal = null;
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_thread_id", "tasklet.thread_id")]
    public void TestAttributeTypeOnClass_thread_id() => AssertProperty(typeof(Tasklet), "ThreadId", typeof(int));

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_thread_id", "tasklet.thread_id")]
    public void TestAttributeTypeOnInstance_thread_id() => Isolated.Run(() =>
    {
        Assert.Equal(Environment.CurrentManagedThreadId, Tasklet.Current.ThreadId);
    });

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnClass_throw", "tasklet.throw")]
    public void TestAttributeTypeOnClass_throw() => AssertMethod(typeof(Tasklet), "Throw");

    [Fact]
    [StacklessTest(TaskletContent, "TestTaskletContent.testAttributeTypeOnInstance_throw", "tasklet.throw")]
    public void TestAttributeTypeOnInstance_throw() => Isolated.Run(() =>
    {
        var caught = false;
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleRemoveAsync();
            }
            catch (TestError)
            {
                caught = true;
            }
        });
        Scheduler.Run();
        t.Throw(new TestError("x"));
        Assert.True(caught);
        Assert.False(t.Alive);
    });
}
