using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // A kill or throw that does not wait (pending=False) returns "when the tasklet has died or suspended again". A target
    // that waits for I/O, or whose wake from another thread is on the way, cannot run yet: the caller (a "joiner") waits
    // in TaskletWait.Io for it; when the target is handed back it runs, and its joiners run right after its step.

    /// <summary>Makes <paramref name="caller"/> wait until <paramref name="target"/>, interrupted while it could not run, has run.</summary>
    public void JoinInterrupted(Tasklet caller, Tasklet target)
    {
        Debug.Assert(caller != target && caller.Wait == TaskletWait.Runnable);
        (target.Cold.Joiners ??= []).Add(caller);
        EnterIo(caller, waitingFor: target);
    }

    /// <summary>The target was handed back and appended: its joiners run right after it.</summary>
    private void ReinsertJoinersAfter(Tasklet target)
    {
        if (target.ColdIfAny?.Joiners is not { Count: > 0 } joiners)
        {
            return;
        }

        // Inserted after the target in reverse, so they run in the order they joined.
        for (var i = joiners.Count - 1; i >= 0; i--)
        {
            var joiner = joiners[i];
            if (joiner.Wait == TaskletWait.Io)
            {
                joiner.LeaveIo();
                _ioPending--;
                InsertRunnableAfter(target, joiner);
            }
        }

        joiners.Clear();
    }

    /// <summary>The target died: its joiners become runnable.</summary>
    private void ReleaseJoiners(Tasklet target)
    {
        if (target.ColdIfAny?.Joiners is not { Count: > 0 } joiners)
        {
            return;
        }

        foreach (var joiner in joiners)
        {
            if (joiner.Wait == TaskletWait.Io)
            {
                joiner.LeaveIo();
                _ioPending--;
                AppendRunnable(joiner);
            }
        }

        joiners.Clear();
    }
}
