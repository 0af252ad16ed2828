using Stackless.Emu.Diagnostics;
using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The corners of Stackless's deadlock rule (scheduling.c, slp_schedule_task): the last runnable tasklet may not block
/// or remove itself when nothing could ever make a tasklet runnable again, except when the tasklet that an empty queue
/// wakes (main, or the innermost caller of run()) floats: run() then returns, a removed main comes back at once.
/// </summary>
public class DeadlockRuleTests
{
    [Fact]
    public void The_last_tasklet_may_block_while_main_floats_in_Run_which_then_returns() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var receiver = Tasklet.Spawn(async () => await channel.ReceiveAsync());
        Scheduler.Run(); // no DeadlockException: main, the one an empty queue wakes, floats in run()
        Assert.True(receiver.Blocked);
        Assert.Equal(-1, channel.Balance);
        receiver.Kill();
    });

    [Fact]
    public void The_last_tasklet_blocking_in_SendThrow_while_main_floats_makes_Run_raise_its_exception() => Isolated.Run(() =>
    {
        // schedule_task_block, "emulate old revive_main behavior": main is revived with the blocked sender's bomb.
        var channel = new Channel<int>();
        var sent = new InvalidOperationException("sent to nobody");
        var sender = Tasklet.Spawn(async () => await channel.SendThrowAsync(sent));
        Assert.Same(sent, Assert.Throws<InvalidOperationException>(Scheduler.Run));
        Assert.True(sender.Blocked); // the sender keeps its error: the next receiver gets it
        Assert.Equal(1, channel.Balance);
        Assert.Same(sent, Assert.Throws<InvalidOperationException>(() => channel.Receive()));
        Scheduler.Run();
        Assert.False(sender.Alive);
    });

    [Fact]
    public void A_sender_of_a_plain_value_blocking_last_while_main_floats_lets_Run_return() => Isolated.Run(() =>
    {
        var channel = new Channel<object?>();
        var sender = Tasklet.Spawn(async () => await channel.SendAsync("a value, not a bomb"));
        Scheduler.Run();
        Assert.True(sender.Blocked);
        Assert.Equal("a value, not a bomb", channel.Receive());
        Scheduler.Run();
    });

    [Fact]
    public void A_deadlock_raised_in_a_tasklet_while_main_is_blocked_sending_keeps_mains_value() => Isolated.Run(() =>
    {
        // Stackless drops the value (the receiver gets None); the library never drops a sent value (compat-matrix.md).
        var channel = new Channel<int>();
        var other = new Channel<int>();
        Exception? deadlock = null;
        var received = 0;
        Tasklet.Spawn(async () =>
        {
            deadlock = await Record.ExceptionAsync(async () => await other.ReceiveAsync());
            received = await channel.ReceiveAsync();
        });
        channel.Send(1001);
        Assert.IsType<DeadlockException>(deadlock);
        Assert.Equal(1001, received);
    });

    [Fact]
    public void The_last_tasklet_may_remove_itself_while_main_floats_in_Run() => Isolated.Run(() =>
    {
        var removed = Tasklet.Spawn(async () => await Scheduler.ScheduleRemoveAsync());
        Scheduler.Run();
        Assert.True(removed.Paused);
        removed.Kill();
    });

    [Fact]
    public void Main_alone_removing_itself_comes_back_at_once() => Isolated.Run(() =>
    {
        Scheduler.ScheduleRemove(); // main floats, and an empty queue wakes main: no deadlock
        Assert.True(Scheduler.Main.Scheduled);
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    public void The_last_tasklet_removing_itself_while_main_waits_on_a_channel_is_a_deadlock_raised_in_the_tasklet() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Exception? error = null;
        var remover = Tasklet.Spawn(async () =>
        {
            error = await Record.ExceptionAsync(async () => await Scheduler.ScheduleRemoveAsync());
            await channel.SendAsync(1);
        });

        Assert.Equal(1, channel.Receive());
        Scheduler.Run();
        Assert.StartsWith(ErrorMessages.Deadlock, Assert.IsType<DeadlockException>(error).Message, StringComparison.Ordinal);
        Assert.Contains("tried to remove itself from the runnable queue", error.Message, StringComparison.Ordinal);
        Assert.False(remover.Alive);
    });

    [Fact]
    public void A_tasklet_may_block_while_main_waits_if_another_tasklet_is_runnable() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var done = new Channel<string>();
        var log = new List<string>();
        Tasklet.Spawn(async () =>
        {
            log.Add("got " + await channel.ReceiveAsync()); // blocks: main waits, but the sender is still runnable
            await done.SendAsync("done");
        });
        Tasklet.Spawn(async () =>
        {
            log.Add("sending");
            await channel.SendAsync(7);
        });
        Assert.Equal("done", done.Receive());
        Scheduler.Run();
        Assert.Equal(["sending", "got 7"], log);
    });

    [Fact]
    public void Main_sending_when_the_last_tasklet_ends_gets_Stackless_sending_message_and_leaves_the_channel() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var ended = Tasklet.Spawn(() => Task.CompletedTask);
        var error = Assert.Throws<DeadlockException>(() => channel.Send(1));
        Assert.StartsWith(ErrorMessages.MainSendingNoReceiver, error.Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance);
        Assert.False(ended.Alive);
    });

    [Fact]
    public void Main_blocking_with_a_tasklet_waiting_for_IO_waits_for_it_instead_of_raising() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            await Task.Yield(); // a foreign await: the tasklet waits for I/O, its completion arrives through the inbox
            await channel.SendAsync(3);
        });
        Assert.Equal(3, channel.Receive());
        Scheduler.Run();
    });
}
