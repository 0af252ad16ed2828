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
}
