using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Threads;

/// <summary>Per-thread schedulers, their registry, and <see cref="SchedulerThread"/>.</summary>
public class SchedulerThreadTests
{
    [Fact]
    public void EveryThreadUsingTheApi_HasItsOwnScheduler_ListedInThreads() => Isolated.Run(() =>
    {
        var mainInfo = Scheduler.GetThreadInfo();
        Assert.Same(Scheduler.Main, mainInfo.Main);
        Assert.Same(Tasklet.Current, mainInfo.Current);
        Assert.Equal(1, mainInfo.RunCount);

        using var worker = new SchedulerThread();
        var tasklet = worker.SpawnAsync(async () => await new Channel<int>().ReceiveAsync()).GetAwaiter().GetResult();

        Assert.Contains(Tasklet.Current.ThreadId, Scheduler.Threads);
        Assert.Contains(worker.ThreadId, Scheduler.Threads);
        Assert.Equal(worker.ThreadId, tasklet.ThreadId);
        Assert.NotEqual(Tasklet.Current.ThreadId, worker.ThreadId);
        var info = Scheduler.GetThreadInfo(worker.ThreadId);
        Assert.NotSame(Scheduler.Main, info.Main);
        Assert.True(info.Main.IsMain);
        Assert.Contains($"Thread {worker.ThreadId}", Scheduler.DescribeAllThreads(), StringComparison.Ordinal);

        worker.Join();
        Assert.False(tasklet.Alive);
        SpinWait.SpinUntil(() => !Scheduler.Threads.Contains(worker.ThreadId), Stress.HangGuard);
        Assert.DoesNotContain(worker.ThreadId, Scheduler.Threads);
        Assert.Throws<ArgumentException>(() => Scheduler.GetThreadInfo(worker.ThreadId));
    });

    [Fact]
    public void ErrorsOfItsTasklets_AreCollected_AndRaisedByJoin() => Isolated.Run(() =>
    {
        var worker = new SchedulerThread();
        worker.Post(() => throw new InvalidProgramException("first"));
        worker.Post(async () =>
        {
            await Scheduler.ScheduleAsync();
            throw new InvalidProgramException("second");
        });
        var ran = worker.InvokeAsync(() => 5).GetAwaiter().GetResult();
        Assert.Equal(5, ran);

        var error = Assert.Throws<AggregateException>(worker.Join);
        Assert.Equal(["first", "second"], error.InnerExceptions.Select(e => e.Message).Order());
        Assert.True(worker.Completion.IsFaulted);
        Assert.Throws<ObjectDisposedException>(() => worker.Post(() => Task.CompletedTask));
        worker.Dispose();
    });

    [Fact]
    public void StoppingKillsBlockedTasklets_SoTheirFinallyRuns() => Isolated.Run(() =>
    {
        var cleanedUp = 0;
        var worker = new SchedulerThread();
        for (var i = 0; i < 10; i++)
        {
            worker.Post(async () =>
            {
                try
                {
                    await new Channel<int>().ReceiveAsync();
                }
                finally
                {
                    Interlocked.Increment(ref cleanedUp);
                }
            });
        }

        worker.Join();
        Assert.Equal(10, cleanedUp);
        Assert.True(worker.Completion.IsCompletedSuccessfully);
    });

    [Fact]
    public void RemoteInsertAndKill_ArePerformedByTheTaskletsOwnThread() => Isolated.Run(() =>
    {
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var worker = new SchedulerThread();
        var paused = worker.InvokeAsync(() => new Tasklet(() =>
        {
            log.Enqueue("ran on " + Tasklet.Current.ThreadId);
            return Task.CompletedTask;
        }).Setup().Remove()).GetAwaiter().GetResult();
        paused.Insert();
        SpinWait.SpinUntil(() => !paused.Alive, Stress.HangGuard);
        Assert.Equal(["ran on " + worker.ThreadId], log);

        var blocked = worker.SpawnAsync(async () =>
        {
            try
            {
                await new Channel<int>().ReceiveAsync();
            }
            finally
            {
                log.Enqueue("finally on " + Tasklet.Current.ThreadId);
            }
        }).GetAwaiter().GetResult();
        SpinWait.SpinUntil(() => blocked.Blocked, Stress.HangGuard);
        blocked.Kill();
        SpinWait.SpinUntil(() => !blocked.Alive, Stress.HangGuard);
        Assert.False(blocked.Alive);
        Assert.Contains("finally on " + worker.ThreadId, log);
        worker.Join();
    });
}
