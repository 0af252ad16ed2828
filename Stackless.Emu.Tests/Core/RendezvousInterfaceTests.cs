using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>
/// <see cref="IRendezvousChannel{T}"/> on the local <see cref="Channel{T}"/>: the same rendezvous as the channel's own
/// forms, and a tasklet waiting inside an interface operation stays restorable.
/// </summary>
public class RendezvousInterfaceTests
{
    private static PickleOptions Options() => new PickleOptions().AllowAssemblyOf<RendezvousInterfaceTests>();

    private static async TaskletFrame Produce(IRendezvousChannel<int> channel, List<string> log, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await channel.SendAsync(i);
            log.Add($"sent {i}");
        }
    }

    private static async TaskletFrame Consume(IRendezvousChannel<int> channel, List<string> log, int count)
    {
        for (var i = 0; i < count; i++)
        {
            log.Add($"received {await channel.ReceiveAsync()}");
        }
    }

    [Fact]
    public void Interface_operations_rendezvous_in_the_channels_order() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var viaInterface = new List<string>();
        Tasklet.SpawnFrame(() => Produce(channel, viaInterface, 3));
        Tasklet.SpawnFrame(() => Consume(channel, viaInterface, 3));
        Scheduler.Run();

        // The same program on the channel's own forms gives the same interleaving (receiver preferred).
        var direct = new List<string>();
        var other = new Channel<int>();
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                await other.SendAsync(i);
                direct.Add($"sent {i}");
            }
        });
        Tasklet.Spawn(async () =>
        {
            for (var i = 0; i < 3; i++)
            {
                direct.Add($"received {await other.ReceiveAsync()}");
            }
        });
        Scheduler.Run();
        Assert.Equal(direct, viaInterface);
        Assert.Equal(6, viaInterface.Count);
    });

    [Fact]
    public void A_sender_blocked_in_an_interface_send_holds_the_balance_until_a_receiver_comes() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var log = new List<string>();
        var sender = Tasklet.SpawnFrame(() => Produce(channel, log, 1));
        Scheduler.Run();
        Assert.True(sender.Blocked);
        Assert.Equal(1, channel.Balance);
        Assert.Empty(log);
        Assert.Equal(0, channel.Receive());
        Scheduler.Run();
        Assert.Equal(["sent 0"], log);
        Assert.False(sender.Alive);
    });

    private static async TaskletFrame ReceiveInto(IRendezvousChannel<string> channel, List<string> log)
    {
        var count = 0;
        while (true)
        {
            var value = await channel.ReceiveAsync();
            count++;
            log.Add($"{value} #{count}");
        }
    }

    [Fact]
    public void A_tasklet_waiting_in_an_interface_receive_is_restorable_and_resumes_after_a_load() => Isolated.Run(() =>
    {
        var channel = new Channel<string> { Name = "requests" };
        var log = new List<string>();
        var receiver = Tasklet.SpawnFrame(() => ReceiveInto(channel, log));
        Scheduler.Run();
        channel.Send("a");
        Scheduler.Run();
        Assert.True(receiver.Blocked);
        Assert.True(receiver.Restorable);

        var pickler = new TaskletPickler(Options());
        var contents = pickler.Load(pickler.Dump([receiver]));
        receiver.Discard();
        var copy = contents.Tasklets[0];
        var restored = (Channel<string>)contents.Channels.Single();
        Assert.Equal("requests", restored.Name);
        Assert.Equal(-1, restored.Balance);
        Assert.True(copy.Blocked);

        restored.Send("b");
        Scheduler.Run();
        Assert.Equal(["a #1"], log);          // the original's list
        Assert.True(copy.Blocked);            // the copy counts on from its own frame: b is its second value
        copy.Kill();
    });

    [Fact]
    public void Interface_timeout_and_cancellation_behave_as_the_channels_own_forms() => Isolated.RunTasklet(async () =>
    {
        IRendezvousChannel<int> channel = new Channel<int>();
        await Assert.ThrowsAsync<TimeoutException>(async () => await channel.ReceiveAsync(TimeSpan.FromMilliseconds(1)));
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await channel.SendAsync(1, cancelled.Token));
        Assert.Equal(0, ((Channel<int>)channel).Balance);
    });

    [Fact]
    public void Interface_close_and_open_reach_the_channel() => Isolated.RunTasklet(async () =>
    {
        var channel = new Channel<int>();
        IRendezvousChannel<int> view = channel;
        await view.CloseAsync();
        Assert.True(channel.Closed);
        await Assert.ThrowsAsync<ChannelClosedException>(async () => await view.ReceiveAsync());
        await view.OpenAsync();
        Assert.False(channel.Closing);
    });
}
