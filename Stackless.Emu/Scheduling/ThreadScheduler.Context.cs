using System.Runtime.CompilerServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // The contexts a step runs under. SynchronizationContext: the scheduler's public context, or the routing context of an
    // async-delegate tasklet (the runtime's builder captures it at every await, so foreign continuations come back to
    // that tasklet); installed only when it differs from the one installed, so a loop of TaskletFrame tasklets never
    // writes it. ExecutionContext: a tasklet runs under the one captured when it was set up (as Task.Run does), kept
    // across its steps; with no AsyncLocal in use both sides are null and a step costs two field loads.
    // The driving thread's fields are reached through UnsafeAccessor on the cached Thread object, not thread statics.

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_executionContext")]
    private static extern ref ExecutionContext? ExecutionContextOf(Thread thread);

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_synchronizationContext")]
    private static extern ref SynchronizationContext? SynchronizationContextOf(Thread thread);

    [UnsafeAccessor(UnsafeAccessorKind.StaticField, Name = "Default")]
    private static extern ref ExecutionContext DefaultExecutionContext(ExecutionContext? unused);

    /// <summary>The empty execution context (<c>ExecutionContext.Default</c>, no AsyncLocal values).</summary>
    internal static ExecutionContext EmptyExecutionContext => DefaultExecutionContext(null);

    /// <summary>What a <see cref="Drive"/> call restores when it returns to its tasklet's own code.</summary>
    internal readonly record struct DriverState(SynchronizationContext? Context, ExecutionContext? ExecutionContext, nuint DriveStackTop);

    /// <summary>Starts driving on the calling thread; returns what to restore on leaving.</summary>
    private DriverState EnterDriver()
    {
        _driveDepth++;
        ResumeDriving();
        var thread = _driverThread;
        var saved = new DriverState(SynchronizationContextOf(thread), ExecutionContextOf(thread), _driveStackTop);
        _installedContext = saved.Context;
        return saved;
    }

    /// <summary>Takes the loop over on the calling thread (a hard tasklet's, after receiving the baton).</summary>
    private void ResumeDriving()
    {
        var thread = Thread.CurrentThread;
        if (thread != _driverThread)
        {
            _driverThread = thread;
            _driverThreadId = thread.ManagedThreadId;
        }

        _installedContext = SynchronizationContextOf(thread);
    }

    /// <summary>Restores the driving tasklet's own contexts.</summary>
    private void ExitDriver(in DriverState saved)
    {
        _driveDepth--;
        _driveStackTop = saved.DriveStackTop;
        var thread = Thread.CurrentThread;
        SynchronizationContextOf(thread) = saved.Context;
        _installedContext = saved.Context;
        if (ExecutionContextOf(thread) != saved.ExecutionContext)
        {
            RestoreExecutionContext(saved.ExecutionContext);
        }
    }

    /// <summary>Installs <paramref name="context"/> as the driving thread's synchronization context.</summary>
    internal void InstallContext(SynchronizationContext context)
    {
        SynchronizationContextOf(_driverThread) = context;
        _installedContext = context;
    }

    /// <summary>Makes <paramref name="context"/> (null: the default) the driving thread's execution context.</summary>
    private static void RestoreExecutionContext(ExecutionContext? context) =>
        ExecutionContext.Restore(context ?? DefaultExecutionContext(null));

    /// <summary>
    /// Registers, once, for the body of an async-delegate tasklet that went to foreign I/O, a check that it does not
    /// finish on another thread: code that left the scheduler thread (<c>ConfigureAwait(false)</c>,
    /// <c>await TaskScheduler.Default</c>, a continuation run inline on another thread) is reported in main, naming the
    /// tasklet, instead of leaving it waiting for I/O for ever.
    /// </summary>
    private void WatchBodyOffThread(Tasklet tasklet)
    {
        if (tasklet.RoutingContext is not { Watched: false } routing || routing.BodyTask is not { } body)
        {
            return;
        }

        routing.Watched = true;
        body.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(() =>
        {
            if (Environment.CurrentManagedThreadId != _driverThreadId || _driveDepth == 0)
            {
                PostAction(() => OnBodyFinishedOffThread(tasklet, body));
            }
        });
    }

    /// <summary>On the scheduler's thread: a tasklet's body finished on another thread while the tasklet waited for I/O.</summary>
    private void OnBodyFinishedOffThread(Tasklet tasklet, Task body)
    {
        if (!tasklet.Alive || tasklet.Wait != TaskletWait.Io || tasklet.BodyTask != body)
        {
            return; // it finished on its own thread after all
        }

        tasklet.LeaveIo();
        _ioPending--;
        AppendRunnable(tasklet);
        var cause = body.IsCompletedSuccessfully ? null : body.Exception?.InnerException ?? new TaskCanceledException(body);
        FinishTasklet(tasklet, new InvalidOperationException(ErrorMessages.LeftSchedulerThread(tasklet), cause));
    }
}
