using Stackless.Emu.Orleans.Tests.Infrastructure;

namespace Stackless.Emu.Orleans.Tests;

/// <summary>The semantics that hold across silos: rendezvous, FIFO among waiters, close/open, timeouts, cancellation.</summary>
public sealed class RendezvousTests : IClassFixture<ClusterFixture>
{
    private readonly ClusterFixture _fixture;

    public RendezvousTests(ClusterFixture fixture) => _fixture = fixture;

    private TaskletCluster Tasklets => _fixture.Tasklets;

    private SiloAddress Silo(int index) => _fixture.Silos[index];

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private Task<ChannelDescription> BalanceAsync(string channel, int balance) => Eventually.ValueAsync(
        () => Tasklets.DescribeChannelAsync(channel), c => c.Balance == balance, $"the balance of '{channel}'");

    [Fact]
    public async Task A_send_completes_only_when_a_receiver_took_the_value_and_waiting_senders_are_served_in_arrival_order()
    {
        var name = Unique("rendezvous");
        var channel = new DistributedChannel<string>(name);
        var ledger = Ledger.NewKey("rendezvous");

        // Three senders on two silos, queued one after the other.
        await Tasklets.SpawnAsync(Unique("s0"), () => TestTasklets.SendOnce(channel, "v0", ledger), on: Silo(1));
        await BalanceAsync(name, 1);
        await Tasklets.SpawnAsync(Unique("s1"), () => TestTasklets.SendOnce(channel, "v1", ledger), on: Silo(2));
        await BalanceAsync(name, 2);
        await Tasklets.SpawnAsync(Unique("s2"), () => TestTasklets.SendOnce(channel, "v2", ledger), on: Silo(2));
        var waiting = await BalanceAsync(name, 3);
        Assert.Equal(3, waiting.Waiters.Count);
        Assert.Empty(Ledger.Lines(ledger)); // no send completed without a receiver

        await Tasklets.SpawnAsync(Unique("r"), () => TestTasklets.ReceiveMany(channel, 3, ledger), on: Silo(0));
        var lines = await Ledger.WaitAsync(ledger, l => l.Count == 6);
        Assert.Equal(["received v0", "received v1", "received v2"], lines.Where(l => l.StartsWith("received", StringComparison.Ordinal)));
        Assert.Equal(["sent v0", "sent v1", "sent v2"], lines.Where(l => l.StartsWith("sent", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        var done = await BalanceAsync(name, 0);
        Assert.Equal(3, done.Transfers);
    }

    [Fact]
    public async Task Waiting_receivers_are_served_first_come_first_served()
    {
        var name = Unique("fifo");
        var channel = new DistributedChannel<string>(name);
        var ledgers = new[] { Ledger.NewKey("r0"), Ledger.NewKey("r1"), Ledger.NewKey("r2") };
        for (var i = 0; i < 3; i++)
        {
            var ledger = ledgers[i];
            await Tasklets.SpawnAsync(Unique($"r{i}"), () => TestTasklets.ReceiveMany(channel, 1, ledger), on: Silo(i));
            await BalanceAsync(name, -(i + 1));
        }

        var senderLedger = Ledger.NewKey("sender");
        await Tasklets.SpawnAsync(Unique("s"), () => TestTasklets.SendAll(channel, ["a", "b", "c"], senderLedger), on: Silo(1));
        await Ledger.WaitAsync(senderLedger, l => l.Count == 3);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal([$"received {"abc"[i]}"], await Ledger.WaitAsync(ledgers[i], l => l.Count == 1));
        }
    }

    [Fact]
    public async Task Tasklets_on_different_silos_talk_in_round_trips_and_state_stays_in_the_frame()
    {
        var requests = new DistributedChannel<string>(Unique("req"));
        var replies = new DistributedChannel<string>(Unique("rep"));
        var echoLedger = Ledger.NewKey("echo");
        var askLedger = Ledger.NewKey("ask");
        var echo = Unique("echo");
        Assert.Equal(Silo(1), await Tasklets.SpawnAsync(echo, () => TestTasklets.Echo(requests, replies, echoLedger), on: Silo(1)));
        Assert.Equal(Silo(2), await Tasklets.SpawnAsync(Unique("ask"), () => TestTasklets.Ask(requests, replies, 10, askLedger), on: Silo(2)));
        var answers = await Ledger.WaitAsync(askLedger, l => l.Count == 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"r{i} #{i + 1}"), answers);
        await Tasklets.KillAsync(echo);
    }

    [Fact]
    public async Task A_closed_channel_refuses_operations_that_would_wait_and_serves_after_it_is_opened()
    {
        var name = Unique("closing");
        var channel = new DistributedChannel<string>(name);
        var waiterLedger = Ledger.NewKey("waiter");

        // A receiver waiting when the channel closes is still served: the channel is closing, not closed.
        await Tasklets.SpawnAsync(Unique("w"), () => TestTasklets.ReceiveOrError(channel, waiterLedger), on: Silo(1));
        await BalanceAsync(name, -1);
        await Tasklets.CloseChannelAsync(name);
        var closing = await Tasklets.DescribeChannelAsync(name);
        Assert.True(closing.Closing);
        Assert.False(closing.Closed);
        var sendLedger = Ledger.NewKey("send");
        await Tasklets.SpawnAsync(Unique("s"), () => TestTasklets.SendOnce(channel, "last", sendLedger), on: Silo(2));
        Assert.Equal(["received last"], await Ledger.WaitAsync(waiterLedger, l => l.Count == 1));
        Assert.True((await Tasklets.DescribeChannelAsync(name)).Closed);

        // Now closed: a receive that would wait raises ChannelClosedException.
        var refusedLedger = Ledger.NewKey("refused");
        await Tasklets.SpawnAsync(Unique("r"), () => TestTasklets.ReceiveOrError(channel, refusedLedger), on: Silo(0));
        Assert.Equal([nameof(ChannelClosedException)], await Ledger.WaitAsync(refusedLedger, l => l.Count == 1));

        await Tasklets.OpenChannelAsync(name);
        var reopenedLedger = Ledger.NewKey("reopened");
        await Tasklets.SpawnAsync(Unique("r2"), () => TestTasklets.ReceiveOrError(channel, reopenedLedger), on: Silo(0));
        await BalanceAsync(name, -1);
        await Tasklets.SpawnAsync(Unique("s2"), () => TestTasklets.SendOnce(channel, "again", sendLedger), on: Silo(1));
        Assert.Equal(["received again"], await Ledger.WaitAsync(reopenedLedger, l => l.Count == 1));
    }

    [Fact]
    public async Task Timeouts_end_waits_without_transferring_anything()
    {
        var name = Unique("timeout");
        var channel = new DistributedChannel<string>(name);
        var receiverLedger = Ledger.NewKey("receiver");
        await Tasklets.SpawnAsync(Unique("r"), () => TestTasklets.ReceiveWithin(channel, 200, receiverLedger), on: Silo(1));
        Assert.Equal(["timeout"], await Ledger.WaitAsync(receiverLedger, l => l.Count == 1));

        var senderLedger = Ledger.NewKey("sender");
        await Tasklets.SpawnAsync(Unique("s"), () => TestTasklets.SendWithin(channel, "late", 200, senderLedger), on: Silo(2));
        Assert.Equal(["timeout"], await Ledger.WaitAsync(senderLedger, l => l.Count == 1));
        await BalanceAsync(name, 0);

        // The timed-out value was not sent: the next receiver gets the next sender's value.
        var nextLedger = Ledger.NewKey("next");
        await Tasklets.SpawnAsync(Unique("r2"), () => TestTasklets.ReceiveMany(channel, 1, nextLedger), on: Silo(0));
        await BalanceAsync(name, -1);
        await Tasklets.SpawnAsync(Unique("s2"), () => TestTasklets.SendOnce(channel, "fresh", senderLedger), on: Silo(2));
        Assert.Equal(["received fresh"], await Ledger.WaitAsync(nextLedger, l => l.Count == 1));
    }

    [Fact]
    public async Task Cancellation_withdraws_a_waiting_receive()
    {
        var name = Unique("cancel");
        var channel = new DistributedChannel<string>(name);
        var ledger = Ledger.NewKey("cancel");
        await Tasklets.SpawnAsync(Unique("r"), () => TestTasklets.ReceiveCancelled(channel, 300, ledger), on: Silo(1));
        Assert.Equal(["cancelled"], await Ledger.WaitAsync(ledger, l => l.Count == 1));
        await BalanceAsync(name, 0);
    }

    [Fact]
    public async Task One_tasklet_body_works_on_a_local_and_on_a_distributed_channel()
    {
        // The same TaskletFrame method (written against IRendezvousChannel) on both kinds.
        var localLedger = Ledger.NewKey("local");
        await Tasklets.SpawnAsync(Unique("local"), () => LocalRoundTrip(localLedger), on: Silo(1));
        var distributed = new DistributedChannel<string>(Unique("shared"));
        var remoteLedger = Ledger.NewKey("remote");
        await Tasklets.SpawnAsync(Unique("r"), () => TestTasklets.ReceiveMany(distributed, 2, remoteLedger), on: Silo(1));
        await Tasklets.SpawnAsync(Unique("s"), () => TestTasklets.SendAll(distributed, ["x", "y"], Ledger.NewKey("ignored")), on: Silo(2));
        Assert.Equal(["received x", "received y"], await Ledger.WaitAsync(remoteLedger, l => l.Count == 2));
        Assert.Equal(["received x", "received y"], await Ledger.WaitAsync(localLedger, l => l.Count(x => x.StartsWith("received", StringComparison.Ordinal)) == 2).ContinueWith(t => t.Result.Where(x => x.StartsWith("received", StringComparison.Ordinal)).ToList(), TaskScheduler.Default));
    }

    private static async TaskletFrame LocalRoundTrip(string ledger)
    {
        var local = new Channel<string>();
        TaskletGroup.Spawn(() => TestTasklets.SendAll(local, ["x", "y"], ledger));
        await TestTasklets.ReceiveMany(local, 2, ledger);
    }

    [Fact]
    public async Task Describe_shows_every_waiting_tasklet_and_channel_of_the_cluster()
    {
        var name = Unique("described");
        var channel = new DistributedChannel<string>(name);
        var group = Unique("stuck");
        await Tasklets.SpawnAsync(group, () => TestTasklets.ReceiveMany(channel, 1, Ledger.NewKey("stuck")), on: Silo(2));
        await BalanceAsync(name, -1);
        var cluster = await Tasklets.DescribeAsync();
        Assert.Equal(3, cluster.Silos.Count);
        var stuck = Assert.Single(cluster.Groups, g => g.Name == group);
        Assert.Equal(Silo(2).ToString(), stuck.Silo);
        Assert.Contains(stuck.PendingOperations, o => o.Contains(name, StringComparison.Ordinal));
        var described = Assert.Single(cluster.Channels, c => c.Name == name);
        Assert.Contains(described.Waiters, w => w.Contains(group, StringComparison.Ordinal));
        Assert.Contains(name, cluster.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, await Tasklets.KillAsync(group));
    }

    [Fact]
    public async Task A_distributed_operation_outside_a_group_tasklet_says_where_it_must_run()
    {
        var channel = new DistributedChannel<string>("anywhere");
        var error = Assert.Throws<InvalidOperationException>(() => channel.SendAsync("x"));
        Assert.Contains("group", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new DistributedChannel<string>(" "));
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Values_are_copied_so_the_receiver_never_sees_the_senders_later_changes()
    {
        var channel = new DistributedChannel<List<string>>(Unique("lists"));
        var done = new DistributedChannel<string>(Unique("done"));
        var ledger = Ledger.NewKey("copy");
        await Tasklets.SpawnAsync(Unique("r"), () => CopyTasklets.ReceiveAndLook(channel, done, ledger), on: Silo(1));
        await Tasklets.SpawnAsync(Unique("s"), () => CopyTasklets.SendAndChange(channel, done), on: Silo(1));
        Assert.Equal(["a,b"], await Ledger.WaitAsync(ledger, l => l.Count == 1));
    }
}
