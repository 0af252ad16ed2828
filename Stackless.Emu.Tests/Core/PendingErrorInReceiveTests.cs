using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// An exception thrown into a main or hard tasklet blocked in a synchronous channel operation is raised by that
/// operation when the tasklet resumes (Stackless's tasklet.throw on a blocked tasklet: it leaves the channel, the
/// balance is restored, and the exception comes out of receive() or send()), instead of a default value.
/// </summary>
public class PendingErrorInReceiveTests
{
    [Fact]
    public void Main_blocked_in_Receive_raises_the_exception_thrown_into_it_and_leaves_the_channel() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var main = Scheduler.Main;
        Tasklet.Spawn(async () => await main.ThrowAsync(new InvalidTimeZoneException("into main")));
        var error = Assert.Throws<InvalidTimeZoneException>(() => channel.Receive());
        Assert.Equal("into main", error.Message);
        Assert.Equal(0, channel.Balance);
        Scheduler.Run(); // the thrower, appended when it threw, ends
    });

    [Fact]
    public void Main_blocked_in_Send_raises_the_exception_thrown_into_it_and_the_value_is_not_delivered() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var main = Scheduler.Main;
        Tasklet.Spawn(async () => await main.ThrowAsync(new InvalidTimeZoneException("into main")));
        Assert.Throws<InvalidTimeZoneException>(() => channel.Send(9));
        Assert.Equal(0, channel.Balance);
        Assert.False(channel.TryReceive(out _));
        Scheduler.Run();
    });

    [Fact]
    public void A_hard_tasklet_blocked_in_Receive_raises_the_exception_thrown_into_it() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Exception? error = null;
        var received = -1;
        var hard = Tasklet.SpawnHard(() =>
        {
            error = Record.Exception(() => received = channel.Receive());
        });
        Scheduler.Run(); // the hard tasklet blocks
        Assert.True(hard.Blocked);
        hard.Throw(new InvalidTimeZoneException("into hard"));
        Scheduler.Run();
        Assert.IsType<InvalidTimeZoneException>(error);
        Assert.Equal(-1, received);
        Assert.Equal(0, channel.Balance);
        Assert.False(hard.Alive);
    });
}
