using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Threaded tasklets (main and hard) each own an OS thread. Only the baton holder runs: handing the baton on
    // releases the next tasklet's signal, then the giver waits on its own. So exactly one tasklet runs at a time.

    /// <summary>Gives the baton to the threaded tasklet <paramref name="next"/>, starting its thread on first use.</summary>
    private void PassBaton(Tasklet next)
    {
        NotifySwitch(next);
        if (!next.Started)
        {
            next.MarkStarted();
            HardTaskletThreads.Start(next);
        }

        next.BatonSignal!.Release();
    }

    /// <summary>The body of a hard tasklet's thread, run once the tasklet first receives the baton.</summary>
    internal void RunHardTasklet(Tasklet tasklet)
    {
        Debug.Assert(tasklet.Kind == TaskletKind.Hard);
        BindThread(this);
        try
        {
            if (WaitForBaton(tasklet))
            {
                ResumeDriving();
            }

            Exception? error = null;
            try
            {
                tasklet.ThrowIfPending();
                tasklet.RunHardBody();
            }
#pragma warning disable CA1031 // The body's exception is the tasklet's result: it goes to main like any other.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                error = ex;
            }

            EndHardTasklet(tasklet, error);
        }
        finally
        {
            BindThread(null);
        }
    }
}
