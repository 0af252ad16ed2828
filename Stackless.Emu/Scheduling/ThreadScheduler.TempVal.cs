namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // The switches that return the value the caller resumes with (Stackless's tempval): schedule(retval),
    // schedule_remove(retval), tasklet.run() and tasklet.switch(). The value travels in the caller's TempVal.

    /// <summary>
    /// Stackless's <c>schedule(retval)</c>/<c>schedule_remove(retval)</c>: stores <paramref name="retval"/> in the caller's
    /// tempval and schedules; returns whether the caller must suspend. If the operation raises, the tempval is restored.
    /// </summary>
    public bool ScheduleWithRetval(Tasklet caller, bool remove, object? retval)
    {
        var saved = caller.TempVal;
        caller.TempVal = retval;
        try
        {
            return ScheduleCore(caller, remove);
        }
        catch
        {
            caller.TempVal = saved;
            throw;
        }
    }

    /// <summary>Completes an asynchronous form that returns the caller's tempval; main and hard tasklets complete it synchronously.</summary>
    public TempValAwaitable SuspendWithTempVal(Tasklet caller, bool mustSuspend)
    {
        if (caller.IsThreaded)
        {
            SuspendSync(caller, mustSuspend);
            return new TempValAwaitable(caller, suspends: false);
        }

        if (_watchdog is not null)
        {
            mustSuspend = AtSwitchPoint(caller, mustSuspend);
        }

        return new TempValAwaitable(caller, mustSuspend);
    }
}
