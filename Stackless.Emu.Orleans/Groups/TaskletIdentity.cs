namespace Stackless.Emu.Orleans;

/// <summary>
/// A group tasklet's distributed identity, kept in <see cref="Tasklet.Items"/> under <see cref="Key"/>: its id in the
/// cluster, its group, and the number of its next distributed channel operation.
/// </summary>
internal sealed class TaskletIdentity
{
    /// <summary>The key in <see cref="Tasklet.Items"/>.</summary>
    public const string Key = "Stackless.Emu.Orleans.Identity";

    /// <summary>The tasklet's id, unique in the cluster.</summary>
    public string Id { get; set; } = "";

    /// <summary>The group's name.</summary>
    public string Group { get; set; } = "";

    /// <summary>The sequence number the next operation gets.</summary>
    public long NextSequence { get; set; }

    /// <summary>The identity of <paramref name="tasklet"/>, or null when it is not a group tasklet.</summary>
    public static TaskletIdentity? Of(Tasklet tasklet) =>
        tasklet.Items.TryGetValue(Key, out var value) ? value as TaskletIdentity : null;
}
