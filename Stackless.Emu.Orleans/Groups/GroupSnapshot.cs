namespace Stackless.Emu.Orleans;

/// <summary>
/// A group frozen into data: its tasklets pickled (with the ports of their waiting operations and the freeze gate), and
/// what the group knows beside them. Carried by a live migration and written as a checkpoint.
/// </summary>
[GenerateSerializer]
public sealed class GroupSnapshot
{
    /// <summary>
    /// The pickle (see <see cref="TaskletPickler"/>); its roots are the tasklets, then one port per entry of
    /// <see cref="Operations"/>, then the gate.
    /// </summary>
    [Id(0)]
    public byte[] Pickle { get; set; } = [];

    /// <summary>The number of tasklet roots.</summary>
    [Id(1)]
    public int TaskletCount { get; set; }

    /// <summary>The operations whose ports follow the tasklets, in order, and the channel each belongs to.</summary>
    [Id(2)]
    public List<PendingOperationRecord> Operations { get; set; } = [];

    /// <summary>Each tasklet's identity (id, next sequence), in root order.</summary>
    [Id(3)]
    public List<IdentityRecord> Identities { get; set; } = [];

    /// <summary>Outcomes that arrived for operations the tasklets have not (re)issued yet, or not yet taken.</summary>
    [Id(4)]
    public Dictionary<OperationKey, ChannelReply> Early { get; set; } = [];

    /// <summary>When the snapshot was taken (UTC).</summary>
    [Id(5)]
    public DateTime Taken { get; set; }
}

/// <summary>A pending operation in a <see cref="GroupSnapshot"/>.</summary>
/// <param name="Operation">The operation.</param>
/// <param name="Channel">The distributed channel's name.</param>
/// <param name="Registered">True when the channel had queued it (the tasklet waits on its port).</param>
[GenerateSerializer]
[Immutable]
public sealed record PendingOperationRecord([property: Id(0)] OperationKey Operation, [property: Id(1)] string Channel, [property: Id(2)] bool Registered);

/// <summary>A tasklet identity in a <see cref="GroupSnapshot"/>.</summary>
/// <param name="Id">The tasklet's id.</param>
/// <param name="NextSequence">Its next operation's number.</param>
[GenerateSerializer]
[Immutable]
public sealed record IdentityRecord([property: Id(0)] string Id, [property: Id(1)] long NextSequence);
