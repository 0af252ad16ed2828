using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The awaitable of an operation that may switch tasklets (<c>ScheduleAsync</c>, <c>RunAsync</c>, <c>KillAsync</c>, ...).
/// Awaiting it allocates nothing: the continuation is stored in the suspended tasklet and resumed by its scheduler.
/// Await it at once, exactly once.
/// </summary>
public readonly struct SwitchAwaitable : ICriticalNotifyCompletion
{
    private readonly Tasklet? _tasklet;
    private readonly bool _suspends;

    internal SwitchAwaitable(Tasklet tasklet, bool suspends)
    {
        _tasklet = tasklet;
        _suspends = suspends;
    }

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public SwitchAwaitable GetAwaiter() => this;

    /// <summary>The tasklet this operation suspends, or null when it completes at once (read by the pickler).</summary>
    internal Tasklet? SuspendedTasklet => _suspends ? _tasklet : null;

    /// <summary>False when the calling tasklet must suspend.</summary>
    public bool IsCompleted => !_suspends;

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void UnsafeOnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        _tasklet!.SetResume(Continuation.From(continuation));
    }

    /// <summary>Raises what was delivered while suspended (a kill, a throw, a bomb).</summary>
    public void GetResult() => _tasklet?.ThrowIfPending();
}
