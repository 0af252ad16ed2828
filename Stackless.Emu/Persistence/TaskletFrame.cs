using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// The return type of a tasklet body written as an async method: <c>async TaskletFrame Ping(Channel&lt;int&gt; ch) { ... }</c>,
/// spawned with <see cref="Tasklet.SpawnFrame"/>. It is the fast way to write a tasklet: the library owns every
/// suspended frame (the compiler's state machine, boxed by <see cref="TaskletFrameMethodBuilder"/> and parked in the
/// tasklet), so a switch costs one virtual call and no allocation, foreign awaits always come back to the tasklet on
/// its scheduler thread, and a tasklet whose frames are all <see cref="TaskletFrame"/> methods suspended on the library's
/// awaitables can be pickled (<see cref="TaskletPickler"/>) and resumed in another process. Await it once, from another
/// <see cref="TaskletFrame"/> method or from any async method.
/// </summary>
/// <remarks>
/// Differences from <see cref="Task"/>: a TaskletFrame cannot be awaited twice or waited for synchronously, and an
/// <c>AsyncLocal</c> value set inside it stays visible to its caller (the tasklet keeps one execution context across its
/// frames, as synchronous methods do).
/// </remarks>
[AsyncMethodBuilder(typeof(TaskletFrameMethodBuilder))]
public readonly struct TaskletFrame
{
    private readonly TaskletFrame<VoidResult> _frame;

    internal TaskletFrame(TaskletFrame<VoidResult> frame) => _frame = frame;

    /// <summary>True when the method has finished (successfully or not).</summary>
    public bool IsCompleted => _frame.IsCompleted;

    /// <summary>The boxed frame, or null when the method finished without suspending.</summary>
    internal FrameBox? Box => _frame.Box;

    /// <summary>The awaiter (the await pattern).</summary>
    public TaskletFrameAwaiter GetAwaiter() => new(_frame.GetAwaiter());

    /// <summary>Raises the method's exception, if it failed.</summary>
    internal void ThrowIfFailed() => _frame.GetAwaiter().GetResult();
}

/// <summary>The result-returning form of <see cref="TaskletFrame"/>: <c>async TaskletFrame&lt;int&gt; Sum(...)</c>.</summary>
/// <typeparam name="TResult">The method's result type.</typeparam>
[AsyncMethodBuilder(typeof(TaskletFrameMethodBuilder<>))]
public readonly struct TaskletFrame<TResult>
{
    /// <summary>The box of a suspended method, or the error of one that failed synchronously, or null.</summary>
    private readonly object? _state;
    private readonly TResult _result;

    internal TaskletFrame(object? state)
    {
        _state = state;
        _result = default!;
    }

    internal TaskletFrame(TResult result)
    {
        _state = null;
        _result = result;
    }

    /// <summary>True when the method has finished (successfully or not).</summary>
    public bool IsCompleted => _state is not FrameBox box || box.IsCompleted;

    /// <summary>The boxed frame, or null when the method finished without suspending.</summary>
    internal FrameBox<TResult>? Box => _state as FrameBox<TResult>;

    /// <summary>The awaiter (the await pattern).</summary>
    public TaskletFrameAwaiter<TResult> GetAwaiter() => new(_state, _result);
}

/// <summary>The awaiter of <see cref="TaskletFrame"/>; used by the compiler.</summary>
public readonly struct TaskletFrameAwaiter : ICriticalNotifyCompletion, IFrameAwaiter
{
    private readonly TaskletFrameAwaiter<VoidResult> _inner;

    internal TaskletFrameAwaiter(TaskletFrameAwaiter<VoidResult> inner) => _inner = inner;

    /// <summary>True when the awaited method has finished.</summary>
    public bool IsCompleted => _inner.IsCompleted;

    /// <inheritdoc/>
    FrameBox? IFrameAwaiter.Box => _inner.Box;

    /// <summary>Raises the awaited method's exception, if it failed.</summary>
    public void GetResult() => _inner.GetResult();

    /// <summary>Runs <paramref name="continuation"/> when the awaited method finishes.</summary>
    public void OnCompleted(Action continuation) => _inner.OnCompleted(continuation);

    /// <summary>Runs <paramref name="continuation"/> when the awaited method finishes.</summary>
    public void UnsafeOnCompleted(Action continuation) => _inner.UnsafeOnCompleted(continuation);
}

/// <summary>The awaiter of <see cref="TaskletFrame{TResult}"/>; used by the compiler.</summary>
/// <typeparam name="TResult">The awaited method's result type.</typeparam>
public readonly struct TaskletFrameAwaiter<TResult> : ICriticalNotifyCompletion, IFrameAwaiter
{
    private readonly object? _state;
    private readonly TResult _result;

    internal TaskletFrameAwaiter(object? state, TResult result)
    {
        _state = state;
        _result = result;
    }

    /// <summary>True when the awaited method has finished.</summary>
    public bool IsCompleted => _state is not FrameBox box || box.IsCompleted;

    /// <summary>The frame awaited, or null.</summary>
    internal FrameBox<TResult>? Box => _state as FrameBox<TResult>;

    /// <inheritdoc/>
    FrameBox? IFrameAwaiter.Box => _state as FrameBox;

    /// <summary>The awaited method's result; raises its exception if it failed.</summary>
    public TResult GetResult()
    {
        switch (_state)
        {
            case FrameBox<TResult> box:
                return box.GetResult();
            case ExceptionDispatchInfo error:
                error.Throw();
                return default!;
            default:
                return _result;
        }
    }

    /// <summary>Runs <paramref name="continuation"/> when the awaited method finishes.</summary>
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    /// <summary>Runs <paramref name="continuation"/> when the awaited method finishes.</summary>
    public void UnsafeOnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (_state is not FrameBox box)
        {
            continuation();
            return;
        }

        box.SetContinuation(continuation);
    }
}

/// <summary>The result type of a <see cref="TaskletFrame"/> (which returns nothing).</summary>
internal readonly struct VoidResult
{
}

/// <summary>Gives the builder and the pickler the frame a TaskletFrame awaiter waits for.</summary>
internal interface IFrameAwaiter
{
    /// <summary>The awaited frame, or null when it completed without suspending.</summary>
    FrameBox? Box { get; }
}
