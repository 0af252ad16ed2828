using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>The core pieces a tasklet needs to move elsewhere: its Items, Discard, and WhenRestorableAsync.</summary>
public class MigrationSupportTests
{
    private static async TaskletFrame Sender(Channel<int> channel, List<string> log)
    {
        try
        {
            await channel.SendAsync(42);
            log.Add("sent");
        }
        finally
        {
            log.Add("finally");
        }
    }

    private static async TaskletFrame ForeignThenReceive(TaskCompletionSource gate, Channel<int> channel)
    {
        await gate.Task;
        await channel.ReceiveAsync();
    }

    [Fact]
    public void Items_are_created_on_first_use_and_belong_to_the_tasklet() => Isolated.Run(() =>
    {
        var a = Tasklet.Spawn(() => Task.CompletedTask);
        var b = Tasklet.Spawn(() => Task.CompletedTask);
        Assert.Null(a.ItemsIfAny);
        a.Items["port"] = "echo-1";
        Assert.Equal("echo-1", a.Items["port"]);
        Assert.False(b.Items.ContainsKey("port"));
        Assert.NotNull(a.ItemsIfAny);
        Scheduler.Run();
    });

    [Fact]
    public void Discard_of_a_blocked_sender_restores_the_balance_drops_its_value_and_runs_no_finally() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var log = new List<string>();
        var t = Tasklet.SpawnFrame(() => Sender(channel, log));
        Scheduler.Run();
        Assert.Equal(1, channel.Balance);
        t.Discard();
        Assert.False(t.Alive);
        Assert.False(t.Scheduled);
        Assert.Equal(0, channel.Balance);
        Assert.Null(channel.Queue);
        Assert.Empty(log);
        Assert.DoesNotContain(t, Scheduler.AliveTasklets());

        // The dropped value is gone: the next receiver waits for a new sender.
        Tasklet.Spawn(async () => await channel.SendAsync(7));
        Assert.Equal(7, channel.Receive());
        Scheduler.Run();
    });

    [Fact]
    public void Discard_of_a_runnable_tasklet_takes_it_out_of_the_queue() => Isolated.Run(() =>
    {
        var ran = false;
        var t = Tasklet.Spawn(() =>
        {
            ran = true;
            return Task.CompletedTask;
        });
        Assert.Equal(2, Scheduler.RunCount);
        t.Discard();
        Assert.Equal(1, Scheduler.RunCount);
        Scheduler.Run();
        Assert.False(ran);
        Assert.False(t.Alive);
    });

    [Fact]
    public void Discard_refuses_the_current_tasklet_main_and_a_tasklet_waiting_for_IO() => Isolated.Run(() =>
    {
        Assert.Contains("main", Assert.Throws<InvalidOperationException>(() => Tasklet.Main.Discard()).Message, StringComparison.Ordinal);

        string? selfMessage = null;
        Tasklet.Spawn(() =>
        {
            selfMessage = Assert.Throws<InvalidOperationException>(() => Tasklet.Current.Discard()).Message;
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.Contains("current", selfMessage, StringComparison.Ordinal);

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var io = Tasklet.Spawn(async () => await gate.Task);
        Scheduler.Schedule();
        Assert.True(io.BlockedOnIO);
        Assert.Contains("I/O", Assert.Throws<InvalidOperationException>(io.Discard).Message, StringComparison.Ordinal);
        gate.SetResult();
        Scheduler.Run();
        Assert.False(io.Alive);
    });

    [Fact]
    public void Discard_from_another_thread_is_refused_with_the_way_to_do_it() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(() => Task.CompletedTask);
        var error = (Exception?)null;
        var thread = new Thread(() => error = Record.Exception(t.Discard));
        thread.Start();
        thread.Join();
        Assert.Contains("InvokeAsync", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
        Scheduler.Run();
    });

    [Fact]
    public void WhenRestorableAsync_completes_once_a_tasklet_in_foreign_IO_suspends_on_a_channel() => Isolated.Run(() =>
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var channel = new Channel<int>();
        var t = Tasklet.SpawnFrame(() => ForeignThenReceive(gate, channel));
        var idle = Tasklet.SpawnFrame(() => Sender(new Channel<int>(), []));
        Scheduler.Schedule();
        Assert.True(t.BlockedOnIO);
        var ready = Tasklet.WhenRestorableAsync([t, idle]);
        Assert.False(ready.IsCompleted);
        gate.SetResult();
        Scheduler.Run();
        Assert.True(ready.IsCompletedSuccessfully);
        Assert.True(t.Restorable);
        t.Kill();
        idle.Kill();
    });

    [Fact]
    public void WhenRestorableAsync_completes_at_once_for_restorable_or_dead_tasklets_and_honours_cancellation() => Isolated.Run(() =>
    {
        var dead = Tasklet.Spawn(() => Task.CompletedTask);
        Scheduler.Run();
        Assert.True(Tasklet.WhenRestorableAsync([dead]).IsCompletedSuccessfully);
        Assert.True(Tasklet.WhenRestorableAsync([]).IsCompletedSuccessfully);

        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var busy = Tasklet.Spawn(async () => await gate.Task);
        Scheduler.Schedule();
        using var cancel = new CancellationTokenSource();
        var waiting = Tasklet.WhenRestorableAsync([busy], cancel.Token);
        cancel.Cancel();
        Assert.True(waiting.IsCanceled);
        gate.SetResult();
        Scheduler.Run();
    });

    [Fact]
    public void WhenRestorableAsync_called_from_another_thread_waits_for_the_owner_to_check() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var t = Tasklet.SpawnFrame(() => Sender(channel, []));
        Scheduler.Run();
        Task? fromElsewhere = null;
        var thread = new Thread(() => fromElsewhere = Tasklet.WhenRestorableAsync([t]));
        thread.Start();
        thread.Join();
        Assert.False(fromElsewhere!.IsCompleted); // the check is posted to this thread's scheduler
        Scheduler.Run();
        Assert.True(fromElsewhere.IsCompletedSuccessfully);
        t.Kill();
    });
}
