using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The scheduler's count of tasklets waiting for something outside it (I/O, tasks), which decides whether Run() waits
/// for its inbox: it goes back to zero however a wait ends, and while it waits the scheduler's thread sleeps instead of
/// spinning through its loop.
/// </summary>
public class IoWaitAccountingTests
{
    [Fact]
    public void Main_waiting_for_a_task_that_a_tasklet_error_interrupts_stops_counting_as_waiting() => Isolated.Run(() =>
    {
        var never = new TaskCompletionSource();
        Tasklet.Spawn(() => throw new FormatException("from a tasklet"));
        var error = Assert.Throws<FormatException>(() => Scheduler.WaitFor(never.Task)); // the error ends main's wait
        Assert.Equal("from a tasklet", error.Message);
        Assert.Equal(0, Scheduler.IoPendingCount);
        Scheduler.Run(); // nothing waits: returns at once instead of waiting for an abandoned task
        never.SetResult(); // a late completion finds the wait abandoned
        Scheduler.Run();
        Assert.Equal(0, Scheduler.IoPendingCount);
    });

    [Fact]
    public void Run_sleeps_while_its_tasklets_wait_for_IO() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long stepsWhileWaiting = -1;
        var waiter = Tasklet.Spawn(async () => await gate.Task);
        var observer = new Thread(() =>
        {
            SpinWait.SpinUntil(() => scheduler.IoPending == 1);
            var before = scheduler.DispatchedSteps;
            Thread.Sleep(100); // a window to count in, not a timing assertion
            stepsWhileWaiting = scheduler.DispatchedSteps - before;
            gate.SetResult();
        });
        observer.Start();
        Scheduler.Run();
        observer.Join();
        Assert.False(waiter.Alive);

        // A sleeping scheduler dispatches nothing until the completion arrives; one that spun would count each turn.
        Assert.InRange(stepsWhileWaiting, 0, 10);
    });
}
