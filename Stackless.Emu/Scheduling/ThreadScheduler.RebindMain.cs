using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Rebinding the main tasklet (Stackless's stackless.main.bind(f) from another tasklet, TestBind.test_rebind_main).
    // Stackless drops main's frames and runs f as main when main next resumes. Here main's code is the thread's own
    // stack, which .NET cannot drop without running its finally blocks: when main resumes, the new body runs as main's
    // code (as under Scheduler.RunMain) deeper on that stack, and the old code never continues: once the new body has
    // completed, the thread stays parked for good, as Stackless's thread does ("highly discouraged, because it will
    // deadlock if the thread is a non daemon thread"). Other threads may still operate on its tasklets (it is parked).
    // An exception of the new body is raised on the thread instead: it is main's error, so it unwinds the old code.

    /// <summary>Runs <paramref name="body"/>, main's new binding, as main's code; returns only by raising its exception.</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public void RunReboundMain(Func<Task> body)
    {
        Exception? error = null;
        try
        {
#pragma warning disable VSTHRD002 // Completed: RunMain returns only once the task has completed.
            RunMain(body).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }
#pragma warning disable CA1031 // Main's error: raised below, on the thread.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
        }

        if (error is not null)
        {
            ExceptionDispatchInfo.Throw(error);
        }

        Park();
        Thread.Sleep(Timeout.Infinite);
        throw new InvalidOperationException("unreachable: a rebound main's thread stays parked");
    }
}
