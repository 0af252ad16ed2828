using Microsoft.VisualStudio.Threading;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Interop;

/// <summary>A scheduler thread as vs-threading's main thread (JoinableTaskContext).</summary>
public class VsThreadingTests
{
    private static JoinableTaskContext MainThreadContext() =>
        new(Thread.CurrentThread, Scheduler.SynchronizationContext);

    [Fact]
    public void SwitchToMainThreadAsync_from_the_pool_lands_on_the_scheduler_thread_and_hands_work_to_tasklets() => Isolated.Run(() =>
    {
        using var context = MainThreadContext();
        var channel = new Channel<int>();
        var received = new List<int>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                received.Add(await channel.ReceiveAsync());
            }
        });

        Tasklet? onMain = null;
        InvalidOperationException? refused = null;
        var poolWork = Task.Run(async () =>
        {
            await context.Factory.SwitchToMainThreadAsync();

            // On the scheduler thread, in a tasklet of its own ("posted work"), but under vs-threading's context: an
            // operation that may suspend is refused here (it cannot tell this from a nested JoinableTaskFactory.Run) ...
            onMain = Tasklet.Current;
            refused = Assert.Throws<InvalidOperationException>(() => channel.SendAsync(-1));

            // ... so the channel work goes to a tasklet, which runs under the scheduler's own context.
            Tasklet.Spawn(async () =>
            {
                for (var i = 0; i < 3; i++)
                {
                    await channel.SendAsync(i * 10);
                }
            });
        });

        Scheduler.WaitFor(poolWork); // main waits cooperatively; the tasklets run meanwhile
        Scheduler.Run();
        Assert.Equal([0, 10, 20], received);
        Assert.NotNull(onMain);
        Assert.Equal("posted work", onMain.Name);
        Assert.Equal(Environment.CurrentManagedThreadId, onMain.ThreadId);
        Assert.Contains("another SynchronizationContext", refused?.Message, StringComparison.Ordinal);
    });

    [Fact]
    public void JoinableTaskFactory_Run_in_main_can_switch_back_and_use_the_tasklets() => Isolated.Run(() =>
    {
        using var context = MainThreadContext();
        var channel = new Channel<string>();
        Tasklet.Spawn(async () => await channel.SendAsync("from a tasklet"));

        var result = context.Factory.Run(async () =>
        {
            await TaskScheduler.Default; // off to the pool ...
            Assert.NotEqual(context.MainThread, Thread.CurrentThread);
            await context.Factory.SwitchToMainThreadAsync(); // ... and back, through the job's own queue
            Assert.True(Tasklet.Current.IsMain);
            return await channel.ReceiveAsync(); // main's async form completes at once: it runs the scheduler in place
        });

        Assert.Equal("from a tasklet", result);
        Scheduler.Run();
    });

    [Fact]
    public void JoinableTaskFactory_Run_inside_a_soft_tasklet_raises_a_clear_error_instead_of_hanging() => Isolated.Run(() =>
    {
        using var context = MainThreadContext();
        var channel = new Channel<int>();
        var errors = new List<InvalidOperationException>();
        Tasklet.Spawn(() =>
        {
            try
            {
                context.Factory.Run(async () => await channel.ReceiveAsync());
            }
            catch (InvalidOperationException ex)
            {
                errors.Add(ex);
            }

            try
            {
                context.Factory.Run(async () =>
                {
                    await Task.Delay(1); // resumed inside Run's own loop, still on the tasklet's stack
                    await Scheduler.ScheduleAsync();
                });
            }
            catch (InvalidOperationException ex)
            {
                errors.Add(ex);
            }

            return Task.CompletedTask;
        });
        Scheduler.Run();

        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.Contains("JoinableTaskFactory.Run", e.Message, StringComparison.Ordinal));
        Assert.Equal(0, channel.Balance); // the refused operation changed nothing
    });

    [Fact]
    public void A_blocked_hard_tasklet_may_use_JoinableTaskFactory_Run_with_tasklet_operations() => Isolated.Run(() =>
    {
        using var context = MainThreadContext();
        var channel = new Channel<int>();
        Tasklet.Spawn(async () => await channel.SendAsync(5));
        var got = 0;
        Tasklet.SpawnHard(() => got = context.Factory.Run(async () => await channel.ReceiveAsync()));
        Scheduler.Run();
        Assert.Equal(5, got);
    });
}
