using System.Runtime.CompilerServices;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// Tasklet code whose continuation leaves the scheduler thread: <c>ConfigureAwait(false)</c>, <c>await
/// TaskScheduler.Default</c>, or an awaiter that runs its continuation inline on another thread. A TaskletFrame body is
/// brought back (its builder routes every foreign await to the tasklet's scheduler); an async-delegate body cannot be,
/// and is reported in main with an error naming the tasklet and the cause, instead of leaving Run() waiting for ever.
/// </summary>
public class LeavingTheThreadTests
{
    public static TheoryData<string> WaysOut => ["ConfigureAwait(false)", "await TaskScheduler.Default", "inline on another thread"];

    [Theory]
    [MemberData(nameof(WaysOut))]
    public void An_async_delegate_body_that_leaves_its_thread_is_reported_in_main_by_name(string way) => Isolated.Run(() =>
    {
        var tasklet = Tasklet.Spawn(() => LeaveAsync(way));
        tasklet.Name = "escaper";
        var error = Assert.Throws<InvalidOperationException>(Scheduler.Run);
        Assert.Contains("escaper", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConfigureAwait(false)", error.Message, StringComparison.Ordinal);
        Assert.False(tasklet.Alive);
        Assert.Equal(0, Scheduler.IoPendingCount);
    });

    [Theory]
    [MemberData(nameof(WaysOut))]
    public void A_TaskletFrame_body_is_brought_back_to_its_scheduler_thread(string way) => Isolated.Run(() =>
    {
        var thread = Environment.CurrentManagedThreadId;
        var after = -1;
        Tasklet? seen = null;
        var tasklet = Tasklet.SpawnFrame(() => LeaveFrame(way, () =>
        {
            after = Environment.CurrentManagedThreadId;
            seen = Tasklet.Current;
        }));
        Scheduler.Run();
        Assert.Equal(thread, after);
        Assert.Same(tasklet, seen);
        Assert.False(tasklet.Alive);
    });

    private static async Task LeaveAsync(string way)
    {
        await Away(way);
        await Task.Delay(1).ConfigureAwait(false); // now off the scheduler thread; the body ends there
    }

    private static async TaskletFrame LeaveFrame(string way, Action afterwards)
    {
        switch (way)
        {
            case "ConfigureAwait(false)":
                await Task.Delay(1).ConfigureAwait(false);
                break;
            case "await TaskScheduler.Default":
                await new SwitchToPool();
                break;
            default:
                await new InlineOnOtherThread();
                break;
        }

        afterwards();
    }

    private static async Task Away(string way)
    {
        switch (way)
        {
            case "ConfigureAwait(false)":
                await Task.Delay(1).ConfigureAwait(false);
                break;
            case "await TaskScheduler.Default":
                await new SwitchToPool();
                break;
            default:
                await new InlineOnOtherThread();
                break;
        }
    }

    /// <summary>What <c>await TaskScheduler.Default</c> (vs-threading's extension) does: continue on the thread pool.</summary>
    private readonly struct SwitchToPool : ICriticalNotifyCompletion
    {
        public SwitchToPool GetAwaiter() => this;

        public bool IsCompleted => false;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => ThreadPool.QueueUserWorkItem(_ => continuation());

        public void UnsafeOnCompleted(Action continuation) => ThreadPool.UnsafeQueueUserWorkItem(_ => continuation(), null);
    }

    /// <summary>An awaiter that ignores the synchronization context and runs its continuation inline on its own thread.</summary>
    private readonly struct InlineOnOtherThread : ICriticalNotifyCompletion
    {
        public InlineOnOtherThread GetAwaiter() => this;

        public bool IsCompleted => false;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        public void UnsafeOnCompleted(Action continuation) => new Thread(() => continuation()) { IsBackground = true }.Start();
    }
}
