using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The awaitable of a library operation that waits for something outside the scheduler (<c>Scheduler.SleepAsync</c>,
/// <c>Scheduler.BlockingCallAsync</c>): while it waits the tasklet is blocked on I/O, and a <see cref="Tasklet.Kill"/> or
/// <see cref="Tasklet.Throw(Exception, bool)"/> that arrives meanwhile is what the await raises (a <see cref="TaskletExit"/>
/// ends the tasklet quietly), never the operation's own cancellation, nor a result that would let the tasklet carry on.
/// Await it once.
/// </summary>
public readonly struct InterruptibleAwaitable : ICriticalNotifyCompletion
{
    private readonly Task _task;

    internal InterruptibleAwaitable(Task task) => _task = task;

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public InterruptibleAwaitable GetAwaiter() => this;

    /// <summary>True when the operation has completed.</summary>
    public bool IsCompleted => _task.IsCompleted;

    /// <summary>Resumes the awaiting code when the operation completes.</summary>
    public void OnCompleted(Action continuation) => _task.GetAwaiter().OnCompleted(continuation);

    /// <summary>Resumes the awaiting code when the operation completes.</summary>
    public void UnsafeOnCompleted(Action continuation) => _task.GetAwaiter().UnsafeOnCompleted(continuation);

    /// <summary>Raises a kill or throw delivered while waiting; otherwise the operation's outcome.</summary>
    public void GetResult()
    {
        InterruptibleAwaitables.ThrowIfInterrupted();
#pragma warning disable VSTHRD002 // The await pattern: called once the task has completed.
        _task.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>The operation as a <see cref="Task"/> (for <c>Task.WhenAny</c> and the like; awaiting it directly is interruptible too).</summary>
    /// <remarks>Thread safety: any thread; the same task on every call.</remarks>
#pragma warning disable VSTHRD003, VSTHRD200 // The operation's own task, handed out as is (the name follows ValueTask.AsTask).
    public Task AsTask() => _task;
#pragma warning restore VSTHRD003, VSTHRD200
}

/// <summary>The result-returning form of <see cref="InterruptibleAwaitable"/>.</summary>
/// <typeparam name="T">The operation's result type.</typeparam>
public readonly struct InterruptibleAwaitable<T> : ICriticalNotifyCompletion
{
    private readonly Task<T> _task;

    internal InterruptibleAwaitable(Task<T> task) => _task = task;

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public InterruptibleAwaitable<T> GetAwaiter() => this;

    /// <summary>True when the operation has completed.</summary>
    public bool IsCompleted => _task.IsCompleted;

    /// <summary>Resumes the awaiting code when the operation completes.</summary>
    public void OnCompleted(Action continuation) => _task.GetAwaiter().OnCompleted(continuation);

    /// <summary>Resumes the awaiting code when the operation completes.</summary>
    public void UnsafeOnCompleted(Action continuation) => _task.GetAwaiter().UnsafeOnCompleted(continuation);

    /// <summary>Raises a kill or throw delivered while waiting; otherwise the operation's result.</summary>
    public T GetResult()
    {
        InterruptibleAwaitables.ThrowIfInterrupted();
#pragma warning disable VSTHRD002 // The await pattern: called once the task has completed.
        return _task.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>The operation as a <see cref="Task{TResult}"/>.</summary>
    /// <remarks>Thread safety: any thread; the same task on every call.</remarks>
#pragma warning disable VSTHRD003, VSTHRD200 // The operation's own task, handed out as is (the name follows ValueTask.AsTask).
    public Task<T> AsTask() => _task;
#pragma warning restore VSTHRD003, VSTHRD200
}

/// <summary>What the interruptible awaitables share.</summary>
internal static class InterruptibleAwaitables
{
    /// <summary>Raises what a kill or throw delivered to the calling tasklet, if anything.</summary>
    public static void ThrowIfInterrupted()
    {
        if (ThreadScheduler.CurrentOrNull?.Executing is { HasPending: true } current)
        {
            current.ThrowIfPending();
        }
    }

    /// <summary>
    /// The token an operation of the calling tasklet waits with: the tasklet's own (a kill cancels it), linked with
    /// <paramref name="token"/> when one is given; <paramref name="linked"/> is the source to dispose afterwards.
    /// </summary>
    public static CancellationToken TaskletToken(CancellationToken token, out CancellationTokenSource? linked)
    {
        var own = ThreadScheduler.Current.Executing.CancellationToken;
        if (!token.CanBeCanceled)
        {
            linked = null;
            return own;
        }

        linked = CancellationTokenSource.CreateLinkedTokenSource(own, token);
        return linked.Token;
    }
}
