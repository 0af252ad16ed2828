namespace Stackless.Emu;

/// <summary>What a <see cref="SchedulerPool"/> needs of its threads beyond the public surface.</summary>
public sealed partial class SchedulerThread
{
    /// <summary>This thread's scheduler (the pool reads its alive count as the thread's load).</summary>
    internal ThreadScheduler OwnScheduler => _scheduler;

    /// <summary>Runs <paramref name="action"/> on this thread between two tasklet steps; its exception is collected.</summary>
    /// <exception cref="ObjectDisposedException">The thread is stopping.</exception>
    internal void PostToThread(Action action) => PostAction(action);

    /// <summary>Asks the thread to stop, like <see cref="Dispose"/>, without waiting for it.</summary>
    internal void RequestStop() => Stop();
}
