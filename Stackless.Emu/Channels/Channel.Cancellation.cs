using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Cancellable and timed channel operations. The token's callback may fire on any thread; it only posts a request to
    // the waiting tasklet's own scheduler, which takes the tasklet out of the channel and raises
    // OperationCanceledException in it, unless the operation completed first. The plain overloads stay allocation-free;
    // these allocate a registration and a request per call.

    /// <summary>Like <see cref="Receive()"/>, but a cancellation of <paramref name="cancellationToken"/> while waiting ends the wait with <see cref="OperationCanceledException"/>.</summary>
    public T Receive(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            return Receive();
        }

        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Receive()", "channel.ReceiveAsync()");
        using var request = new CancelRequest(this, caller, cancellationToken);
        return ReceiveThreaded(caller);
    }

    /// <summary>Asynchronous form of <see cref="Receive(CancellationToken)"/>, for soft tasklets.</summary>
    public async Task<T> ReceiveAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scheduler = ThreadScheduler.Current;
        if (scheduler.Executing.IsThreaded)
        {
            return Receive(cancellationToken);
        }

        var caller = scheduler.EnterAsyncForm();
        var pending = ReceiveCore(caller, out var value);
        if (!pending)
        {
            return value;
        }

        using var request = new CancelRequest(this, caller, cancellationToken);
        return await new ReceiveAwaitable<T>(caller, default!);
    }

    /// <summary>Like <see cref="Send(T)"/>, but a cancellation of <paramref name="cancellationToken"/> while waiting for a receiver ends the wait with <see cref="OperationCanceledException"/>; the value is then not sent.</summary>
    public void Send(T value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!cancellationToken.CanBeCanceled)
        {
            Send(value);
            return;
        }

        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Send()", "channel.SendAsync()");
        using var request = new CancelRequest(this, caller, cancellationToken);
        caller.Scheduler.SuspendSync(caller, SendCore(caller, value, null));
    }

    /// <summary>Asynchronous form of <see cref="Send(T, CancellationToken)"/>, for soft tasklets.</summary>
    public async Task SendAsync(T value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scheduler = ThreadScheduler.Current;
        if (scheduler.Executing.IsThreaded)
        {
            Send(value, cancellationToken);
            return;
        }

        var caller = scheduler.EnterAsyncForm();
        var awaitable = scheduler.SuspendAsync(caller, SendCore(caller, value, null));
        if (awaitable.IsCompleted || (caller.Flags & TaskletFlags.InChannel) == 0)
        {
            await awaitable; // did not block on this channel: nothing to cancel
            return;
        }

        using var request = new CancelRequest(this, caller, cancellationToken);
        await awaitable;
    }

    /// <summary>
    /// Receives, waiting at most <paramref name="timeout"/> as measured by <paramref name="timeProvider"/>
    /// (<see cref="TimeProvider.System"/> when null, a fake one in tests).
    /// </summary>
    /// <exception cref="TimeoutException">No sender came within <paramref name="timeout"/>.</exception>
    public async Task<T> ReceiveAsync(TimeSpan timeout, TimeProvider? timeProvider = null)
    {
        using var timer = new CancellationTokenSource(timeout, timeProvider ?? TimeProvider.System);
        try
        {
            return await ReceiveAsync(timer.Token);
        }
        catch (OperationCanceledException ex) when (ex.CancellationToken == timer.Token)
        {
            throw new TimeoutException(ErrorMessages.ChannelTimeout("receive", timeout), ex);
        }
    }

    /// <summary>
    /// Sends, waiting at most <paramref name="timeout"/> for a receiver as measured by <paramref name="timeProvider"/>
    /// (<see cref="TimeProvider.System"/> when null); on timeout the value is not sent.
    /// </summary>
    /// <exception cref="TimeoutException">No receiver came within <paramref name="timeout"/>.</exception>
    public async Task SendAsync(T value, TimeSpan timeout, TimeProvider? timeProvider = null)
    {
        using var timer = new CancellationTokenSource(timeout, timeProvider ?? TimeProvider.System);
        try
        {
            await SendAsync(value, timer.Token);
        }
        catch (OperationCanceledException ex) when (ex.CancellationToken == timer.Token)
        {
            throw new TimeoutException(ErrorMessages.ChannelTimeout("send", timeout), ex);
        }
    }

    /// <summary>
    /// A cancellation of one wait of one tasklet on this channel, performed by the tasklet's own scheduler. Created on the
    /// waiter's thread just before the wait (it registers with the token); disposed there when the operation has
    /// returned, however it ended, after which a late request does nothing.
    /// </summary>
    /// <remarks>While it is open the scheduler counts it like pending I/O: a wait that a timer can end is no deadlock.</remarks>
    private sealed class CancelRequest : IDisposable
    {
        private readonly Channel<T> _channel;
        private readonly Tasklet _waiter;
        private readonly CancellationToken _token;
        private readonly CancellationTokenRegistration _registration;
        private bool _done;

        public CancelRequest(Channel<T> channel, Tasklet waiter, CancellationToken token)
        {
            _channel = channel;
            _waiter = waiter;
            _token = token;
            waiter.Scheduler.CancellableWaits++;
            _registration = token.UnsafeRegister(static r => ((CancelRequest)r!).Post(), this);
        }

        public void Dispose()
        {
            _done = true;
            _waiter.Scheduler.CancellableWaits--;
            _registration.Dispose();
        }

        /// <summary>Called from the token's callback, on any thread.</summary>
        private void Post() => _waiter.Scheduler.PostAction(Apply);

        private void Apply()
        {
            if (!_done && _waiter.BlockedOn == _channel)
            {
                _waiter.CancelChannelWait(new OperationCanceledException(_token));
            }
        }
    }
}
