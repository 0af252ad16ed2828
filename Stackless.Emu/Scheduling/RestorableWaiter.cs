namespace Stackless.Emu;

/// <summary>
/// One call of <see cref="Tasklet.WhenRestorableAsync"/>: the tasklets still to become restorable, and the task that
/// completes when none is left. Checked on the tasklets' scheduler thread only.
/// </summary>
internal sealed class RestorableWaiter
{
    private readonly List<Tasklet> _pending;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _registration;

    public RestorableWaiter(List<Tasklet> tasklets, CancellationToken cancellationToken)
    {
        _pending = tasklets;
        if (cancellationToken.CanBeCanceled)
        {
            _registration = cancellationToken.UnsafeRegister(
                static (state, token) => ((RestorableWaiter)state!)._completion.TrySetCanceled(token), this);
        }
    }

#pragma warning disable VSTHRD003 // The task belongs to this waiter and is completed by it.
    /// <summary>Completes when every tasklet is restorable or dead.</summary>
    public Task Task => _completion.Task;
#pragma warning restore VSTHRD003

    /// <summary>Re-checks the pending tasklets; returns true (and completes the task) when none is left or it was cancelled.</summary>
    public bool Check()
    {
        if (_completion.Task.IsCompleted)
        {
            _registration.Dispose();
            return true;
        }

        _pending.RemoveAll(static t => !t.Alive || t.Restorable);
        if (_pending.Count > 0)
        {
            return false;
        }

        _registration.Dispose();
        _completion.TrySetResult();
        return true;
    }
}
