namespace Stackless.Emu;

public static partial class Scheduler
{
    // Stackless's schedule(retval) and schedule_remove(retval): the caller's tempval is set to retval before the switch,
    // and what the tempval holds when the caller resumes is taken and returned (normally retval itself; whatever another
    // tasklet stored in Tasklet.TempVal meanwhile; a Bomb stored there is raised instead). Stackless's default retval is
    // the current tasklet: pass Tasklet.Current for it. The parameterless forms return nothing and leave tempval alone.

    /// <summary>
    /// Like <see cref="Schedule()"/>, returning the value the caller resumes with: <paramref name="retval"/>, unless the
    /// caller's <see cref="Tasklet.TempVal"/> was changed meanwhile (Stackless's <c>schedule(retval)</c>). For main and
    /// hard tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static object? Schedule(object? retval)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterSyncForm("Scheduler.Schedule()", "Scheduler.ScheduleAsync()");
        scheduler.SuspendSync(caller, scheduler.ScheduleWithRetval(caller, remove: false, retval));
        return caller.TakeTempVal();
    }

    /// <summary>Asynchronous form of <see cref="Schedule(object)"/>, for soft tasklets; the await returns the value.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets (main and hard tasklets complete it synchronously).</remarks>
    public static TempValAwaitable ScheduleAsync(object? retval)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        return scheduler.SuspendWithTempVal(caller, scheduler.ScheduleWithRetval(caller, remove: false, retval));
    }

    /// <summary>
    /// Like <see cref="ScheduleRemove()"/>, returning the value the caller resumes with: <paramref name="retval"/>, unless
    /// the caller's <see cref="Tasklet.TempVal"/> was changed meanwhile (Stackless's <c>schedule_remove(retval)</c>). For
    /// main and hard tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static object? ScheduleRemove(object? retval)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterSyncForm("Scheduler.ScheduleRemove()", "Scheduler.ScheduleRemoveAsync()");
        scheduler.SuspendSync(caller, scheduler.ScheduleWithRetval(caller, remove: true, retval));
        return caller.TakeTempVal();
    }

    /// <summary>Asynchronous form of <see cref="ScheduleRemove(object)"/>, for soft tasklets; the await returns the value.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets (main and hard tasklets complete it synchronously).</remarks>
    public static TempValAwaitable ScheduleRemoveAsync(object? retval)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        return scheduler.SuspendWithTempVal(caller, scheduler.ScheduleWithRetval(caller, remove: true, retval));
    }
}
