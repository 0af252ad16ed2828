using System.Runtime.CompilerServices;

namespace Stackless.Emu.Benchmarks;

/// <summary>
/// The physical floor: a minimal single-threaded continuation queue and a minimal rendezvous channel (one waiter per
/// channel, no scheduler semantics, no checks). Bodies are async methods like Stackless.Emu's soft tasklets, so the
/// difference to Stackless.Emu is the Stackless logic itself.
/// </summary>
internal sealed class FloorLoop
{
    private Action?[] _ring = new Action?[1024];
    private int _head, _count;

    /// <summary>Total channel sends completed (to check the workload counts).</summary>
    public long Sends;

    public void Enqueue(Action action)
    {
        if (_count == _ring.Length)
        {
            var bigger = new Action?[_ring.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                bigger[i] = _ring[(_head + i) & (_ring.Length - 1)];
            }

            _ring = bigger;
            _head = 0;
        }

        _ring[(_head + _count) & (_ring.Length - 1)] = action;
        _count++;
    }

    /// <summary>Starts <paramref name="body"/> on the next turn of the loop.</summary>
    public void Spawn(Func<Task> body) => Enqueue(() => _ = body());

    /// <summary>Puts the awaiting body at the end of the queue (the floor of a schedule() switch).</summary>
    public YieldAwaiter Yield() => new(this);

    /// <summary>Runs queued continuations until the queue is empty.</summary>
    public void Run()
    {
        while (_count != 0)
        {
            var action = _ring[_head]!;
            _ring[_head] = null;
            _head = (_head + 1) & (_ring.Length - 1);
            _count--;
            action();
        }
    }
}

/// <summary>The awaiter of <see cref="FloorLoop.Yield"/>: always suspends, the continuation goes to the end of the queue.</summary>
internal readonly struct YieldAwaiter(FloorLoop loop) : ICriticalNotifyCompletion
{
    public YieldAwaiter GetAwaiter() => this;

    public bool IsCompleted => false;

    public void OnCompleted(Action continuation) => loop.Enqueue(continuation);

    public void UnsafeOnCompleted(Action continuation) => loop.Enqueue(continuation);

    public void GetResult()
    {
    }
}

/// <summary>A rendezvous channel for <see cref="FloorLoop"/>: at most one waiting sender or receiver.</summary>
internal sealed class FloorChannel<T>
{
    private readonly FloorLoop _loop;
    private Action? _waiter;
    private bool _waiterSends;
    private T _value = default!;
    private T _delivered = default!;

    public FloorChannel(FloorLoop loop) => _loop = loop;

    public SendAwaiter SendAsync(T value)
    {
        _loop.Sends++;
        if (_waiter is { } receiver && !_waiterSends)
        {
            _waiter = null;
            _delivered = value;
            _loop.Enqueue(receiver);
            return new SendAwaiter(null);
        }

        _value = value;
        _waiterSends = true;
        return new SendAwaiter(this);
    }

    public ReceiveAwaiter ReceiveAsync()
    {
        if (_waiter is { } sender && _waiterSends)
        {
            _waiter = null;
            var value = _value;
            _loop.Enqueue(sender);
            return new ReceiveAwaiter(null, value);
        }

        _waiterSends = false;
        return new ReceiveAwaiter(this, default!);
    }

    public readonly struct SendAwaiter(FloorChannel<T>? channel) : ICriticalNotifyCompletion
    {
        public SendAwaiter GetAwaiter() => this;

        public bool IsCompleted => channel is null;

        public void OnCompleted(Action continuation) => channel!._waiter = continuation;

        public void UnsafeOnCompleted(Action continuation) => channel!._waiter = continuation;

        public void GetResult()
        {
        }
    }

    public readonly struct ReceiveAwaiter(FloorChannel<T>? channel, T value) : ICriticalNotifyCompletion
    {
        public ReceiveAwaiter GetAwaiter() => this;

        public bool IsCompleted => channel is null;

        public void OnCompleted(Action continuation) => channel!._waiter = continuation;

        public void UnsafeOnCompleted(Action continuation) => channel!._waiter = continuation;

        public T GetResult() => channel is null ? value : channel._delivered;
    }
}
