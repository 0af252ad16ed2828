using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// The return type of a restorable async method: <c>async TaskletFrame Recurs(int level) { ... }</c>. It behaves like
/// <see cref="Task"/> inside a soft tasklet, but the library owns every suspended frame (the compiler's state machine,
/// boxed by <see cref="TaskletFrameMethodBuilder"/>), so a tasklet whose frames are all <see cref="TaskletFrame"/>
/// methods suspended on the library's awaitables can be pickled (<see cref="TaskletPickler"/>) and resumed in another
/// process. Await it once, from another <see cref="TaskletFrame"/> method or from the tasklet started by
/// <see cref="Tasklet.CreateFrame"/>.
/// </summary>
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
    private readonly FrameBox<TResult>? _box;
    private readonly TResult _result;
    private readonly ExceptionDispatchInfo? _error;

    internal TaskletFrame(FrameBox<TResult> box)
    {
        _box = box;
        _result = default!;
        _error = null;
    }

    internal TaskletFrame(TResult result, ExceptionDispatchInfo? error)
    {
        _box = null;
        _result = result;
        _error = error;
    }

    /// <summary>True when the method has finished (successfully or not).</summary>
    public bool IsCompleted => _box is null || _box.IsCompleted;

    /// <summary>The boxed frame, or null when the method finished without suspending.</summary>
    internal FrameBox<TResult>? Box => _box;

    /// <summary>The awaiter (the await pattern).</summary>
    public TaskletFrameAwaiter<TResult> GetAwaiter() => new(_box, _result, _error);
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
    private readonly FrameBox<TResult>? _box;
    private readonly TResult _result;
    private readonly ExceptionDispatchInfo? _error;

    internal TaskletFrameAwaiter(FrameBox<TResult>? box, TResult result, ExceptionDispatchInfo? error)
    {
        _box = box;
        _result = result;
        _error = error;
    }

    /// <summary>True when the awaited method has finished.</summary>
    public bool IsCompleted => _box is null || _box.IsCompleted;

    /// <summary>The frame awaited, or null.</summary>
    internal FrameBox<TResult>? Box => _box;

    /// <inheritdoc/>
    FrameBox? IFrameAwaiter.Box => _box;

    /// <summary>The awaited method's result; raises its exception if it failed.</summary>
    public TResult GetResult()
    {
        if (_box is not null)
        {
            return _box.GetResult();
        }

        _error?.Throw();
        return _result;
    }

    /// <summary>Runs <paramref name="continuation"/> when the awaited method finishes.</summary>
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    /// <summary>Runs <paramref name="continuation"/> when the awaited method finishes.</summary>
    public void UnsafeOnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        if (_box is null)
        {
            continuation();
            return;
        }

        _box.SetContinuation(continuation);
    }
}

/// <summary>The result type of a <see cref="TaskletFrame"/> (which returns nothing).</summary>
internal readonly struct VoidResult
{
}
