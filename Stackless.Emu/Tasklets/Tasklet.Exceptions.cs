using System.Runtime.ExceptionServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// Ends the tasklet by raising <see cref="TaskletExit"/> at its suspension point, so its <c>finally</c> and
    /// <c>using</c> blocks run (Stackless's <c>kill</c>). A blocked tasklet leaves its channel first (the balance is
    /// restored). A dead tasklet is left alone; a tasklet that never ran dies without running its body.
    /// </summary>
    /// <param name="pending">False: switch to the tasklet now and return when it has died or suspended again. A tasklet
    /// waiting for I/O cannot run before its I/O ends: its <see cref="CancellationToken"/> is cancelled, and the caller
    /// waits until it has run (its foreign operation must honour the token, as the cooperative wrappers do, or the caller
    /// waits for the operation to end). A tasklet of another thread is killed by its own thread and the caller goes on
    /// (Stackless's interthread rule). True: only make it runnable; it dies when its turn comes, and the caller continues.</param>
    /// <remarks>Thread safety: any thread. On a tasklet of another thread the operation is posted to that thread's scheduler and the call returns at once (Stackless's rule between threads); a precondition that fails there, when the operation runs, raises in that thread's main tasklet (or innermost <c>Scheduler.Run</c> caller), since the caller has moved on.</remarks>
    public void Kill(bool pending = false)
    {
        DropFramesIfThreadEnded();
        Throw(new TaskletExit(), pending, "Tasklet.Kill()", "tasklet.KillAsync()");
    }

    /// <summary>Asynchronous form of <see cref="Kill"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: as <see cref="Kill"/>, from a soft tasklet.</remarks>
    public SwitchAwaitable KillAsync(bool pending = false)
    {
        DropFramesIfThreadEnded();
        return ThrowAsync(new TaskletExit(), pending);
    }

    /// <summary>
    /// Stackless's kill of a tasklet without a thread state drops its frames (it does not silently change the tasklet's
    /// thread): the tasklet leaves its channel and its ended thread's queue and is dead; nothing of it runs.
    /// </summary>
    private void DropFramesIfThreadEnded()
    {
        if (HasFrames && !IsForeign && _scheduler.OwnerEnded)
        {
            _scheduler.TryApplyWhileParked(this, static t =>
            {
                if (!t.HasFrames)
                {
                    return;
                }

                if (t.WaitingOnChannel is { } channel && !channel.WithdrawForeign(t))
                {
                    return;
                }

                if (t.Wait == TaskletWait.Runnable)
                {
                    t._scheduler.RemoveRunnable(t);
                }

                t.EndWithoutThread();
            });
        }
    }

    /// <summary>
    /// Raises <paramref name="exception"/> in this tasklet at its suspension point (Stackless's <c>throw</c>); the
    /// exception keeps its stack trace if it was thrown before. A blocked tasklet leaves its channel first. When it is
    /// called while another exception is still pending in the tasklet, the new one replaces it (as in Stackless).
    /// </summary>
    /// <param name="exception">The exception to raise.</param>
    /// <param name="pending">False: switch to the tasklet now (see <see cref="Kill"/> for a tasklet waiting for I/O).
    /// True: only make it runnable; the caller continues.</param>
    /// <exception cref="InvalidOperationException">The tasklet is dead (unless <paramref name="exception"/> is a <see cref="TaskletExit"/>).</exception>
    /// <remarks>Thread safety: any thread. On a tasklet of another thread the operation is posted to that thread's scheduler and the call returns at once (Stackless's rule between threads); a precondition that fails there, when the operation runs, raises in that thread's main tasklet (or innermost <c>Scheduler.Run</c> caller), since the caller has moved on.</remarks>
    public void Throw(Exception exception, bool pending = false) =>
        Throw(exception, pending, "Tasklet.Throw()", "tasklet.ThrowAsync()");

    /// <summary>Asynchronous form of <see cref="Throw(Exception, bool)"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: as <see cref="Throw(Exception, bool)"/>, from a soft tasklet.</remarks>
    public SwitchAwaitable ThrowAsync(Exception exception, bool pending = false)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendAsync(caller, ThrowCore(caller, exception, pending));
    }

    /// <summary>
    /// Creates an exception of <paramref name="exceptionType"/> with <paramref name="args"/> and raises it in this
    /// tasklet now (Stackless's <c>raise_exception(exc_class, *args)</c>).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="exceptionType"/> is not an <see cref="Exception"/> type.</exception>
    /// <remarks>Thread safety: as <see cref="Throw(Exception, bool)"/>.</remarks>
    public void RaiseException(Type exceptionType, params object?[] args) =>
        Throw(CreateException(exceptionType, args, "tasklet.raise_exception"), false, "Tasklet.RaiseException()", "tasklet.RaiseExceptionAsync()");

    /// <summary>Asynchronous form of <see cref="RaiseException"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: as <see cref="Throw(Exception, bool)"/>, from a soft tasklet.</remarks>
    public SwitchAwaitable RaiseExceptionAsync(Type exceptionType, params object?[] args) =>
        ThrowAsync(CreateException(exceptionType, args, "tasklet.raise_exception"), pending: false);

    /// <summary>
    /// Instantiates an exception type the way Stackless's <c>slp_make_bomb</c> does. A Python class takes any arguments:
    /// when no constructor of <paramref name="exceptionType"/> fits <paramref name="args"/>, the exception is created with
    /// its message (a first string argument) or without arguments, and every argument is kept in
    /// <see cref="Exception.Data"/> under "args".
    /// </summary>
    internal static Exception CreateException(Type exceptionType, object?[]? args, string operation)
    {
        ArgumentNullException.ThrowIfNull(exceptionType);
        if (!typeof(Exception).IsAssignableFrom(exceptionType) || exceptionType.IsAbstract)
        {
            throw new ArgumentException(
                $"{operation} needs Exception or string subclass as first parameter: {exceptionType} is not a concrete Exception type.",
                nameof(exceptionType));
        }

        args ??= [];
        try
        {
            return (Exception)Activator.CreateInstance(exceptionType, args)!;
        }
        catch (MissingMethodException) when (args.Length > 0)
        {
            var fallback = args[0] is string message && exceptionType.GetConstructor([typeof(string)]) is not null
                ? (Exception)Activator.CreateInstance(exceptionType, message)!
                : exceptionType.GetConstructor(Type.EmptyTypes) is not null
                    ? (Exception)Activator.CreateInstance(exceptionType)!
                    : throw new ArgumentException(
                        $"{exceptionType.Name} has no constructor taking {args.Length} argument(s) of the given types, nor a parameterless or message constructor.",
                        nameof(args));
            fallback.Data["args"] = args;
            return fallback;
        }
        catch (MissingMethodException ex)
        {
            throw new ArgumentException($"{exceptionType.Name} has no parameterless constructor.", nameof(args), ex);
        }
    }

    private void Throw(Exception exception, bool pending, string syncName, string asyncName)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var scheduler = ThreadScheduler.Current;

        // A pending throw never switches, so it is allowed anywhere, soft tasklets included.
        var caller = pending ? scheduler.Executing : scheduler.EnterSyncForm(syncName, asyncName);
        caller.Scheduler.SuspendSync(caller, ThrowCore(caller, exception, pending));
    }

    /// <summary>Arranges for <paramref name="exception"/> to be raised in this tasklet; returns whether the caller must suspend.</summary>
    private bool ThrowCore(Tasklet caller, Exception exception, bool pending)
    {
        if (HasFrames && !IsForeign && _scheduler != caller.Scheduler && _scheduler.OwnerEnded)
        {
            // Its thread has ended and it still has frames: only a kill (which drops them first) can reach it (Stackless).
            throw new InvalidOperationException(ErrorMessages.ThreadEnded);
        }

        if (!Alive)
        {
            if (exception is TaskletExit)
            {
                return false;
            }

            throw new InvalidOperationException(ErrorMessages.ThrowDead);
        }

        if (this == caller)
        {
            CancelOnInterrupt(exception);
            ExceptionDispatchInfo.Throw(exception);
        }

        if (IsForeign)
        {
            // The stand-in of code outside the tasklet world: its operation ends with the exception.
            _cold!.Foreign!.Interrupt(exception);
            return false;
        }

        if (_scheduler != caller.Scheduler)
        {
            // A tasklet of another thread is interrupted by its own scheduler; the caller goes on (Stackless's interthread
            // kill). Inside an atomic block it comes with the block's other remote operations, in order.
            PostToOwnThread(t => t.Interrupt(exception));

            return false;
        }

        if (!pending && _scheduler.HasRareWork)
        {
            _scheduler.ThrowIfSwitchTrapped();
        }

        if (Interrupt(exception))
        {
            if (pending)
            {
                return false;
            }

            _scheduler.MakeCurrent(this);
            return true;
        }

        if (pending || !Alive)
        {
            return false;
        }

        // It cannot run before its I/O (or the wake from another thread) arrives: the caller waits until it has run.
        _scheduler.JoinInterrupted(caller, this);
        return true;
    }

    /// <summary>
    /// Ends a tasklet whose thread has ended (its channel has already let it go): it is dead, and nothing of it runs
    /// (Stackless kills a thread's tasklets when the thread ends; their frames die with the thread here).
    /// </summary>
    internal void EndWithoutThread()
    {
        _bits &= ~(AliveBit | StartedBit);
        ClearResume();
        ClearValue();
        _scheduler.ForgetAliveOfEndedThread(this);
    }

    /// <summary>Ends this tasklet's wait on its channel with <paramref name="error"/> (a cancelled or timed-out operation); on its own thread.</summary>
    internal void CancelChannelWait(Exception error) => Interrupt(error);

    /// <summary>
    /// Stackless kills a thread's tasklets with C state when the thread ends: this hard tasklet, which noticed the end of
    /// its scheduler's thread while it waited for the baton, gets <see cref="TaskletExit"/> pending and leaves its
    /// channel; it raises as its wait returns. Under the scheduler's park lock (ThreadScheduler.ThreadEnd.cs).
    /// </summary>
    internal void PrepareKillAtThreadEnd()
    {
        var exit = new TaskletExit();
        DeliverException(exit);
        CancelOnInterrupt(exit);
        if (Wait == TaskletWait.Channel)
        {
            LeaveChannel(); // if another thread served it meanwhile, its wake goes to the ended thread's inbox: no one runs it
        }
    }

    /// <summary>
    /// Arranges for <paramref name="exception"/> to be raised in this tasklet of the calling thread at its suspension
    /// point and makes it runnable; false when it cannot run yet (blocked on I/O, or its wake from another thread is on
    /// the way), in which case it raises once it does.
    /// </summary>
    private bool Interrupt(Exception exception)
    {
        if (!Alive)
        {
            return false;
        }

        // Delivered before the token is cancelled: code that runs on the cancellation finds the exception (Cooperative).
        DeliverException(exception);
        CancelOnInterrupt(exception);

        var wait = Wait;
        if (wait is TaskletWait.Io or TaskletWait.ChannelServed)
        {
            // Operations given Tasklet.CancellationToken were cancelled above and complete soon; any other foreign
            // awaitable runs to its end. Either way the exception is raised when the tasklet next runs.
            RemovedWhileInIo = false;
            return false;
        }

        if (wait == TaskletWait.Channel && !LeaveChannel())
        {
            // Served by a channel action on another thread meanwhile: it becomes runnable when that wake arrives, then raises.
            return false;
        }

        if (Wait != TaskletWait.Runnable)
        {
            _scheduler.AppendRunnable(this);
        }

        return true;
    }

    /// <summary>
    /// Takes this tasklet, waiting in a channel, out of its channel's queue on its own thread; false when a channel
    /// action on another thread has already served it and its wake is on the way.
    /// </summary>
    internal bool LeaveChannel() => WaitingOnChannel is { } channel && channel.RemoveWaiter(this);

    /// <summary>
    /// Takes the exception pending in this tasklet, from any thread (a cooperative operation cancelled by a kill or throw
    /// raises it in place of its cancellation, so the tasklet sees the kill, once).
    /// </summary>
    internal ExceptionDispatchInfo? TakePendingFromAnyThread() =>
        _cold is { } cold ? Interlocked.Exchange(ref cold.PendingException, null) : null;
}
