using Stackless.Emu.Tests.Infrastructure;
using static Stackless.Emu.Tests.Conformance.TestSuite.TestSuiteSupport;

namespace Stackless.Emu.Tests.Conformance.TestSuite;

/// <summary>Port of stackless_testsuite/v3_1/test_content.py (TestModuleContent): the module's names map to <see cref="Scheduler"/>, <see cref="Tasklet"/> and <see cref="Channel"/>.</summary>
public class ModuleContentTests
{
    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testDeclaredNames", "stackless.module")]
    public void TestDeclaredNames()
    {
        // atomic, getmain, get_thread_info, run, schedule, getruncount, schedule_remove, getcurrent; tasklet, channel.
        AssertMethod(typeof(Scheduler), "Atomic");
        AssertProperty(typeof(Scheduler), "Main", typeof(Tasklet));
        AssertMethod(typeof(Scheduler), "GetThreadInfo");
        AssertMethod(typeof(Scheduler), "Run");
        AssertMethod(typeof(Scheduler), "Schedule");
        AssertProperty(typeof(Scheduler), "RunCount", typeof(int));
        AssertMethod(typeof(Scheduler), "ScheduleRemove");
        AssertProperty(typeof(Scheduler), "Current", typeof(Tasklet));
        Assert.True(typeof(Tasklet).IsClass);
        Assert.True(typeof(Channel).IsClass);
    }

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAdditionalNames", "stackless.current", "stackless.main", "stackless.runcount", "stackless.threads")]
    public void TestAdditionalNames()
    {
        AssertProperty(typeof(Scheduler), "Current", typeof(Tasklet));
        AssertProperty(typeof(Scheduler), "Main", typeof(Tasklet));
        AssertProperty(typeof(Scheduler), "RunCount", typeof(int));
        AssertProperty(typeof(Scheduler), "Threads", typeof(IReadOnlyList<int>));
    }

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testTaskletExit", "stackless.TaskletExit")]
    public void TestTaskletExit() => Isolated.Run(() =>
    {
        // C# has no SystemExit; what SystemExit buys TaskletExit in Stackless is that it ends a tasklet silently.
        Assert.True(typeof(Exception).IsAssignableFrom(typeof(TaskletExit)));
        var t = Tasklet.Spawn(() => throw new TaskletExit());
        Scheduler.Run();
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_atomic", "stackless.atomic")]
    public void TestAttributeType_atomic() => Isolated.Run(() =>
    {
        AssertMethod(typeof(Scheduler), "Atomic");
        using (Scheduler.Atomic())
        {
            Assert.True(Tasklet.Current.Atomic);
        }

        Assert.False(Tasklet.Current.Atomic);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_getmain", "stackless.getmain")]
    public void TestAttributeType_getmain() => Isolated.Run(() =>
    {
        AssertProperty(typeof(Scheduler), "Main", typeof(Tasklet));
        Assert.True(Scheduler.Main.IsMain);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_get_thread_info", "stackless.get_thread_info")]
    public void TestAttributeType_get_thread_info() => Isolated.Run(() =>
    {
        // A routine returning Stackless's (main, current, runcount) tuple: ThreadInfo(Main, Current, RunCount).
        AssertMethod(typeof(Scheduler), "GetThreadInfo");
        var method = typeof(Scheduler).GetMethod("GetThreadInfo", [typeof(int)]);
        Assert.NotNull(method);
        Assert.Equal(typeof(ThreadInfo), method.ReturnType);
        Tasklet.Spawn(() => Task.CompletedTask);
        var (main, current, runCount) = Scheduler.GetThreadInfo();
        Assert.Same(Scheduler.Main, main);
        Assert.Same(Scheduler.Current, current);
        Assert.Equal(2, runCount); // main and the new tasklet
        Scheduler.Run();
        Assert.Equal(1, Scheduler.GetThreadInfo().RunCount);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_tasklet", "tasklet")]
    public void TestAttributeType_tasklet() => Isolated.Run(() =>
    {
        Assert.True(typeof(Tasklet).IsClass);
        var t = new Tasklet();
        Assert.False(t.Alive); // a new tasklet is unbound and not alive, as in Stackless
        Assert.False(t.Scheduled);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_stackless", "stackless.module")]
    public void TestAttributeType_stackless()
    {
        // The module is the static class Scheduler.
        Assert.True(typeof(Scheduler).IsAbstract && typeof(Scheduler).IsSealed, "Scheduler is a static class");
    }

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_run", "stackless.run")]
    public void TestAttributeType_run() => Isolated.Run(() =>
    {
        AssertMethod(typeof(Scheduler), "Run");
        Scheduler.Run();
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_schedule", "stackless.schedule")]
    public void TestAttributeType_schedule() => Isolated.Run(() =>
    {
        AssertMethod(typeof(Scheduler), "Schedule");
        Scheduler.Schedule();
        Assert.True(Tasklet.Current.IsMain);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_getruncount", "stackless.getruncount")]
    public void TestAttributeType_getruncount() => Isolated.Run(() =>
    {
        AssertProperty(typeof(Scheduler), "RunCount", typeof(int));
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_schedule_remove", "stackless.schedule_remove")]
    public void TestAttributeType_schedule_remove() => Isolated.Run(() =>
    {
        AssertMethod(typeof(Scheduler), "ScheduleRemove");
        AssertMethod(typeof(Scheduler), "ScheduleRemoveAsync");
        var t = Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
        Scheduler.Run();
        Assert.True(t.Paused);
        t.Kill();
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_getcurrent", "stackless.getcurrent")]
    public void TestAttributeType_getcurrent() => Isolated.Run(() =>
    {
        AssertProperty(typeof(Scheduler), "Current", typeof(Tasklet));
        Assert.Same(Tasklet.Current, Scheduler.Current);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_channel", "channel")]
    public void TestAttributeType_channel()
    {
        Assert.True(typeof(Channel).IsClass);
        Assert.True(typeof(IChannel).IsAssignableFrom(typeof(Channel)));
        var channel = new Channel();
        Assert.Equal(0, channel.Balance); // a new channel has nobody waiting and prefers the receiver
        Assert.Equal(-1, channel.Preference);
    }

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_current", "stackless.current")]
    public void TestAttributeType_current() => Isolated.Run(() =>
    {
        // Outside any tasklet, current is the thread's main tasklet.
        Assert.Same(Scheduler.Main, Scheduler.Current);
        Assert.True(Scheduler.Current.IsCurrent);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_main", "stackless.main")]
    public void TestAttributeType_main() => Isolated.Run(() =>
    {
        Assert.True(Scheduler.Main.IsMain);
        Assert.True(Scheduler.Main.Alive);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_runcount", "stackless.runcount")]
    public void TestAttributeType_runcount() => Isolated.Run(() =>
    {
        Assert.Equal(1, Scheduler.RunCount); // main alone
        Tasklet.Spawn(() => Task.CompletedTask);
        Assert.Equal(2, Scheduler.RunCount);
        Scheduler.Run();
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    [StacklessTest(ModuleContent, "TestModuleContent.testAttributeType_threads", "stackless.threads")]
    public void TestAttributeType_threads() => Isolated.Run(() =>
    {
        // A list of thread ids: IReadOnlyList<int> Scheduler.Threads, the managed ids of the threads with a scheduler.
        AssertProperty(typeof(Scheduler), "Threads", typeof(IReadOnlyList<int>));
        _ = Scheduler.RunCount; // a thread gets its scheduler when it first uses the API
        Assert.Contains(Environment.CurrentManagedThreadId, Scheduler.Threads);
    });
}
