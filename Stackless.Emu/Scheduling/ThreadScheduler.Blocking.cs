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
        // A wait abandoned to raise an error in the caller leaves its registration behind: each wait is its own object.
        while (!task.IsCompleted)
        {
            var wait = new ThreadedWait(caller);
            EnterIo(caller, waitingFor: wait);
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(wait.Complete);
            Drive(caller, exiting: false);
            caller.ThrowIfPending();
        }
    }

    /// <summary>Hands in the completion of a <see cref="ThreadedWait"/> (any thread).</summary>
    public void PostWaitDone(ThreadedWait wait) => PostItem(new InboxItem(InboxItemKind.WaitDone, wait.Tasklet, wait, null));

    /// <summary>Delivers the completion of a <see cref="ThreadedWait"/>: the tasklet runs again unless the wait was abandoned.</summary>
    private void DeliverWaitDone(Tasklet tasklet, ThreadedWait wait)
    {
        if (tasklet.Wait == TaskletWait.Io && tasklet.WaitingOn == wait)
        {
            _ioPending--;
            if (!tasklet.LeaveIo())
            {
                AppendRunnable(tasklet);
                ReinsertJoinersAfter(tasklet);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="tasklet"/>, a main or hard tasklet waiting for I/O, may be made runnable at once to raise an
    /// error in it: main waiting in RunMain for its flow, or a wait for a task. A hard tasklet inside a blocking call cannot
    /// (its thread is busy in the call); it raises when the call returns.
    /// </summary>
    private bool CanAbandonWait(Tasklet tasklet) =>
        tasklet.IsThreaded && (tasklet.WaitingOn is ThreadedWait || (tasklet == _main && _inRunMain && tasklet.WaitingOn is null));

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
        if (WaitForBaton(caller))
        {
            Drive(caller, exiting: false);
        }

        caller.ThrowIfPending();
        if (error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
        }

        return result;
    }
}
