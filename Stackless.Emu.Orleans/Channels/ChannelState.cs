namespace Stackless.Emu.Orleans;

/// <summary>
/// The state of a channel grain: its queue of waiting operations and the outcomes of finished ones. Invariant: all
/// waiters wait in one direction (senders +1 or receivers -1), in arrival order, as in a local channel.
/// </summary>
[GenerateSerializer]
public sealed class ChannelState
{
    /// <summary>The element type's name, fixed by the first operation.</summary>
    [Id(0)]
    public string? ElementType { get; set; }

    /// <summary>True after Close().</summary>
    [Id(1)]
    public bool Closing { get; set; }

    /// <summary>The waiting operations, first come first.</summary>
    [Id(2)]
    public List<Waiter> Waiters { get; set; } = [];

    /// <summary>
    /// Outcomes of finished operations, per tasklet, oldest first: a repeated operation (a retried call, or a tasklet
    /// restored from a checkpoint) gets the same outcome instead of transferring a value again. Bounded per tasklet
    /// (<see cref="StacklessNodeOptions.OutcomeLogSize"/>) and in tasklets (least recently active dropped first), so a
    /// write costs the same however long the channel lives.
    /// </summary>
    [Id(3)]
    public Dictionary<string, List<OutcomeRecord>> Outcomes { get; set; } = [];

    /// <summary>The tasklets of <see cref="Outcomes"/>, least recently active first.</summary>
    [Id(4)]
    public List<string> OutcomeTasklets { get; set; } = [];

    /// <summary>Values transferred so far.</summary>
    [Id(5)]
    public long Transfers { get; set; }

    /// <summary>Waiters dropped because no live tasklet would take their delivery.</summary>
    [Id(6)]
    public long DroppedWaiters { get; set; }

    /// <summary>
    /// Outcomes whose notification failed (the group's node did not answer): retried until the group answers, which
    /// also wakes a group whose node died on another node (from its checkpoint, if it has one).
    /// </summary>
    [Id(7)]
    public List<Notification> Unconfirmed { get; set; } = [];

    /// <summary>Tasklets waiting to send (&gt; 0) or to receive (&lt; 0).</summary>
    public int Balance => Waiters.Sum(w => w.Direction);
}

/// <summary>One waiting operation in a channel grain.</summary>
[GenerateSerializer]
public sealed class Waiter
{
    /// <summary>+1 a sender, -1 a receiver.</summary>
    [Id(0)]
    public int Direction { get; set; }

    /// <summary>Where the outcome goes.</summary>
    [Id(1)]
    public Endpoint Endpoint { get; set; }

    /// <summary>A sender's value.</summary>
    [Id(2)]
    public object? Value { get; set; }

    /// <summary>When the operation times out (UTC), if it has a timeout.</summary>
    [Id(3)]
    public DateTime? Deadline { get; set; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{(Direction > 0 ? "send" : "receive")} {Endpoint}{(Deadline is { } d ? $" (times out {d:HH:mm:ss.fff})" : string.Empty)}";
}

/// <summary>An outcome to tell a group again.</summary>
/// <param name="To">The operation's endpoint.</param>
/// <param name="Reply">The outcome.</param>
[GenerateSerializer]
[Immutable]
public sealed record Notification([property: Id(0)] Endpoint To, [property: Id(1)] ChannelReply Reply);

/// <summary>The outcome of one finished operation of a tasklet.</summary>
/// <param name="Sequence">The operation's sequence number in its tasklet.</param>
/// <param name="Reply">The outcome.</param>
[GenerateSerializer]
[Immutable]
public sealed record OutcomeRecord([property: Id(0)] long Sequence, [property: Id(1)] ChannelReply Reply);
