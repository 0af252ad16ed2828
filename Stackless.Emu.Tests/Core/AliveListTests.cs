using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The scheduler's list of alive tasklets (<see cref="Scheduler.AliveTasklets"/>, the deadlock dump): main first, then
/// every alive tasklet once, in the order it became alive, whatever died in between and however the list grew.
/// </summary>
public class AliveListTests
{
    [Fact]
    public void Deaths_anywhere_and_growth_keep_every_alive_tasklet_listed_once_in_order() => Isolated.Run(() =>
    {
        var first = Enumerable.Range(0, 40).Select(_ => Paused()).ToList();
        foreach (var odd in first.Where((_, i) => i % 2 == 1))
        {
            odd.Kill();
        }

        var evens = first.Where((_, i) => i % 2 == 0).ToList();
        Assert.Equal([Scheduler.Main, .. evens], Scheduler.AliveTasklets());

        var second = Enumerable.Range(0, 40).Select(_ => Paused()).ToList(); // reuses the holes or grows the list
        Assert.Equal([Scheduler.Main, .. evens, .. second], Scheduler.AliveTasklets());

        second[^1].Kill(); // the last one: its slot is given back
        var third = Paused();
        Assert.Equal([Scheduler.Main, .. evens, .. second.Take(39), third], Scheduler.AliveTasklets());

        foreach (var tasklet in evens.Concat(second).Append(third))
        {
            tasklet.Kill();
        }

        Assert.Equal([Scheduler.Main], Scheduler.AliveTasklets());
    });

    [Fact]
    public void A_tasklet_rebound_and_set_up_again_is_listed_once_at_the_end() => Isolated.Run(() =>
    {
        var a = Paused();
        var b = Paused();
        a.Bind(null); // unbound: no longer alive
        Assert.Equal([Scheduler.Main, b], Scheduler.AliveTasklets());
        a.Bind(() => Task.CompletedTask).Setup();
        Assert.Equal([Scheduler.Main, b, a], Scheduler.AliveTasklets());
        Scheduler.Run();
        b.Kill();
        Assert.Equal([Scheduler.Main], Scheduler.AliveTasklets());
    });

    [Fact]
    public void The_deadlock_report_lists_the_alive_tasklets() => Isolated.Run(() =>
    {
        var a = Paused();
        a.Name = "first";
        var b = Paused();
        b.Name = "second";
        a.Kill();
        var report = Scheduler.Describe();
        Assert.DoesNotContain("first", report, StringComparison.Ordinal);
        Assert.Contains("second", report, StringComparison.Ordinal);
        b.Kill();
    });

    /// <summary>An alive, paused tasklet that has started (it waits in a schedule_remove).</summary>
    private static Tasklet Paused()
    {
        var tasklet = Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
        tasklet.Run();
        return tasklet;
    }
}
