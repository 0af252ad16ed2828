using System.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>The hand-over slot for values of <typeparamref name="T"/>; reused while the tasklet keeps using one element type.</summary>
    internal TransferSlot<T> SlotFor<T>()
    {
        if (Slot is TransferSlot<T> slot)
        {
            return slot;
        }

        slot = new TransferSlot<T>();
        Slot = slot;
        return slot;
    }

    /// <summary>
    /// True from the moment an operation decided this tasklet must suspend until the scheduler resumes it: it waits in
    /// a chain other than the runnable one, or its continuation is stored, or it is not the head of the runnable chain.
    /// </summary>
    internal bool IsSuspended =>
        (Flags & (TaskletFlags.InChannel | TaskletFlags.InIo)) != 0 || Resume.IsSet || !Scheduler.IsHead(this);

    /// <summary>Stores the continuation of an awaiting soft tasklet.</summary>
    internal void SetResume(in Continuation continuation)
    {
        Debug.Assert(!Resume.IsSet, "a tasklet is suspended at one point at a time");
        if (Resume.IsSet)
        {
            throw new InvalidOperationException(Diagnostics.ErrorMessages.NotAwaited);
        }

        Resume = continuation;
    }

    /// <summary>
    /// Delivers <paramref name="exception"/> to be raised at this tasklet's suspension point; one already pending is kept,
    /// both wrapped in an <see cref="AggregateException"/>, so neither is lost.
    /// </summary>
    internal void DeliverException(Exception exception) =>
        PendingException = PendingException is null
            ? System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(exception)
            : System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(new AggregateException(PendingException.SourceException, exception));

    /// <summary>Raises what was delivered to this tasklet while it was suspended: a kill, a throw, or a bomb in <see cref="TempVal"/>.</summary>
    internal void ThrowIfPending()
    {
        var pending = PendingException;
        if (pending is not null)
        {
            PendingException = null;
            pending.Throw();
        }

        if (_tempVal is Bomb bomb)
        {
            _tempVal = null;
            bomb.Raise();
        }
    }

    /// <summary>
    /// Takes this tasklet, flagged <see cref="TaskletFlags.InChannel"/>, out of its channel's queue; false when a channel
    /// action on another thread has already served it and its wake is on the way.
    /// </summary>
    internal bool LeaveChannel() => BlockedOn is { } channel && channel.RemoveWaiter(this);

    /// <summary>Takes the value (or exception) a sender handed over while this tasklet waited to receive.</summary>
    internal T TakeReceived<T>()
    {
        ThrowIfPending();
        var slot = (TransferSlot<T>)Slot!;
        return slot.Take();
    }
}

/// <summary>
/// A tasklet's typed hand-over cell: a sender writes the value (or an exception) into the receiver's slot, or into its
/// own while it waits for a receiver. Reused across operations, so channel operations allocate nothing.
/// </summary>
internal sealed class TransferSlot<T>
{
    /// <summary>The value handed over.</summary>
    public T Value = default!;

    /// <summary>
    /// What to raise in the receiver instead of returning a value: an <see cref="Exception"/> is thrown afresh
    /// (<c>SendException</c>, a new raise as in Stackless, so resending one object never grows its stack trace); an
    /// <see cref="System.Runtime.ExceptionServices.ExceptionDispatchInfo"/> is rethrown with its original trace (<c>SendThrow</c>).
    /// </summary>
    public object? Error;

    /// <summary>Returns the handed-over value and clears the slot; raises a handed-over exception or <see cref="Bomb"/>.</summary>
    public T Take()
    {
        var error = Error;
        var value = Value;
        Value = default!;
        Error = null;
        return Deliver(value, error);
    }

    /// <summary>Returns <paramref name="value"/>, or raises <paramref name="error"/> or a <see cref="Bomb"/> value.</summary>
    public static T Deliver(T value, object? error)
    {
        if (error is not null)
        {
            Raise(error);
        }

        if (value is Bomb bomb)
        {
            bomb.Raise();
        }

        return value;
    }

    /// <summary>Raises a handed-over error (see <see cref="Error"/>).</summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Raise(object error)
    {
        if (error is System.Runtime.ExceptionServices.ExceptionDispatchInfo info)
        {
            info.Throw();
        }

        throw (Exception)error;
    }
}
