namespace Stackless.Emu.Orleans;

/// <summary>
/// A group of tasklets, keyed by the group's name: the unit of placement, migration and checkpoint. Its tasklets run on
/// one scheduler thread of the silo where the grain lives; channel grains deliver to it by name, so deliveries find it
/// wherever it moved.
/// </summary>
public interface ITaskletGroupGrain : IGrainWithStringKey
{
    /// <summary>Adopts and schedules a pickled new tasklet (see <see cref="TaskletCluster.SpawnAsync"/>); returns the silo.</summary>
    Task<SiloAddress> SpawnAsync(byte[] pickle);

    /// <summary>Delivers a channel's outcome for one operation of one of the group's tasklets.</summary>
    Task<DeliveryResult> DeliverAsync(OperationKey operation, ChannelReply reply);

    /// <summary>
    /// Moves the group to <paramref name="target"/> (any other silo when null) by Orleans live migration: the tasklets are
    /// pickled once restorable and continue there; deliveries meanwhile travel with them.
    /// </summary>
    Task MigrateAsync(SiloAddress? target);

    /// <summary>Writes a checkpoint of the group to grain storage once its tasklets are restorable.</summary>
    Task<CheckpointInfo> CheckpointAsync();

    /// <summary>Kills the group's tasklets (their <c>finally</c> blocks run), drops its checkpoint and deactivates it.</summary>
    Task<int> KillAsync();

    /// <summary>The silo the group lives on.</summary>
    Task<SiloAddress> GetSiloAsync();

    /// <summary>The group's tasklets and pending operations.</summary>
    Task<GroupDescription> DescribeAsync();
}

/// <summary>What a checkpoint wrote.</summary>
/// <param name="Tasklets">Tasklets pickled.</param>
/// <param name="PendingOperations">Distributed operations waiting in channels.</param>
/// <param name="Bytes">Size of the pickle.</param>
[GenerateSerializer]
[Immutable]
public sealed record CheckpointInfo([property: Id(0)] int Tasklets, [property: Id(1)] int PendingOperations, [property: Id(2)] int Bytes);

/// <summary>The stored state of a group: its last checkpoint.</summary>
[GenerateSerializer]
public sealed class GroupCheckpoint
{
    /// <summary>The last checkpoint, or null.</summary>
    [Id(0)]
    public GroupSnapshot? Snapshot { get; set; }
}
