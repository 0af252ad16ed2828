using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// The channel callback (Stackless's <c>set_channel_callback</c>, channelobject.c generic_channel_action): called before
/// every action with the channel, the acting tasklet, the direction and whether the action will block; the sender's
/// tempval holds the value (or the bomb of an exception) while it runs, and afterwards the sender has it no more.
/// </summary>
public class ChannelCallbackTests
{
    [Fact]
    public void Each_action_reports_direction_and_willBlock_and_the_senders_tempval_holds_the_value_only_during_the_callback() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var seen = new List<string>();
        Scheduler.ChannelCallback = (ch, tasklet, sending, willBlock) =>
        {
            Assert.Same(channel, ch);
            seen.Add($"{tasklet.Name} {(sending ? "send" : "receive")} block={willBlock} tempval={tasklet.TempVal ?? "none"}");
        };
        object? senderTempValAfter = "unset";
        Tasklet.Spawn(async () => seen.Add("received " + await channel.ReceiveAsync())).Name = "r1";
        new Tasklet(async () =>
        {
            await channel.SendAsync(5); // r1 waits: no block
            senderTempValAfter = Tasklet.Current.TempVal;
            await channel.SendAsync(6); // nobody waits: blocks
        }) { Name = "s" }.Setup();
        Scheduler.Run();
        Assert.Equal(1, channel.Balance); // s waits with 6
        Tasklet.Spawn(async () => seen.Add("received " + await channel.ReceiveAsync())).Name = "r2";
        Scheduler.Run();
        Scheduler.ChannelCallback = null;

        Assert.Equal(
            [
                "r1 receive block=True tempval=none",
                "s send block=False tempval=5",
                "received 5",
                "s send block=True tempval=6",
                "r2 receive block=False tempval=none",
                "received 6",
            ],
            seen);
        Assert.Null(senderTempValAfter); // the value went to the receiver; the sender's tempval is back to what it was
    });

    [Fact]
    public void A_sent_exception_is_a_bomb_in_the_senders_tempval_during_the_callback_and_does_not_explode_in_the_sender() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        Type? bombType = null;
        Scheduler.ChannelCallback = (_, tasklet, sending, _) =>
        {
            if (sending)
            {
                bombType = (tasklet.TempVal as Bomb)?.Type;
            }
        };
        Exception? received = null;
        var sent = false;
        Tasklet.Spawn(async () => received = await Record.ExceptionAsync(async () => await channel.ReceiveAsync()));
        Tasklet.Spawn(async () =>
        {
            await channel.SendExceptionAsync(new InvalidTimeZoneException("boom"));
            await Scheduler.ScheduleAsync(); // a bomb left in the tempval would explode here, at the sender's next switch
            sent = true;
        });
        Scheduler.Run();
        Scheduler.ChannelCallback = null;

        Assert.Equal(typeof(InvalidTimeZoneException), bombType);
        Assert.IsType<InvalidTimeZoneException>(received);
        Assert.True(sent);
    });
}
