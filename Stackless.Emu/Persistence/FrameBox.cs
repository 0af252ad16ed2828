using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>What a suspended <see cref="TaskletFrame"/> frame waits for.</summary>
internal enum FrameAwait
{
    /// <summary>Running, or completed.</summary>
    None,

    /// <summary>Boxed but not started: the first step of a tasklet created by <see cref="Tasklet.CreateFrame"/>.</summary>
    NotStarted,

    /// <summary>Its start or resumption was handed to the scheduler to continue on a fresh stack.</summary>
    Deferred,

    /// <summary>Awaiting another <see cref="TaskletFrame"/> frame (its child).</summary>
    Child,

    /// <summary>Awaiting one of the library's own awaitables (a channel operation, a schedule, a switch).</summary>
    Library,

    /// <summary>Awaiting something else (a Task, I/O): the frame cannot be pickled.</summary>
    Foreign,
}

/// <summary>
/// A suspended <see cref="TaskletFrame"/> frame: the boxed compiler state machine, its completion, and the link to the
/// frame that awaits it. The chain of boxes from a tasklet's innermost suspension point up to its root frame is what
/// the pickler saves.
/// </summary>
internal abstract class FrameBox
{
    /// <summary>Runs the next step of the state machine; stored as the continuation of every await.</summary>
    public readonly Action MoveNextAction;

    /// <summary>The <see cref="TaskletFrame"/> frame that awaits this one, or null (root, or awaited by foreign code).</summary>
    public FrameBox? Parent;

    /// <summary>The frame this one last awaited (kept after it completes; the pickler walks the chain from the innermost up).</summary>
    public FrameBox? Child;

    /// <summary>What runs when this frame completes (the parent's <see cref="MoveNextAction"/>, or foreign code).</summary>
    public Action? Continuation;

    /// <summary>What the frame waits for while suspended.</summary>
    public FrameAwait Awaiting;

    /// <summary>The awaiter type of the pending await, for error messages.</summary>
    public Type? AwaiterType;

    /// <summary>The execution context captured at the pending await (AsyncLocal values flow as with Task).</summary>
    public ExecutionContext? Context;

    /// <summary>Completed (successfully or not).</summary>
    public bool IsCompleted;

    /// <summary>The exception the method ended with.</summary>
    public ExceptionDispatchInfo? Error;

    /// <summary>Set on a tasklet's root frame: completed with the frame, it is the tasklet body's task.</summary>
    public TaskCompletionSource? RootCompletion;

    protected FrameBox() => MoveNextAction = MoveNext;

    /// <summary>The compiler-generated state machine type.</summary>
    public abstract Type StateMachineType { get; }

    /// <summary>The method's result type (<see cref="VoidResult"/> for <see cref="TaskletFrame"/>).</summary>
    public abstract Type ResultType { get; }

    /// <summary>The state machine, boxed as an object (a copy when it is a struct), for reading its fields.</summary>
    public abstract object GetStateMachine();

    /// <summary>Replaces the state machine with <paramref name="stateMachine"/> (restoring from a pickle).</summary>
    public abstract void SetStateMachine(object stateMachine);

    /// <summary>The method's name, read from the state machine type (<c>&lt;Recurs&gt;d__3</c> is <c>Recurs</c>).</summary>
    public string MethodName => DescribeStateMachine(StateMachineType);

    /// <summary>Runs the next step of the method.</summary>
    public void MoveNext()
    {
        Awaiting = FrameAwait.None;
        AwaiterType = null;
        var context = Context;
        Context = null;
        if (context is null || ReferenceEquals(context, ExecutionContext.Capture()))
        {
            Step();
        }
        else
        {
            ExecutionContext.Run(context, static box => ((FrameBox)box!).Step(), this);
        }
    }

    /// <summary>Calls the state machine's MoveNext.</summary>
    protected abstract void Step();

    /// <summary>Registers what runs when the frame completes; a <see cref="FrameBox"/> continuation becomes the parent.</summary>
    public void SetContinuation(Action continuation)
    {
        Debug.Assert(Continuation is null, "a TaskletFrame is awaited once");
        if (Continuation is not null)
        {
            throw new InvalidOperationException("A TaskletFrame can be awaited only once.");
        }

        Parent = continuation.Target as FrameBox;
        if (Parent is not null)
        {
            Parent.Child = this;
        }

        Continuation = continuation;
        if (IsCompleted)
        {
            RunContinuation();
        }
    }

    /// <summary>Marks the frame completed and resumes whoever awaits it.</summary>
    protected void Complete(ExceptionDispatchInfo? error)
    {
        Error = error;
        IsCompleted = true;
        Awaiting = FrameAwait.None;
        if (RootCompletion is { } root)
        {
            if (error is null)
            {
                root.TrySetResult();
            }
            else
            {
                root.TrySetException(error.SourceException);
            }
        }

        if (Continuation is not null)
        {
            RunContinuation();
        }
    }

    /// <summary>Resumes the awaiting frame, on a fresh stack (through the tasklet's scheduler) when this one runs low.</summary>
    private void RunContinuation()
    {
        var continuation = Continuation!;
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack()
            && SynchronizationContext.Current is TaskletSynchronizationContext context)
        {
            if (Parent is { } parent)
            {
                parent.Awaiting = FrameAwait.Deferred;
            }

            context.Tasklet.Scheduler.Trampoline(context.Tasklet, Stackless.Emu.Continuation.From(continuation));
            return;
        }

        continuation();
    }

    /// <summary>The method name of a state machine type, or the type name when it is not compiler-generated.</summary>
    public static string DescribeStateMachine(Type type)
    {
        var name = type.Name;
        var method = name.StartsWith('<') && name.IndexOf('>', StringComparison.Ordinal) is var end and > 1
            ? name[1..end]
            : name;
        var owner = type.DeclaringType;
        return owner is null ? method : $"{owner.FullName}.{method}";
    }
}

/// <summary>A frame with a result of type <typeparamref name="TResult"/>.</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
internal abstract class FrameBox<TResult> : FrameBox
{
    private TResult _result = default!;

    /// <inheritdoc/>
    public override Type ResultType => typeof(TResult);

    /// <summary>Completes the frame with <paramref name="result"/>.</summary>
    public void SetResult(TResult result)
    {
        _result = result;
        Complete(null);
    }

    /// <summary>Completes the frame with <paramref name="exception"/>.</summary>
    public void SetException(Exception exception) => Complete(ExceptionDispatchInfo.Capture(exception));

    /// <summary>The result; raises the method's exception.</summary>
    public TResult GetResult()
    {
        if (!IsCompleted)
        {
            throw new InvalidOperationException("The TaskletFrame has not completed: await it instead of reading its result.");
        }

        Error?.Throw();
        return _result;
    }
}

/// <summary>The box of one state machine type.</summary>
/// <typeparam name="TStateMachine">The compiler-generated state machine.</typeparam>
/// <typeparam name="TResult">The method's result type.</typeparam>
internal sealed class StateMachineBox<TStateMachine, TResult> : FrameBox<TResult>
    where TStateMachine : IAsyncStateMachine
{
    /// <summary>The state machine (in place, when it is a struct).</summary>
    public TStateMachine StateMachine = default!;

    /// <inheritdoc/>
    public override Type StateMachineType => typeof(TStateMachine);

    /// <inheritdoc/>
    public override object GetStateMachine() => StateMachine;

    /// <inheritdoc/>
    public override void SetStateMachine(object stateMachine) => StateMachine = (TStateMachine)stateMachine;

    /// <inheritdoc/>
    protected override void Step() => StateMachine.MoveNext();
}
