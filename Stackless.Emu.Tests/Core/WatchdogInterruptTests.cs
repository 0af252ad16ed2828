using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// Which tasklet the watchdog of <see cref="Scheduler.Run(int, bool, bool, bool, bool)"/> interrupts, and when, counted
/// in switch points (each operation or preemption point of a tasklet is one tick; a switch to another tasklet starts a
/// new slice unless the budget is the run's total). Stackless's rules (stacklessmodule.c, PyStackless_RunWatchdogEx and
/// schedule_task_interrupt): a hard interrupt takes the running tasklet out of the queue and run() returns it; a soft
/// one returns None at the tasklet's next voluntary switch, leaving the tasklet that would have run next in the queue.
/// </summary>
public class WatchdogInterruptTests
{
    [Fact]
    public void A_slice_of_n_ticks_interrupts_at_the_nth_switch_point_after_n_minus_1_completed() => Isolated.Run(() =>
    {
        var passed = 0;
        var looper = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await Scheduler.PreemptionPointAsync();
                passed++;
            }
        });

        Assert.Same(looper, Scheduler.Run(5));
        Assert.Equal(4, passed); // interrupted at its fifth preemption point, the first with 5 ticks used
        Assert.True(looper.Alive);
        Assert.False(looper.Scheduled); // taken out of the queue

        looper.Insert();
        Assert.Same(looper, Scheduler.Run(5));
        Assert.Equal(9, passed); // resumed past the point it was interrupted at, then a new slice of 5 ticks
        looper.Kill();
    });

    [Fact]
    public void A_tasklet_receiving_from_waiting_senders_without_suspending_is_interrupted_at_a_receive() => Isolated.Run(() =>
    {
        // With preference -1 a receive that finds a sender waiting goes on without switching: only the watchdog's check
        // at the receive, a switch point like any channel operation, can interrupt the loop.
        var channel = new Channel<int>();
        var senders = Enumerable.Range(0, 20).Select(i => Tasklet.Spawn(async () => await channel.SendAsync(i))).ToList();
        Scheduler.Run(); // every sender waits
        Assert.Equal(20, channel.Balance);

        var received = 0;
        var receiver = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await channel.ReceiveAsync();
                received++;
            }
        });

        Assert.Same(receiver, Scheduler.Run(5));
        Assert.InRange(received, 1, 10); // interrupted long before it took the twenty values
        receiver.Kill();
        foreach (var sender in senders.Where(s => s.Alive))
        {
            sender.Kill();
        }
    });

    [Fact]
    public void A_hard_tasklet_receiving_from_waiting_senders_is_interrupted_at_a_receive_too() => Isolated.Run(() =>
    {
        // Receives made by a hard tasklet tick and check too (ReceiveThreaded).
        var channel = new Channel<int>();
        var senders = Enumerable.Range(0, 20).Select(i => Tasklet.Spawn(async () => await channel.SendAsync(i))).ToList();
        Scheduler.Run();
        var received = 0;
        var hard = Tasklet.SpawnHard(() =>
        {
            while (true)
            {
                channel.Receive();
                received++;
            }
        });

        Assert.Same(hard, Scheduler.Run(5));
        Assert.InRange(received, 1, 10);
        hard.Kill();
        foreach (var sender in senders.Where(s => s.Alive))
        {
            sender.Kill();
        }
    });

    [Fact]
    public void A_tasklet_that_switches_away_at_the_end_of_its_slice_is_not_interrupted() => Isolated.Run(() =>
    {
        // Each round: 4 preemption points and a schedule, the schedule being the 5th tick of the slice. The switch ends the
        // slice anyway, so with a per-tasklet budget of 5 nobody is interrupted.
        var rounds = new int[2];
        for (var who = 0; who < 2; who++)
        {
            var me = who;
            Tasklet.Spawn(async () =>
            {
                for (var round = 0; round < 10; round++)
                {
                    for (var i = 0; i < 4; i++)
                    {
                        await Scheduler.PreemptionPointAsync();
                    }

                    await Scheduler.ScheduleAsync();
                    rounds[me]++;
                }
            });
        }

        Assert.Null(Scheduler.Run(5));
        Assert.Equal([10, 10], rounds);
    });

    [Fact]
    public void With_a_total_budget_the_tasklet_whose_switch_exhausts_it_is_interrupted() => Isolated.Run(() =>
    {
        // Two tasklets alternating schedules, one tick each: the 3rd tick of the run is the first tasklet's second schedule.
        var log = new List<string>();
        var a = Tasklet.Spawn(Alternate("a", log));
        var b = Tasklet.Spawn(Alternate("b", log));

        Assert.Same(a, Scheduler.Run(3, totalTimeout: true));
        Assert.Equal(["a0", "b0", "a1"], log);
        Assert.False(a.Scheduled);
        Assert.True(b.Scheduled); // the tasklet a switched to stays in the queue

        a.Insert();
        Scheduler.Run();
        Assert.Equal(["a0", "b0", "a1", "b1", "a2", "b2"], log);
    });

    [Fact]
    public void With_a_total_budget_a_tasklet_blocking_when_it_runs_out_leaves_the_next_one_interrupted() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var spun = 0;
        var blocker = Tasklet.Spawn(async () =>
        {
            await Scheduler.PreemptionPointAsync();
            await Scheduler.PreemptionPointAsync();
            await channel.SendAsync(1); // the 3rd tick: the budget runs out as it blocks
        });
        var spinner = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                spun++;
                await Scheduler.PreemptionPointAsync();
            }
        });

        Assert.Same(spinner, Scheduler.Run(3, totalTimeout: true));
        Assert.Equal(0, spun); // interrupted before it ran
        Assert.True(blocker.Blocked);
        Assert.False(spinner.Scheduled);
        spinner.Kill();
        blocker.Kill();
    });

    [Fact]
    public void Without_a_total_budget_a_tasklet_blocking_at_the_end_of_its_slice_interrupts_nobody() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var spun = 0;
        var blocker = Tasklet.Spawn(async () =>
        {
            await Scheduler.PreemptionPointAsync();
            await Scheduler.PreemptionPointAsync();
            await channel.SendAsync(1);
        });
        var spinner = Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 2; i++)
            {
                spun++;
                await Scheduler.PreemptionPointAsync();
            }
        });

        Assert.Null(Scheduler.Run(3));
        Assert.Equal(2, spun); // its own slice of 3 ticks was never used up
        Assert.False(spinner.Alive);
        Assert.True(blocker.Blocked);
        blocker.Kill();
    });

    [Fact]
    public void An_atomic_tasklet_next_in_line_is_not_interrupted_when_the_budget_runs_out() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var spun = 0;
        var blocker = Tasklet.Spawn(async () =>
        {
            await Scheduler.PreemptionPointAsync();
            await Scheduler.PreemptionPointAsync();
            await channel.SendAsync(1);
        });
        var spinner = Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 5; i++)
            {
                spun++;
                await Scheduler.PreemptionPointAsync();
            }
        });
        spinner.SetAtomic(true);

        Assert.Null(Scheduler.Run(3, totalTimeout: true));
        Assert.Equal(5, spun);
        Assert.False(spinner.Alive);
        blocker.Kill();
    });

    [Fact]
    public void A_soft_run_ignores_preemption_points_and_returns_at_the_next_voluntary_switch_leaving_the_next_tasklet_queued() => Isolated.Run(() =>
    {
        var passed = 0;
        var others = 0;
        var runner = Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 12; i++)
            {
                await Scheduler.PreemptionPointAsync();
                passed++;
            }

            await Scheduler.ScheduleAsync();
            passed++;
        });
        var other = Tasklet.Spawn(() =>
        {
            others++;
            return Task.CompletedTask;
        });

        Assert.Null(Scheduler.Run(4, soft: true));
        Assert.Equal(12, passed); // no preemption point ended the run: only the schedule did
        Assert.Equal(0, others); // the tasklet it switched to has not run ...
        Assert.Same(other, Scheduler.Current.Next); // ... and runs right after the caller
        Assert.True(runner.Scheduled);

        Scheduler.Run();
        Assert.Equal(13, passed);
        Assert.Equal(1, others);
    });

    [Fact]
    public void An_atomic_tasklet_is_never_interrupted_and_its_slice_does_not_carry_over() => Isolated.Run(() =>
    {
        var passed = 0;
        var looper = Tasklet.Spawn(async () =>
        {
            using (Scheduler.Atomic())
            {
                for (var i = 0; i < 20; i++)
                {
                    await Scheduler.PreemptionPointAsync();
                }
            }

            while (true)
            {
                await Scheduler.PreemptionPointAsync();
                passed++;
            }
        });

        Assert.Same(looper, Scheduler.Run(5));
        Assert.Equal(0, passed); // its slice was used up inside the atomic block: the first point after it interrupts
        looper.Kill();
    });

    [Fact]
    public void Every_interrupt_hard_or_soft_is_counted_once() => Isolated.Run(() =>
    {
        var scheduler = ThreadScheduler.Current;
        var before = scheduler.ReadCounters().WatchdogInterrupts;
        var looper = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await Scheduler.PreemptionPointAsync();
            }
        });
        Assert.Same(looper, Scheduler.Run(5)); // hard
        Assert.Equal(before + 1, scheduler.ReadCounters().WatchdogInterrupts);
        looper.Kill();

        var scheduling = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await Scheduler.ScheduleAsync();
            }
        });
        Tasklet.Spawn(() => Task.CompletedTask);
        Assert.Null(Scheduler.Run(3, soft: true)); // soft: at a voluntary switch, returns nothing
        Assert.Equal(before + 2, scheduler.ReadCounters().WatchdogInterrupts);
        scheduling.Kill();
        Scheduler.Run();
    });

    [Fact]
    public void A_tasklet_under_the_switch_trap_is_never_interrupted() => Isolated.Run(() =>
    {
        var passed = 0;
        var trapped = Tasklet.Spawn(async () =>
        {
            Scheduler.SwitchTrap(1);
            try
            {
                for (var i = 0; i < 20; i++)
                {
                    await Scheduler.PreemptionPointAsync(); // far past the slice: an interrupt would be a switch
                    passed++;
                }
            }
            finally
            {
                Scheduler.SwitchTrap(-1);
            }
        });

        Assert.Null(Scheduler.Run(5)); // it ran to its end
        Assert.Equal(20, passed);
        Assert.False(trapped.Alive);
    });

    private static Func<Task> Alternate(string name, List<string> log) => async () =>
    {
        for (var i = 0; i < 3; i++)
        {
            log.Add(name + i);
            await Scheduler.ScheduleAsync();
        }
    };
}
