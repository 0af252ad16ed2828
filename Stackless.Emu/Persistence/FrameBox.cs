using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>What a suspended <see cref="TaskletFrame"/> frame waits for.</summary>
internal enum FrameAwait : byte
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
/// the pickler saves. A tasklet resumes its innermost box by one virtual call (<see cref="Resume"/>): no delegate, no
/// <see cref="ExecutionContext"/> capture, no <see cref="Task"/>.
/// </summary>
/// <remarks>
/// Lean on purpose (a blocked tasklet's memory is its tasklet, its innermost box and its channel): the awaiting parent
/// and a foreign awaiter's continuation share <see cref="_next"/>; the pending awaiter's type and the final error share
/// <see cref="_awaiterOrError"/> (the first exists only while suspended, the second only once completed).
/// </remarks>
internal abstract class FrameBox : Resumable
{
    /// <summary>The error of a second await of one TaskletFrame.</summary>
    private const string AwaitedTwiceMessage = "A TaskletFrame can be awaited only once.";

    /// <summary>The <see cref="FrameBox"/> that awaits this frame, or the continuation of foreign code awaiting it, or null.</summary>
    private object? _next;

    /// <summary>While suspended: the awaiter's <see cref="Type"/>; once completed: the method's <see cref="ExceptionDispatchInfo"/>, if it failed.</summary>
    private object? _awaiterOrError;

    /// <summary>What the frame waits for while suspended.</summary>
    public FrameAwait Awaiting;

    /// <summary>Completed (successfully or not).</summary>
    public bool IsCompleted;

    /// <summary>The <see cref="TaskletFrame"/> frame that awaits this one, or null (root, or awaited by foreign code).</summary>
    public FrameBox? Parent => _next as FrameBox;

    /// <summary>What runs when this frame completes if foreign code awaits it (a delegate), else null.</summary>
    public Action? Continuation => _next as Action;

    /// <summary>The awaiter type of the pending await, for the pickler and error messages.</summary>
    public Type? AwaiterType
    {
        get => IsCompleted ? null : _awaiterOrError as Type;
        set
        {
            Debug.Assert(!IsCompleted);
            _awaiterOrError = value;
        }
    }

    /// <summary>The exception the method ended with.</summary>
    public ExceptionDispatchInfo? Error => IsCompleted ? _awaiterOrError as ExceptionDispatchInfo : null;

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

    /// <summary>Runs the next step of the method (the tasklet's resumption, or its parent's after a child completed).</summary>
    public sealed override void Resume()
    {
        Awaiting = FrameAwait.None;
        _awaiterOrError = null;
        Step();
    }

    /// <summary>Runs the first step of a tasklet's root frame.</summary>
    public void StartAsRoot(Tasklet tasklet)
    {
        Debug.Assert(tasklet.CurrentRootFrame == this);
        Resume();
    }

    /// <summary>Calls the state machine's MoveNext.</summary>
    protected abstract void Step();

    /// <summary>Links <paramref name="parent"/> as the frame awaiting this one; resumes it at once if this one has completed.</summary>
    /// <exception cref="InvalidOperationException">Another frame or foreign code already awaits this one.</exception>
    public void SetParent(FrameBox parent)
    {
        // The guard, not an assertion: two frames awaiting one TaskletFrame is the user's error, raised in the second.
        if (_next is not null)
        {
            throw new InvalidOperationException(AwaitedTwiceMessage);
        }

        parent.Awaiting = FrameAwait.Child;
        _next = parent;
        if (IsCompleted)
        {
            RunContinuation();
        }
    }

    /// <summary>Registers foreign code's continuation (a frame awaited by a plain async method).</summary>
    public void SetContinuation(Action continuation)
    {
        if (_next is not null)
        {
            throw new InvalidOperationException(AwaitedTwiceMessage);
        }

        if (continuation.Target is FrameBox parent)
        {
            SetParent(parent);
            return;
        }

        _next = continuation;
        if (IsCompleted)
        {
            RunContinuation();
        }
    }

    /// <summary>Marks the frame completed and resumes whoever awaits it.</summary>
    protected void Complete(ExceptionDispatchInfo? error)
    {
        _awaiterOrError = error;
        IsCompleted = true;
        Awaiting = FrameAwait.None;
        if (_next is not null)
        {
            RunContinuation();
        }
    }

    /// <summary>Resumes the awaiting frame, on a fresh stack (through the tasklet's scheduler) when this one runs low.</summary>
    private void RunContinuation()
    {
        if (_next is FrameBox parent)
        {
            if (!RuntimeHelpers.TryEnsureSufficientExecutionStack() && StackSafety.TryDefer(parent))
            {
                parent.Awaiting = FrameAwait.Deferred;
                return;
            }

            parent.Resume();
            return;
        }

        Unsafe.As<Action>(_next)!();
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
