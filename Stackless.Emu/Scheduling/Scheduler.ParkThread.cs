namespace Stackless.Emu;

public static partial class Scheduler
{
    /// <summary>
    /// Runs <paramref name="wait"/>, a blocking call, on the calling thread without running its scheduler: the whole
    /// thread waits, as a Stackless thread blocked in a call that releases the GIL (<c>time.sleep</c>, a lock, an event).
    /// Meanwhile other threads operate on this thread's tasklets at once (<see cref="Tasklet.Remove"/>,
    /// <see cref="Tasklet.Insert"/>, <see cref="Tasklet.Setup"/>, <see cref="Tasklet.BindThread"/>) instead of posting the
    /// operation to this thread. Unlike <see cref="BlockingCall(Action)"/>, no tasklet of this thread runs during the call.
    /// For main and hard tasklets; exceptions from <paramref name="wait"/> reach the caller.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called inside a soft tasklet (it would block every tasklet of the thread: use <see cref="BlockingCallAsync(Action)"/>).</exception>
    /// <remarks>Thread safety: any thread: parks the calling thread's scheduler while <paramref name="wait"/> runs, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/>).</remarks>
    public static void ParkThread(Action wait)
    {
        ArgumentNullException.ThrowIfNull(wait);
        var scheduler = ThreadScheduler.Current;
        scheduler.EnterSyncForm("Scheduler.ParkThread()", "Scheduler.BlockingCallAsync()");
        scheduler.Park();
        try
        {
            wait();
        }
        finally
        {
            scheduler.Unpark();
        }
    }
}
