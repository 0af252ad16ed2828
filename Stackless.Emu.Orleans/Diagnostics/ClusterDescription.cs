namespace Stackless.Emu.Orleans;

/// <summary>
/// Every group and distributed channel of the cluster with what each tasklet waits on: the replacement for deadlock
/// detection across machines (no node can know whether a remote partner will come; this shows who waits for whom).
/// </summary>
public sealed class ClusterDescription
{
    /// <summary>The active silos.</summary>
    public IReadOnlyList<string> Silos { get; init; } = [];

    /// <summary>The active groups.</summary>
    public IReadOnlyList<GroupDescription> Groups { get; init; } = [];

    /// <summary>The active channels.</summary>
    public IReadOnlyList<ChannelDescription> Channels { get; init; } = [];

    /// <inheritdoc/>
    public override string ToString()
    {
        var lines = new List<string> { $"cluster: {Silos.Count} silo(s): {string.Join(", ", Silos)}" };
        lines.AddRange(Groups.OrderBy(g => g.Name, StringComparer.Ordinal).Select(g => g.ToString()));
        lines.AddRange(Channels.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => c.ToString()));
        return string.Join(Environment.NewLine, lines);
    }
}
