namespace Stackless.Emu;

/// <summary>
/// An operation one thread performs on a tasklet of another thread and waits for: whichever comes first performs it,
/// the owner serving its inbox, or the waiter once the owner parks (see <c>ThreadScheduler.Parking.cs</c>). Exactly one
/// of them claims it.
/// </summary>
internal sealed class RemoteOperation(Tasklet tasklet, Action<Tasklet> operation)
{
    private int _claimed;
    private Exception? _error;

    /// <summary>Whether the operation has been performed (read and written under the owner's park lock).</summary>
    public bool Done { get; set; }

    /// <summary>Claims the operation; false if the other side already has.</summary>
    public bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    /// <summary>Performs the operation, keeping its exception for the waiter.</summary>
    public void Run()
    {
        try
        {
            operation(tasklet);
        }
#pragma warning disable CA1031 // Handed to the waiter, which raises it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _error = ex;
        }
    }

    /// <summary>Raises the operation's exception in the waiter, if it failed.</summary>
    public void ThrowIfFailed()
    {
        if (_error is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(_error);
        }
    }
}
