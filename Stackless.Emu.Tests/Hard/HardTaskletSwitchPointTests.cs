using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Hard;

/// <summary>
/// A hard tasklet's operations are switch points like a soft tasklet's: the watchdog of a timed Run() counts them (its
/// own nested Run() calls included) and interrupts the hard tasklet at one; and their asynchronous forms complete
/// synchronously on its thread, with Stackless's switching order.
/// </summary>
public class HardTaskletSwitchPointTests
{
    [Fact]
    public void The_watchdog_interrupts_a_hard_tasklet_that_keeps_scheduling_alone() => Isolated.Run(() =>
    {
        var passed = 0;
        var hard = Tasklet.SpawnHard(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                Scheduler.Schedule(); // alone in the round: no switch, but a switch point
                passed++;
            }
        });

        Assert.Same(hard, Scheduler.Run(5));
        Assert.Equal(4, passed); // interrupted at its fifth schedule, the first with 5 ticks used, as a soft tasklet is
        Assert.True(hard.Alive);
        Assert.False(hard.Scheduled);
        hard.Kill();
    });

    [Fact]
    public void A_nested_Run_is_a_switch_point_the_watchdog_counts() => Isolated.Run(() =>
    {
        var passed = 0;
        var hard = Tasklet.SpawnHard(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                Scheduler.Run(); // nothing else to run: returns at once, one tick
                Scheduler.PreemptionPoint(); // the watchdog looks here: one tick more
                passed++;
            }
        });

        Assert.Same(hard, Scheduler.Run(10));
        Assert.Equal(4, passed); // two ticks per turn: the fifth preemption point is the tenth tick
        hard.Kill();
    });

    [Fact]
    public void A_hard_tasklets_asynchronous_send_completes_synchronously_after_the_preferred_receiver_ran() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var events = new List<string>();
        Tasklet.Spawn(async () => events.Add($"received {await channel.ReceiveAsync()}"));
        Tasklet.SpawnHard(() =>
        {
            var send = channel.SendAsync(42); // the receiver waits and is preferred (-1): it runs first
            events.Add($"send completed: {send.IsCompleted}");
            send.GetResult();
        });

        Scheduler.Run();
        Assert.Equal(["received 42", "send completed: True"], events);
    });
}
