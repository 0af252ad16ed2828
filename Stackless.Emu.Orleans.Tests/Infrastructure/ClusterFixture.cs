using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.TestingHost;

namespace Stackless.Emu.Orleans.Tests.Infrastructure;

/// <summary>
/// One in-process Orleans cluster shared by the tests of a class (starting one costs seconds): silos with
/// <c>AddStacklessTasklets</c>, storage shared by the process, the fault-injection filter (inactive unless a test starts
/// it), and failure detection shortened from Orleans' defaults (5 s probes, 3 misses) so a killed silo is declared dead
/// in a few seconds.
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
                // Short enough for the failure tests, long enough that a busy machine (load 40 on 2 cores) does not
                // declare a live silo dead: two missed probes of 2 s each.
                o.ProbeTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
            });
            silo.Configure<SiloMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(30));
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
