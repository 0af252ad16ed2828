using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

public partial class Channel<T>
{
    /// <summary>
    /// Sends <paramref name="value"/>: with a receiver waiting, hands it over (by default the receiver runs at once and
    /// the caller goes to the end of the round); otherwise waits for a receiver. Synchronous form: main and hard tasklets.
    /// </summary>
    /// <exception cref="ChannelClosedException">The channel is closing and no receiver waits.</exception>
    /// <exception cref="BlockTrapException">The caller would block and its <see cref="Tasklet.BlockTrap"/> is set.</exception>
    /// <exception cref="DeadlockException">The caller would block and nothing could ever wake it.</exception>
    public void Send(T value)
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Send()", "channel.SendAsync()");
        caller.Scheduler.SuspendSync(caller, SendCore(caller, value, null));
    }

    /// <summary>Asynchronous form of <see cref="Send(T)"/>, for soft tasklets. Await it at once.</summary>
    public SwitchAwaitable SendAsync(T value)
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendAsync(caller, SendCore(caller, value, null));
    }

    /// <summary>
    /// Sends an exception: the receiver raises <paramref name="exception"/> afresh instead of receiving a value (Stackless's
    /// <c>send_exception</c>); its stack trace starts at the receiver. Use <see cref="SendThrow"/> to keep an existing trace.
    /// </summary>
    public void SendException(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        SendError(exception, "Channel.SendException()", "channel.SendExceptionAsync()");
    }

    /// <summary>Sends a new exception of <paramref name="exceptionType"/> built from <paramref name="args"/> (Stackless's <c>send_exception(exc_class, *args)</c>).</summary>
    /// <exception cref="ArgumentException"><paramref name="exceptionType"/> is not a concrete exception type.</exception>
    public void SendException(Type exceptionType, params object?[] args) =>
        SendException(Tasklet.CreateException(exceptionType, args, "channel.send_exception"));

    /// <summary>Asynchronous form of <see cref="SendException(Exception)"/>.</summary>
    public SwitchAwaitable SendExceptionAsync(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return SendErrorAsync(exception);
    }

    /// <summary>Asynchronous form of <see cref="SendException(Type, object[])"/>.</summary>
    public SwitchAwaitable SendExceptionAsync(Type exceptionType, params object?[] args) =>
        SendExceptionAsync(Tasklet.CreateException(exceptionType, args, "channel.send_exception"));

    /// <summary>
    /// Sends an existing exception, which the receiver rethrows with its original stack trace (Stackless's
    /// <c>send_throw</c>, with raise semantics).
    /// </summary>
    public void SendThrow(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        SendError(ExceptionDispatchInfo.Capture(exception), "Channel.SendThrow()", "channel.SendThrowAsync()");
    }

    /// <summary>Asynchronous form of <see cref="SendThrow"/>.</summary>
    public SwitchAwaitable SendThrowAsync(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return SendErrorAsync(ExceptionDispatchInfo.Capture(exception));
    }

    /// <summary>The synchronous form of sending an error (see <see cref="TransferSlot{T}.Error"/>).</summary>
    private void SendError(object error, string syncName, string asyncName)
    {
        var caller = ThreadScheduler.Current.EnterSyncForm(syncName, asyncName);
        caller.Scheduler.SuspendSync(caller, SendCore(caller, default!, error));
    }

    /// <summary>The asynchronous form of sending an error (see <see cref="TransferSlot{T}.Error"/>).</summary>
    private SwitchAwaitable SendErrorAsync(object error)
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendAsync(caller, SendCore(caller, default!, error));
    }

    /// <summary>Sends every item of <paramref name="items"/> in turn; returns how many were sent (Stackless's <c>send_sequence</c>).</summary>
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

    /// <summary>Asynchronous form of <see cref="SendSequence"/>, for soft tasklets.</summary>
    public async Task<int> SendSequenceAsync(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        var count = 0;
        foreach (var item in items)
        {
            await SendAsync(item);
            count++;
        }

        return count;
    }
}
