using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The awaitable of an operation that may switch tasklets (<c>ScheduleAsync</c>, <c>RunAsync</c>, <c>KillAsync</c>,
/// <c>SendAsync</c>, ...). Awaiting it allocates nothing: the continuation is stored in the suspended tasklet and resumed
/// by its scheduler. Await it at once, exactly once: a second await raises <see cref="InvalidOperationException"/>.
/// </summary>
public readonly struct SwitchAwaitable : ICriticalNotifyCompletion
{
    private readonly AwaitableCore _core;

    internal SwitchAwaitable(Tasklet tasklet, bool suspends) => _core = new AwaitableCore(tasklet, suspends);

    internal SwitchAwaitable(ForeignOperation operation) => _core = new AwaitableCore(operation);

    /// <summary>The tasklet this awaitable suspends, if it suspends one (the pickler reads it).</summary>
    internal Tasklet? SuspendedTasklet => _core.Suspends ? _core.Source as Tasklet : null;

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public SwitchAwaitable GetAwaiter() => this;

    /// <summary>False when the calling tasklet must suspend.</summary>
    public bool IsCompleted => _core.IsCompleted;

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void OnCompleted(Action continuation) => _core.OnCompleted(continuation);

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void UnsafeOnCompleted(Action continuation) => _core.OnCompleted(continuation);

    /// <summary>Raises what was delivered while suspended (a kill, a throw, a bomb); raises if already awaited.</summary>
    public void GetResult() => _core.GetResult();
}
