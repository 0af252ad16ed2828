namespace Stackless.Emu;

/// <summary>
/// The schedulers that may wake each other's tasklets: those that shared a channel, operated on each other's tasklets,
/// or were started one from another (<see cref="SchedulerThread"/>). Deadlock detection looks only inside a group, so
/// unrelated threads (other requests, other tests) never hide or cause a deadlock.
/// </summary>
/// <remarks>Groups only ever merge. <see cref="Members"/> is guarded by <see cref="SchedulerRegistry"/>'s lock.</remarks>
internal sealed class SchedulerGroup
{
    /// <summary>The member schedulers.</summary>
    public List<ThreadScheduler> Members { get; } = [];
}
