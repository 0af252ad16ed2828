namespace Stackless.Emu;

/// <summary>
/// The synchronization context a soft tasklet runs under. Continuations of foreign awaits (I/O, <c>Task.Delay</c>)
/// are posted here from any thread and come back to the tasklet's scheduler, which makes the tasklet runnable again;
/// so code after such an await runs on the scheduler with <see cref="Tasklet.Current"/> correct.
/// </summary>
internal sealed class TaskletSynchronizationContext : SynchronizationContext
{
    public TaskletSynchronizationContext(Tasklet tasklet) => Tasklet = tasklet;

    /// <summary>The tasklet whose continuations this context routes.</summary>
    public Tasklet Tasklet { get; }

    /// <inheritdoc/>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        Tasklet.Scheduler.Post(Tasklet, Continuation.From(d, state));
    }

    /// <inheritdoc/>
    public override void Send(SendOrPostCallback d, object? state) =>
        throw new NotSupportedException(
            "Synchronous Send to a tasklet's synchronization context is not supported: it would block the scheduler. Use Post.");

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;
}
