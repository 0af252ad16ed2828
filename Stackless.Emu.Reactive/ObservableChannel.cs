using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace Stackless.Emu.Reactive;

/// <summary>
/// An <see cref="IObservable{T}"/> into a channel, with rendezvous backpressure: each OnNext waits until a tasklet has
/// received the value.
/// </summary>
public static class ObservableChannel
{
    /// <summary>
    /// Subscribes to <paramref name="source"/> and sends its notifications on <paramref name="channel"/>: OnNext sends the
    /// value and returns only once a receiver has taken it (the source's thread waits: a thread without tasklets blocks
    /// only itself, main and hard tasklets run their scheduler meanwhile); OnError sends the error
    /// (<see cref="Channel{T}.SendThrow"/>: one receiver raises it) and then completes the channel with it; OnCompleted
    /// completes the channel (<see cref="Channel{T}.TryComplete"/>), so the receivers' iteration ends.
    /// </summary>
    /// <remarks>
    /// The subscription happens on the calling thread: a source that produces synchronously while it is subscribed
    /// (<c>Observable.Range</c>) then sends from here, and waits for receivers that may not exist yet; use
    /// <see cref="ToChannel{T}(IObservable{T}, CancellationToken)"/>, which subscribes on the thread pool, or
    /// <c>SubscribeOn</c>. OnNext must not run in a soft tasklet (for instance after <c>ObserveOn(taskletScheduler)</c>),
    /// which cannot wait: it raises <see cref="InvalidOperationException"/>. Disposing the subscription unsubscribes and
    /// ends a wait of a thread-pool thread in OnNext; the value it offered is then not sent.
    /// Thread safety: any thread; the source may notify from any thread (as the channel's operations may), one
    /// notification at a time as Rx's contract requires.
    /// </remarks>
    public static IDisposable SubscribeTo<T>(this IObservable<T> source, Channel<T> channel)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(channel);
        var observer = new ChannelObserver<T>(channel);
        observer.Attach(source.Subscribe(observer));
        return observer;
    }

    /// <summary>
    /// A new channel fed by <paramref name="source"/> as <see cref="SubscribeTo{T}"/> does, subscribed on the thread pool
    /// (so a synchronous source waits there for the receivers, not on the caller's thread). Iterate it in tasklets
    /// (<c>await foreach</c>); it completes when the source does. A cancellation of <paramref name="cancellationToken"/>
    /// unsubscribes.
    /// </summary>
    /// <remarks>Thread safety: any thread; the channel is owned by the calling thread's scheduler, fed from the thread pool.</remarks>
#pragma warning disable VSTHRD200 // Returns a channel (async-enumerable as a side of being a channel), not an operation.
    public static Channel<T> ToChannel<T>(this IObservable<T> source, CancellationToken cancellationToken = default)
#pragma warning restore VSTHRD200
    {
        ArgumentNullException.ThrowIfNull(source);
        var channel = new Channel<T>();
        var subscription = source.SubscribeOn(TaskPoolScheduler.Default).SubscribeTo(channel);
        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.UnsafeRegister(static s => ((IDisposable)s!).Dispose(), subscription);
        }

        return channel;
    }
}
