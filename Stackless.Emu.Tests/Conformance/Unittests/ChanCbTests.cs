using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Conformance.Unittests;

/// <summary>Ports of Stackless/unittests/test_chan_cb.py.</summary>
public class ChanCbTests
{
    private const string File = "Stackless/unittests/test_chan_cb.py";

    [Fact]
    [StacklessTest(File, "ChannelCallbackTestCase.test0", "stackless.set_channel_callback", "channel.send", "channel.receive", "tasklet.tempval", "stackless.getmain")]
    public void Test0() => Isolated.Run(() =>
    {
        var history = new List<(IChannel Channel, Tasklet Tasklet, bool Sending, bool WillBlock, object? TempVal)>();
        var chan = new Channel();
        var main = Tasklet.Main; // the implicit sender
        object? received = null;
        var receiver = Tasklet.Spawn(async () => received = await chan.ReceiveAsync());
        Scheduler.ChannelCallback = (channel, tasklet, sending, willBlock) =>
            history.Add((channel, tasklet, sending, willBlock, tasklet.TempVal));
        try
        {
            // The receiver has not run yet: main's send blocks, then the receiver takes the value.
            chan.Send(42);
            Assert.Equal(42, received);
            Assert.False(receiver.Alive);

            Assert.Equal(2, history.Count);
            var send = history[0];
            Assert.Same(chan, send.Channel);
            Assert.Same(main, send.Tasklet);
            Assert.True(send.Sending);
            Assert.True(send.WillBlock);

            var receive = history[1];
            Assert.Same(receiver, receive.Tasklet);
            Assert.False(receive.Sending);
            Assert.False(receive.WillBlock);

            // At call time the sending tasklet's tempval holds the value being sent (history[0][-1] == 42).
            Assert.Equal(42, send.TempVal);
        }
        finally
        {
            Scheduler.ChannelCallback = null;
        }
    });

    [Fact]
    [StacklessTest(File, "ChannelCallbackTestCase.testGetCallback", "stackless.get_channel_callback", "stackless.set_channel_callback")]
    public void TestGetCallback() => Isolated.Run(() =>
    {
        // Python's set_channel_callback returns the previous callback; in C# the property's getter is read first.
        Action<IChannel, Tasklet, bool, bool> monitor = (_, _, _, _) => { };
        Assert.Null(Scheduler.ChannelCallback);
        var old = Scheduler.ChannelCallback;
        Scheduler.ChannelCallback = monitor;
        Assert.Null(old);
        Assert.Same(monitor, Scheduler.ChannelCallback);
        old = Scheduler.ChannelCallback;
        Scheduler.ChannelCallback = null;
        Assert.Same(monitor, old);
        Assert.Null(Scheduler.ChannelCallback);
    });
}
