using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    /// <summary>Marks the threaded tasklet <paramref name="tasklet"/> as waiting for a call or task outside the scheduler.</summary>
    public void EnterBlockingCall(Tasklet tasklet)
    {
        Debug.Assert(tasklet.IsThreaded && tasklet == _current);
        EnterIo(tasklet);
    }

    /// <summary>
    /// Blocks the threaded tasklet <paramref name="caller"/> on I/O until <paramref name="task"/> completes, running
    /// the scheduler on the caller's thread meanwhile.
    /// </summary>
    public void SuspendUntilComplete(Tasklet caller, Task task)
    {
        EnterBlockingCall(caller);
        task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() => PostTasklet(caller));
        Drive(caller, exiting: false);
        caller.ThrowIfPending();
    }

    /// <summary>
    /// Runs <paramref name="call"/> on the hard tasklet <paramref name="caller"/>'s own thread with the baton handed to
    /// the main tasklet's thread, which runs the scheduler meanwhile.
    /// </summary>
    public T RunOutsideBaton<T>(Tasklet caller, Func<T> call)
    {
        Debug.Assert(caller.Kind == TaskletKind.Hard);
        EnterBlockingCall(caller);

        // Main is waiting in Drive for its baton whenever a hard tasklet runs; woken, it dispatches whatever is current.
        _main.BatonSignal!.Release();
        T result;
        Exception? error = null;
        try
        {
            result = call();
        }
#pragma warning disable CA1031 // Re-raised below, once this tasklet holds the baton again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            error = ex;
            result = default!;
        }

        PostTasklet(caller);
        WaitForBaton(caller);
        Drive(caller, exiting: false);
        caller.ThrowIfPending();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }
}
