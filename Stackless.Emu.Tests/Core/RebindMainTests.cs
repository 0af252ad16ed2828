using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// Rebinding the main tasklet from another tasklet (Stackless's <c>stackless.main.bind(f)</c>): the new body runs as main
/// when main next resumes, and main's old code never continues (its thread stays parked, as Stackless's does).
/// </summary>
public class RebindMainTests
{
    /// <summary>Runs <paramref name="body"/> as a background thread's code; returns when <paramref name="done"/> is signalled.</summary>
    private static void OnOwnThread(Action body, SemaphoreSlim done)
    {
        new Thread(() => body()) { IsBackground = true, Name = "rebind main" }.Start();
        Assert.True(done.Wait(Stress.HangGuard));
    }

    [Fact]
    public void The_new_body_runs_as_main_with_the_threads_tasklets_and_the_old_code_never_continues()
    {
        using var done = new SemaphoreSlim(0);
        var log = new List<string>();
        var oldCodeContinued = false;
        OnOwnThread(
            () =>
            {
                var channel = new Channel<string>();
                Tasklet.Spawn(async () => await channel.SendAsync("from a tasklet"));
                Tasklet.Spawn(() =>
                {
                    Tasklet.Main.Bind(async () =>
                    {
                        log.Add("main is " + (Tasklet.Current.IsMain ? "main" : "not main"));
                        log.Add(await channel.ReceiveAsync()); // an async body, as under Scheduler.RunMain
                        done.Release();
                    });
                    return Task.CompletedTask;
                }).Switch();
                oldCodeContinued = true;
                done.Release();
            },
            done);
        Assert.Equal(["main is main", "from a tasklet"], log);
        Assert.False(oldCodeContinued);
    }

    [Fact]
    public void An_exception_of_the_new_body_is_raised_on_the_thread()
    {
        using var done = new SemaphoreSlim(0);
        Exception? raised = null;
        OnOwnThread(
            () =>
            {
                try
                {
                    Tasklet.Spawn(() =>
                    {
                        Tasklet.Main.Bind(() => throw new InvalidTimeZoneException("from the new body"));
                        return Task.CompletedTask;
                    }).Switch();
                }
                catch (InvalidTimeZoneException e)
                {
                    raised = e;
                }

                done.Release();
            },
            done);
        Assert.Equal("from the new body", raised?.Message);
    }

    [Fact]
    public void Main_waiting_on_a_channel_or_for_a_task_cannot_be_rebound_or_unbound() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new List<string>();
        Tasklet.Spawn(async () =>
        {
            errors.Add(Assert.Throws<InvalidOperationException>(() => Tasklet.Main.Bind(() => Task.CompletedTask)).Message);
            errors.Add(Assert.Throws<InvalidOperationException>(() => Tasklet.Main.Bind(null)).Message);
            await channel.SendAsync(1);
            errors.Add(Assert.Throws<InvalidOperationException>(() => Tasklet.Main.Bind(() => Task.CompletedTask)).Message);
            gate.SetResult();
        });
        Assert.Equal(1, channel.Receive()); // main waits on the channel: it is scheduled (Stackless's word for it)
        Scheduler.WaitFor(gate.Task); // main waits for a task: that wait cannot be abandoned
        Assert.Equal("tasklet is scheduled", errors[0]);
        Assert.Equal("tasklet is scheduled", errors[1]); // checked first, as in Stackless (unbinding a paused main: Test_unbind_main)
        Assert.Equal("tasklet is scheduled", errors[2]); // waiting for a task is being scheduled too: only a paused main is rebound
    });
}
