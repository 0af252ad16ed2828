namespace Stackless.Emu.Orleans;

/// <summary>A group of tasklets as its node sees it: where it lives and what each tasklet does.</summary>
[GenerateSerializer]
public sealed class GroupDescription
{
    /// <summary>The group's name.</summary>
    [Id(0)]
    public string Name { get; init; } = "";

    /// <summary>The silo the group lives on.</summary>
    [Id(1)]
    public string Silo { get; init; } = "";

    /// <summary>The managed id of the scheduler thread running it (0 when it has no tasklets here).</summary>
    [Id(2)]
    public int ThreadId { get; init; }

    /// <summary>One line per tasklet: its state and, when it waits on a distributed channel, which operation.</summary>
    [Id(3)]
    public List<string> Tasklets { get; init; } = [];

    /// <summary>Distributed channel operations waiting for their outcome.</summary>
    [Id(4)]
    public List<string> PendingOperations { get; init; } = [];

    /// <summary>When the last checkpoint was written (UTC), if ever.</summary>
    [Id(5)]
    public DateTime? LastCheckpoint { get; init; }

    /// <inheritdoc/>
    public override string ToString()
    {
        var lines = new List<string>
        {
            $"group '{Name}' on {Silo} (thread {ThreadId}): {Tasklets.Count} tasklet(s){(LastCheckpoint is { } c ? $", checkpoint {c:HH:mm:ss.fff}" : ", no checkpoint")}",
        };
        lines.AddRange(Tasklets.Select(t => "    " + t));
        lines.AddRange(PendingOperations.Select(o => "    waiting: " + o));
        return string.Join(Environment.NewLine, lines);
    }
}
