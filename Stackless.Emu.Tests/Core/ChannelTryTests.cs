using Stackless.Emu.Tests.Infrastructure;

namespace Stackless.Emu.Tests.Core;

/// <summary>TrySend/TryReceive: they act only when a partner waits, and never switch.</summary>
public class ChannelTryTests
{
    [Fact]
    public void TrySend_without_a_receiver_fails_and_changes_nothing() => Isolated.RunTasklet(async () =>
    {
        var channel = new Channel<int>();
        Assert.False(channel.TrySend(1));
        Assert.False(channel.TryReceive(out _));
        Assert.Equal(0, channel.Balance);
        await Scheduler.ScheduleAsync();
    });

    [Theory]
    [InlineData(-1, false)]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(-1, true)]
    public void TrySend_to_a_waiting_receiver_hands_the_value_over_without_switching(int preference, bool scheduleAll) => Isolated.Run(() =>
    {
        var channel = new Channel<string> { Preference = preference, ScheduleAll = scheduleAll };
        var log = new List<string>();
        var receiver = Tasklet.Spawn(async () =>
        {
            log.Add("receiver waits");
            log.Add("receiver got " + await channel.ReceiveAsync());
        });
        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync(); // the receiver blocks first
            log.Add("sender tries: " + channel.TrySend("x"));
            log.Add("sender goes on, receiver " + (receiver.Scheduled ? "scheduled" : "not scheduled"));
            await Scheduler.ScheduleAsync();
            log.Add("sender after schedule");
        });
        Scheduler.Run();
        Assert.Equal(
            ["receiver waits", "sender tries: True", "sender goes on, receiver scheduled", "receiver got x", "sender after schedule"],
            log);
        Assert.Equal(0, channel.Balance);
    });

    [Fact]
    public void TryReceive_takes_a_waiting_senders_value_and_the_sender_runs_later() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var log = new List<string>();
        Tasklet.Spawn(async () =>
        {
            await channel.SendAsync(42);
            log.Add("sender released");
        });
        Tasklet.Spawn(async () =>
        {
            await Scheduler.ScheduleAsync();
            Assert.True(channel.TryReceive(out var value));
            log.Add("received " + value);
            Assert.False(channel.TryReceive(out _));
            log.Add("receiver goes on");
        });
        Scheduler.Run();
        Assert.Equal(["received 42", "receiver goes on", "sender released"], log);
    });

    [Fact]
    public void TryReceive_raises_an_exception_sent_on_the_channel() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        var error = new InvalidDataException("bad frame");
        Tasklet.Spawn(async () => await channel.SendThrowAsync(error));
        Scheduler.Schedule(); // the sender blocks
        Assert.Same(error, Assert.Throws<InvalidDataException>(() => channel.TryReceive(out _)));
        Assert.Equal(0, channel.Balance);
        Scheduler.Run();
    });

    [Fact]
    public void TrySend_from_a_thread_without_tasklets_wakes_the_receiver_on_its_own_thread() => Isolated.Run(() =>
    {
        var channel = new Channel<int>();
        using var tried = new ManualResetEventSlim();
        var sender = Task.Run(() =>
        {
            // The receiver (main of the test thread) waits eventually; until then TrySend fails and keeps nothing. Having
            // used the channel, this thread is in its deadlock group: main waits for it instead of reporting a deadlock.
            while (!channel.TrySend(7))
            {
                tried.Set();
                Thread.Yield();
            }
        });
        tried.Wait();
        Assert.Equal(7, channel.Receive());
        sender.GetAwaiter().GetResult();
        Assert.Equal(0, channel.Balance);
    });
}
