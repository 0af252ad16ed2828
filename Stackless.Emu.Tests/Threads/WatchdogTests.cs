using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>The run(timeout) watchdog on a cooperative runtime: interrupts at switch points only.</summary>
public class WatchdogTests
{
    private static async Task Compute(int points, List<int>? progress = null)
    {
        for (var i = 0; i < points; i++)
        {
            progress?.Add(i);
            await Scheduler.PreemptionPointAsync();
        }
    }

    [Fact]
    public void HardInterrupt_RemovesTheTaskletFromTheQueue_AndReturnsIt() => Isolated.Run(() =>
    {
        var progress = new List<int>();
        var busy = Tasklet.Spawn(() => Compute(1000, progress));

        var interrupted = Scheduler.Run(100);

        Assert.Same(busy, interrupted);
        Assert.True(busy.Alive);
        Assert.False(busy.Scheduled);
        Assert.InRange(progress.Count, 99, 101);
        Assert.Equal(1, Scheduler.RunCount);

        // Insert it again and run without a watchdog: it finishes where it stopped.
        busy.Insert();
        Assert.Null(Scheduler.Run(0));
        Assert.Equal(Enumerable.Range(0, 1000), progress);
    });

    [Fact]
    public void SoftRun_ReturnsAtTheNextVoluntarySwitch_WithTheNextTaskletRunningRightAfter() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var a = Tasklet.Spawn(async () =>
        {
            await Compute(50);
            log.Add("a schedules");
            await Scheduler.ScheduleAsync();
            log.Add("a resumed");
        });
        var b = Tasklet.Spawn(() =>
        {
            log.Add("b ran");
            return Task.CompletedTask;
        });

        var returned = Scheduler.Run(10, soft: true);

        Assert.Null(returned); // Stackless: a soft run always returns None
        Assert.Same(b, Scheduler.Current.Next);
        Assert.True(b.Scheduled);
        Assert.Equal(["a schedules"], log);
        Scheduler.Run();
        Assert.Equal(["a schedules", "b ran", "a resumed"], log);
        Assert.False(a.Alive);
    });

    [Fact]
    public void AtomicTasklets_AreNeverInterrupted() => Isolated.Run(() =>
    {
        var finished = false;
        Tasklet.Spawn(async () =>
        {
            using (Scheduler.Atomic())
            {
                await Compute(500);
            }

            finished = true;
        });

        Assert.Null(Scheduler.Run(10));
        Assert.True(finished);
    });

    [Fact]
    public void TotalTimeout_BoundsTheWholeRun_AcrossManyShortSlices() => Isolated.Run(() =>
    {
        var rounds = new int[3];
        for (var i = 0; i < 3; i++)
        {
            var index = i;
            Tasklet.Spawn(async () =>
            {
                while (true)
                {
                    rounds[index]++;
                    await Scheduler.ScheduleAsync();
                }
            });
        }

        // Per-slice budgets never expire here (every slice is one switch point); a total budget does.
        var victim = Scheduler.Run(300, totalTimeout: true);

        Assert.NotNull(victim);
        Assert.InRange(rounds.Sum(), 250, 350);
        foreach (var tasklet in Scheduler.AliveTasklets().Where(t => !t.IsMain))
        {
            tasklet.Kill();
        }
    });

    [Fact]
    public void WallClockBudget_InterruptsALongComputation() => Isolated.Run(() =>
    {
        var busy = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                Thread.SpinWait(1000);
                await Scheduler.PreemptionPointAsync();
            }
        });

        var interrupted = Scheduler.Run(TimeSpan.FromMilliseconds(20));

        Assert.Same(busy, interrupted);
        busy.Kill();
    });

    [Fact]
    public void HardTasklets_AreInterruptedAtTheirSwitchPointsToo() => Isolated.Run(() =>
    {
        var count = 0;
        var hard = Tasklet.SpawnHard(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                count++;
                Scheduler.PreemptionPoint();
            }
        });

        var interrupted = Scheduler.Run(100);

        Assert.Same(hard, interrupted);
        Assert.InRange(count, 99, 101);
        hard.Insert();
        Scheduler.Run();
        Assert.Equal(1000, count);
    });

    [Fact]
    public void PreemptionPoint_WithoutAWatchdog_NeverSwitches() => Isolated.Run(() =>
    {
        var order = new List<string>();
        Tasklet.Spawn(async () =>
        {
            order.Add("a1");
            await Scheduler.PreemptionPointAsync();
            order.Add("a2");
        });
        Tasklet.Spawn(() =>
        {
            order.Add("b");
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Equal(["a1", "a2", "b"], order);
    });

    [Fact]
    public void ThreadBlock_WaitsForAnotherThreadToWakeALocalTasklet_InsteadOfReturning() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var received = 0;
        var local = Tasklet.Spawn(async () => received = await channel.ReceiveAsync());
        using var worker = new SchedulerThread();
        worker.InvokeAsync(() => channel.IsShared).GetAwaiter().GetResult(); // same group: the worker can wake main's tasklets

        Scheduler.Run(); // without threadblock, Run returns at once: the local tasklet is blocked
        Assert.True(local.Blocked);

        worker.Post(async () =>
        {
            await Scheduler.SleepAsync(TimeSpan.FromMilliseconds(30));
            await channel.SendAsync(7);
        });
        Assert.Null(Scheduler.Run(0, threadBlock: true)); // waits for the worker, then runs the woken tasklet
        Assert.Equal(7, received);
        Assert.False(local.Alive);
        worker.Join();
    });

    [Fact]
    public void NegativeTimeout_IsRejected() => Isolated.Run(() =>
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.Run(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Scheduler.Run(TimeSpan.FromSeconds(-1)));
    });
}
