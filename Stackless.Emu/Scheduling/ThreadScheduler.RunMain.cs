using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Scheduler.RunMain: the main tasklet's code as an async method, in the spirit of Nito.AsyncEx's AsyncContext.Run.
    // Main's awaits capture its routing context; while main's flow waits for a foreign awaitable, main is blocked on I/O
    // and this thread runs the scheduler; its continuation comes back through the inbox and runs here, as main. Main's
    // synchronous forms keep working inside it (they run the scheduler in place, as always).

    /// <summary>Runs <paramref name="body"/> as the main tasklet's code, then the tasklets until none can run; returns its completed task.</summary>
#pragma warning disable VSTHRD200 // Synchronous: it returns the body's task only once that task has completed.
    public Task RunMain(Func<Task> body)
#pragma warning restore VSTHRD200
    {
        ArgumentNullException.ThrowIfNull(body);
        var caller = EnterSyncForm("Scheduler.RunMain()", "await in the main tasklet");
        if (!caller.IsMain)
        {
            throw new InvalidOperationException(ErrorMessages.RunMainNotMain);
        }

        if (_inRunMain)
        {
            throw new InvalidOperationException(ErrorMessages.RunMainNested);
        }

        ThrowIfOrphanedMainFlow();
        _inRunMain = true;
        var saved = SynchronizationContext.Current;
        var routing = _main.EnsureMainRoutingContext();
        SynchronizationContext.SetSynchronizationContext(routing);
        try
        {
            Task task;
            try
            {
#pragma warning disable VSTHRD003 // Main's own body: it runs here.
                task = body() ?? Task.FromException(new InvalidOperationException("The main body returned a null Task."));
#pragma warning restore VSTHRD003
            }
#pragma warning disable CA1031 // The body's exception is its outcome, raised below like any other.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                task = Task.FromException(ex);
            }

            while (true)
            {
                if (_main.HasResume)
                {
                    _main.RunResume();
                    continue;
                }

                if (task.IsCompleted)
                {
                    break;
                }

                // Main's flow waits for a foreign awaitable: main is blocked on I/O while the scheduler runs.
                EnterIo(_main);
                Drive(_main, exiting: false);
                _main.ThrowIfPending();
            }

            // Main's body has finished: the tasklets run to their end, as after a Scheduler.Run().
            Run(new RunFrame { Caller = _main });
            KillLeftovers();
            return task;
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
            _inRunMain = false;
            _main.ColdIfAny?.DeferredPosts?.Clear(); // continuations of main's abandoned flow, if an error ended it
        }
    }

    /// <summary>Kills the tasklets still alive (blocked for ever) when main's body has left, so their finally blocks run.</summary>
    private void KillLeftovers()
    {
        foreach (var tasklet in AliveTasklets())
        {
            if (tasklet != _main && tasklet.Alive)
            {
                tasklet.Kill(pending: tasklet.Wait == TaskletWait.Io);
            }
        }

        if (_aliveCount > 0)
        {
            Run(new RunFrame { Caller = _main });
        }
    }
}
