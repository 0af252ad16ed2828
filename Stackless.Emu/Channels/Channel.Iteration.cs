using System.Threading.Tasks.Sources;

namespace Stackless.Emu;

public partial class Channel<T> : IEnumerable<T>, IAsyncEnumerable<T>
{
    /// <summary>
    /// Whether iteration is over without receiving: the channel is closing and no sender waits (Stackless's
    /// <c>closing and balance &lt;= 0</c>).
    /// </summary>
    private bool IterationEnded => Closing && Balance <= 0;

    /// <summary>
    /// Iterates by receiving until the channel is closed and empty, completed (<see cref="Complete"/>) and drained, or a
    /// sender sends <see cref="StopIteration"/>.
    /// For main and hard tasklets; soft tasklets use <c>await foreach</c>.
    /// </summary>
    /// <remarks>Thread safety: any thread; each move is a <see cref="Receive()"/> of the thread that moves it.</remarks>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>
    /// Iterates asynchronously (soft tasklets, and code outside the tasklet world); ends like <see cref="GetEnumerator"/>.
    /// A cancellation of <paramref name="cancellationToken"/> (also given by <c>WithCancellation</c>) while a step waits
    /// ends it with <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <remarks>Thread safety: any thread; each move is a <see cref="ReceiveAsync()"/>.</remarks>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new AsyncEnumerator(this, cancellationToken);

    /// <summary>The synchronous enumerator: each <see cref="MoveNext"/> is a <see cref="Receive()"/>.</summary>
    /// <remarks>Thread safety: the enumerating thread only, as any enumerator; each <see cref="MoveNext"/> is a receive, under the channel's rules.</remarks>
    public struct Enumerator : IEnumerator<T>
    {
        private readonly Channel<T> _channel;

        internal Enumerator(Channel<T> channel)
        {
            _channel = channel;
            Current = default!;
        }

        /// <inheritdoc/>
        public T Current { get; private set; }

        readonly object? System.Collections.IEnumerator.Current => Current;

        /// <inheritdoc/>
        public bool MoveNext()
        {
            var caller = ThreadScheduler.Current.EnterSyncForm("foreach over a channel", "foreach over the channel");
            if (_channel.IterationEnded)
            {
                return _channel.EndIteration();
            }

            try
            {
                Current = _channel.ReceiveThreaded(caller);
                return true;
            }
            catch (StopIteration)
            {
                return false;
            }
            catch (ChannelClosedException) when (_channel.IsCompleted)
            {
                return _channel.EndIteration();
            }
        }

        /// <inheritdoc/>
        public readonly void Reset() => throw new NotSupportedException("A channel cannot be rewound.");

        /// <inheritdoc/>
        public readonly void Dispose()
        {
        }
    }

    /// <summary>
    /// The asynchronous enumerator. It is its own <see cref="IValueTaskSource{TResult}"/> and the receiving tasklet's
    /// resumption, so each step that suspends allocates nothing.
    /// </summary>
    private sealed class AsyncEnumerator : Resumable, IAsyncEnumerator<T>, IValueTaskSource<bool>
    {
        private readonly Channel<T> _channel;
        private readonly CancellationToken _cancellation;
        private Tasklet? _suspended;
        private Action<object?>? _continuation;
        private object? _continuationState;
        private short _version;

        public AsyncEnumerator(Channel<T> channel, CancellationToken cancellation)
        {
            _channel = channel;
            _cancellation = cancellation;
            Current = default!;
        }

        public T Current { get; private set; }

        public ValueTask<bool> MoveNextAsync()
        {
            _cancellation.ThrowIfCancellationRequested();
            if (_channel.IterationEnded)
            {
                return new ValueTask<bool>(_channel.EndIteration());
            }

            var scheduler = ThreadScheduler.Current;
            var caller = scheduler.EnterAsyncForm();
            try
            {
                if (caller.IsThreaded)
                {
                    if (scheduler.IsOutsideTaskletWorld(caller))
                    {
                        return ForeignStepAsync(_channel.ReceiveForeign(scheduler, new WaitLimit(null, null, _cancellation)));
                    }

                    Current = _cancellation.CanBeCanceled ? _channel.Receive(_cancellation) : _channel.ReceiveThreaded(caller);
                    return new ValueTask<bool>(true);
                }

                var request = _cancellation.CanBeCanceled ? new CancelRequest(_channel, caller, new WaitLimit(null, null, _cancellation)) : null;
                var suspends = _channel.ReceiveCore(caller);
                if (request is not null)
                {
                    _channel.KeepWhileWaiting(caller, request, suspends);
                }
                else
                {
                    suspends = caller.Scheduler.AtChannelSwitchPoint(caller, suspends);
                }

                if (!suspends)
                {
                    caller.ThrowIfPending();
                    Current = caller.TakeValue<T>();
                    return new ValueTask<bool>(true);
                }
            }
            catch (StopIteration)
            {
                return new ValueTask<bool>(false);
            }
            catch (ChannelClosedException) when (_channel.IsCompleted)
            {
                return new ValueTask<bool>(_channel.EndIteration());
            }

            _suspended = caller;
            return new ValueTask<bool>(this, ++_version);
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        public bool GetResult(short token)
        {
            CheckToken(token);
            var tasklet = _suspended!;
            _suspended = null;
            tasklet.EndCancellableWait();
            try
            {
                tasklet.ThrowIfPending();
                Current = tasklet.TakeValue<T>();
                return true;
            }
            catch (StopIteration)
            {
                return false;
            }
            catch (ChannelClosedException) when (_channel.IsCompleted)
            {
                return _channel.EndIteration();
            }
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            CheckToken(token);

            // The step is over once the receiving tasklet runs again, which is only after it was resumed.
            return _suspended is null ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;
        }

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            CheckToken(token);
            var tasklet = _suspended!;
            _continuation = continuation;
            _continuationState = state;
            tasklet.SetResume(this);
        }

        public override void Resume()
        {
            var continuation = _continuation!;
            var state = _continuationState;
            _continuation = null;
            _continuationState = null;
            continuation(state);
        }

        private async ValueTask<bool> ForeignStepAsync(ForeignOperation operation)
        {
            try
            {
                Current = await new ReceiveAwaitable<T>(operation);
                return true;
            }
            catch (StopIteration)
            {
                return false;
            }
            catch (ChannelClosedException) when (_channel.IsCompleted)
            {
                return _channel.EndIteration();
            }
        }

        private void CheckToken(short token)
        {
            if (token != _version)
            {
                throw new InvalidOperationException("This channel iteration step was already awaited; await each MoveNextAsync once.");
            }
        }
    }
}
