using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

public class ForeignAwaitTests
{
    [Fact]
    public void A_tasklet_awaiting_Task_Delay_is_blocked_on_IO_and_resumes_on_the_scheduler_thread_as_current() => Isolated.Run(() =>
    {
        var schedulerThread = Environment.CurrentManagedThreadId;
        Tasklet? self = null;
        var resumedOn = -1;
        var currentAfter = (Tasklet?)null;
        var t = Tasklet.Spawn(async () =>
        {
            self = Tasklet.Current;
            await Task.Delay(20);
            resumedOn = Environment.CurrentManagedThreadId;
            currentAfter = Tasklet.Current;
        });
        var otherSteps = 0;
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                otherSteps++;
                await Scheduler.ScheduleAsync();
            }
        });

        Scheduler.Run(); // returns only once the I/O is done and the tasklet finished

        Assert.Equal(3, otherSteps);
        Assert.False(t.Alive);
        Assert.Equal(schedulerThread, resumedOn);
        Assert.Same(self, currentAfter);
        Assert.Same(t, self);
    });

    [Fact]
    public void While_waiting_for_IO_the_tasklet_reports_blocked_and_leaves_the_runnable_queue() => Isolated.Run(() =>
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var t = Tasklet.Spawn(async () => await gate.Task);
        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync();
            Assert.True(t.Blocked);
            Assert.True(t.BlockedOnIO);
            Assert.True(t.Scheduled);
            Assert.Equal(1, Scheduler.IoPendingCount);
            gate.SetResult();
        });
        Scheduler.Run();
        Assert.False(t.Alive);
        Assert.Equal(0, Scheduler.IoPendingCount);
    });

    [Fact]
    public void A_TaskCompletionSource_completed_by_another_tasklet_wakes_the_waiter() => Isolated.Run(() =>
    {
        var tcs = new TaskCompletionSource<int>();
        var got = 0;
        Tasklet.Spawn(async () => got = await tcs.Task);
        Tasklet.Spawn(() =>
        {
            tcs.SetResult(42);
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(42, got);
    });

    [Fact]
    public void Task_Yield_requeues_the_tasklet_at_the_end_of_the_round() => Isolated.Run(() =>
    {
        var log = new List<string>();
        Tasklet.Spawn(async () =>
        {
            log.Add("a1");
            await Task.Yield();
            log.Add("a2");
        });
        Tasklet.Spawn(() =>
        {
            log.Add("b");
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(["a1", "b", "a2"], log);
    });

    [Fact]
    public void An_exception_after_a_foreign_await_reaches_main_from_Run() => Isolated.Run(() =>
    {
        Tasklet.Spawn(async () =>
        {
            await Task.Delay(1);
            throw new FormatException("after I/O");
        });
        var error = Assert.Throws<FormatException>(Scheduler.Run);
        Assert.Equal("after I/O", error.Message);
    });

    [Fact]
    public void Main_blocked_on_a_channel_waits_for_IO_instead_of_reporting_a_deadlock() => Isolated.Run(() =>
    {
        var channel = new Channel<string>();
        Tasklet.Spawn(async () =>
        {
            await Task.Delay(30);
            await channel.SendAsync("late");
        });
        Assert.Equal("late", channel.Receive());
        Scheduler.Run();
    });
}
