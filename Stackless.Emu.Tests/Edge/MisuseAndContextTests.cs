using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// Misuse that used to pass silently raises a clear error (a second await of the library's awaitables, a suspension
/// under another synchronization context), ExecutionContext flows into a tasklet as Task.Run flows it, and the opt-in
/// stall detector names a tasklet whose step blocks its thread.
/// </summary>
public class MisuseAndContextTests
{
    [Fact]
    public void Awaiting_a_ReceiveAwaitable_twice_raises_instead_of_returning_default() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Exception? suspended = null, immediate = null;
        Tasklet.Spawn(async () =>
        {
            var awaitable = channel.ReceiveAsync(); // suspends: the sender comes later
            Assert.Equal(5, await awaitable);
            suspended = await Record.ExceptionAsync(async () => await awaitable);
        });
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync(5);
            await channel.SendAsync(6);
        });
        Tasklet.Spawn(async () =>
        {
            var awaitable = channel.ReceiveAsync(); // a sender waits: completes at once
            Assert.Equal(6, await awaitable);
            immediate = await Record.ExceptionAsync(async () => await awaitable);
        });
        Scheduler.Run();
        Assert.Contains("already awaited", Assert.IsType<InvalidOperationException>(suspended).Message, StringComparison.Ordinal);
        Assert.Contains("already awaited", Assert.IsType<InvalidOperationException>(immediate).Message, StringComparison.Ordinal);
    });

    [Fact]
    public void Awaiting_a_SwitchAwaitable_twice_raises() => Isolated.Run(() =>
    {
        Exception? error = null;
        Tasklet.Spawn(async () =>
        {
            var awaitable = Scheduler.ScheduleAsync();
            await awaitable;
            error = await Record.ExceptionAsync(async () => await awaitable);
        });
        Tasklet.Spawn(() => Task.CompletedTask);
        Scheduler.Run();
        Assert.IsType<InvalidOperationException>(error);
    });

    [Fact]
    public void Suspending_a_soft_tasklet_under_another_synchronization_context_raises_instead_of_hanging() => Isolated.Run(() =>
    {
        // What JoinableTaskFactory.Run or AsyncContext.Run do inside a tasklet: run an async method under their own
        // context and pump that context until it completes. A channel receive inside could never be served.
        Exception? error = null;
        var channel = new Channel<int>();
        Tasklet.Spawn(() =>
        {
            error = NestedLoop.Run(async () => await channel.ReceiveAsync());
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Contains("JoinableTaskFactory.Run", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance); // the receive was undone: the channel is as before
    });

    private static readonly AsyncLocal<string?> s_ambient = new();

    [Fact]
    public void An_AsyncLocal_set_before_spawning_flows_into_the_tasklet_and_its_changes_stay_its_own() => Isolated.Run(() =>
    {
        s_ambient.Value = "spawner";
        string? seenFirst = null, seenLater = null, seenByOther = null;
        Tasklet.Spawn(async () =>
        {
            seenFirst = s_ambient.Value;
            s_ambient.Value = "changed by the tasklet";
            await Scheduler.ScheduleAsync();
            seenLater = s_ambient.Value;
        });
        Tasklet.SpawnFrame(() => ReadAmbient(value => seenByOther = value));
        Scheduler.Run();
        Assert.Equal("spawner", seenFirst);
        Assert.Equal("changed by the tasklet", seenLater);
        Assert.Equal("spawner", seenByOther);
        Assert.Equal("spawner", s_ambient.Value);
    });

    private static async TaskletFrame ReadAmbient(Action<string?> seen)
    {
        await Scheduler.ScheduleAsync();
        seen(s_ambient.Value);
    }
}

/// <summary>The opt-in stall detector (process-wide settings: runs alone, after the parallel tests).</summary>
[Collection(SequentialCollection.Name)]
public class StallDetectorTests
{
    [Fact]
    public void A_first_sample_never_reports_a_stall_whatever_the_count_it_finds() => Isolated.Run(() =>
    {
        // The check compares a scheduler's progress with its previous sample; a scheduler never sampled before has none
        // to compare with, so its first sample starts the clock, even when the loop has turned exactly once so far.
        var scheduler = ThreadScheduler.Current;
        Scheduler.Run(); // nothing to run: one turn of the loop
        Assert.Equal(1, scheduler.DispatchedSteps);
        var waiting = Tasklet.Spawn(() => Task.CompletedTask); // work waits, and the loop makes no progress
        Assert.Null(scheduler.CheckStall(now: 1_000_000, threshold: 1));
        Assert.NotNull(scheduler.CheckStall(now: 1_000_002, threshold: 1)); // no progress since the first sample: a stall
        Scheduler.Run();
        Assert.False(waiting.Alive);
    });

    [Fact]
    public void The_stall_detector_names_a_tasklet_whose_step_blocks_on_Result() => Isolated.Run(() =>
    {
        var reports = new List<string>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        StacklessDiagnostics.ErrorHandler = (what, _) =>
        {
            lock (reports)
            {
                reports.Add(what);
                if (what.Contains("blocker", StringComparison.Ordinal))
                {
                    gate.TrySetResult(); // the report unblocks the step it is about
                }
            }
        };
        StacklessDiagnostics.StallThreshold = TimeSpan.FromMilliseconds(50);
        try
        {
            var blocker = Tasklet.Spawn(() =>
            {
#pragma warning disable VSTHRD002 // The point: sync-over-async inside a tasklet, reported by the detector.
                gate.Task.Wait();
#pragma warning restore VSTHRD002
                return Task.CompletedTask;
            });
            blocker.Name = "blocker";
            Tasklet.Spawn(() => Task.CompletedTask); // runnable, starved by the blocked step
            Scheduler.Run();
        }
        finally
        {
            StacklessDiagnostics.StallThreshold = null;
            StacklessDiagnostics.ErrorHandler = null;
        }

        var report = Assert.Single(reports, r => r.Contains("blocker", StringComparison.Ordinal));
        Assert.Contains(".Result", report, StringComparison.Ordinal);
    });

}

/// <summary>A nested message loop, as JoinableTaskFactory.Run and AsyncContext.Run run one: pumps its own context.</summary>
internal sealed class NestedLoop : SynchronizationContext
{
    private readonly System.Collections.Concurrent.BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

    /// <summary>Runs <paramref name="body"/> under a nested loop until it completes; returns its exception, if any.</summary>
    public static Exception? Run(Func<Task> body)
    {
        var loop = new NestedLoop();
        var saved = Current;
        SetSynchronizationContext(loop);
        try
        {
            var task = body();
            while (!task.IsCompleted)
            {
                var (callback, state) = loop._queue.Take();
                callback(state);
            }

            return task.Exception?.InnerException;
        }
        finally
        {
            SetSynchronizationContext(saved);
        }
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));
}
