namespace Stackless.Emu.Reactive;

/// <summary>A channel as an <see cref="IObservable{T}"/>: a receiving tasklet pushes each value it receives to the observer.</summary>
public static class ChannelObservable
{
    /// <summary>
    /// An observable of the values received from <paramref name="channel"/>. Each subscription spawns a soft tasklet on
    /// the subscribing thread's scheduler, which receives in a loop and calls the observer on that thread: OnNext for each
    /// value; OnError with an exception sent on the channel (<see cref="Channel{T}.SendThrow"/>); OnCompleted when the
    /// iteration ends (<see cref="Channel{T}.Complete"/>, a closed and drained channel, a <see cref="StopIteration"/>).
    /// Subscribe on the thread that runs the tasklets (or use the overload taking a <see cref="TaskletScheduler"/>).
    /// </summary>
    /// <remarks>
    /// Subscriptions compete: two subscribers each receive some of the values (use <c>Publish()</c> to share one). Disposing
    /// the subscription kills the receiving tasklet (it ends quietly; a value it was handed but not yet pushed is dropped).
    /// An exception thrown by the observer ends the receiving tasklet and is raised in the thread's main tasklet.
    /// Thread safety: subscribe from any thread; the receiving tasklet, and so the observer, runs on the subscribing thread.
    /// </remarks>
    public static IObservable<T> ToObservable<T>(this Channel<T> channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return new ReceivingObservable<T>(channel, scheduler: null);
    }

    /// <summary>
    /// Like <see cref="ToObservable{T}(Channel{T})"/>, but the receiving tasklet runs on <paramref name="scheduler"/>'s
    /// thread, whichever thread subscribes (it is spawned by posted work, so it starts once that thread runs its scheduler).
    /// </summary>
    /// <remarks>Thread safety: any thread subscribes; the observer runs on <paramref name="scheduler"/>'s thread.</remarks>
    public static IObservable<T> ToObservable<T>(this Channel<T> channel, TaskletScheduler scheduler)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(scheduler);
        return new ReceivingObservable<T>(channel, scheduler);
    }

    private sealed class ReceivingObservable<T>(Channel<T> channel, TaskletScheduler? scheduler) : IObservable<T>
    {
        public IDisposable Subscribe(IObserver<T> observer)
        {
            ArgumentNullException.ThrowIfNull(observer);
            var subscription = new ReceivingSubscription<T>(channel, observer);
            if (scheduler is null)
            {
                subscription.Start();
            }
            else
            {
                scheduler.SynchronizationContext.Post(static s => ((ReceivingSubscription<T>)s!).Start(), subscription);
            }

            return subscription;
        }
    }
}
