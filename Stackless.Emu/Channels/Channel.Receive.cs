namespace Stackless.Emu;

public partial class Channel<T>
{
    /// <summary>
    /// Receives a value: with a sender waiting, takes its value (by default the caller goes on and the sender is
    /// appended to the round); otherwise waits for a sender. Synchronous form: main and hard tasklets, and any thread
    /// without tasklets of its own (it blocks only that thread until a sender comes). On the main tasklet it runs the
    /// scheduler until a value arrives, so <c>while (true) Console.WriteLine(ch.Receive());</c> at top level just works.
    /// </summary>
    /// <exception cref="ChannelClosedException">The channel is closing and no sender waits.</exception>
    /// <exception cref="BlockTrapException">The caller would block and its <see cref="Tasklet.BlockTrap"/> is set.</exception>
    /// <exception cref="DeadlockException">The caller would block and nothing could ever wake it.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public T Receive()
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Receive()", "channel.ReceiveAsync()");
        return ReceiveThreaded(caller);
    }

    /// <summary>
    /// Asynchronous form of <see cref="Receive()"/>, for soft tasklets (main and hard tasklets complete it
    /// synchronously). From code outside the tasklet world (an async method on the thread pool) it completes
    /// asynchronously once a sender comes, blocking no thread. Await it at once, once.
    /// </summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread.</remarks>
    public ReceiveAwaitable<T> ReceiveAsync()
    {
        var scheduler = CallingScheduler();
        var caller = scheduler.EnterAsyncForm();
        if (caller.IsThreaded)
        {
            if (scheduler.IsOutsideTaskletWorld(caller))
            {
                return new ReceiveAwaitable<T>(ReceiveForeign(scheduler, default));
            }

            ReceiveThreaded(caller, consume: false);
            return new ReceiveAwaitable<T>(caller, suspends: false);
        }

        return new ReceiveAwaitable<T>(caller, scheduler.AtChannelSwitchPoint(caller, ReceiveCore(caller)));
    }

    /// <summary>Receives on the own thread of a main or hard tasklet; leaves the value in its fields unless <paramref name="consume"/>.</summary>
    private T ReceiveThreaded(Tasklet caller, bool consume = true)
    {
        var scheduler = caller.Scheduler;
        if (scheduler.AtChannelSwitchPoint(caller, ReceiveCore(caller)))
        {
            scheduler.Drive(caller, exiting: false);
        }

        caller.ThrowIfPending();
        return consume ? caller.TakeValue<T>() : default!;
    }
}
