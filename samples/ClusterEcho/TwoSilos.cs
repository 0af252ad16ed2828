using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;
using Stackless.Emu.Orleans;

namespace ClusterEcho;

/// <summary>Two Orleans silos in this process (localhost clustering), each with a tasklet node.</summary>
internal sealed class TwoSilos : IAsyncDisposable
{
    private readonly IHost[] _hosts;

    private TwoSilos(IHost[] hosts) => _hosts = hosts;

    /// <summary>The first silo's address.</summary>
    public SiloAddress A => Address(0);

    /// <summary>The second silo's address.</summary>
    public SiloAddress B => Address(1);

    /// <summary>The client API, over the first silo's grain factory.</summary>
    public TaskletCluster Tasklets { get; private set; } = null!;

    /// <summary>Starts the silos; <paramref name="basePort"/> separates clusters started one after another.</summary>
    public static async Task<TwoSilos> StartAsync(bool durableChannels = true, int basePort = 11111)
    {
        var hosts = new IHost[2];
        var primary = new IPEndPoint(IPAddress.Loopback, basePort);
        for (var i = 0; i < hosts.Length; i++)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Orleans", LogLevel.Error);
            var siloPort = basePort + i;
            builder.UseOrleans(silo =>
            {
                silo.UseLocalhostClustering(siloPort, basePort + 1000 + i, primary, serviceId: "cluster-echo", clusterId: $"cluster-echo-{basePort}");
                silo.AddMemoryGrainStorage(StacklessStorage.ProviderName);
                silo.AddStacklessTasklets(o =>
                {
                    o.Pickle.AllowAssemblyOf<TwoSilos>();
                    o.DurableChannels = durableChannels;
                });
                silo.Configure<ClusterMembershipOptions>(o => o.ProbeTimeout = TimeSpan.FromSeconds(1));
            });
            hosts[i] = builder.Build();
            await hosts[i].StartAsync();
        }

        var silos = new TwoSilos(hosts);
        silos.Tasklets = new TaskletCluster(hosts[0].Services.GetRequiredService<IGrainFactory>());
        return silos;
    }

    public async ValueTask DisposeAsync()
    {
        Tasklets.Dispose();
        for (var i = _hosts.Length - 1; i >= 0; i--)
        {
            await _hosts[i].StopAsync();
            _hosts[i].Dispose();
        }
    }

    private SiloAddress Address(int index) => _hosts[index].Services.GetRequiredService<ILocalSiloDetails>().SiloAddress;
}
