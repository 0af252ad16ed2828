using Stackless.Emu.Orleans.Tests.Infrastructure;

namespace Stackless.Emu.Orleans.Tests;

/// <summary>
/// Node and channel failures: a killed silo with and without a checkpoint, a checkpoint older than the last transfers,
/// and a channel grain that loses its activation. Tests of this class kill secondary silos and start replacements.
/// </summary>
public sealed class FailureTests : IClassFixture<ClusterFixture>
{
    private readonly ClusterFixture _fixture;

    public FailureTests(ClusterFixture fixture) => _fixture = fixture;

    private TaskletCluster Tasklets => _fixture.Tasklets;

    private SiloAddress Primary => _fixture.Silos[0];

    private SiloAddress Secondary => _fixture.Silos[^1];

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private Task<ChannelDescription> ChannelAsync(string channel, Func<ChannelDescription, bool> condition) => Eventually.ValueAsync(
        () => Tasklets.DescribeChannelAsync(channel), condition, $"channel '{channel}'");

    /// <summary>Kills <paramref name="silo"/>, waits until the cluster declared it dead, and starts a replacement.</summary>
    private async Task KillAsync(SiloAddress silo)
    {
        Assert.NotEqual(Primary, silo);
        var handle = _fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(silo));
        var before = _fixture.Cluster.Silos.Count;
        var node = _fixture.Cluster.GetSiloServiceProvider(silo).GetService(typeof(TaskletNode)) as TaskletNode;
        await _fixture.Cluster.KillSiloAsync(handle);
        Assert.True(node?.Stopped, "the killed silo's tasklet node still runs");
        var management = _fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        await Eventually.ValueAsync(() => management.GetHosts(onlyActive: true), h => !h.ContainsKey(silo), $"the death of {silo}");
        await _fixture.Cluster.StartAdditionalSiloAsync();
        Assert.Equal(before, _fixture.Cluster.Silos.Count);
    }

    [Fact]
    public async Task Without_a_checkpoint_a_receiver_on_a_killed_silo_is_dropped_and_the_value_goes_to_the_next_receiver()
    {
        var name = Unique("lost-receiver");
        var channel = new DistributedChannel<string>(name);
        var deadLedger = Ledger.NewKey("dead");
        var victim = Secondary;
        await Tasklets.SpawnAsync(Unique("doomed"), () => TestTasklets.ReceiveMany(channel, 1, deadLedger), on: victim);
        await ChannelAsync(name, c => c.Balance == -1);
        await KillAsync(victim);

        var senderLedger = Ledger.NewKey("sender");
        await Tasklets.SpawnAsync(Unique("sender"), () => TestTasklets.SendOnce(channel, "v1", senderLedger), on: Primary);
        var described = await ChannelAsync(name, c => c.Balance == 1);
        Assert.Equal(1, described.DroppedWaiters);
        Assert.Empty(Ledger.Lines(senderLedger)); // not taken: nobody alive received it

        var nextLedger = Ledger.NewKey("next");
        await Tasklets.SpawnAsync(Unique("next"), () => TestTasklets.ReceiveMany(channel, 1, nextLedger), on: Primary);
        Assert.Equal(["received v1"], await Ledger.WaitAsync(nextLedger, l => l.Count == 1));
        Assert.Equal(["sent v1"], await Ledger.WaitAsync(senderLedger, l => l.Count == 1));
        Assert.Empty(Ledger.Lines(deadLedger));
    }

    [Fact]
    public async Task With_a_checkpoint_a_group_on_a_killed_silo_comes_back_elsewhere_where_the_checkpoint_left_it()
    {
        var requests = new DistributedChannel<string>(Unique("req"));
        var replies = new DistributedChannel<string>(Unique("rep"));
        var echo = Unique("echo");
        var victim = Secondary;
        await Tasklets.SpawnAsync(echo, () => TestTasklets.Echo(requests, replies, Ledger.NewKey("echo")), on: victim);
        var firstLedger = Ledger.NewKey("first");
        await Tasklets.SpawnAsync(Unique("ask1"), () => TestTasklets.Ask(requests, replies, 3, firstLedger), on: Primary);
        Assert.Equal(["r0 #1", "r1 #2", "r2 #3"], await Ledger.WaitAsync(firstLedger, l => l.Count == 3));

        var checkpoint = await Tasklets.CheckpointAsync(echo);
        Assert.Equal(1, checkpoint.Tasklets);
        Assert.Equal(1, checkpoint.PendingOperations); // blocked in a receive
        await KillAsync(victim);

        var secondLedger = Ledger.NewKey("second");
        await Tasklets.SpawnAsync(Unique("ask2"), () => TestTasklets.Ask(requests, replies, 3, secondLedger), on: Primary);
        Assert.Equal(["r0 #4", "r1 #5", "r2 #6"], await Ledger.WaitAsync(secondLedger, l => l.Count == 3));
        Assert.NotEqual(victim, await Tasklets.LocateAsync(echo));
        await Tasklets.KillAsync(echo);
    }

    [Fact]
    public async Task A_group_restored_from_an_older_checkpoint_repeats_its_operations_without_repeating_transfers()
    {
        var requests = new DistributedChannel<string>(Unique("req"));
        var replies = new DistributedChannel<string>(Unique("rep"));
        var echo = Unique("echo");
        var victim = Secondary;
        await Tasklets.SpawnAsync(echo, () => TestTasklets.Echo(requests, replies, Ledger.NewKey("echo")), on: victim);
        var askLedger = Ledger.NewKey("ask");
        var ask = Unique("ask");
        await Tasklets.SpawnAsync(ask, () => TestTasklets.Ask(requests, replies, 6, askLedger), on: Primary);
        await Ledger.WaitAsync(askLedger, l => l.Count >= 1);
        await Tasklets.CheckpointAsync(echo);          // the echo at #1 or a little later
        await Ledger.WaitAsync(askLedger, l => l.Count >= 4);
        await KillAsync(victim);                        // the echo's state after the checkpoint is lost
        await Tasklets.LocateAsync(echo);               // the supervisor's wake-up: nothing else may call the group

        // The restored echo repeats the receives and replies after its checkpoint under the same operation keys: the
        // channels answer them from their outcome logs, so the asker sees every answer exactly once, counted on.
        var answers = await WithDescriptionAsync(Ledger.WaitAsync(askLedger, l => l.Count == 6));
        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"r{i} #{i + 1}"), answers);
        await Tasklets.KillAsync(echo);
    }

    /// <summary>Awaits <paramref name="wait"/>; when it fails, adds the cluster's description to the failure.</summary>
    private async Task<T> WithDescriptionAsync<T>(Task<T> wait)
    {
        try
        {
            return await wait;
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException(ex.Message + Environment.NewLine + await Tasklets.DescribeAsync());
        }
    }

    [Fact]
    public async Task A_channel_grain_that_loses_its_activation_comes_back_from_storage_with_its_waiters()
    {
        var name = Unique("crashing");
        var channel = new DistributedChannel<string>(name);
        var ledger = Ledger.NewKey("receivers");
        await Tasklets.SpawnAsync(Unique("r1"), () => TestTasklets.ReceiveMany(channel, 1, ledger), on: Secondary);
        await ChannelAsync(name, c => c.Balance == -1);
        await Tasklets.SpawnAsync(Unique("r2"), () => TestTasklets.ReceiveMany(channel, 1, ledger), on: Primary);
        await ChannelAsync(name, c => c.Balance == -2);

        await _fixture.Cluster.DeactivateAsync((GrainReference)_fixture.Cluster.Client.GetGrain<IChannelGrain>(name));
        var revived = await Tasklets.DescribeChannelAsync(name);
        Assert.Equal(-2, revived.Balance);

        await Tasklets.SpawnAsync(Unique("s"), () => TestTasklets.SendAll(channel, ["x", "y"], Ledger.NewKey("s")), on: Primary);
        var received = await Ledger.WaitAsync(ledger, l => l.Count == 2);
        Assert.Equal(["received x", "received y"], received.Order(StringComparer.Ordinal));
    }
}
