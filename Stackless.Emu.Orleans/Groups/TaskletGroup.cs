namespace Stackless.Emu.Orleans;

/// <summary>What a tasklet of a group can ask about its group, from inside.</summary>
public static class TaskletGroup
{
    /// <summary>The name of the calling tasklet's group.</summary>
    /// <exception cref="InvalidOperationException">The caller is not a tasklet of a group.</exception>
    public static string CurrentName => LocalGroup.Current(out _).Name;

    /// <summary>
    /// Spawns a tasklet in the caller's group, on its scheduler thread: it moves and is checkpointed with the group.
    /// Tasklets of a group may share local channels; a tasklet spawned with plain <see cref="Tasklet.Spawn"/> is not a
    /// member and is left behind by a migration.
    /// </summary>
    /// <param name="body">The call of a <see cref="TaskletFrame"/> method, e.g. <c>() =&gt; Worker(channel)</c>.</param>
    public static Tasklet Spawn(Func<TaskletFrame> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return LocalGroup.Current(out _).SpawnMember(body);
    }
}
