using Orleans.Runtime.Placement;

namespace Stackless.Emu.Orleans;

/// <summary>
/// Manages tasklet groups and distributed channels from outside the tasklets: from an Orleans client
/// (<c>IClusterClient</c>), a grain, or a silo's service. Spawn a group's tasklets on a chosen silo, move the group,
/// checkpoint it, kill it, and describe the whole cluster.
/// </summary>
public sealed class TaskletCluster : IDisposable
{
    private readonly IGrainFactory _grains;
    private readonly Lazy<SchedulerThread> _staging = new(() => new SchedulerThread("Stackless staging"));

    /// <summary>Creates the client API over <paramref name="grains"/> (an <c>IClusterClient</c> or a silo's <c>IGrainFactory</c>).</summary>
    public TaskletCluster(IGrainFactory grains) => _grains = grains ?? throw new ArgumentNullException(nameof(grains));

    /// <summary>
    /// Spawns a tasklet in <paramref name="group"/>: <paramref name="body"/> is called here (its arguments are evaluated
    /// now), pickled, and the tasklet starts on the group's silo. A new group is placed on <paramref name="on"/> (or where
    /// Orleans chooses); an existing group stays where it is.
    /// </summary>
    /// <param name="group">The group's name.</param>
    /// <param name="body">The call of a <see cref="TaskletFrame"/> method, e.g. <c>() =&gt; Echo(requests, replies)</c>.
    /// Its assembly must be allowed on the silos (<see cref="StacklessNodeOptions.Pickle"/>).</param>
    /// <param name="on">The silo for a new group.</param>
    /// <returns>The silo the tasklet runs on.</returns>
    /// <exception cref="InvalidOperationException">The group already lives on another silo than <paramref name="on"/>.</exception>
    public async Task<SiloAddress> SpawnAsync(string group, Func<TaskletFrame> body, SiloAddress? on = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentNullException.ThrowIfNull(body);

        // Created and pickled on a private scheduler thread: a tasklet is pickled on its own thread.
        var pickle = await _staging.Value.InvokeAsync(() => new TaskletPickler().Dump([Tasklet.CreateFrame(body)]));
        if (on is not null)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, on);
        }

        try
        {
            var silo = await Group(group).SpawnAsync(pickle);
            if (on is not null && !on.Equals(silo))
            {
                throw new InvalidOperationException($"The group '{group}' already lives on {silo}, not {on}: the tasklet was spawned there. Spawn into a new group, or migrate the group (MigrateAsync).");
            }

            return silo;
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }

    /// <summary>
    /// Moves <paramref name="group"/> to <paramref name="to"/> (Orleans live migration) once its tasklets are restorable,
    /// and returns when it runs there. Tasklets waiting on distributed channels keep waiting; outcomes delivered meanwhile
    /// follow them.
    /// </summary>
    public async Task<SiloAddress> MigrateAsync(string group, SiloAddress to)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(group);
        ArgumentNullException.ThrowIfNull(to);
        await Group(group).MigrateAsync(to);

        // The next call activates the group on its new silo (or finds it there).
        return await Group(group).GetSiloAsync();
    }

    /// <summary>Writes a checkpoint of <paramref name="group"/> to grain storage (once its tasklets are restorable).</summary>
    public Task<CheckpointInfo> CheckpointAsync(string group) => Group(group).CheckpointAsync();

    /// <summary>Kills the tasklets of <paramref name="group"/> (their <c>finally</c> blocks run) and drops its checkpoint.</summary>
    public Task<int> KillAsync(string group) => Group(group).KillAsync();

    /// <summary>The silo <paramref name="group"/> lives on (activating it, from its checkpoint if it has one).</summary>
    public Task<SiloAddress> LocateAsync(string group) => Group(group).GetSiloAsync();

    /// <summary>Describes one group.</summary>
    public Task<GroupDescription> DescribeGroupAsync(string group) => Group(group).DescribeAsync();

    /// <summary>Describes one channel.</summary>
    public Task<ChannelDescription> DescribeChannelAsync(string channel) => Channel(channel).DescribeAsync();

    /// <summary>Closes a distributed channel.</summary>
    public Task CloseChannelAsync(string channel) => Channel(channel).CloseAsync();

    /// <summary>Reopens a distributed channel.</summary>
    public Task OpenChannelAsync(string channel) => Channel(channel).OpenAsync();

    /// <summary>
    /// Describes every active group and channel of the cluster: each tasklet's state and the operation it waits for,
    /// each channel's queue. Across machines this replaces deadlock detection: it shows who waits for whom.
    /// </summary>
    public async Task<ClusterDescription> DescribeAsync()
    {
        var management = _grains.GetGrain<IManagementGrain>(0);
        var hosts = await management.GetHosts(onlyActive: true);
        var groupIds = await management.GetActiveGrains(GrainType.Create(TaskletGroupGrain.TypeName));
        var channelIds = await management.GetActiveGrains(GrainType.Create(ChannelGrain.TypeName));
        var groups = new List<GroupDescription>();
        foreach (var id in groupIds.Distinct())
        {
            groups.Add(await Group(id.Key.ToString()!).DescribeAsync());
        }

        var channels = new List<ChannelDescription>();
        foreach (var id in channelIds.Distinct())
        {
            channels.Add(await Channel(id.Key.ToString()!).DescribeAsync());
        }

        return new ClusterDescription
        {
            Silos = [.. hosts.Keys.Select(s => s.ToString()).Order(StringComparer.Ordinal)],
            Groups = groups,
            Channels = channels,
        };
    }

    /// <summary>Stops the staging thread used to pickle spawned tasklets.</summary>
    public void Dispose()
    {
        if (_staging.IsValueCreated)
        {
            _staging.Value.Dispose();
        }
    }

    private ITaskletGroupGrain Group(string name) => _grains.GetGrain<ITaskletGroupGrain>(name);

    private IChannelGrain Channel(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return _grains.GetGrain<IChannelGrain>(name);
    }
}
