using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// When the schedule callback runs and what it sees (Stackless's slp_schedule_callback): it is called once per switch
/// from one running tasklet to another, never when the running tasklet stays the same, and during the call the previous
/// tasklet still counts as current. Clearing it puts the scheduler back on its fast path.
/// </summary>
public class ScheduleCallbackRuleTests
{
    [Fact]
    public void During_the_callback_the_previous_tasklet_is_current() => Isolated.Run(() =>
    {
        var seen = new List<(Tasklet? Prev, Tasklet Current, Tasklet SchedulerCurrent)>();
        var a = Tasklet.SpawnFrame(Switching);
        var b = Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        Scheduler.ScheduleCallback = (prev, next) => seen.Add((prev, Tasklet.Current, Scheduler.Current));
        try
        {
            Scheduler.Run();
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }

        Assert.True(seen.Count >= 4, $"main -> a -> b -> a -> b -> main at least, saw {seen.Count} calls");
        Assert.All(seen, s =>
        {
            Assert.NotNull(s.Prev);
            Assert.Same(s.Prev, s.Current);
            Assert.Same(s.Prev, s.SchedulerCurrent);
        });
        Assert.Contains(seen, s => s.Prev == a);
        Assert.Contains(seen, s => s.Prev == b);

        static async TaskletFrame Switching() => await Scheduler.ScheduleAsync();
    });

    [Fact]
    public void No_callback_when_the_running_tasklet_does_not_change() => Isolated.Run(() =>
    {
        var calls = 0;
        Scheduler.ScheduleCallback = (_, _) => calls++;
        try
        {
            Scheduler.Run(); // nothing to run: main stays the running tasklet
            Scheduler.Schedule(); // main alone in the round
            Scheduler.Run(10);
        }
        finally
        {
            Scheduler.ScheduleCallback = null;
        }

        Assert.Equal(0, calls);
    });

    [Fact]
    public void Clearing_the_callback_and_ending_the_watchdog_leave_no_rare_work_behind() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        Assert.False(scheduler.HasRareWork);

        Scheduler.ScheduleCallback = (_, _) => { };
        Assert.True(scheduler.HasRareWork);

        // A timed run sets the watchdog on top of the callback; when it returns only the callback is left.
        Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        Assert.Null(Scheduler.Run(1_000));
        Assert.True(scheduler.HasRareWork);

        Scheduler.ScheduleCallback = null;
        Assert.False(scheduler.HasRareWork);

        // And the other way round: the watchdog alone, cleared when its run returns.
        Tasklet.Spawn(async () => await Scheduler.ScheduleAsync());
        Assert.Null(Scheduler.Run(1_000));
        Assert.False(scheduler.HasRareWork);
    });
}
