namespace Stackless.Emu;

public partial class Channel<T>
{
    /// <summary>
    /// Receives a value: with a sender waiting, takes its value (by default the caller goes on and the sender is
    /// appended to the round); otherwise waits for a sender. Synchronous form: main and hard tasklets. On the main
    /// tasklet it runs the scheduler until a value arrives, so <c>while (true) Console.WriteLine(ch.Receive());</c>
    /// at top level just works.
    /// </summary>
    /// <exception cref="ChannelClosedException">The channel is closing and no sender waits.</exception>
    /// <exception cref="BlockTrapException">The caller would block and its <see cref="Tasklet.BlockTrap"/> is set.</exception>
    /// <exception cref="DeadlockException">The caller would block and nothing could ever wake it.</exception>
    public T Receive()
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Receive()", "channel.ReceiveAsync()");
        return ReceiveThreaded(caller);
    }

    /// <summary>Asynchronous form of <see cref="Receive()"/>, for soft tasklets. Await it at once.</summary>
    public ReceiveAwaitable<T> ReceiveAsync()
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        if (caller.IsThreaded)
        {
            return new ReceiveAwaitable<T>(null, ReceiveThreaded(caller));
        }

        return ReceiveCore(caller, out var value) ? new ReceiveAwaitable<T>(caller, default!) : new ReceiveAwaitable<T>(null, value);
    }

    /// <summary>Receives on the own thread of a main or hard tasklet.</summary>
    private T ReceiveThreaded(Tasklet caller)
    {
        if (!ReceiveCore(caller, out var value))
        {
            caller.ThrowIfPending();
            return value;
        }

        caller.Scheduler.Drive(caller, exiting: false);
        return caller.TakeReceived<T>();
    }
}
