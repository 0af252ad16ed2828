using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// The awaitable of a switch that returns the value the caller resumes with (<c>ScheduleAsync(retval)</c>,
/// <c>ScheduleRemoveAsync(retval)</c>, <c>Tasklet.RunAsync</c>, <c>Tasklet.SwitchAsync</c>): Stackless's tempval, taken
/// from the caller's <see cref="Tasklet.TempVal"/> when it resumes (and cleared there). Like
/// <see cref="SwitchAwaitable"/>, it allocates nothing; await it at once, exactly once.
/// </summary>
public readonly struct TempValAwaitable : ICriticalNotifyCompletion
{
    // The only field: the TaskletFrame builder reinterprets the library's awaitables as their AwaitableCore.
    private readonly AwaitableCore _core;

    internal TempValAwaitable(Tasklet tasklet, bool suspends) => _core = new AwaitableCore(tasklet, suspends);

    /// <summary>The tasklet this awaitable suspends, if it suspends one (the pickler reads it).</summary>
    internal Tasklet? SuspendedTasklet => _core.Suspends ? _core.Source as Tasklet : null;

    /// <summary>Returns this awaitable (the await pattern).</summary>
    public TempValAwaitable GetAwaiter() => this;

    /// <summary>False when the calling tasklet must suspend.</summary>
    public bool IsCompleted => _core.IsCompleted;

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void OnCompleted(Action continuation) => _core.OnCompleted(continuation);

    /// <summary>Stores the continuation in the suspended tasklet.</summary>
    public void UnsafeOnCompleted(Action continuation) => _core.OnCompleted(continuation);

    /// <summary>
    /// Raises what was delivered while suspended (a kill, a throw, a bomb in tempval); otherwise takes and returns the
    /// caller's tempval. Raises if already awaited.
    /// </summary>
    public object? GetResult()
    {
        _core.GetResult();
        return ((Tasklet)_core.Source!).TakeTempVal();
    }
}
