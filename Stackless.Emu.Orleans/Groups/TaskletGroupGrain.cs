using Orleans.Concurrency;
using Orleans.Runtime.Placement;

namespace Stackless.Emu.Orleans;

/// <summary>
/// The grain of a tasklet group. Reentrant: a delivery must get through while a migration or checkpoint waits for the
/// tasklets to become restorable (they may be waiting for that very delivery). The tasklets themselves run on the
/// node's scheduler thread (<see cref="LocalGroup"/>); the grain only posts to it.
/// </summary>
[Reentrant]
[GrainType(TaskletGroupGrain.TypeName)]
internal sealed class TaskletGroupGrain : Grain, ITaskletGroupGrain, IGrainMigrationParticipant
{
    /// <summary>The grain type name, for finding active groups.</summary>
    public const string TypeName = "stackless-group";

    private const string MigrationKey = "stackless.group";

    private readonly IPersistentState<GroupCheckpoint> _checkpoint;
    private readonly TaskletNode _node;
    private LocalGroup? _local;
    private GroupSnapshot? _incoming;
    private GroupSnapshot? _outgoing;
    private IGrainTimer? _pollTimer;
    private IGrainTimer? _checkpointTimer;

    /// <summary>The last freeze (migration or checkpoint) started: freezes run one after another.</summary>
    private Task _lastFreeze = Task.CompletedTask;

    public TaskletGroupGrain(
        [PersistentState("group", StacklessStorage.ProviderName)] IPersistentState<GroupCheckpoint> checkpoint,
        TaskletNode node)
    {
        _checkpoint = checkpoint;
        _node = node;
    }

    private string Name => this.GetPrimaryKeyString();

    private SiloAddress Silo => GrainContext.Address.SiloAddress!;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var fromCheckpoint = _incoming is null;
        var snapshot = _incoming ?? _checkpoint.State.Snapshot;
        _incoming = null;
        if (snapshot is not null)
        {
            var group = _node.CreateGroup(Name);
            var count = await group.Thread.InvokeAsync(() => group.Load(snapshot, pollAtOnce: fromCheckpoint));
            _local = group;
            GroupLog.Restored(_node.Logger, Name, count, fromCheckpoint ? "checkpoint" : "migration");
        }

        StartTimers(pollSoon: fromCheckpoint && snapshot is not null);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_local is not { } group)
        {
            return;
        }

        // Deactivated without a migration (the silo stops, a duplicate activation is dropped, or the grain was told to).
        // A group that uses checkpoints is passivated: if its tasklets are restorable right now, a fresh checkpoint keeps
        // their progress and the next delivery wakes them from it; otherwise the last checkpoint stands. Either way the
        // tasklets stop here.
        _local = null;
        _node.RemoveGroup(group);
        if (_checkpoint.RecordExists && !_node.Stopped)
        {
            try
            {
                await group.Thread.InvokeAsync(() =>
                {
                    group.BeginFreeze();
                    return true;
                });
                if (await group.Thread.InvokeAsync(() => group.TrySnapshot(discard: true)) is { } snapshot)
                {
                    _checkpoint.State.Snapshot = snapshot;
                    await _checkpoint.WriteStateAsync(cancellationToken);
                    GroupLog.Passivated(_node.Logger, Name, snapshot.TaskletCount);
                    return;
                }
            }
#pragma warning disable CA1031 // Passivation is best effort: the last checkpoint stands.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                GroupLog.PassivationFailed(_node.Logger, Name, ex);
            }
        }

        await group.Thread.InvokeAsync(group.KillAll);
    }

    public void OnDehydrate(IDehydrationContext dehydrationContext)
    {
        ArgumentNullException.ThrowIfNull(dehydrationContext);
        if (_outgoing is { } snapshot)
        {
            lock (snapshot.Early)
            {
                dehydrationContext.TryAddValue(MigrationKey, snapshot);
            }
        }
    }

    public void OnRehydrate(IRehydrationContext rehydrationContext)
    {
        ArgumentNullException.ThrowIfNull(rehydrationContext);
        if (rehydrationContext.TryGetValue(MigrationKey, out GroupSnapshot? snapshot))
        {
            _incoming = snapshot;
        }
    }

    public async Task<SiloAddress> SpawnAsync(byte[] pickle)
    {
        ArgumentNullException.ThrowIfNull(pickle);
        var group = Local();
        await group.Thread.InvokeAsync(() => group.LoadSpawn(pickle));
        StartTimers(pollSoon: false);
        return Silo;
    }

    public Task<DeliveryResult> DeliverAsync(OperationKey operation, ChannelReply reply)
    {
        if (_local is { } group)
        {
            return group.Thread.InvokeAsync(() => group.Deliver(operation, reply));
        }

        return Task.FromResult(_outgoing is { } frozen ? LocalGroup.DeliverTo(frozen, operation, reply) : DeliveryResult.Refused);
    }

    public async Task MigrateAsync(SiloAddress? target)
    {
        var previous = _lastFreeze;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _lastFreeze = done.Task;
        await previous;
        try
        {
            if (_outgoing is not null)
            {
                return; // already leaving
            }

            if (_local is { } group)
            {
                _outgoing = await FreezeAsync(group, discard: true);
                _local = null;
                _node.RemoveGroup(group);
            }

            if (target is not null)
            {
                RequestContext.Set(IPlacementDirector.PlacementHintKey, target);
            }

            this.MigrateOnIdle();
        }
        finally
        {
            done.SetResult();
        }
    }

    public async Task<CheckpointInfo> CheckpointAsync()
    {
        var previous = _lastFreeze;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _lastFreeze = done.Task;
        await previous;
        try
        {
            if (_outgoing is not null)
            {
                throw new InvalidOperationException($"The group '{Name}' is migrating; checkpoint it on its new silo.");
            }

            var snapshot = _local is { } group ? await FreezeAsync(group, discard: false) : new GroupSnapshot { Taken = DateTime.UtcNow };
            _checkpoint.State.Snapshot = snapshot;
            await _checkpoint.WriteStateAsync();
            return new CheckpointInfo(snapshot.TaskletCount, snapshot.Operations.Count, snapshot.Pickle.Length);
        }
        finally
        {
            done.SetResult();
        }
    }

    public async Task<int> KillAsync()
    {
        var killed = 0;
        if (_local is { } group)
        {
            _local = null;
            _node.RemoveGroup(group);
            killed = await group.Thread.InvokeAsync(group.KillAll);
        }

        await _checkpoint.ClearStateAsync();
        DeactivateOnIdle();
        return killed;
    }

    public Task<SiloAddress> GetSiloAsync() => Task.FromResult(Silo);

    public Task<GroupDescription> DescribeAsync()
    {
        var lastCheckpoint = _checkpoint.State.Snapshot?.Taken;
        if (_local is { } group)
        {
            return group.Thread.InvokeAsync(() => group.Describe(Silo.ToString(), lastCheckpoint));
        }

        return Task.FromResult(new GroupDescription { Name = Name, Silo = Silo.ToString(), LastCheckpoint = lastCheckpoint });
    }

    /// <summary>The local part of the group, created on first use.</summary>
    private LocalGroup Local()
    {
        if (_outgoing is not null)
        {
            throw new InvalidOperationException($"The group '{Name}' is migrating; try again once it arrived.");
        }

        return _local ??= _node.CreateGroup(Name);
    }

    /// <summary>Closes the gate, waits until every member is restorable, and snapshots the group in one step.</summary>
    private static async Task<GroupSnapshot> FreezeAsync(LocalGroup group, bool discard)
    {
        await group.Thread.InvokeAsync(() =>
        {
            group.BeginFreeze();
            return true;
        });
        try
        {
            while (true)
            {
                var members = await group.Thread.InvokeAsync(group.AliveMembers);
                await Tasklet.WhenRestorableAsync(members);
                if (await group.Thread.InvokeAsync(() => group.TrySnapshot(discard)) is { } snapshot)
                {
                    return snapshot;
                }
            }
        }
        catch
        {
            await group.Thread.InvokeAsync(() =>
            {
                group.EndFreeze();
                return true;
            });
            throw;
        }
    }

    private void StartTimers(bool pollSoon)
    {
        var interval = _node.Options.PollInterval;
        if (_pollTimer is null)
        {
            _pollTimer = this.RegisterGrainTimer(PollAsync, new GrainTimerCreationOptions(pollSoon ? TimeSpan.Zero : interval, interval) { Interleave = true, KeepAlive = true });
        }

        if (_checkpointTimer is null && _node.Options.CheckpointInterval is { } every)
        {
            _checkpointTimer = this.RegisterGrainTimer(async _ => await CheckpointAsync(), new GrainTimerCreationOptions(every, every) { KeepAlive = true });
        }
    }

    /// <summary>Asks the channels about operations that waited long without news, and delivers what they say.</summary>
    private async Task PollAsync(CancellationToken cancellationToken)
    {
        if (_local is not { } group)
        {
            return;
        }

        var due = await group.Thread.InvokeAsync(() => group.DueForPoll(_node.Options.PollInterval));
        foreach (var endpoint in due)
        {
            var channel = await group.Thread.InvokeAsync(() => group.ChannelOf(endpoint.Operation));
            if (channel is null)
            {
                continue;
            }

            try
            {
                var reply = await GrainFactory.GetGrain<IChannelGrain>(channel).PollAsync(endpoint);
                if (reply.IsFinal)
                {
                    await group.Thread.InvokeAsync(() => group.Deliver(endpoint.Operation, reply));
                }
            }
#pragma warning disable CA1031 // Logged; the next poll asks again.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                GroupLog.PollFailed(_node.Logger, Name, endpoint.Operation.ToString(), ex);
            }
        }
    }
}
