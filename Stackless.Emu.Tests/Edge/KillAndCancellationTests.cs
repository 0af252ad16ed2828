using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Edge;

/// <summary>
/// Kill and Throw keep their word for tasklets waiting outside the scheduler, and a kill's cancellation is the kill:
/// it ends the tasklet quietly; a throw is seen as the thrown exception.
/// </summary>
public class KillAndCancellationTests
{
    [Fact]
    public void Kill_of_a_tasklet_awaiting_a_foreign_task_with_its_token_returns_only_once_it_has_died_quietly() => Isolated.Run(() =>
    {
        var log = new List<string>();
        var t = Tasklet.Spawn(async () =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, Tasklet.Current.CancellationToken);
            }
            finally
            {
                log.Add("finally");
            }
        });
        Scheduler.Schedule();
        Assert.True(t.BlockedOnIO);
        t.Kill(); // no error in main: the TaskCanceledException is the kill
        Assert.False(t.Alive);
        Assert.Equal(["finally"], log);
        Scheduler.Run();
    });

    [Fact]
    public void Throw_into_a_tasklet_awaiting_a_foreign_task_reaches_main_as_the_thrown_exception() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(async () => await Task.Delay(Timeout.Infinite, Tasklet.Current.CancellationToken));
        Scheduler.Schedule();
        var error = Assert.Throws<FormatException>(() => t.Throw(new FormatException("thrown")));
        Assert.Equal("thrown", error.Message);
        Assert.False(t.Alive);
    });

    [Fact]
    public void SleepAsync_is_interrupted_by_a_kill_and_the_tasklet_sees_TaskletExit() => Isolated.Run(() =>
    {
        Exception? seen = null;
        var t = Tasklet.SpawnFrame(() => SleepFrame(ex => seen = ex));
        Scheduler.Schedule();
        t.Kill();
        Assert.IsType<TaskletExit>(seen);
        Assert.False(t.Alive);
    });

    [Fact]
    public void A_kill_during_BlockingCallAsync_is_not_lost_the_tasklet_does_not_carry_on() => Isolated.Run(() =>
    {
        using var release = new ManualResetEventSlim();
        var carriedOn = false;
        var t = Tasklet.Spawn(async () =>
        {
            await Scheduler.BlockingCallAsync(release.Wait);
            carriedOn = true;
        });
        Scheduler.Schedule();
        Assert.True(t.BlockedOnIO);
        t.Kill(pending: true); // the blocking call cannot be interrupted ...
        release.Set();
        Scheduler.Run(); // ... but when it returns, the kill is raised
        Assert.False(carriedOn);
        Assert.False(t.Alive);
    });

    [Fact]
    public void A_kill_from_another_thread_during_BlockingCallAsync_is_not_lost_the_tasklet_does_not_carry_on() => Isolated.Run(() =>
    {
        using var ended = new ManualResetEventSlim();
        var carriedOn = false;
        Exception? seen = null;
        Tasklet? target = null;
        using (var worker = new SchedulerThread("blocking call"))
        {
            worker.Post(async () =>
            {
                target = Tasklet.Current;
                var token = Tasklet.Current.CancellationToken;
                try
                {
                    // The call returns normally, and only once the kill has been delivered (the kill cancels the token).
                    await Scheduler.BlockingCallAsync(() => token.WaitHandle.WaitOne());
                    carriedOn = true;
                }
                catch (Exception ex)
                {
                    seen = ex;
                    throw;
                }
                finally
                {
                    ended.Set();
                }
            });
            Assert.True(SpinWait.SpinUntil(() => target is { BlockedOnIO: true }, TimeSpan.FromMinutes(2)), "the tasklet did not reach its blocking call");
            target!.Kill(); // another thread's tasklet: its own thread delivers the kill; this thread goes on
            Assert.True(ended.Wait(TimeSpan.FromMinutes(2)), "the tasklet did not end");
        }

        Assert.False(carriedOn);
        Assert.IsType<TaskletExit>(seen);
        Assert.False(target.Alive);
    });

    [Fact]
    public void Kill_from_a_soft_tasklet_waits_until_the_target_has_left_its_IO() => Isolated.Run(() =>
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();
        var target = Tasklet.Spawn(async () =>
        {
            try
            {
                await gate.Task;
            }
            finally
            {
                order.Add("target finally");
            }
        });
        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync();
            var opener = new Thread(() => gate.SetResult());
            opener.Start();
            await target.KillAsync(); // returns only after the target has run and died
            order.Add("killer after kill");
            Assert.False(target.Alive);
        });
        Scheduler.Run();
        Assert.Equal(["target finally", "killer after kill"], order);
    });

    [Fact]
    public void Kill_from_a_hard_tasklet_waits_until_the_target_has_left_its_IO() => Isolated.Run(() =>
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var order = new List<string>();
        var target = Tasklet.Spawn(async () =>
        {
            try
            {
                await gate.Task;
            }
            finally
            {
                order.Add("target finally");
            }
        });
        Tasklet.SpawnHard(() =>
        {
            Scheduler.Schedule();
            ThreadPool.QueueUserWorkItem(_ => gate.SetResult());
            target.Kill();
            order.Add("killer after kill");
        });
        Scheduler.Run();
        Assert.Equal(["target finally", "killer after kill"], order);
    });

    [Fact]
    public void A_second_throw_replaces_a_pending_one_as_in_Stackless() => Isolated.Run(() =>
    {
        // Stackless: t1.kill(pending=True); t1.kill() kills t1 (TASKLET_SETVAL_OWN replaces the pending bomb).
        var t1 = Tasklet.Spawn(() => Task.CompletedTask);
        t1.Kill(pending: true);
        t1.Kill();
        Assert.False(t1.Alive);

        Exception? caught = null;
        var t2 = Tasklet.Spawn(async () =>
        {
            try
            {
                await Scheduler.ScheduleAsync();
            }
            catch (Exception ex)
            {
                caught = ex;
            }
        });
        Scheduler.Schedule();
        t2.Throw(new FormatException("first"), pending: true);
        t2.Kill();
        Assert.IsType<TaskletExit>(caught); // not an AggregateException a catch (Exception) would swallow
        Assert.False(t2.Alive);
    });

    [Fact]
    public void Bind_and_setup_clear_a_pending_exception_as_in_Stackless() => Isolated.Run(() =>
    {
        var ranNew = false;
        var t1 = Tasklet.Spawn(() => Task.CompletedTask);
        t1.Kill(pending: true);
        t1.Remove();
        t1.Bind(() =>
        {
            ranNew = true;
            return Task.CompletedTask;
        });
        t1.Setup();
        Scheduler.Run();
        Assert.True(ranNew);
    });

    private static async TaskletFrame SleepFrame(Action<Exception> seen)
    {
        try
        {
            await Scheduler.SleepAsync(TimeSpan.FromHours(1));
        }
        catch (Exception ex)
        {
            seen(ex);
            throw;
        }
    }
}
