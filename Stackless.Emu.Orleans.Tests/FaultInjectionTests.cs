using Stackless.Emu.Orleans.Tests.Infrastructure;

namespace Stackless.Emu.Orleans.Tests;

/// <summary>Runs alone: the fault filter is process-wide, so no other cluster may run while it injects.</summary>
[CollectionDefinition(nameof(FaultInjectionCollection), DisableParallelization = true)]
public sealed class FaultInjectionCollection
{
}

/// <summary>
/// Seeded fault injection: calls into channel and group grains dropped, failed after running, or delayed, and silos
/// killed at seeded points. Checks the delivery model: every value is received at most once without checkpoints, and
/// exactly once when both sides checkpoint. Light by default; STACKLESS_FULL_STRESS=1 runs the full size.
/// </summary>
[Collection(nameof(FaultInjectionCollection))]
public sealed class FaultInjectionTests : IClassFixture<ClusterFixture>
{
    private const int Seed = 20261117;

    private static readonly bool Full = Environment.GetEnvironmentVariable("STACKLESS_FULL_STRESS") == "1";

    private readonly ClusterFixture _fixture;

    public FaultInjectionTests(ClusterFixture fixture) => _fixture = fixture;

    private TaskletCluster Tasklets => _fixture.Tasklets;

    private static int Values => Full ? 400 : 40;

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static List<string> Parse(string report, out int unknown)
    {
        var parts = report.Split('|');
        unknown = int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture);
        return parts[1].Length == 0 ? [] : [.. parts[1].Split(',')];
    }

    [Fact]
    public async Task Without_checkpoints_every_value_is_received_at_most_once_and_in_order()
    {
        var channel = new DistributedChannel<string>(Unique("faulty"));
        var sent = Ledger.NewKey("producer");
        var collected = Ledger.NewKey("consumer");
        FaultInjection.Start(Seed, drop: 0.08, failAfter: 0.08, delay: 0.1);
        try
        {
            await Tasklets.SpawnAsync(Unique("consumer"), () => FaultTasklets.Collect(channel, Values, 10_000, collected), on: _fixture.Silos[2]);
            await Tasklets.SpawnAsync(Unique("producer"), () => FaultTasklets.Produce(channel, Values, 10_000, sent), on: _fixture.Silos[1]);
            var report = (await DescribedAsync(Ledger.WaitAsync(collected, l => l.Count == 1)))[0];
            await DescribedAsync(Ledger.WaitAsync(sent, l => l.Count == 1));
            var received = Parse(report, out _);
            Assert.Equal(received.Count, received.Distinct().Count());     // at most once
            var numbers = received.ConvertAll(v => int.Parse(v[1..], System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(numbers.Order(), numbers);                          // FIFO: one sender's values in its order
            Assert.All(numbers, n => Assert.InRange(n, 0, Values - 1));
            Assert.True(FaultInjection.Counts.Dropped + FaultInjection.Counts.FailedAfter > 0, "no fault was injected");
        }
        finally
        {
            FaultInjection.Stop();
        }
    }

    [Fact]
    public async Task With_checkpoints_on_both_sides_every_value_is_received_exactly_once_despite_faults_and_kills()
    {
        var random = new Random(Seed);
        var channel = new DistributedChannel<string>(Unique("faulty-durable"));
        var sent = Ledger.NewKey("producer");
        var collected = Ledger.NewKey("consumer");
        var producer = Unique("producer");
        var consumer = Unique("consumer");
        var kills = 0;
        FaultInjection.Start(Seed + 1, drop: 0.05, failAfter: 0.05, delay: 0.1);
        try
        {
            await Tasklets.SpawnAsync(consumer, () => FaultTasklets.Collect(channel, Values, 0, collected), on: _fixture.Silos[2]);
            await Tasklets.SpawnAsync(producer, () => FaultTasklets.Produce(channel, Values, 0, sent), on: _fixture.Silos[1]);
            var maxKills = Full ? 4 : 1;
            while (Ledger.Lines(collected).Count == 0)
            {
                await Tasklets.CheckpointAsync(consumer);
                await Tasklets.CheckpointAsync(producer);
                if (kills < maxKills && random.NextDouble() < 0.3)
                {
                    // Kill the silo of one side, at a seeded point between checkpoints.
                    var victim = await Tasklets.LocateAsync(random.Next(2) == 0 ? consumer : producer);
                    if (!victim.Equals(_fixture.Silos[0]))
                    {
                        await KillAsync(victim);
                        kills++;
                        await Tasklets.LocateAsync(consumer); // a supervisor wakes the groups after a failure
                        await Tasklets.LocateAsync(producer);
                    }
                }

                await Task.Delay(50);
            }

            var report = (await Ledger.WaitAsync(collected, l => l.Count >= 1))[^1];
            var received = Parse(report, out var unknown);
            Assert.Equal(0, unknown);
            Assert.Equal(Enumerable.Range(0, Values).Select(i => $"v{i}"), received);
            Assert.True(kills > 0 || !Full, "the full run killed no silo");
        }
        finally
        {
            FaultInjection.Stop();
            await Tasklets.KillAsync(producer);
            await Tasklets.KillAsync(consumer);
        }
    }

    /// <summary>Awaits <paramref name="wait"/>; when it fails, adds the cluster's description to the failure.</summary>
    private async Task<T> DescribedAsync<T>(Task<T> wait)
    {
        try
        {
            return await wait;
        }
        catch (Xunit.Sdk.XunitException ex)
        {
            throw new Xunit.Sdk.XunitException($"{ex.Message}{Environment.NewLine}faults {FaultInjection.Counts}{Environment.NewLine}{await Tasklets.DescribeAsync()}");
        }
    }

    private async Task KillAsync(SiloAddress silo)
    {
        var handle = _fixture.Cluster.Silos.Single(s => s.SiloAddress.Equals(silo));
        await _fixture.Cluster.KillSiloAsync(handle);
        var management = _fixture.Cluster.Client.GetGrain<IManagementGrain>(0);
        await Eventually.ValueAsync(() => management.GetHosts(onlyActive: true), h => !h.ContainsKey(silo), $"the death of {silo}");
        await _fixture.Cluster.StartAdditionalSiloAsync();
    }
}
