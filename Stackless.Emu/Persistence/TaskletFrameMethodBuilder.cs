using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// The async method builder of <see cref="TaskletFrame"/> (used by the compiler). It boxes the state machine at the
/// first await that suspends, records what the frame waits for, and links a frame to the frame awaiting it, so the
/// library owns the whole chain of a suspended tasklet. Like <see cref="StackSafeTaskMethodBuilder"/> it keeps deep
/// recursion off the thread's stack: a start or a resumption that finds the stack low continues from the scheduler loop.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct TaskletFrameMethodBuilder
{
    private TaskletFrameMethodBuilder<VoidResult> _core;

    /// <summary>Creates a builder (the compiler's entry point).</summary>
    public static TaskletFrameMethodBuilder Create() => default;

    /// <summary>The frame of the method.</summary>
    public TaskletFrame Task => new(_core.Task);

    /// <summary>The box of a restored frame, for the builder field of its state machine.</summary>
    internal static TaskletFrameMethodBuilder ForBox(FrameBox<VoidResult> box) => new() { _core = TaskletFrameMethodBuilder<VoidResult>.ForBox(box) };

    /// <summary>Starts the method (see <see cref="TaskletFrameMethodBuilder{TResult}.Start{TStateMachine}"/>).</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine => _core.Start(ref stateMachine);

    /// <summary>Part of the builder pattern; unused by the compiler for async methods.</summary>
#pragma warning disable CA1822 // The builder pattern requires an instance method.
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
#pragma warning restore CA1822
    {
    }

    /// <summary>Completes the frame successfully.</summary>
    public void SetResult() => _core.SetResult(default);

    /// <summary>Completes the frame with an exception.</summary>
    public void SetException(Exception exception) => _core.SetException(exception);

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine => _core.AwaitOnCompleted(ref awaiter, ref stateMachine);

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine => _core.AwaitUnsafeOnCompleted(ref awaiter, ref stateMachine);
}

/// <summary>The async method builder of <see cref="TaskletFrame{TResult}"/> (used by the compiler).</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct TaskletFrameMethodBuilder<TResult>
{
    private FrameBox<TResult>? _box;
    private TResult _result;
    private ExceptionDispatchInfo? _error;

    /// <summary>Creates a builder (the compiler's entry point).</summary>
    public static TaskletFrameMethodBuilder<TResult> Create() => default;

    /// <summary>The frame of the method.</summary>
    public TaskletFrame<TResult> Task => _box is not null ? new(_box) : new(_result, _error);

    /// <summary>A builder bound to the box of a restored frame.</summary>
    internal static TaskletFrameMethodBuilder<TResult> ForBox(FrameBox<TResult> box) => new() { _box = box };

    /// <summary>
    /// Starts the method now; when the stack is low inside a soft tasklet its first step is handed to the scheduler;
    /// while <see cref="FrameCapture"/> is capturing a tasklet's root frame, it is only boxed.
    /// </summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (FrameCapture.TryTake())
        {
            var box = GetBox(ref stateMachine);
            box.Awaiting = FrameAwait.NotStarted;
            FrameCapture.Captured = box;
            return;
        }

        if (StackSafety.MustDefer())
        {
            var box = GetBox(ref stateMachine);
            box.Awaiting = FrameAwait.Deferred;
            var context = (TaskletSynchronizationContext)SynchronizationContext.Current!;
            context.Tasklet.Scheduler.Trampoline(context.Tasklet, Continuation.From(box.MoveNextAction));
            return;
        }

        stateMachine.MoveNext();
    }

    /// <summary>Part of the builder pattern; unused by the compiler for async methods.</summary>
#pragma warning disable CA1822 // The builder pattern requires an instance method.
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
#pragma warning restore CA1822
    {
    }

    /// <summary>Completes the frame successfully.</summary>
    public void SetResult(TResult result)
    {
        if (_box is null)
        {
            _result = result;
        }
        else
        {
            _box.SetResult(result);
        }
    }

    /// <summary>Completes the frame with an exception.</summary>
    public void SetException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (_box is null)
        {
            _error = ExceptionDispatchInfo.Capture(exception);
        }
        else
        {
            _box.SetException(exception);
        }
    }

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        var box = Suspend<TAwaiter, TStateMachine>(ref stateMachine);
        awaiter.OnCompleted(box.MoveNextAction);
    }

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        var box = Suspend<TAwaiter, TStateMachine>(ref stateMachine);
        awaiter.UnsafeOnCompleted(box.MoveNextAction);
    }

    /// <summary>Boxes the state machine if needed and records what it waits for.</summary>
    private FrameBox<TResult> Suspend<TAwaiter, TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var box = _box ?? GetBox(ref stateMachine);
        box.Awaiting = AwaiterKind<TAwaiter>.Kind;
        box.AwaiterType = typeof(TAwaiter);
        box.Context = ExecutionContext.Capture();
        return box;
    }

    /// <summary>Boxes the state machine: the builder learns its box first, so the copy in the box knows it too.</summary>
    private FrameBox<TResult> GetBox<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var box = new StateMachineBox<TStateMachine, TResult>();
        _box = box;
        box.StateMachine = stateMachine;
        return box;
    }
}

/// <summary>Classifies an awaiter type once: a child frame, one of the library's awaitables, or foreign.</summary>
/// <typeparam name="TAwaiter">The awaiter type.</typeparam>
internal static class AwaiterKind<TAwaiter>
{
    /// <summary>What a frame suspended on a <typeparamref name="TAwaiter"/> waits for.</summary>
    public static readonly FrameAwait Kind = AwaiterKinds.Classify(typeof(TAwaiter));
}

/// <summary>The classification behind <see cref="AwaiterKind{TAwaiter}"/>.</summary>
internal static class AwaiterKinds
{
    /// <summary>Classifies <paramref name="awaiter"/>.</summary>
    public static FrameAwait Classify(Type awaiter)
    {
        if (awaiter == typeof(TaskletFrameAwaiter) || (awaiter.IsGenericType && awaiter.GetGenericTypeDefinition() == typeof(TaskletFrameAwaiter<>)))
        {
            return FrameAwait.Child;
        }

        if (awaiter == typeof(SwitchAwaitable) || (awaiter.IsGenericType && awaiter.GetGenericTypeDefinition() == typeof(ReceiveAwaitable<>)))
        {
            return FrameAwait.Library;
        }

        return FrameAwait.Foreign;
    }
}

/// <summary>
/// Captures the root frame of a tasklet created by <see cref="Tasklet.CreateFrame"/>: while armed, the next
/// <see cref="TaskletFrame"/> method started on this thread is boxed but does not run.
/// </summary>
internal static class FrameCapture
{
    [ThreadStatic]
    private static bool t_armed;

    [ThreadStatic]
    private static FrameBox? t_captured;

    /// <summary>The frame captured since <see cref="Arm"/>.</summary>
    public static FrameBox? Captured
    {
        get => t_captured;
        set => t_captured = value;
    }

    /// <summary>Arms the capture.</summary>
    public static void Arm()
    {
        t_armed = true;
        t_captured = null;
    }

    /// <summary>Disarms the capture and returns the captured frame.</summary>
    public static FrameBox? Disarm()
    {
        t_armed = false;
        var captured = t_captured;
        t_captured = null;
        return captured;
    }

    /// <summary>True (once) when armed: the caller must capture instead of starting.</summary>
    public static bool TryTake()
    {
        if (!t_armed)
        {
            return false;
        }

        t_armed = false;
        return true;
    }
}
