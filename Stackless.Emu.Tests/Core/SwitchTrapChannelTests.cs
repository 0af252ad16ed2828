using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// switch_trap on a channel action that finds its partner waiting (channelobject.c, generic_channel_action): it raises
/// exactly when the action would switch away from the caller, which the channel's preference and schedule_all decide,
/// and nothing has changed when it raises.
/// </summary>
public class SwitchTrapChannelTests
{
    /// <summary>Whether the caller's send (or receive) to a waiting partner is refused under a set switch trap.</summary>
    private static bool Refused(bool send, int preference, bool scheduleAll)
    {
        var channel = new Channel<int> { Preference = preference, ScheduleAll = scheduleAll };
        var partner = send
            ? Tasklet.Spawn(async () => Assert.Equal(5, await channel.ReceiveAsync()))
            : Tasklet.Spawn(async () => await channel.SendAsync(5));
        Scheduler.Run(); // the partner waits
        var balance = channel.Balance;

        Exception? error;
        Scheduler.SwitchTrap(1);
        try
        {
            error = Record.Exception(() =>
            {
                if (send)
                {
                    channel.Send(5);
                }
                else
                {
                    Assert.Equal(5, channel.Receive());
                }
            });
        }
        finally
        {
            Scheduler.SwitchTrap(-1);
        }

        if (error is not null)
        {
            Assert.Contains("switch_trap", Assert.IsType<InvalidOperationException>(error).Message, StringComparison.Ordinal);
            Assert.Equal(balance, channel.Balance); // refused before anything changed: the partner still waits
            Assert.True(partner.Blocked);
            if (send)
            {
                channel.Send(5);
            }
            else
            {
                Assert.Equal(5, channel.Receive());
            }
        }

        Scheduler.Run();
        Assert.False(partner.Alive);
        return error is not null;
    }

    [Theory]
    [InlineData(-1, false, true)] // the receiver runs at once: a switch
    [InlineData(0, false, false)] // both scheduled, the sender goes on
    [InlineData(1, false, false)] // the sender is preferred and goes on
    [InlineData(1, true, true)] // schedule_all: everybody is scheduled, the sender yields
    [InlineData(0, true, true)]
    public void A_send_to_a_waiting_receiver_is_refused_exactly_when_it_would_switch(int preference, bool scheduleAll, bool refused) =>
        Isolated.Run(() => Assert.Equal(refused, Refused(send: true, preference, scheduleAll)));

    [Theory]
    [InlineData(1, false, true)] // the sender runs at once: a switch
    [InlineData(0, false, false)]
    [InlineData(-1, false, false)] // the receiver is preferred and goes on
    [InlineData(-1, true, true)] // schedule_all
    [InlineData(0, true, true)]
    public void A_receive_from_a_waiting_sender_is_refused_exactly_when_it_would_switch(int preference, bool scheduleAll, bool refused) =>
        Isolated.Run(() => Assert.Equal(refused, Refused(send: false, preference, scheduleAll)));

    [Fact]
    public void A_schedule_alone_in_the_round_switches_nowhere_and_is_not_refused() => Isolated.Run(() =>
    {
        var rounds = 0;
        var alone = Tasklet.Spawn(async () =>
        {
            Scheduler.SwitchTrap(1);
            try
            {
                await Scheduler.ScheduleAsync(); // main floats in Run(): nobody else to switch to
                rounds++;
            }
            finally
            {
                Scheduler.SwitchTrap(-1);
            }
        });
        Scheduler.Run();
        Assert.Equal(1, rounds);
        Assert.False(alone.Alive);
    });
}
