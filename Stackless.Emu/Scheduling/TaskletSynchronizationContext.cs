namespace Stackless.Emu;

/// <summary>
/// The routing context of one tasklet whose code the runtime's async builder runs (an async-delegate body, or main under
/// <c>Scheduler.RunMain</c>): continuations of its foreign awaits are posted here from any thread and come back to this
/// tasklet on its scheduler, which makes it runnable again; so code after such an await runs on the scheduler with
/// <see cref="Tasklet.Current"/> correct. It also holds the body's task. <see cref="TaskletFrame"/> bodies need none:
/// their builder routes their awaits itself.
/// </summary>
internal sealed class TaskletSynchronizationContext : SchedulerSynchronizationContext
{
    public TaskletSynchronizationContext(Tasklet tasklet)
        : base(tasklet.Scheduler) => Tasklet = tasklet;

    /// <summary>The tasklet whose continuations this context routes.</summary>
    public Tasklet Tasklet { get; }

    /// <summary>The body's task (an async-delegate body), observed for the tasklet's end.</summary>
#pragma warning disable VSTHRD003 // The tasklet's own body: observed, never awaited.
    public Task? BodyTask { get; set; }
#pragma warning restore VSTHRD003

    /// <summary>Whether a check that the body does not finish on another thread is registered.</summary>
    public bool Watched { get; set; }

    /// <summary>
    /// Hands <paramref name="d"/> to the tasklet: run in place as its next step when the tasklet posts to itself on its
    /// scheduler thread (<c>Task.Yield</c>), else through the scheduler's inbox (its resumption if it waits for I/O,
    /// a second flow otherwise). Any thread.
    /// </summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        var scheduler = Tasklet.Scheduler;
        if (!scheduler.TryContinueInPlace(Tasklet, d, state, yield: true))
        {
            scheduler.PostResume(Tasklet, d, state);
        }
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;
}
