using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The awaitable of <see cref="Channel{T}.ReceiveAsync()"/>. Awaiting it allocates nothing: a suspended receiver's
/// continuation is stored in its tasklet and the value arrives in the tasklet's own fields. Await it at once, exactly
/// once: a second await raises <see cref="InvalidOperationException"/>.
/// </summary>
/// <typeparam name="T">The channel's element type.</typeparam>
public readonly struct ReceiveAwaitable<T> : ICriticalNotifyCompletion
{
    private readonly AwaitableCore _core;

    internal ReceiveAwaitable(Tasklet receiver, bool suspends) => _core = new AwaitableCore(receiver, suspends);

    internal ReceiveAwaitable(ForeignOperation operation) => _core = new AwaitableCore(operation);

    /// <summary>The tasklet this awaitable suspends, if it suspends one (the pickler reads it).</summary>
    internal Tasklet? SuspendedTasklet => _core.Suspends ? _core.Source as Tasklet : null;

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public ReceiveAwaitable<T> GetAwaiter() => this;

    /// <summary>True when the value was received without suspending.</summary>
    public bool IsCompleted => _core.IsCompleted;

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void OnCompleted(Action continuation) => _core.OnCompleted(continuation);

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void UnsafeOnCompleted(Action continuation) => _core.OnCompleted(continuation);

    /// <summary>The value received; raises a sent exception, a kill or a throw delivered while waiting; raises if already awaited.</summary>
    public T GetResult() => _core.GetResult<T>();
}
