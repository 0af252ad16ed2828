using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

public class ErrorTests
{
    [Fact]
    public void Main_receiving_with_nothing_runnable_raises_Stackless_deadlock_error_listing_the_blocked() => Isolated.Run(() =>
    {
        var channel = new Channel<int> { Name = "lonely" };
        var error = Assert.Throws<DeadlockException>(() => channel.Receive());
        Assert.StartsWith("Deadlock: the last runnable tasklet cannot be blocked.", error.Message, StringComparison.Ordinal);
        Assert.Contains("block on lonely", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance); // nothing changed
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    public void Two_tasklets_waiting_on_each_other_while_main_waits_report_the_deadlock_in_main_with_a_dump() => Isolated.Run(() =>
    {
        var ch1 = new Channel<int> { Name = "ch1" };
        var ch2 = new Channel<int> { Name = "ch2" };
        var main = new Channel<int> { Name = "main-channel" };
        var a = new Tasklet(async () => await ch1.SendAsync(await ch2.ReceiveAsync())) { Name = "A" }.Setup();
        var b = new Tasklet(async () => await ch2.SendAsync(await ch1.ReceiveAsync())) { Name = "B" }.Setup();

        var error = Assert.Throws<DeadlockException>(() => main.Receive());
        Assert.StartsWith("Deadlock: the last runnable tasklet cannot be blocked.", error.Message, StringComparison.Ordinal);
        Assert.Contains("receiving on ch2", error.Message, StringComparison.Ordinal); // A's state in the dump
        Assert.Equal(0, main.Balance); // main was taken out of its channel
        Assert.False(b.Alive); // the deadlock was raised in B, the last tasklet that tried to block
        a.Kill();
    });

    [Fact]
    public void When_the_last_tasklet_ends_while_main_is_blocked_main_gets_Stackless_message() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet.Spawn(async () => await Task.Delay(5));
        var error = Assert.Throws<DeadlockException>(() => channel.Receive());
        Assert.StartsWith("the main tasklet is receiving without a sender available.", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void A_sync_form_inside_a_soft_tasklet_names_the_async_form_and_hard_tasklets() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        InvalidOperationException? error = null;
        Tasklet.Spawn(() =>
        {
            error = Assert.Throws<InvalidOperationException>(() => channel.Receive());
            return Task.CompletedTask;
        });
        Scheduler.Run();
        Assert.NotNull(error);
        Assert.Contains("await channel.ReceiveAsync()", error!.Message, StringComparison.Ordinal);
        Assert.Contains("hard tasklet", error.Message, StringComparison.Ordinal);
    });

    [Fact]
    public void An_exception_escaping_a_tasklet_is_raised_from_Run_and_the_others_stay_scheduled() => Isolated.Run(() =>
    {
        var later = Tasklet.Spawn(() => Task.CompletedTask);
        var failing = Tasklet.Spawn(() => throw new ArithmeticException("boom"));
        var t3 = Tasklet.Spawn(() => Task.CompletedTask);

        // "later" runs first and ends; then "failing" raises in main.
        var error = Assert.Throws<ArithmeticException>(Scheduler.Run);
        Assert.Equal("boom", error.Message);
        Assert.False(later.Alive);
        Assert.False(failing.Alive);
        Assert.True(t3.Scheduled);
        Scheduler.Run();
        Assert.False(t3.Alive);
    });

    [Fact]
    public void An_exception_in_a_tasklet_wakes_main_blocked_on_a_channel_and_restores_the_balance() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync();
            throw new InvalidTimeZoneException("from tasklet");
        });
        Assert.Throws<InvalidTimeZoneException>(() => channel.Receive());
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void TaskletExit_ends_a_tasklet_quietly() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(() => throw new TaskletExit());
        Scheduler.Run();
        Assert.False(t.Alive);
    });

    [Fact]
    public void Sending_on_a_closed_channel_with_nobody_waiting_raises_with_Stackless_message_and_changes_nothing() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        channel.Close();
        var error = Assert.Throws<ChannelClosedException>(() => channel.Send(1));
        Assert.Equal("Send/receive operation on a closed channel", error.Message);
        Assert.Equal(0, channel.Balance);
        Assert.Equal(1, Scheduler.RunCount);
    });

    [Fact]
    public void Block_trap_refuses_to_block() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Tasklet.Main.BlockTrap = true;
        try
        {
            var error = Assert.Throws<BlockTrapException>(() => channel.Receive());
            Assert.Equal("this tasklet does not like to be blocked.", error.Message);
        }
        finally
        {
            Tasklet.Main.BlockTrap = false;
        }
    });

    [Fact]
    public void Misuse_raises_Stackless_messages_and_leaves_state_unchanged() => Isolated.Run(() =>
    {
        var t = Tasklet.Spawn(() => Task.CompletedTask);
        Assert.Equal("tasklet is alive", Assert.Throws<InvalidOperationException>(() => t.Setup()).Message);
        Assert.Equal("tasklet is scheduled", Assert.Throws<InvalidOperationException>(() => t.Bind(() => Task.CompletedTask)).Message);
        Assert.Equal("The current tasklet cannot be removed.", Assert.Throws<InvalidOperationException>(() => Tasklet.Main.Remove()).Message);
        Scheduler.Run();
        Assert.False(t.Alive);
        Assert.Equal("You cannot run an unbound(dead) tasklet", Assert.Throws<InvalidOperationException>(() => t.Insert()).Message);
        Assert.Equal("You cannot throw to a dead tasklet", Assert.Throws<InvalidOperationException>(() => t.Throw(new FormatException())).Message);
        t.Kill(); // a dead tasklet is left alone
        Assert.Equal("the tasklet was not bound to a function", Assert.Throws<InvalidOperationException>(() => new Tasklet().Setup()).Message);

        var channel = new Channel<int>();
        var blocked = Tasklet.Spawn(async () => await channel.ReceiveAsync());
        Scheduler.Run();
        Assert.Equal("You cannot run a blocked tasklet", Assert.Throws<InvalidOperationException>(() => blocked.Insert()).Message);
        Assert.Equal("You cannot run a blocked tasklet", Assert.Throws<InvalidOperationException>(() => blocked.Run()).Message);
        Assert.Equal("You cannot remove a blocked tasklet.", Assert.Throws<InvalidOperationException>(() => blocked.Remove()).Message);
        Assert.Equal(-1, channel.Balance);
        blocked.Kill();
        Assert.Equal(0, channel.Balance);
        Assert.Throws<ArgumentException>(() => blocked.RaiseException(typeof(string)));
    });
}
