namespace Stackless.Emu;

public static partial class Scheduler
{
    /// <summary>
    /// Suspends only the calling tasklet until <paramref name="task"/> completes, while the other tasklets run; then
    /// returns, or raises the task's exception. For main and hard tasklets: this is how synchronous code waits for
    /// asynchronous I/O cooperatively (soft tasklets simply <c>await</c> the task). Not sync-over-async: the calling
    /// thread runs the scheduler meanwhile instead of blocking.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void WaitFor(Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        if (!task.IsCompleted)
        {
            var scheduler = ThreadScheduler.Current;
            var caller = scheduler.EnterSyncForm("Scheduler.WaitFor()", "the task itself (await task)");
            scheduler.SuspendUntilComplete(caller, task);
        }

#pragma warning disable VSTHRD002 // The task has completed: this only unwraps its result or exception.
        task.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>Like <see cref="WaitFor(Task)"/>, returning the task's result.</summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static T WaitFor<T>(Task<T> task)
    {
        WaitFor((Task)task);
#pragma warning disable VSTHRD002 // Completed above.
        return task.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>
    /// Runs a blocking call outside the scheduler, like releasing Python's GIL, so that only the calling tasklet waits:
    /// a hard tasklet runs it on its own thread after handing the baton on; the main tasklet runs it on the thread pool
    /// and runs the scheduler meanwhile. Exceptions from <paramref name="call"/> reach the caller.
    /// Soft tasklets use <see cref="BlockingCallAsync{T}(Func{T})"/>.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static T BlockingCall<T>(Func<T> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterSyncForm("Scheduler.BlockingCall()", "Scheduler.BlockingCallAsync()");
        if (caller.Kind == TaskletKind.Hard)
        {
            return scheduler.RunOutsideBaton(caller, call);
        }

        return WaitFor(Task.Run(call));
    }

    /// <summary>Like <see cref="BlockingCall{T}(Func{T})"/>, for a call without a result.</summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void BlockingCall(Action call)
    {
        ArgumentNullException.ThrowIfNull(call);
        BlockingCall(() =>
        {
            call();
            return true;
        });
    }

    /// <summary>
    /// Runs a blocking call on the thread pool and suspends only the calling soft tasklet until it returns; exceptions
    /// from <paramref name="call"/> reach the caller. A kill or throw that arrives meanwhile is raised when the call has
    /// returned (a blocking call cannot be interrupted), and the tasklet does not carry on. On main and hard tasklets it
    /// behaves like <see cref="BlockingCall{T}(Func{T})"/>.
    /// </summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets.</remarks>
    public static InterruptibleAwaitable<T> BlockingCallAsync<T>(Func<T> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return new(Current.IsThreaded ? Task.FromResult(BlockingCall(call)) : Task.Run(call));
    }

    /// <summary>Like <see cref="BlockingCallAsync{T}(Func{T})"/>, for a call without a result.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets.</remarks>
    public static InterruptibleAwaitable BlockingCallAsync(Action call)
    {
        ArgumentNullException.ThrowIfNull(call);
        if (Current.IsThreaded)
        {
            BlockingCall(call);
            return new(Task.CompletedTask);
        }

        return new(Task.Run(call));
    }

    /// <summary>
    /// Suspends only the calling tasklet for <paramref name="delay"/>, driven by <paramref name="timeProvider"/>
    /// (<see cref="StacklessSettings.TimeProvider"/> when null; a fake one in tests); other tasklets run meanwhile. A cancellation
    /// of <paramref name="cancellationToken"/> ends the sleep early with <see cref="OperationCanceledException"/>; a kill
    /// or throw ends it at once with the delivered exception. For main and hard tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void Sleep(TimeSpan delay, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        var token = InterruptibleAwaitables.TaskletToken(cancellationToken, out var linked);
        try
        {
            WaitFor(Task.Delay(delay, timeProvider ?? StacklessSettings.TimeProvider, token));
        }
        finally
        {
            linked?.Dispose();
        }
    }

    /// <summary>Asynchronous form of <see cref="Sleep"/>, for soft tasklets; a kill or throw ends it with the delivered exception.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets.</remarks>
    public static InterruptibleAwaitable SleepAsync(TimeSpan delay, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default)
    {
        if (Current.IsThreaded)
        {
            Sleep(delay, timeProvider, cancellationToken);
            return new(Task.CompletedTask);
        }

        var token = InterruptibleAwaitables.TaskletToken(cancellationToken, out var linked);
        var sleep = Task.Delay(delay, timeProvider ?? StacklessSettings.TimeProvider, token);
        if (linked is not null)
        {
            _ = sleep.ContinueWith(static (_, source) => ((CancellationTokenSource)source!).Dispose(), linked, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        return new(sleep);
    }
}
