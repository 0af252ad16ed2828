namespace Stackless.Emu;

/// <summary>
/// The scope returned by <see cref="Scheduler.Atomic"/>: sets the current tasklet's <see cref="Tasklet.Atomic"/> flag
/// and restores the previous value when disposed (Stackless's <c>with stackless.atomic():</c>).
/// </summary>
/// <remarks>Thread safety: dispose it on the thread and in the tasklet that created it (a <c>using</c> block does): it restores that tasklet's atomic flag, which only the tasklet's own thread may set.</remarks>
public readonly struct AtomicScope : IDisposable
{
    private readonly Tasklet _tasklet;
    private readonly bool _previous;

    internal AtomicScope(Tasklet tasklet)
    {
        _tasklet = tasklet;
        _previous = tasklet.SetAtomic(true);
    }

    /// <summary>Restores the tasklet's previous atomic flag.</summary>
    public void Dispose() => _tasklet?.SetAtomic(_previous);
}
