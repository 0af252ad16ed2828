using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // Values travel in the tasklets' own fields: a sender writes into the receiver's fields, or into its own while it
    // waits for a receiver. Unmanaged values of at most 8 bytes go into _valueBits, references into _valueRef, other
    // structs into a reusable box; an exception sent instead of a value sits in _valueRef with ValueIsErrorBit set.
    // Nothing is allocated per operation.

    /// <summary>Hands <paramref name="value"/> to this tasklet (the receiver, or a waiting sender itself).</summary>
    internal void PutValue<T>(T value)
    {
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() <= sizeof(long))
        {
            Unsafe.As<long, T>(ref _valueBits) = value;
        }
        else if (!typeof(T).IsValueType)
        {
            _valueRef = value;
        }
        else
        {
            var box = ValueBoxFor<T>();
            box.Value = value;
            _valueRef = box;
        }

        _bits &= ~ValueIsErrorBit;
    }

    /// <summary>Hands an error to this tasklet instead of a value (see <see cref="ErrorTransfer"/>).</summary>
    internal void PutError(object error)
    {
        _valueRef = error;
        _bits |= ValueIsErrorBit;
    }

    /// <summary>Hands a value or, when <paramref name="error"/> is set, an error.</summary>
    internal void PutValueOrError<T>(T value, object? error)
    {
        if (error is null)
        {
            PutValue(value);
        }
        else
        {
            PutError(error);
        }
    }

    /// <summary>Takes the value (or error) handed to this tasklet and clears it; raises an error or a <see cref="Bomb"/>.</summary>
    internal T TakeValue<T>()
    {
        if ((_bits & ValueIsErrorBit) != 0)
        {
            var error = _valueRef!;
            _valueRef = null;
            _bits &= ~ValueIsErrorBit;
            ErrorTransfer.Raise(error);
        }

        T value;
        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() <= sizeof(long))
        {
            value = Unsafe.As<long, T>(ref _valueBits);
        }
        else if (!typeof(T).IsValueType)
        {
            value = Unsafe.As<object?, T>(ref _valueRef);
            _valueRef = null;
            if (value is Bomb bomb)
            {
                bomb.Raise();
            }
        }
        else
        {
            var box = (StrongBox<T>)_valueRef!;
            value = box.Value!;
            box.Value = default!;
            _valueRef = null;
        }

        return value!;
    }

    /// <summary>Moves the value (or error) handed to this tasklet over to <paramref name="to"/>, raising nothing.</summary>
    internal void MoveValueTo<T>(Tasklet to)
    {
        if ((_bits & ValueIsErrorBit) != 0)
        {
            to.PutError(_valueRef!);
            _valueRef = null;
            _bits &= ~ValueIsErrorBit;
            return;
        }

        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() <= sizeof(long))
        {
            to.PutValue(Unsafe.As<long, T>(ref _valueBits));
        }
        else if (!typeof(T).IsValueType)
        {
            to.PutValue(Unsafe.As<object?, T>(ref _valueRef));
            _valueRef = null;
        }
        else
        {
            var box = (StrongBox<T>)_valueRef!;
            to.PutValue(box.Value);
            box.Value = default!;
            _valueRef = null;
        }
    }

    /// <summary>The value or error handed to this tasklet, boxed, without taking it (the pickler).</summary>
    internal (object? Value, object? Error) PeekValue<T>()
    {
        if ((_bits & ValueIsErrorBit) != 0)
        {
            return (null, _valueRef);
        }

        if (!RuntimeHelpers.IsReferenceOrContainsReferences<T>() && Unsafe.SizeOf<T>() <= sizeof(long))
        {
            return (Unsafe.As<long, T>(ref _valueBits), null);
        }

        if (!typeof(T).IsValueType || _valueRef is not StrongBox<T> box)
        {
            return (_valueRef, null);
        }

        return (box.Value, null);
    }

    /// <summary>
    /// The error this tasklet holds for a receiver without taking it: an error sent instead of a value, or a
    /// <see cref="Bomb"/> sent as a value; null for any other value.
    /// </summary>
    internal object? PeekError() => (_bits & ValueIsErrorBit) != 0 ? _valueRef : (_valueRef as Bomb)?.Exception;

    /// <summary>Drops whatever value or error this tasklet holds (a discarded or dying sender).</summary>
    internal void ClearValue()
    {
        if (_valueRef is not null && (_bits & ValueIsErrorBit) == 0 && _valueRef == _cold?.ValueBox)
        {
            _cold!.ValueBox = null;
        }

        _valueRef = null;
        _valueBits = 0;
        _bits &= ~ValueIsErrorBit;
    }

    private StrongBox<T> ValueBoxFor<T>()
    {
        var cold = Cold;
        if (cold.ValueBox is StrongBox<T> box)
        {
            return box;
        }

        box = new StrongBox<T>();
        cold.ValueBox = box;
        return box;
    }

    // ---- the stored resumption --------------------------------------------------------------------------------

    private const int ResumeAction = 0;
    private const int ResumeResumable = 1;
    private const int ResumePosted = 2;

    /// <summary>True while a resumption is stored.</summary>
    internal bool HasResume => _resume is not null;

    /// <summary>The stored resumption (an <see cref="Action"/>, a <see cref="Resumable"/> or a posted callback), for diagnostics and the pickler.</summary>
    internal object? ResumeTarget => _resume;

    /// <summary>Stores the continuation of an awaiting soft tasklet; raises if one is already stored (an operation not awaited).</summary>
    internal void SetResume(Action continuation)
    {
        ThrowIfResumeSet();
        _resume = continuation;
        _bits &= ~ResumeMask;
    }

    /// <summary>Stores a <see cref="Resumable"/> (a suspended <see cref="TaskletFrame"/> frame, an enumerator step) as the resumption.</summary>
    internal void SetResume(Resumable resumable)
    {
        ThrowIfResumeSet();
        _resume = resumable;
        _bits = (_bits & ~ResumeMask) | (ResumeResumable << ResumeShift);
    }

    /// <summary>
    /// Stores a callback posted to the tasklet's synchronization context. Its state travels in the value field, which is
    /// free while the tasklet waits for I/O or runs.
    /// </summary>
    internal void SetResume(SendOrPostCallback callback, object? state)
    {
        ThrowIfResumeSet();
        _resume = callback;
        _valueRef = state;
        _bits = (_bits & ~(ResumeMask | ValueIsErrorBit)) | (ResumePosted << ResumeShift);
    }

    /// <summary>Forgets the stored resumption.</summary>
    internal void ClearResume()
    {
        if ((_bits & ResumeMask) == ResumePosted << ResumeShift)
        {
            _valueRef = null;
        }

        _resume = null;
    }

    /// <summary>Runs the stored resumption on the calling thread (the dispatch loop); it must be set.</summary>
    internal void RunResume()
    {
        var resume = _resume;
        Debug.Assert(resume is not null, "a resumed tasklet has a resumption");
        _resume = null;
        switch ((_bits & ResumeMask) >> ResumeShift)
        {
            case ResumeAction:
                Unsafe.As<Action>(resume)();
                break;
            case ResumeResumable:
                Unsafe.As<Resumable>(resume).Resume();
                break;
            default:
                var state = _valueRef;
                _valueRef = null;
                Unsafe.As<SendOrPostCallback>(resume)(state);
                break;
        }
    }

    private void ThrowIfResumeSet()
    {
        // The guard comes first: a misuse is the user's error, reported as documented, never an assertion failure.
        if (_resume is not null)
        {
            throw new InvalidOperationException(Diagnostics.ErrorMessages.NotAwaited);
        }
    }

    // ---- the operation token of the library's awaitables ------------------------------------------------------

    /// <summary>The token of the current operation: an awaitable carries it, and awaiting it consumes it.</summary>
    internal short Token => (short)((uint)_bits >> TokenShift);

    /// <summary>Consumes <paramref name="token"/>; raises when the awaitable was already awaited (or is stale).</summary>
    internal void ConsumeToken(short token)
    {
        if (token != Token)
        {
            throw new InvalidOperationException(Diagnostics.ErrorMessages.AwaitedTwice);
        }

        _bits = unchecked(_bits + (1 << TokenShift));
    }

    /// <summary>Raises unless <paramref name="token"/> is the current operation's.</summary>
    internal void CheckToken(short token)
    {
        if (token != Token)
        {
            throw new InvalidOperationException(Diagnostics.ErrorMessages.AwaitedTwice);
        }
    }

    // ---- what is raised at the suspension point --------------------------------------------------------------

    /// <summary>
    /// Delivers <paramref name="exception"/> to be raised at this tasklet's suspension point. A new one replaces one still
    /// pending, as Stackless's <c>TASKLET_SETVAL_OWN</c> does.
    /// </summary>
    internal void DeliverException(Exception exception) => PendingException = ExceptionDispatchInfo.Capture(exception);

    /// <summary>Whether something is to be raised at the next resumption.</summary>
    internal bool HasPending => (_bits & PendingBit) != 0;

    /// <summary>Raises what was delivered to this tasklet while it was suspended: a kill, a throw, or a bomb in <see cref="TempVal"/>.</summary>
    internal void ThrowIfPending()
    {
        if ((_bits & PendingBit) != 0)
        {
            RaisePending();
        }
    }

    private void RaisePending()
    {
        var cold = _cold!;
        var pending = Interlocked.Exchange(ref cold.PendingException, null);
        if (pending is not null)
        {
            SetBit(PendingBit, cold.HasPending);
            pending.Throw();
        }

        if (cold.TempVal is Bomb bomb)
        {
            cold.TempVal = null;
            SetBit(PendingBit, cold.HasPending);
            bomb.Raise();
        }

        if (cold.ReboundMainBody is { } body)
        {
            cold.ReboundMainBody = null;
            SetBit(PendingBit, cold.HasPending);
            _scheduler.RunReboundMain(body); // does not return
        }

        SetBit(PendingBit, false); // taken meanwhile by a cooperative operation (TakePendingFromAnyThread)
    }
}

/// <summary>
/// Something a tasklet resumes by one virtual call instead of a delegate: a suspended <see cref="TaskletFrame"/> frame,
/// a step of an asynchronous channel enumerator.
/// </summary>
internal abstract class Resumable
{
    /// <summary>Continues the suspended flow on the calling (dispatch) thread.</summary>
    public abstract void Resume();
}

/// <summary>How an exception sent through a channel instead of a value is raised in the receiver.</summary>
internal static class ErrorTransfer
{
    /// <summary>
    /// Raises a handed-over error: an <see cref="Exception"/> is thrown afresh (<c>SendException</c>, a new raise as in
    /// Stackless, so resending one object never grows its stack trace); an <see cref="ExceptionDispatchInfo"/> is rethrown
    /// with its original trace (<c>SendThrow</c>).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    public static void Raise(object error)
    {
        if (error is ExceptionDispatchInfo info)
        {
            info.Throw();
        }

        throw (Exception)error;
    }

    /// <summary>Returns <paramref name="value"/>, or raises <paramref name="error"/> or a <see cref="Bomb"/> value.</summary>
    public static T Deliver<T>(T value, object? error)
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
}
