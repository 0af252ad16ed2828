// The builders return the task they build: VSTHRD003 (returning a foreign task) does not apply.
#pragma warning disable VSTHRD003

using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// An async method builder for <see cref="Task"/>-returning methods that makes deep recursion safe in soft tasklets,
/// the way Stackless's soft switching keeps frames off the C stack. Apply it to a recursive async method:
/// <c>[AsyncMethodBuilder(typeof(StackSafeTaskMethodBuilder))] async Task Recurse(int n) { ... }</c>.
/// When the thread's stack runs low, the method does not start on the caller's stack: its first step is handed to
/// the tasklet's scheduler, the callers suspend (their frames are already on the heap), and the step runs from the
/// scheduler loop on a fresh stack. Unwinding is safe anyway: the runtime posts continuations back to the scheduler
/// when the stack is deep. Outside a soft tasklet it behaves exactly like the default builder.
/// </summary>
public struct StackSafeTaskMethodBuilder
{
    private AsyncTaskMethodBuilder _inner;

    /// <summary>Creates a builder (the compiler's entry point).</summary>
    public static StackSafeTaskMethodBuilder Create() => new() { _inner = AsyncTaskMethodBuilder.Create() };

    /// <summary>The task of the method.</summary>
    public Task Task => _inner.Task;

    /// <summary>Starts the method now, or, when the stack is low inside a soft tasklet, from the scheduler loop.</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (StackSafety.MustDefer())
        {
            var yield = default(StackSafety.DeferAwaiter);
            _inner.AwaitUnsafeOnCompleted(ref yield, ref stateMachine);
        }
        else
        {
            _inner.Start(ref stateMachine);
        }
    }

    /// <summary>Part of the builder pattern; unused by the compiler for async methods.</summary>
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine) => _inner.SetStateMachine(stateMachine);

    /// <summary>Completes the task successfully.</summary>
    public void SetResult() => _inner.SetResult();

    /// <summary>Completes the task with an exception.</summary>
    public void SetException(Exception exception) => _inner.SetException(exception);

    /// <summary>Schedules the continuation of an await.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine => _inner.AwaitOnCompleted(ref awaiter, ref stateMachine);

    /// <summary>Schedules the continuation of an await.</summary>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine => _inner.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary>The <see cref="Task{TResult}"/> form of <see cref="StackSafeTaskMethodBuilder"/>.</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
public struct StackSafeTaskMethodBuilder<TResult>
{
    private AsyncTaskMethodBuilder<TResult> _inner;

    /// <summary>Creates a builder (the compiler's entry point).</summary>
    public static StackSafeTaskMethodBuilder<TResult> Create() => new() { _inner = AsyncTaskMethodBuilder<TResult>.Create() };

    /// <summary>The task of the method.</summary>
    public Task<TResult> Task => _inner.Task;

    /// <summary>Starts the method now, or, when the stack is low inside a soft tasklet, from the scheduler loop.</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (StackSafety.MustDefer())
        {
            var yield = default(StackSafety.DeferAwaiter);
            _inner.AwaitUnsafeOnCompleted(ref yield, ref stateMachine);
        }
        else
        {
            _inner.Start(ref stateMachine);
        }
    }

    /// <summary>Part of the builder pattern; unused by the compiler for async methods.</summary>
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine) => _inner.SetStateMachine(stateMachine);

    /// <summary>Completes the task successfully.</summary>
    public void SetResult(TResult result) => _inner.SetResult(result);

    /// <summary>Completes the task with an exception.</summary>
    public void SetException(Exception exception) => _inner.SetException(exception);

    /// <summary>Schedules the continuation of an await.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine => _inner.AwaitOnCompleted(ref awaiter, ref stateMachine);

    /// <summary>Schedules the continuation of an await.</summary>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine => _inner.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary>The stack test and the deferral shared by the stack-safe builders.</summary>
internal static class StackSafety
{
    /// <summary>True inside a soft tasklet when the stack is too low to start another frame on it.</summary>
    public static bool MustDefer() =>
        !RuntimeHelpers.TryEnsureSufficientExecutionStack() && ThreadScheduler.CurrentOrNull?.ExecutingSoftOrNull is not null;

    /// <summary>
    /// Makes <paramref name="next"/> the running soft tasklet's next step, to continue from the scheduler loop on a fresh
    /// stack (no yield); false outside a soft tasklet step.
    /// </summary>
    public static bool TryDefer(object next)
    {
        var scheduler = ThreadScheduler.CurrentOrNull;
        return scheduler?.ExecutingSoftOrNull is { } tasklet && scheduler.TryContinueInPlace(tasklet, next, null, yield: false);
    }

    /// <summary>An awaiter that hands its continuation to the running tasklet's scheduler as the tasklet's next step.</summary>
    public readonly struct DeferAwaiter : ICriticalNotifyCompletion
    {
        public bool IsCompleted => false;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        public void UnsafeOnCompleted(Action continuation)
        {
            if (!TryDefer(continuation))
            {
                continuation();
            }
        }
    }
}
