using System.Threading.Tasks.Sources;

namespace Stackless.Emu;

/// <summary>
/// One asynchronous channel operation of code outside the tasklet world: its stand-in in the channel's queue (a
/// <see cref="Tasklet"/> of kind <see cref="TaskletKind.Foreign"/>, holding the value in its fields) and the completion
/// its awaiter waits for. Completed by the partner under the channel's lock, or by a cancellation, a timeout or a kill
/// of the stand-in; continuations run asynchronously (on the awaiting code's context, or the thread pool), never inline
/// on the partner's scheduler thread.
/// </summary>
internal sealed class ForeignOperation
{
    private readonly IChannelQueue _channel;
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _registration;
    private CancellationTokenSource? _timer;
    private WaitLimit _limit;
    private string? _operation;

    /// <summary>0: the stand-in is not waiting yet and no limit was reached; 1: armed (waiting); 2: the limit was reached first.</summary>
    private int _armState;

    public ForeignOperation(ThreadScheduler scheduler, IChannelQueue channel)
    {
        _channel = channel;
        Stand = Tasklet.CreateForeign(scheduler);
        Stand.Cold.Foreign = this;
    }

    /// <summary>The stand-in that waits in the channel.</summary>
    public Tasklet Stand { get; }

    /// <summary>The awaiter's token.</summary>
    public short Version => _core.Version;

    /// <summary>Whether the operation has completed.</summary>
    public bool IsCompleted(short token) => _core.GetStatus(token) != ValueTaskSourceStatus.Pending;

    /// <summary>Completes an operation that found its partner at once.</summary>
    public void CompleteNow()
    {
        _registration.Unregister();
        _timer?.Dispose();
        _core.SetResult(true);
    }

    /// <summary>The stand-in waits now: a limit reached before this ends the wait at once.</summary>
    public void Arm()
    {
        if (Interlocked.CompareExchange(ref _armState, 1, 0) == 2)
        {
            Interrupt(_limit.Error(_operation!));
        }
    }

    /// <summary>Completes the operation: a partner served the stand-in (called under the channel's lock).</summary>
    public void Complete()
    {
        // Unregister, never Dispose: a running callback waits for the channel's lock, which the caller holds.
        _registration.Unregister();
        _timer?.Dispose();
        _core.SetResult(true);
    }

    /// <summary>Ends the operation with <paramref name="error"/> if the stand-in still waits (cancellation, timeout, kill).</summary>
    public void Interrupt(Exception error)
    {
        if (_channel.WithdrawForeign(Stand))
        {
            _registration.Unregister();
            _timer?.Dispose();
            _core.SetException(error);
        }
    }

    /// <summary>Lets a token or a timeout end the wait of the <paramref name="operation"/> ("send" or "receive").</summary>
    public void WatchCancellation(WaitLimit limit, string operation)
    {
        if (!limit.CanEnd)
        {
            return;
        }

        _limit = limit;
        _operation = operation;
        _timer = limit.CreateTimer();
        var token = _timer?.Token ?? limit.Token;
        _registration = token.UnsafeRegister(static state => ((ForeignOperation)state!).OnLimitReached(), this);
    }

    private void OnLimitReached()
    {
        // Before the stand-in waits, only note it (Arm raises it); once it waits, end the wait.
        if (Interlocked.CompareExchange(ref _armState, 2, 0) == 1)
        {
            Interrupt(_limit.Error(_operation!));
        }
    }

    /// <summary>Registers <paramref name="continuation"/>.</summary>
    public void OnCompleted(Action continuation, short token) =>
        _core.OnCompleted(
            static state => ((Action)state!)(),
            continuation,
            token,
            ValueTaskSourceOnCompletedFlags.UseSchedulingContext | ValueTaskSourceOnCompletedFlags.FlowExecutionContext);

    /// <summary>Ends an operation that returns nothing.</summary>
    public void GetResult(short token)
    {
        Wait(token);
        _core.GetResult(token);
    }

    /// <summary>Ends a receive: the value handed to the stand-in.</summary>
    public T GetResult<T>(short token)
    {
        Wait(token);
        _core.GetResult(token);
        return Stand.TakeValue<T>();
    }

    /// <summary>A synchronous wait on an incomplete operation (GetResult called without awaiting): blocks the caller.</summary>
    private void Wait(short token)
    {
        if (IsCompleted(token))
        {
            return;
        }

        using var done = new ManualResetEventSlim();
        OnCompleted(done.Set, token);
        done.Wait();
    }
}
