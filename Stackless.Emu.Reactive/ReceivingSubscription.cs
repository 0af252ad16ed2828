namespace Stackless.Emu.Reactive;

/// <summary>
/// One subscription of <see cref="ChannelObservable.ToObservable{T}(Channel{T})"/>: the soft tasklet that receives from
/// the channel and pushes to the observer. Invariant: the observer is called only by that tasklet, so its calls never
/// overlap, and never after the subscription was disposed or a terminal notification was sent.
/// </summary>
internal sealed class ReceivingSubscription<T>(Channel<T> channel, IObserver<T> observer) : IDisposable
{
    private Tasklet? _receiver;
    private int _disposed;

    private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

    /// <summary>Spawns the receiving tasklet on the calling thread's scheduler, unless the subscription was disposed.</summary>
    public void Start()
    {
        if (IsDisposed)
        {
            return;
        }

        var receiver = new Tasklet(ReceiveAsync) { Name = "ToObservable receiver" };
        Volatile.Write(ref _receiver, receiver);
        receiver.Setup();
        if (IsDisposed)
        {
            receiver.Kill(pending: true); // disposed meanwhile, from another thread
        }
    }

    /// <summary>
    /// Ends the subscription from any thread: the receiving tasklet is killed where it waits (on its own thread), or,
    /// when it disposes its own subscription from inside OnNext, stops after OnNext returns.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0 || Volatile.Read(ref _receiver) is not { } receiver)
        {
            return; // not started yet: Start sees the flag
        }

        if (receiver.ThreadId == Environment.CurrentManagedThreadId && receiver.IsCurrent)
        {
            return; // inside its own OnNext (e.g. Take(n) completing): the loop stops after OnNext
        }

        receiver.Kill(pending: true);
    }

    private async Task ReceiveAsync()
    {
        var values = channel.GetAsyncEnumerator();
        while (!IsDisposed)
        {
            try
            {
                if (!await values.MoveNextAsync())
                {
                    if (!IsDisposed)
                    {
                        observer.OnCompleted();
                    }

                    return;
                }
            }
            catch (TaskletExit)
            {
                return; // killed: the subscription was disposed (or the tasklet killed on purpose)
            }
#pragma warning disable CA1031 // Every error of the channel goes to the observer (Rx's OnError), none is lost.
            catch (Exception error)
#pragma warning restore CA1031
            {
                if (!IsDisposed)
                {
                    observer.OnError(error);
                }

                return;
            }

            observer.OnNext(values.Current);
        }
    }
}
