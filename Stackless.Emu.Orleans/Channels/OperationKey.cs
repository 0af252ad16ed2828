namespace Stackless.Emu.Orleans;

/// <summary>
/// Names one distributed channel operation of one tasklet: the tasklet's cluster-wide id and the operation's sequence
/// number in that tasklet. The sequence number lives in the tasklet's own context (it is pickled with it), so a
/// tasklet restored from a checkpoint repeats an operation under the same key and the channel recognises it.
/// </summary>
/// <param name="Tasklet">The tasklet's id (assigned when it joins a group).</param>
/// <param name="Sequence">The operation's number within the tasklet, from 0.</param>
[GenerateSerializer]
[Immutable]
public readonly record struct OperationKey([property: Id(0)] string Tasklet, [property: Id(1)] long Sequence)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Tasklet}#{Sequence}";
}

/// <summary>Where a channel delivers the outcome of an operation: the group grain of the waiting tasklet and the operation.</summary>
/// <param name="Group">The group's name (its grain key): deliveries find the group wherever it lives.</param>
/// <param name="Operation">The operation.</param>
[GenerateSerializer]
[Immutable]
public readonly record struct Endpoint([property: Id(0)] string Group, [property: Id(1)] OperationKey Operation)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Group}/{Operation}";
}
