using System.Threading.Tasks.Sources;

namespace Stackless.Emu;

public partial class Channel<T> : IEnumerable<T>, IAsyncEnumerable<T>
{
    /// <summary>
    /// Whether iteration is over without receiving: the channel is closing and no sender waits (Stackless's
    /// <c>closing and balance &lt;= 0</c>).
    /// </summary>
    private bool IterationEnded => _closing && _balance <= 0;

    /// <summary>
    /// Iterates by receiving until the channel is closed and empty, or a sender sends <see cref="StopIteration"/>.
    /// For main and hard tasklets; soft tasklets use <c>await foreach</c>.
    /// </summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Iterates asynchronously (soft tasklets); ends like <see cref="GetEnumerator"/>.</summary>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new AsyncEnumerator(this);

    /// <summary>The synchronous enumerator: each <see cref="MoveNext"/> is a <see cref="Receive()"/>.</summary>
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
                return false;
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
        }

        /// <inheritdoc/>
        public readonly void Reset() => throw new NotSupportedException("A channel cannot be rewound.");

        /// <inheritdoc/>
        public readonly void Dispose()
        {
        }
    }

    /// <summary>
    /// The asynchronous enumerator. It is its own <see cref="IValueTaskSource{TResult}"/>, so each step that suspends
    /// allocates nothing: the continuation is stored in the receiving tasklet.
    /// </summary>
    private sealed class AsyncEnumerator : IAsyncEnumerator<T>, IValueTaskSource<bool>
    {
        private readonly Channel<T> _channel;
        private Tasklet? _suspended;
        private short _version;

        public AsyncEnumerator(Channel<T> channel)
        {
            _channel = channel;
            Current = default!;
        }

        public T Current { get; private set; }

        public ValueTask<bool> MoveNextAsync()
        {
            if (_channel.IterationEnded)
            {
                return new ValueTask<bool>(false);
            }

            var caller = ThreadScheduler.Current.EnterAsyncForm();
            try
            {
                if (caller.IsThreaded)
                {
                    Current = _channel.ReceiveThreaded(caller);
                    return new ValueTask<bool>(true);
                }

                if (!_channel.ReceiveCore(caller, out var value))
                {
                    caller.ThrowIfPending();
                    Current = value;
                    return new ValueTask<bool>(true);
                }
            }
            catch (StopIteration)
            {
                return new ValueTask<bool>(false);
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
            try
            {
                Current = tasklet.TakeReceived<T>();
                return true;
            }
            catch (StopIteration)
            {
                return false;
            }
        }

        public ValueTaskSourceStatus GetStatus(short token)
        {
            CheckToken(token);

            // The step is over once the receiving tasklet runs again.
            return _suspended is null || !_suspended.IsSuspended ? ValueTaskSourceStatus.Succeeded : ValueTaskSourceStatus.Pending;
        }

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        {
            CheckToken(token);
            _suspended!.SetResume(Continuation.From(continuation, state));
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
