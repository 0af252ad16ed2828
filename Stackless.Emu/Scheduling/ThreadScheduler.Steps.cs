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
