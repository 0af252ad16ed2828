using System.Runtime.CompilerServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// Entry points of cooperative I/O: sleeping, interrupting a tasklet's pending cooperative I/O, and the rule every
/// synchronous wrapper follows. A synchronous wrapper method suspends only the calling tasklet (main or hard) while
/// the asynchronous operation underneath runs and the scheduler runs the other tasklets; called from a soft tasklet
/// it raises <see cref="InvalidOperationException"/> naming its asynchronous form. On a thread that never used the
/// scheduler the calling thread is the main tasklet with nothing else to run, so the synchronous forms simply wait.
/// </summary>
public static class Cooperative
{
    /// <summary>
    /// The clock that drives <see cref="Sleep(TimeSpan)"/> and <see cref="SleepAsync(TimeSpan, CancellationToken)"/>: the
    /// library's process-wide <see cref="StacklessSettings.TimeProvider"/> (set it there; tests set a fake one).
    /// </summary>
    private static TimeProvider Clock => StacklessSettings.TimeProvider;

    /// <summary>
    /// Suspends only the calling tasklet (main or hard) for <paramref name="delay"/>, measured by
    /// <see cref="StacklessSettings.TimeProvider"/>; the other tasklets run meanwhile. The cooperative form of <see cref="Thread.Sleep(TimeSpan)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from a soft tasklet (use <see cref="SleepAsync(TimeSpan, CancellationToken)"/>).</exception>
    /// <remarks>Thread safety: any thread: suspends the calling main or hard tasklet of the calling thread's scheduler.</remarks>
    public static void Sleep(TimeSpan delay) =>
        Wait(token => new ValueTask(Task.Delay(delay, Clock, token)), "Cooperative.Sleep()", "Cooperative.SleepAsync()");

    /// <summary>Like <see cref="Sleep(TimeSpan)"/>, in milliseconds (the cooperative form of <see cref="Thread.Sleep(int)"/>).</summary>
    /// <remarks>Thread safety: any thread: suspends the calling main or hard tasklet of the calling thread's scheduler.</remarks>
    public static void Sleep(int millisecondsTimeout) =>
        Sleep(millisecondsTimeout == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(millisecondsTimeout));

    /// <summary>Waits for <paramref name="delay"/> measured by <see cref="StacklessSettings.TimeProvider"/>; for soft tasklets (and any async code).</summary>
    /// <remarks>Thread safety: any thread, any code.</remarks>
    public static Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken = default) =>
        PassThroughAsync(token => new ValueTask(Task.Delay(delay, Clock, token)), cancellationToken).AsTask();

    /// <summary>
    /// Interrupts the operation <paramref name="tasklet"/> is blocked on I/O in without killing it: raises
    /// <see cref="OperationCanceledException"/> in it, which cancels its <see cref="Tasklet.CancellationToken"/> and so
    /// the cooperative operation (a read, accept, sleep, ... made through this library; one that ignores cancellation
    /// is abandoned). The tasklet sees the <see cref="OperationCanceledException"/> and may go on (its next operations
    /// get a fresh token). Returns whether the tasklet was blocked on I/O; a tasklet that is not is left alone.
    /// </summary>
    /// <remarks>Thread safety: any thread. For a tasklet of another thread the answer is a snapshot and the exception is
    /// delivered by its own scheduler (<see cref="Tasklet.Throw(Exception, bool)"/>'s rule).</remarks>
    public static bool CancelIo(Tasklet tasklet)
    {
        ArgumentNullException.ThrowIfNull(tasklet);
        if (!tasklet.BlockedOnIO)
        {
            return false;
        }

        tasklet.Throw(new OperationCanceledException("The tasklet's pending I/O was cancelled (Cooperative.CancelIo)."), pending: true);
        return true;
    }

    /// <summary>
    /// Kills <paramref name="tasklet"/>: the same as <see cref="Tasklet.Kill(bool)"/>, which cancels the tasklet's
    /// <see cref="Tasklet.CancellationToken"/> and so interrupts a cooperative operation it is blocked in (its
    /// <c>finally</c> blocks run as soon as the cancelled operation returns). Kept from before the core had that hook;
    /// unlike <see cref="Tasklet.Kill(bool)"/> it may be called from a soft tasklet for a target blocked on I/O (such a
    /// kill never switches, so it is always made pending).
    /// </summary>
    /// <param name="tasklet">The tasklet to kill.</param>
    /// <param name="pending">As for <see cref="Tasklet.Kill(bool)"/>; a tasklet blocked on I/O is always killed pending.</param>
    /// <remarks>Thread safety: any thread, as <see cref="Tasklet.Kill(bool)"/>.</remarks>
    public static void Kill(Tasklet tasklet, bool pending = false)
    {
        ArgumentNullException.ThrowIfNull(tasklet);
        tasklet.Kill(pending || tasklet.BlockedOnIO);
    }

    /// <summary>
    /// The calling tasklet, for an operation that may suspend it: such an operation is a switch point, so it first raises
    /// what a kill or throw delivered meanwhile. (A kill that lands just after the tasklet's previous operation completed
    /// finds no operation to cancel: the tasklet resumes normally, and without this its next operation would start with
    /// a fresh token and wait on, the kill still pending.)
    /// </summary>
    internal static Tasklet EnterOperation()
    {
        var caller = Tasklet.Current;
        caller.ThrowIfPending();
        return caller;
    }

    /// <summary>Throws the core's soft-tasklet error (<see cref="ErrorMessages.SyncFormInSoftTasklet"/>) if the calling tasklet is soft; returns it otherwise.</summary>
    internal static Tasklet EnterSync(string syncName, string asyncName) => ThreadScheduler.Current.EnterSyncForm(syncName, asyncName);

    /// <summary>Whether the calling tasklet is soft: its synchronous forms may only complete what needs no waiting.</summary>
    internal static bool InSoftTasklet => Tasklet.Current.Kind == TaskletKind.Soft;

    /// <summary>
    /// The error a synchronous form raises in a soft tasklet when the call would wait: the core's soft-tasklet message
    /// and why this call cannot complete at once. Raised before anything was started, so nothing is lost or duplicated.
    /// </summary>
    internal static InvalidOperationException WouldWait(string syncName, string asyncName, string reason) =>
        new($"{ErrorMessages.SyncFormInSoftTasklet(syncName, asyncName)} (It would wait: {reason}.)");

    /// <summary>
    /// True when the caller may simply call the original blocking API: it is the main tasklet and nothing else could
    /// run while it waits (no other runnable tasklet, nothing waiting for I/O), e.g. a thread that never used tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: about the calling thread's scheduler.</remarks>
    public static bool CanBlockDirectly
    {
        get
        {
            var caller = Tasklet.Current;
            return caller.Kind == TaskletKind.Main && Scheduler.RunCount <= 1 && Scheduler.IoPendingCount == 0;
        }
    }

    /// <summary>Runs <paramref name="operation"/> with the caller's <see cref="Tasklet.CancellationToken"/>; suspends only the calling (main or hard) tasklet until it completes.</summary>
    internal static T Wait<T>(Func<CancellationToken, ValueTask<T>> operation, string syncName, string asyncName)
    {
        var caller = EnterSync(syncName, asyncName);
        caller.ThrowIfPending();
        var token = caller.CancellationToken;
        var pending = operation(token);
        if (pending.IsCompleted)
        {
#pragma warning disable VSTHRD002 // Completed: this only unwraps the result.
            return pending.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }

        // A kill or throw cancels the token; Scheduler.WaitFor then raises the delivered exception, not the cancellation.
        return Scheduler.WaitFor(AbandonableAsync(pending.AsTask(), token));
    }

    /// <summary>Like <see cref="Wait{T}"/>, for an operation without a result.</summary>
    internal static void Wait(Func<CancellationToken, ValueTask> operation, string syncName, string asyncName) =>
        Wait(
            async token =>
            {
                await operation(token).ConfigureAwait(false);
                return true;
            },
            syncName,
            asyncName);

    /// <summary>
    /// Runs <paramref name="operation"/> for asynchronous callers with the calling tasklet's
    /// <see cref="Tasklet.CancellationToken"/> (so that a kill or throw reaches it) linked to
    /// <paramref name="cancellationToken"/>. A cancellation caused by a kill surfaces as <see cref="TaskletExit"/> (by a
    /// throw, as the thrown exception), not as <see cref="OperationCanceledException"/>.
    /// </summary>
    internal static async ValueTask<T> PassThroughAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        // Taken before the first await: the continuation runs on whatever thread completed the operation.
        var caller = EnterOperation();
        var taskletToken = caller.CancellationToken;
        var token = taskletToken;
        CancellationTokenSource? linked = null;
        if (cancellationToken.CanBeCanceled)
        {
            linked = CancellationTokenSource.CreateLinkedTokenSource(taskletToken, cancellationToken);
            token = linked.Token;
        }

        try
        {
            var pending = operation(token);
            if (pending.IsCompleted)
            {
                return await pending.ConfigureAwait(false);
            }

            return await AbandonableAsync(pending.AsTask(), token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (taskletToken.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            RaiseInterrupt(caller);
            throw;
        }
        finally
        {
            linked?.Dispose();
        }
    }

    /// <summary>
    /// The lean form of <see cref="PassThroughAsync{T}"/> for an operation that honours its token (sockets): it was
    /// started with <paramref name="taskletToken"/>, the calling tasklet's <see cref="Tasklet.CancellationToken"/>, so it
    /// needs no abandonment wrapper; a synchronous completion costs nothing more.
    /// </summary>
    internal static ValueTask<T> InterruptibleAsync<T>(ValueTask<T> pending, Tasklet caller, CancellationToken taskletToken) =>
        pending.IsCompletedSuccessfully ? pending : InterruptibleSlowAsync(pending, caller, taskletToken);

    /// <remarks>
    /// Pooled boxes: no allocation per pending operation. The continuation runs where the operation completes (the
    /// caller's own await hands the tasklet back): capturing the scheduler's context would send every completion through
    /// a posted-work tasklet before the tasklet's own hand-back.
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<T> InterruptibleSlowAsync<T>(ValueTask<T> pending, Tasklet caller, CancellationToken taskletToken)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (taskletToken.IsCancellationRequested)
        {
            RaiseInterrupt(caller);
            throw;
        }
    }

    /// <summary>
    /// Raises in place of an operation's cancellation what the kill or throw that cancelled it delivered to
    /// <paramref name="caller"/> (a <see cref="TaskletExit"/> for a kill): taken atomically, so it is raised once, here,
    /// and not again at the tasklet's next switch. Runs on whatever thread completed the operation. Returns when nothing
    /// is pending (the caller then rethrows the cancellation).
    /// </summary>
    private static void RaiseInterrupt(Tasklet caller) => caller.TakePendingFromAnyThread()?.Throw();

    /// <summary>Like <see cref="PassThroughAsync{T}"/>, for an operation without a result.</summary>
    internal static ValueTask PassThroughAsync(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken)
    {
        var result = PassThroughAsync(
            async token =>
            {
                await operation(token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
        return result.IsCompletedSuccessfully ? default : new ValueTask(result.AsTask());
    }

    /// <summary>
    /// The task itself, or, if <paramref name="token"/> can fire, a task that also ends when it fires: an underlying
    /// API that ignores cancellation is abandoned (its late failure is observed, not left unobserved).
    /// </summary>
#pragma warning disable VSTHRD003 // The caller started the task; this only adds a way to stop waiting for it.
    private static Task<T> AbandonableAsync<T>(Task<T> task, CancellationToken token)
    {
        if (!token.CanBeCanceled || task.IsCompleted)
        {
            return task;
        }

        _ = task.ContinueWith(
            static t => _ = t.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task.WaitAsync(token);
    }
#pragma warning restore VSTHRD003
}
