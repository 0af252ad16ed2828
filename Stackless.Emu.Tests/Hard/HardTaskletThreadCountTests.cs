using System.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Hard;

/// <summary>Threads are a resource, not a leak: measured alone, since the process's thread count is shared by all tests.</summary>
[Collection(SequentialCollection.Name)]
public class HardTaskletThreadCountTests
{
    [Fact]
    public void Ten_thousand_hard_tasklets_leave_the_thread_count_at_its_baseline() => Isolated.Run(() =>
    {
        // Warm the pool so its parked thread is part of the baseline.
        Tasklet.SpawnHard(() => { });
        Scheduler.Run();
        var baseline = Process.GetCurrentProcess().Threads.Count;

        var finished = 0;
        for (var batch = 0; batch < 100; batch++)
        {
            for (var i = 0; i < 100; i++)
            {
                Tasklet.SpawnHard(() => finished++);
            }

            Scheduler.Run();
        }

        Assert.Equal(10_000, finished);
        var after = Process.GetCurrentProcess().Threads.Count;
        Assert.True(after <= baseline + 2, $"thread count grew from {baseline} to {after}");
    });
}
