using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The awaitable of <see cref="Channel{T}.ReceiveAsync()"/>. Awaiting it allocates nothing: a suspended receiver's
/// continuation is stored in its tasklet and the value arrives in the tasklet's hand-over slot. Await it at once, once.
/// </summary>
/// <typeparam name="T">The channel's element type.</typeparam>
public readonly struct ReceiveAwaitable<T> : ICriticalNotifyCompletion
{
    private readonly Tasklet? _suspended;
    private readonly T _value;

    internal ReceiveAwaitable(Tasklet? suspended, T value)
    {
        _suspended = suspended;
        _value = value;
    }

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public ReceiveAwaitable<T> GetAwaiter() => this;

    /// <summary>The tasklet this receive suspends, or null when the value was there at once (read by the pickler).</summary>
    internal Tasklet? SuspendedTasklet => _suspended;

    /// <summary>True when the value was received without suspending.</summary>
    public bool IsCompleted => _suspended is null;

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void UnsafeOnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _suspended!.SetResume(Continuation.From(continuation));
    }

    /// <summary>The value received; raises a sent exception, a kill or a throw delivered while waiting.</summary>
    public T GetResult() => _suspended is null ? _value : _suspended.TakeReceived<T>();
}
