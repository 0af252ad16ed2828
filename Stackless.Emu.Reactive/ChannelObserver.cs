namespace Stackless.Emu.Reactive;

/// <summary>
/// The observer of <see cref="ObservableChannel.SubscribeTo{T}"/>: turns notifications into channel operations. Rx calls
/// it serially (the observer contract), from whatever thread the source produces on.
/// </summary>
internal sealed class ChannelObserver<T>(Channel<T> channel) : IObserver<T>, IDisposable
{
    private readonly CancellationTokenSource _disposed = new();
    private IDisposable? _upstream;

    /// <summary>Keeps the source's subscription, to end it on dispose (at once if disposed already).</summary>
    public void Attach(IDisposable upstream)
    {
        if (Interlocked.CompareExchange(ref _upstream, upstream, null) is not null || _disposed.IsCancellationRequested)
        {
            upstream.Dispose();
        }
    }

    public void OnNext(T value)
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        CheckCanWait();
        try
        {
            if (Thread.CurrentThread.IsThreadPoolThread)
            {
                // A thread-pool thread runs no tasklets: its wait is cancellable, so disposing ends it.
                channel.Send(value, _disposed.Token);
            }
            else
            {
                channel.Send(value);
            }
        }
        catch (OperationCanceledException) when (_disposed.IsCancellationRequested)
        {
            // Unsubscribed while waiting for a receiver: the value is not sent.
        }
    }

    public void OnError(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        CheckCanWait();
        channel.SendThrow(error);
        channel.TryComplete(error);
    }

    public void OnCompleted()
    {
        if (!_disposed.IsCancellationRequested)
        {
            channel.TryComplete();
        }
    }

    public void Dispose()
    {
        if (_disposed.IsCancellationRequested)
        {
            return;
        }

        _disposed.Cancel();
        Interlocked.Exchange(ref _upstream, NoSubscription.Instance)?.Dispose();
    }

    /// <summary>OnNext and OnError wait for a receiver, which a soft tasklet cannot do synchronously.</summary>
    private static void CheckCanWait()
    {
        if (Tasklet.Current.Kind == TaskletKind.Soft)
        {
            throw new InvalidOperationException(
                "An observer of SubscribeTo/ToChannel was called inside a soft tasklet (for instance after " +
                "ObserveOn(taskletScheduler)), where it cannot wait for a receiver. Let the source notify on another thread " +
                "(remove that ObserveOn, or add SubscribeOn(TaskPoolScheduler.Default)), or send from a hard tasklet.");
        }
    }

    /// <summary>Marks the upstream slot as taken once disposed.</summary>
    private sealed class NoSubscription : IDisposable
    {
        public static readonly NoSubscription Instance = new();

        public void Dispose()
        {
        }
    }
}
