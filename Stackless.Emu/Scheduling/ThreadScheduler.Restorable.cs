namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    /// <summary>Registers <paramref name="waiter"/> on the scheduler's own thread; it may complete at once.</summary>
    public void AddRestorableWaiter(RestorableWaiter waiter)
    {
        if (!waiter.Check())
        {
            (_restorableWaiters ??= []).Add(waiter);
        }
    }

    /// <summary>Re-checks the open waiters after a tasklet ran a step, died or was discarded.</summary>
    public void NotifyRestorableWaiters()
    {
        if (_restorableWaiters is { } waiters)
        {
            waiters.RemoveAll(static w => w.Check());
            if (waiters.Count == 0)
            {
                _restorableWaiters = null;
            }
        }
    }
}
