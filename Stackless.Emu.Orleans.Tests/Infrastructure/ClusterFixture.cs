using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.TestingHost;

namespace Stackless.Emu.Orleans.Tests.Infrastructure;

/// <summary>
/// One in-process Orleans cluster shared by the tests of a class (starting one costs seconds): silos with
/// <c>AddStacklessTasklets</c>, storage shared by the process, the fault-injection filter (inactive unless a test starts
/// it), and failure detection shortened from Orleans' defaults (5 s probes, 3 misses) so a killed silo is declared dead
/// in a second or two.
/// </summary>
public class ClusterFixture : IAsyncLifetime
{
    private InProcessTestCluster? _cluster;

    /// <summary>Silos started at first.</summary>
    protected virtual int InitialSilos => 3;

    /// <summary>The cluster.</summary>
    public InProcessTestCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed.");

    /// <summary>The client API over the cluster's client.</summary>
    public TaskletCluster Tasklets { get; private set; } = null!;

    /// <summary>The silos, primary first (the primary holds the test membership table: never kill it).</summary>
    public IReadOnlyList<SiloAddress> Silos => [.. Cluster.Silos.Select(s => s.SiloAddress)];

    public async Task InitializeAsync()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        if (workers < 32)
        {
            ThreadPool.SetMinThreads(32, Math.Max(io, 32));
        }

        var builder = new InProcessTestClusterBuilder((short)InitialSilos);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddStacklessTasklets(o =>
            {
                o.Pickle.AllowAssemblyOf<ClusterFixture>();
                o.PollInterval = TimeSpan.FromMilliseconds(300);
                o.CallAttempts = 10;
                ConfigureNode(o);
            });
            silo.Services.AddGrainStorage(StacklessStorage.ProviderName, (sp, _) => ActivatorUtilities.CreateInstance<ProcessStorage>(sp));
            silo.AddIncomingGrainCallFilter<FaultInjection>();
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 1;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromMilliseconds(500);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(2);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(5));
        });
        builder.ConfigureClient(client => client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(20)));
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        Tasklets = new TaskletCluster(_cluster.Client);
    }

    /// <summary>Adjusts the node options of every silo (a fixture for a particular test class).</summary>
    protected virtual void ConfigureNode(StacklessNodeOptions options)
    {
    }

    public async Task DisposeAsync()
    {
        Tasklets?.Dispose();
        if (_cluster is not null)
        {
            await _cluster.StopAllSilosAsync();
            await _cluster.DisposeAsync();
        }
    }
}
