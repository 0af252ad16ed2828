namespace Stackless.Emu;

/// <summary>
/// One wait of a main or hard tasklet for a task (<c>Scheduler.WaitFor</c>), which its scheduler may abandon to raise an
/// error in it (an error of a tasklet goes to main wherever it waits). The task's completion hands the wait in through
/// the scheduler's locked queue; a completion of an abandoned wait finds a newer wait (or none) and does nothing.
/// </summary>
internal sealed class ThreadedWait
{
    public ThreadedWait(Tasklet tasklet) => Tasklet = tasklet;

    /// <summary>The waiting tasklet.</summary>
    public Tasklet Tasklet { get; }

    /// <summary>Called by the task's completion, on any thread.</summary>
    public void Complete() => Tasklet.Scheduler.PostWaitDone(this);
}
