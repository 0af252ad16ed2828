using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

public partial class Channel<T>
{
    /// <summary>
    /// Sends <paramref name="value"/>: with a receiver waiting, hands it over (by default the receiver runs at once and
    /// the caller goes to the end of the round); otherwise waits for a receiver. Synchronous form: main and hard tasklets,
    /// and any thread without tasklets of its own (it blocks only that thread until a receiver takes the value).
    /// </summary>
    /// <exception cref="ChannelClosedException">The channel is closing and no receiver waits.</exception>
    /// <exception cref="BlockTrapException">The caller would block and its <see cref="Tasklet.BlockTrap"/> is set.</exception>
    /// <exception cref="DeadlockException">The caller would block and nothing could ever wake it.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public void Send(T value)
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Send()", "channel.SendAsync()");
        caller.Scheduler.SuspendSync(caller, SendCore(caller, value, null));
    }

    /// <summary>
    /// Asynchronous form of <see cref="Send(T)"/>, for soft tasklets (main and hard tasklets complete it synchronously).
    /// From code outside the tasklet world (an async method on the thread pool) it completes asynchronously once a
    /// receiver has taken the value, blocking no thread. Await it at once, once.
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public SwitchAwaitable SendAsync(T value)
    {
        var scheduler = CallingScheduler();
        var caller = scheduler.EnterAsyncForm();
        if (caller.IsThreaded && scheduler.IsOutsideTaskletWorld(caller))
        {
            return new SwitchAwaitable(SendForeign(scheduler, value, null, default));
        }

        return scheduler.SuspendAsync(caller, SendCore(caller, value, null));
    }

    /// <summary>
    /// Sends an exception: the receiver raises <paramref name="exception"/> afresh instead of receiving a value (Stackless's
    /// <c>send_exception</c>); its stack trace starts at the receiver. Use <see cref="SendThrow"/> to keep an existing trace.
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public void SendException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        SendError(exception, "Channel.SendException()", "channel.SendExceptionAsync()");
    }

    /// <summary>Sends a new exception of <paramref name="exceptionType"/> built from <paramref name="args"/> (Stackless's <c>send_exception(exc_class, *args)</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="exceptionType"/> is not a concrete exception type.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public void SendException(Type exceptionType, params object?[] args) =>
        SendException(Tasklet.CreateException(exceptionType, args, "channel.send_exception"));

    /// <summary>Asynchronous form of <see cref="SendException(Exception)"/>.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public SwitchAwaitable SendExceptionAsync(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return SendErrorAsync(exception);
    }

    /// <summary>Asynchronous form of <see cref="SendException(Type, object[])"/>.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public SwitchAwaitable SendExceptionAsync(Type exceptionType, params object?[] args) =>
        SendExceptionAsync(Tasklet.CreateException(exceptionType, args, "channel.send_exception"));

    /// <summary>
    /// Sends an existing exception, which the receiver rethrows with its original stack trace (Stackless's
    /// <c>send_throw</c>, with raise semantics).
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public void SendThrow(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        SendError(ExceptionDispatchInfo.Capture(exception), "Channel.SendThrow()", "channel.SendThrowAsync()");
    }

    /// <summary>Asynchronous form of <see cref="SendThrow"/>.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public SwitchAwaitable SendThrowAsync(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return SendErrorAsync(ExceptionDispatchInfo.Capture(exception));
    }

    /// <summary>The synchronous form of sending an error (see <see cref="ErrorTransfer"/>).</summary>
    private void SendError(object error, string syncName, string asyncName)
    {
        var caller = ThreadScheduler.Current.EnterSyncForm(syncName, asyncName);
        caller.Scheduler.SuspendSync(caller, SendCore(caller, default!, error));
    }

    /// <summary>The asynchronous form of sending an error (see <see cref="ErrorTransfer"/>).</summary>
    private SwitchAwaitable SendErrorAsync(object error)
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        if (caller.IsThreaded && scheduler.IsOutsideTaskletWorld(caller))
        {
            return new SwitchAwaitable(SendForeign(scheduler, default!, error, default));
        }

        return scheduler.SuspendAsync(caller, SendCore(caller, default!, error));
    }

    /// <summary>Sends every item of <paramref name="items"/> in turn; returns how many were sent (Stackless's <c>send_sequence</c>).</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public int SendSequence(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        ThreadScheduler.Current.EnterSyncForm("Channel.SendSequence()", "channel.SendSequenceAsync()");
        var count = 0;
        foreach (var item in items)
        {
            Send(item);
            count++;
        }

        return count;
    }

    /// <summary>
    /// Asynchronous form of <see cref="SendSequence"/>, for soft tasklets: a <see cref="TaskletFrame"/> method, so a tasklet
    /// suspended in it can be pickled. A cancellation of <paramref name="cancellationToken"/> while it waits for a receiver
    /// ends it with <see cref="OperationCanceledException"/>; the items sent so far stay sent.
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public async TaskletFrame<int> SendSequenceAsync(IEnumerable<T> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        var count = 0;
        foreach (var item in items)
        {
            await SendAsync(item, cancellationToken);
            count++;
        }

        return count;
    }
}
