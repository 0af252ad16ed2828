using Stackless.Emu.Orleans.Tests.Infrastructure;

namespace Stackless.Emu.Orleans.Tests;

/// <summary>Groups moved between silos by Orleans live migration, while their tasklets wait on distributed channels.</summary>
public sealed class MigrationTests : IClassFixture<ClusterFixture>
{
    private readonly ClusterFixture _fixture;

    public MigrationTests(ClusterFixture fixture) => _fixture = fixture;

    private TaskletCluster Tasklets => _fixture.Tasklets;

    private SiloAddress Silo(int index) => _fixture.Silos[index];

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private Task<ChannelDescription> BalanceAsync(string channel, int balance) => Eventually.ValueAsync(
        () => Tasklets.DescribeChannelAsync(channel), c => c.Balance == balance, $"the balance of '{channel}'");

    [Fact]
    public async Task A_blocked_receiver_moves_with_a_delivery_in_flight_and_gets_it_exactly_once()
    {
        var name = Unique("inflight");
        var channel = new DistributedChannel<string>(name);
        var group = Unique("receiver");
        var ledger = Ledger.NewKey("receiver");
        await Tasklets.SpawnAsync(group, () => TestTasklets.ReceiveMany(channel, 3, ledger), on: Silo(1));
        await BalanceAsync(name, -1);

        // The sender starts while the migration runs: its values reach the group before, during or after the move.
        var migration = Tasklets.MigrateAsync(group, Silo(2));
        await Tasklets.SpawnAsync(Unique("sender"), () => TestTasklets.SendAll(channel, ["a", "b", "c"], Ledger.NewKey("sender")), on: Silo(0));
        Assert.Equal(Silo(2), await migration);

        Assert.Equal(["received a", "received b", "received c"], await Ledger.WaitAsync(ledger, l => l.Count == 3));
        await BalanceAsync(name, 0);
        Assert.Equal(Silo(2), await Tasklets.LocateAsync(group));
    }

    [Fact]
    public async Task An_echo_keeps_its_frame_state_across_two_migrations_during_a_conversation()
    {
        var requests = new DistributedChannel<string>(Unique("req"));
        var replies = new DistributedChannel<string>(Unique("rep"));
        var echo = Unique("echo");
        var echoLedger = Ledger.NewKey("echo");
        var askLedger = Ledger.NewKey("ask");
        await Tasklets.SpawnAsync(echo, () => TestTasklets.Echo(requests, replies, echoLedger), on: Silo(1));
        await Tasklets.SpawnAsync(Unique("ask"), () => TestTasklets.Ask(requests, replies, 30, askLedger), on: Silo(0));

        await Ledger.WaitAsync(askLedger, l => l.Count >= 5);
        Assert.Equal(Silo(2), await Tasklets.MigrateAsync(echo, Silo(2)));
        await Ledger.WaitAsync(askLedger, l => l.Count >= 15);
        Assert.Equal(Silo(0), await Tasklets.MigrateAsync(echo, Silo(0)));

        var answers = await Ledger.WaitAsync(askLedger, l => l.Count == 30);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"r{i} #{i + 1}"), answers);
        Assert.Equal(30, Ledger.Lines(echoLedger).Count);
        await Tasklets.KillAsync(echo);
    }

    [Fact]
    public async Task A_blocked_sender_moves_and_its_send_completes_on_the_new_silo()
    {
        var name = Unique("sender-moves");
        var channel = new DistributedChannel<string>(name);
        var group = Unique("sender");
        var ledger = Ledger.NewKey("sender");
        await Tasklets.SpawnAsync(group, () => TestTasklets.SendOnce(channel, "payload", ledger), on: Silo(1));
        await BalanceAsync(name, 1);
        Assert.Equal(Silo(2), await Tasklets.MigrateAsync(group, Silo(2)));
        var moved = await Tasklets.DescribeGroupAsync(group);
        Assert.Single(moved.Tasklets);
        Assert.Empty(Ledger.Lines(ledger));

        var receiverLedger = Ledger.NewKey("receiver");
        await Tasklets.SpawnAsync(Unique("receiver"), () => TestTasklets.ReceiveMany(channel, 1, receiverLedger), on: Silo(0));
        Assert.Equal(["received payload"], await Ledger.WaitAsync(receiverLedger, l => l.Count == 1));
        Assert.Equal(["sent payload"], await Ledger.WaitAsync(ledger, l => l.Count == 1));
    }

    [Fact]
    public async Task A_group_of_tasklets_sharing_a_local_channel_moves_as_one()
    {
        var name = Unique("pipeline-out");
        var output = new DistributedChannel<string>(name);
        var group = Unique("pipeline");
        await Tasklets.SpawnAsync(group, () => Pipeline(output), on: Silo(1));
        await BalanceAsync(name, 1); // the stage blocked on the distributed channel, the source on the local one
        Assert.Equal(2, (await Tasklets.DescribeGroupAsync(group)).Tasklets.Count);
        Assert.Equal(Silo(2), await Tasklets.MigrateAsync(group, Silo(2)));
        Assert.Equal(2, (await Tasklets.DescribeGroupAsync(group)).Tasklets.Count);

        var ledger = Ledger.NewKey("pipeline");
        await Tasklets.SpawnAsync(Unique("sink"), () => TestTasklets.ReceiveMany(output, 3, ledger), on: Silo(0));
        Assert.Equal(["received 1!", "received 2!", "received 3!"], await Ledger.WaitAsync(ledger, l => l.Count == 3));
    }

    private static async TaskletFrame Pipeline(DistributedChannel<string> output)
    {
        var local = new Channel<string>();
        TaskletGroup.Spawn(() => TestTasklets.SendAll(local, ["1", "2", "3"], Ledger.NewKey("source")));
        for (var i = 0; i < 3; i++)
        {
            await output.SendAsync(await local.ReceiveAsync() + "!");
        }
    }
}
