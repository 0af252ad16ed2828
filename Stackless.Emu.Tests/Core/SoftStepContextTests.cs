using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// What a soft tasklet's step runs under: the scheduler's synchronization context (so code that captures
/// SynchronizationContext.Current comes back to the scheduler), its own execution context (AsyncLocal values it set
/// stay its own across its steps and do not leak into other tasklets), and what a posted callback that throws does (it
/// ends the tasklet it runs as, and the error goes to main like any tasklet error).
/// </summary>
public class SoftStepContextTests
{
    [Fact]
    public void A_soft_step_runs_under_the_schedulers_synchronization_context() => Isolated.Run(() =>
    {
        var before = SynchronizationContext.Current;
        SynchronizationContext? frameSaw = null;
        SynchronizationContext? frameSawAfterSwitch = null;
        var frame = Tasklet.SpawnFrame(Body);
        Scheduler.Run();
        Assert.Same(Scheduler.SynchronizationContext, frameSaw);
        Assert.Same(Scheduler.SynchronizationContext, frameSawAfterSwitch);
        Assert.Same(before, SynchronizationContext.Current); // main's own is back once Run() returns
        Assert.False(frame.Alive);

        async TaskletFrame Body()
        {
            frameSaw = SynchronizationContext.Current;
            await Scheduler.ScheduleAsync();
            frameSawAfterSwitch = SynchronizationContext.Current;
        }
    });

    [Fact]
    public void The_running_tasklet_is_current_until_it_suspends_even_after_its_operation_chose_the_next() => Isolated.Run(() =>
    {
        Tasklet? currentBetween = null;
        Tasklet? currentAfter = null;
        var other = Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        var self = Tasklet.Spawn(async () =>
        {
            var schedule = Scheduler.ScheduleAsync(); // the next tasklet is chosen now ...
            currentBetween = Tasklet.Current; // ... but this one runs until it awaits
            await schedule;
            currentAfter = Tasklet.Current;
        });
        Scheduler.Run();
        Assert.Same(self, currentBetween);
        Assert.Same(self, currentAfter);
        Assert.False(other.Alive);
    });

    [Fact]
    public void An_AsyncLocal_set_in_a_step_stays_the_tasklets_own_across_its_steps() => Isolated.Run(() =>
    {
        var local = new AsyncLocal<string?>();
        string? aAfterSwitch = null;
        string? bBeforeSwitch = "unset";
        string? bAfterSwitch = "unset";
        Tasklet.SpawnFrame(A);
        Tasklet.SpawnFrame(B);
        Scheduler.Run();
        Assert.Equal("a", aAfterSwitch); // kept from a's first step to its second
        Assert.Null(bBeforeSwitch); // b's step runs after a's first, without a's value
        Assert.Equal("b", bAfterSwitch);
        Assert.Null(local.Value); // and main never sees either

        async TaskletFrame A()
        {
            local.Value = "a";
            await Scheduler.ScheduleAsync();
            aAfterSwitch = local.Value;
        }

        async TaskletFrame B()
        {
            bBeforeSwitch = local.Value;
            local.Value = "b";
            await Scheduler.ScheduleAsync();
            bAfterSwitch = local.Value;
        }
    });

    [Fact]
    public void A_posted_callback_that_throws_ends_its_tasklet_and_the_error_reaches_main() => Isolated.Run(() =>
    {
        var local = new AsyncLocal<int> { Value = 1 }; // the posted work runs under a context of its own
        var ranAfter = false;
        Scheduler.SynchronizationContext.Post(_ => throw new FormatException("from posted work"), null);
        Tasklet.Spawn(() =>
        {
            ranAfter = true;
            return Task.CompletedTask;
        });
        local.Value = 2;
        var error = Assert.Throws<FormatException>(Scheduler.Run);
        Assert.Equal("from posted work", error.Message);
        Assert.DoesNotContain(Scheduler.AliveTasklets(), t => t.Name == "posted work"); // the posted work's tasklet ended
        Scheduler.Run();
        Assert.True(ranAfter);
        Assert.Equal(2, local.Value);
    });

    [Fact]
    public void A_callback_posted_to_a_waiting_tasklets_context_that_throws_ends_the_tasklet_and_the_error_reaches_main() => Isolated.Run(() =>
    {
        // A raw callback posted to the tasklet's own context runs as its next step, like a continuation; when it throws,
        // the step's error ends the tasklet (its body never resumes) and goes to main.
        SynchronizationContext? context = null;
        var never = new TaskCompletionSource();
        var resumed = false;
        var tasklet = Tasklet.Spawn(async () =>
        {
            context = SynchronizationContext.Current;
            await never.Task;
            resumed = true;
        });
        tasklet.Run(); // until it waits for the task
        Assert.Equal(1, Scheduler.IoPendingCount);
#pragma warning disable VSTHRD001 // The point: code that posts to the context it captured.
        context!.Post(_ => throw new FormatException("from the callback"), null);
#pragma warning restore VSTHRD001
        var error = Assert.Throws<FormatException>(Scheduler.Run);
        Assert.Equal("from the callback", error.Message);
        Assert.False(tasklet.Alive);
        Assert.False(resumed);
        Assert.Equal(0, Scheduler.IoPendingCount);
        Scheduler.Run(); // nothing is left to wait for
    });
}
