using System.ComponentModel;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// The async method builder of <see cref="TaskletFrame"/> (used by the compiler). It boxes the state machine at the
/// first await that suspends and parks the box in the suspended tasklet itself: the scheduler resumes it with one virtual
/// call, with no delegate, <see cref="Task"/> or <see cref="ExecutionContext"/> capture per await. It links a frame to
/// the frame awaiting it, so the library owns the whole chain of a suspended tasklet (the pickler saves it). Foreign
/// awaits (a Task, I/O) are routed back to the tasklet by the builder itself, so code after them always runs on the
/// scheduler thread, whatever the awaiter (even <c>ConfigureAwait(false)</c>). Like
/// <see cref="StackSafeTaskMethodBuilder"/> it keeps deep recursion off the thread's stack.
/// </summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct TaskletFrameMethodBuilder
{
    /// <summary>The box once the method has suspended, or the <see cref="ExceptionDispatchInfo"/> of a synchronous failure.</summary>
    private object? _state;

    /// <summary>Creates a builder (the compiler's entry point).</summary>
    public static TaskletFrameMethodBuilder Create() => default;

    /// <summary>The frame of the method.</summary>
    public TaskletFrame Task => new(new TaskletFrame<VoidResult>(_state));

    /// <summary>The box of a restored frame, for the builder field of its state machine.</summary>
    internal static TaskletFrameMethodBuilder ForBox(FrameBox<VoidResult> box) => new() { _state = box };

    /// <summary>Starts the method (see <see cref="TaskletFrameMethodBuilder{TResult}.Start{TStateMachine}"/>).</summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine => FrameBuilding.Start<TStateMachine, VoidResult>(ref _state, ref stateMachine);

    /// <summary>Part of the builder pattern; unused by the compiler for async methods.</summary>
#pragma warning disable CA1822 // The builder pattern requires an instance method.
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
#pragma warning restore CA1822
    {
    }

    /// <summary>Completes the frame successfully.</summary>
    public void SetResult()
    {
        if (_state is FrameBox<VoidResult> box)
        {
            box.SetResult(default);
        }
    }

    /// <summary>Completes the frame with an exception.</summary>
    public void SetException(Exception exception) => FrameBuilding.SetException<VoidResult>(ref _state, exception);

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine => FrameBuilding.Await<TAwaiter, TStateMachine, VoidResult>(ref _state, ref awaiter, ref stateMachine, critical: false);

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine => FrameBuilding.Await<TAwaiter, TStateMachine, VoidResult>(ref _state, ref awaiter, ref stateMachine, critical: true);
}

/// <summary>The async method builder of <see cref="TaskletFrame{TResult}"/> (used by the compiler).</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public struct TaskletFrameMethodBuilder<TResult>
{
    /// <summary>The box once the method has suspended, or the <see cref="ExceptionDispatchInfo"/> of a synchronous failure.</summary>
    private object? _state;

    /// <summary>The result of a synchronous completion.</summary>
    private TResult _result;

    /// <summary>Creates a builder (the compiler's entry point).</summary>
    public static TaskletFrameMethodBuilder<TResult> Create() => default;

    /// <summary>The frame of the method.</summary>
    public TaskletFrame<TResult> Task => _state is null ? new(_result) : new(_state);

    /// <summary>A builder bound to the box of a restored frame.</summary>
    internal static TaskletFrameMethodBuilder<TResult> ForBox(FrameBox<TResult> box) => new() { _state = box };

    /// <summary>
    /// Starts the method now; when the stack is low inside a soft tasklet its first step is handed to the scheduler;
    /// while <see cref="FrameCapture"/> is capturing a tasklet's root frame, it is only boxed.
    /// </summary>
    public void Start<TStateMachine>(ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine => FrameBuilding.Start<TStateMachine, TResult>(ref _state, ref stateMachine);

    /// <summary>Part of the builder pattern; unused by the compiler for async methods.</summary>
#pragma warning disable CA1822 // The builder pattern requires an instance method.
    public readonly void SetStateMachine(IAsyncStateMachine stateMachine)
#pragma warning restore CA1822
    {
    }

    /// <summary>Completes the frame successfully.</summary>
    public void SetResult(TResult result)
    {
        if (_state is FrameBox<TResult> box)
        {
            box.SetResult(result);
        }
        else
        {
            _result = result;
        }
    }

    /// <summary>Completes the frame with an exception.</summary>
    public void SetException(Exception exception) => FrameBuilding.SetException<TResult>(ref _state, exception);

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine => FrameBuilding.Await<TAwaiter, TStateMachine, TResult>(ref _state, ref awaiter, ref stateMachine, critical: false);

    /// <summary>Suspends the frame on an await.</summary>
    public void AwaitUnsafeOnCompleted<TAwaiter, TStateMachine>(ref TAwaiter awaiter, ref TStateMachine stateMachine)
        where TAwaiter : ICriticalNotifyCompletion
        where TStateMachine : IAsyncStateMachine => FrameBuilding.Await<TAwaiter, TStateMachine, TResult>(ref _state, ref awaiter, ref stateMachine, critical: true);
}
