namespace Stackless.Emu.Orleans;

/// <summary>A distributed channel as its grain sees it: where it lives, its queue and counters.</summary>
[GenerateSerializer]
public sealed class ChannelDescription
{
    /// <summary>The channel's name.</summary>
    [Id(0)]
    public string Name { get; init; } = "";

    /// <summary>The silo its grain lives on.</summary>
    [Id(1)]
    public string Silo { get; init; } = "";

    /// <summary>The element type fixed by the first operation, if any.</summary>
    [Id(2)]
    public string? ElementType { get; init; }

    /// <summary>Operations waiting to send (&gt; 0) or receive (&lt; 0); a snapshot.</summary>
    [Id(3)]
    public int Balance { get; init; }

    /// <summary>True after Close().</summary>
    [Id(4)]
    public bool Closing { get; init; }

    /// <summary>True when closing and nobody waits.</summary>
    [Id(5)]
    public bool Closed { get; init; }

    /// <summary>The waiting operations, first come first.</summary>
    [Id(6)]
    public List<string> Waiters { get; init; } = [];

    /// <summary>Values transferred.</summary>
    [Id(7)]
    public long Transfers { get; init; }

    /// <summary>Waiters dropped because their tasklet was gone.</summary>
    [Id(8)]
    public long DroppedWaiters { get; init; }

    /// <summary>Whether the channel's state is written to grain storage on every change.</summary>
    [Id(9)]
    public bool Durable { get; init; }

    /// <summary>Outcomes whose notification is being retried (their group's node did not answer).</summary>
    [Id(10)]
    public int Unconfirmed { get; init; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var state = Closing ? (Closed ? ", closed" : ", closing") : string.Empty;
        var head = $"channel '{Name}' on {Silo}: balance {Balance}{state}, {Transfers} transferred, {DroppedWaiters} dropped{(Unconfirmed > 0 ? $", {Unconfirmed} unconfirmed" : string.Empty)}{(Durable ? ", durable" : string.Empty)}";
        return Waiters.Count == 0 ? head : head + Environment.NewLine + string.Join(Environment.NewLine, Waiters.Select(w => "    " + w));
    }
}
