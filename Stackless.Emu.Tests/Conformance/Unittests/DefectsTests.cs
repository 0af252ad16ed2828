using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>Ports of Stackless/unittests/test_defects.py.</summary>
public class DefectsTests
{
    private const string File = "Stackless/unittests/test_defects.py";

    [Fact]
    [StacklessTest(File, "Schedule.testScheduleRemove", "stackless.schedule_remove", "stackless.run", "tasklet.kill")]
    public void TestScheduleRemove() => Isolated.Run(() =>
    {
        Scheduler.Run(); // flush all runnables
        var continued = false;
        var t = Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleRemoveAsync();
            continued = true;
        });
        Scheduler.Run(); // returns although t is not finished: it paused itself
        Assert.False(continued);
        Assert.True(t.Paused);
        t.Kill();
        Assert.False(continued);
        Assert.False(t.Alive);
    });

    [Fact]
    [StacklessTest(File, "Schedule.testScheduleRemove2", "stackless.schedule_remove", "channel.receive", "channel.send")]
    public void TestScheduleRemove2() => Isolated.Run(() =>
    {
        Scheduler.Run(); // flush all runnables
        var chan = new Channel();
        var raised = false;
        Tasklet.Spawn(async () =>
        {
            // main is blocked: removing the only runnable tasklet would deadlock
            await Assert.ThrowsAnyAsync<InvalidOperationException>(async () => await Scheduler.ScheduleRemoveAsync());
            raised = true;
            await chan.SendAsync(null);
        });
        chan.Receive();
        Assert.True(raised);
        Scheduler.Run();
    });

    [Fact]
    [StacklessTest(File, "Schedule.testScheduleRemove3", "stackless.schedule_remove", "stackless.run")]
    public void TestScheduleRemove3() => Isolated.Run(() =>
    {
        // The tasklet holds the only reference to itself when it pauses.
        Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
        Scheduler.Run();
        Assert.Equal(1, Scheduler.RunCount);
        var paused = Assert.Single(Scheduler.AliveTasklets(), t => !t.IsMain);
        Assert.True(paused.Paused);
        paused.Kill();
    });

    [Fact]
    [StacklessTest(File, "Schedule.testScheduleRemove4", "stackless.schedule_remove")]
    public void TestScheduleRemove4() => Isolated.Run(() =>
    {
        Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
        Scheduler.ScheduleRemove();

        // Control came back to main when the other tasklet paused too.
        Assert.True(Tasklet.Current.IsMain);
        var paused = Assert.Single(Scheduler.AliveTasklets(), t => !t.IsMain);
        Assert.True(paused.Paused);
        paused.Kill();
    });

    [Fact]
    [StacklessTest(File, "Channel.testTemporaryChannel", "channel.receive", "stackless.run", "stackless.enable_softswitch")]
    public void TestTemporaryChannel() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        Scheduler.Run();
        Assert.True(t.Blocked);
        t.Kill();
    });

    [Fact]
    [StacklessTest(File, "Channel.testTemporaryChannel2", "channel.receive", "stackless.run", "stackless.enable_softswitch")]
    public void TestTemporaryChannel2() => Isolated.Run(() =>
    {
        var t1 = Tasklet.Spawn(async () => await new Channel().ReceiveAsync());
        var t2 = Tasklet.Spawn(() => Task.CompletedTask);
        Scheduler.Run();
        Assert.True(t1.Blocked);
        Assert.False(t2.Alive);
        t1.Kill();
    });

    [Fact]
    [StacklessTest(File, "TestExceptionInScheduleCallback.testExceptionInScheduleCallback", "stackless.set_schedule_callback", "stackless.run", "tasklet.is_main")]
    public void TestExceptionInScheduleCallback() => Isolated.Run(() =>
    {
        Scheduler.ScheduleCallback = (prev, next) =>
        {
            if (next is { IsMain: true })
            {
                throw new InvalidOperationException("scheduleCallback");
            }
        };
        try
        {
            var t = Tasklet.Spawn(() => Task.CompletedTask);
            Scheduler.Run();
            Assert.False(t.Alive);
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }
    });

    [Fact]
    [StacklessTest(File, "TestContextManager.test_crash_on_WHY_SILENCED", "tasklet.switch", "tasklet.run", "stackless.getmain")]
    public void Test_crash_on_WHY_SILENCED() => Isolated.Run(() =>
    {
        // Stackless issue #115: a tasklet switches away inside a context manager's __exit__ that silences the exception
        // of its block, all inside a finally block on the way out of a return. C#'s using cannot silence an exception,
        // so __exit__ returning True becomes the catch clause that handles it; the switch happens inside that catch,
        // inside the finally. Resuming there must restore the frame's state: the silenced exception stays silenced and
        // the pending return completes.
        var main = Tasklet.Main;
        var steps = new List<int>();

        async Task<string> Body()
        {
            try
            {
                steps.Add(1);
                return "OK";
            }
            finally
            {
                try
                {
                    steps.Add(2); // __enter__
                    steps.Add(3);
#pragma warning disable CA2219 // the original raises inside the finally block on purpose
                    throw new DivideByZeroException(); // 1 // 0
#pragma warning restore CA2219
                }
                catch (DivideByZeroException)
                {
                    steps.Add(4); // __exit__
                    await main.SwitchAsync(); // the switch that corrupted the stack upon resuming __exit__
                    steps.Add(5);
                }

                steps.Add(6);
            }
        }

        string? result = null;
        var t = Tasklet.Spawn(async () => result = await Body());
        t.Run();
        Assert.Equal([1, 2, 3, 4], steps);
        Assert.True(t.Paused);
        t.Run();
        Assert.Equal([1, 2, 3, 4, 5, 6], steps);
        Assert.Equal("OK", result);
        Assert.False(t.Alive);
    });
}

