namespace Stackless.Emu;

/// <summary>
/// What <see cref="Scheduler.GetThreadInfo"/> reports about a thread's scheduler (Stackless's
/// <c>(main, current, runcount)</c> tuple). Read from another thread, it is a snapshot that may already be stale.
/// </summary>
/// <param name="Main">The thread's main tasklet.</param>
/// <param name="Current">The thread's running tasklet.</param>
/// <param name="RunCount">The number of runnable tasklets of the thread, the current one included.</param>
/// <remarks>Thread safety: an immutable snapshot, taken on any thread; the thread's state may have changed since.</remarks>
public readonly record struct ThreadInfo(Tasklet Main, Tasklet Current, int RunCount);
