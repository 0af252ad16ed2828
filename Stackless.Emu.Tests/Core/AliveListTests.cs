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
        Assert.Contains(Environment.NewLine + "  " + b, report, StringComparison.Ordinal); // one indented line per tasklet
        b.Kill();
    });

    [Fact]
    public void A_full_list_is_listed_whole() => Isolated.Run(() =>
    {
        var tasklets = Enumerable.Range(0, Capacity).Select(_ => Paused()).ToList(); // exactly the list's first capacity
        Assert.Equal([Scheduler.Main, .. tasklets], Scheduler.AliveTasklets());
        Assert.Equal(Capacity + 2, Scheduler.Describe().Split(Environment.NewLine).Length); // the header, then main and each tasklet on a line

        tasklets[^1].Kill(); // the last slot of the full list is given back ...
        tasklets[^1] = Paused(); // ... and taken again
        Assert.Equal([Scheduler.Main, .. tasklets], Scheduler.AliveTasklets());
        foreach (var tasklet in tasklets)
        {
            tasklet.Kill();
        }
    });

    [Fact]
    public void Dead_tasklets_are_not_retained_after_the_list_is_compacted() => Isolated.Run(() =>
    {
        var moved = CompactThenKillTheMoved();
        Tasklet.Spawn(() => Task.CompletedTask); // the last tasklet to run is remembered for the schedule callback
        Scheduler.Run();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.All(moved, w => Assert.False(w.IsAlive, "a dead tasklet is still referenced by the scheduler's alive list"));
    });

    /// <summary>
    /// Fills the list (16 slots), kills the first 9, so the next tasklet compacts it (fewer than half alive), then kills
    /// the 7 tasklets the compaction moved to the front; returns weak references to those 7.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static List<WeakReference> CompactThenKillTheMoved()
    {
        var tasklets = Enumerable.Range(0, Capacity).Select(_ => Paused()).ToList();
        var killed = Capacity / 2 + 1;
        foreach (var tasklet in tasklets.Take(killed))
        {
            tasklet.Kill();
        }

        var newcomer = Paused(); // compacts: the 7 alive move to slots 0-6, the newcomer takes slot 7
        var moved = tasklets.Skip(killed).ToList();
        Assert.Equal([Scheduler.Main, .. moved, newcomer], Scheduler.AliveTasklets());
        foreach (var tasklet in moved)
        {
            tasklet.Kill();
        }

        newcomer.Kill();
        return moved.Select(t => new WeakReference(t)).ToList();
    }

    /// <summary>The scheduler's first capacity of the alive list: the tests fill it exactly.</summary>
    private const int Capacity = ThreadScheduler.InitialAliveCapacity;

    /// <summary>An alive, paused tasklet that has started (it waits in a schedule_remove).</summary>
    private static Tasklet Paused()
    {
        var tasklet = Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
        tasklet.Run();
        return tasklet;
    }
}
