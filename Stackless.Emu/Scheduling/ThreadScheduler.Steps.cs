using System.Runtime.CompilerServices;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    /// <summary>The soft tasklet whose step is running now on this thread, or null.</summary>
    public Tasklet? ExecutingSoftOrNull => _executingSoft;

    /// <summary>
    /// Whether <paramref name="tasklet"/> runs a step right now under the context the scheduler installed for it (a
    /// suspension anywhere else, e.g. inside another synchronization context's nested loop, could never be resumed).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsStepping(Tasklet tasklet) =>
        _executingSoft == tasklet && SynchronizationContextOf(_driverThread) == _installedContext;

    /// <summary>
    /// A second await of an awaitable (its token is stale): the awaiting code is resumed as the tasklet's next step, where
    /// <c>GetResult</c> raises the misuse.
    /// </summary>
    public static void ResumeToRaise(Tasklet tasklet, Action continuation)
    {
        if (tasklet.HasResume)
        {
            tasklet.DeferPost(continuation, null);
        }
        else
        {
            tasklet.SetResume(continuation);
        }
    }

    /// <summary>
    /// A soft tasklet tried to suspend on a library operation under another synchronization context (inside
    /// <c>JoinableTaskFactory.Run</c>, <c>AsyncContext.Run</c>): the suspension is undone (it leaves the channel it
    /// blocked on and stays current), the error is delivered, and the awaiting code resumes on that context at once,
    /// where <c>GetResult</c> raises it.
    /// </summary>
    public void UndoSuspensionOutsideStep(Tasklet tasklet, Action continuation)
    {
        if (tasklet.Wait == TaskletWait.Channel)
        {
            tasklet.LeaveChannel();
        }

        if (tasklet.Wait == TaskletWait.None)
        {
            AppendRunnable(tasklet);
        }

        if (tasklet.Wait == TaskletWait.Runnable)
        {
            MakeCurrent(tasklet);
        }

        tasklet.DeliverException(new InvalidOperationException(Diagnostics.ErrorMessages.SuspendedOutsideStep(tasklet)));
        if (SynchronizationContext.Current is { } foreign)
        {
#pragma warning disable VSTHRD001 // The awaiting code resumes on the context it runs under, as an awaiter does.
            foreign.Post(static state => ((Action)state!)(), continuation);
#pragma warning restore VSTHRD001
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(static state => ((Action)state!)(), continuation);
        }
    }

    /// <summary>Undoes <see cref="EnterIo"/> of the running tasklet when registering its foreign continuation failed.</summary>
    public void LeaveIoAfterFailedRegistration(Tasklet tasklet)
    {
        tasklet.LeaveIo();
        _ioPending--;
        tasklet.ClearResume();
        AppendRunnable(tasklet);
        MakeCurrent(tasklet);
    }
}
