using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// Nested calls of <see cref="Scheduler.Run()"/> (Stackless's watchdog stack, stacklessmodule.c): when an outer run
/// returns first, it pops the deeper runs' callers off the stack and makes each runnable again if it is floating, and
/// a deeper caller so popped, once it runs, leaves its own run() at once.
/// </summary>
public class NestedRunTests
{
    [Fact]
    public void An_outer_run_ended_by_the_watchdog_reinserts_the_floating_caller_of_an_inner_run_which_then_returns() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var inner = Tasklet.SpawnHard(() =>
        {
            log.Add("inner run");
            var interrupted = Scheduler.Run(0); // no watchdog of its own: runs the spinner until the outer run's watchdog ends both
            log.Add($"inner run returned {interrupted?.Name ?? "null"}");
        });
        var spinner = Tasklet.Spawn(async () =>
        {
            while (true)
            {
                await Scheduler.PreemptionPointAsync();
            }
        });

        Assert.Same(spinner, Scheduler.Run(5));
        log.Add("outer run returned");
        Assert.True(inner.Scheduled); // popped off the watchdog stack while floating: runnable again
        Assert.False(spinner.Scheduled);

        Scheduler.Run();
        Assert.Equal(["inner run", "outer run returned", "inner run returned null"], log);
        Assert.False(inner.Alive);
        spinner.Kill();
    });

    [Fact]
    public void An_inner_run_that_ends_by_itself_leaves_the_outer_run_going() => Isolated.Run(() =>
    {
        var log = new List<string>();
        Tasklet.SpawnHard(() =>
        {
            Tasklet.Spawn(() =>
            {
                log.Add("spawned by inner");
                return Task.CompletedTask;
            });
            Scheduler.Run();
            log.Add("inner run returned");
        });
        Tasklet.Spawn(() =>
        {
            log.Add("other");
            return Task.CompletedTask;
        });

        Scheduler.Run();
        Assert.Equal(["other", "spawned by inner", "inner run returned"], log);
        Assert.Equal(1, Scheduler.RunCount);
    });
}
