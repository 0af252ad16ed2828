namespace Stackless.Emu;

public static partial class Scheduler
{
    /// <summary>
    /// Changes this thread's switch trap level by <paramref name="delta"/> and returns the previous level (Stackless's
    /// <c>switch_trap(change)</c>; <c>SwitchTrap(0)</c> reads it). While the level is not 0, every operation that would
    /// switch this thread to another tasklet (<c>Schedule</c>, <c>Run</c>, a channel action that would block or hand over
    /// control, <c>Tasklet.Run</c>/<c>Switch</c>/<c>Kill</c>/<c>Throw</c>) raises <see cref="InvalidOperationException"/>
    /// ("switch_trap") before it changes anything, and the watchdog does not interrupt. Operations that do not switch here
    /// (a pending throw, a tasklet of another thread made runnable there) are not trapped.
    /// <code>Scheduler.SwitchTrap(1); try { ... } finally { Scheduler.SwitchTrap(-1); }</code>
    /// </summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler (each thread has its own trap level, as in Stackless).</remarks>
    public static int SwitchTrap(int delta) => ThreadScheduler.Current.AdjustSwitchTrap(delta);
}
