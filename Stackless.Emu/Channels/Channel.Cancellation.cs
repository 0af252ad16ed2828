namespace Stackless.Emu;

public partial class Channel<T>
{
    // Cancellable and timed channel operations, in one shape per operation: the same awaitables as the plain forms, and
    // synchronous forms beside them. A cancellation (or the timer) fires on any thread; it only posts a request to the
    // waiting tasklet's own scheduler, which takes the tasklet out of the channel and raises OperationCanceledException
    // (TimeoutException for a timeout) in it, unless the operation completed first. The plain overloads stay
    // allocation-free; these allocate a request and a registration per call that has to wait.

    /// <summary>Like <see cref="Receive()"/>, but a cancellation of <paramref name="cancellationToken"/> while waiting ends the wait with <see cref="OperationCanceledException"/>.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public T Receive(CancellationToken cancellationToken) => ReceiveWithin(new WaitLimit(null, null, cancellationToken));

    /// <summary>
    /// Receives, waiting at most <paramref name="timeout"/> as measured by <paramref name="timeProvider"/>
    /// (<see cref="TimeProvider.System"/> when null, a fake one in tests).
    /// </summary>
    /// <exception cref="TimeoutException">No sender came within <paramref name="timeout"/>.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public T Receive(TimeSpan timeout, TimeProvider? timeProvider = null) =>
        ReceiveWithin(new WaitLimit(timeout, timeProvider, default));

    /// <summary>Asynchronous form of <see cref="Receive(CancellationToken)"/>.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public ReceiveAwaitable<T> ReceiveAsync(CancellationToken cancellationToken) =>
        ReceiveWithinAsync(new WaitLimit(null, null, cancellationToken));

    /// <summary>Asynchronous form of <see cref="Receive(TimeSpan, TimeProvider)"/>.</summary>
    /// <exception cref="TimeoutException">No sender came within <paramref name="timeout"/>.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public ReceiveAwaitable<T> ReceiveAsync(TimeSpan timeout, TimeProvider? timeProvider = null) =>
        ReceiveWithinAsync(new WaitLimit(timeout, timeProvider, default));

    /// <summary>Like <see cref="Send(T)"/>, but a cancellation of <paramref name="cancellationToken"/> while waiting for a receiver ends the wait with <see cref="OperationCanceledException"/>; the value is then not sent.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public void Send(T value, CancellationToken cancellationToken) => SendWithin(value, new WaitLimit(null, null, cancellationToken));

    /// <summary>
    /// Sends, waiting at most <paramref name="timeout"/> for a receiver as measured by <paramref name="timeProvider"/>
    /// (<see cref="TimeProvider.System"/> when null); on timeout the value is not sent.
    /// </summary>
    /// <exception cref="TimeoutException">No receiver came within <paramref name="timeout"/>.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public void Send(T value, TimeSpan timeout, TimeProvider? timeProvider = null) =>
        SendWithin(value, new WaitLimit(timeout, timeProvider, default));

    /// <summary>Asynchronous form of <see cref="Send(T, CancellationToken)"/>.</summary>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public SwitchAwaitable SendAsync(T value, CancellationToken cancellationToken) =>
        SendWithinAsync(value, new WaitLimit(null, null, cancellationToken));

    /// <summary>Asynchronous form of <see cref="Send(T, TimeSpan, TimeProvider)"/>.</summary>
    /// <exception cref="TimeoutException">No receiver came within <paramref name="timeout"/>.</exception>
    /// <remarks>Thread safety: any thread: the operation takes the channel's lock once the channel is shared (see the class remarks). A partner waiting on another thread is woken on its own thread. The token or timer may fire on any thread: the withdrawal takes the same lock.</remarks>
    public SwitchAwaitable SendAsync(T value, TimeSpan timeout, TimeProvider? timeProvider = null) =>
        SendWithinAsync(value, new WaitLimit(timeout, timeProvider, default));

    // The request is open before the operation, so that a wait a token can end is no deadlock; it does nothing unless
    // the caller is waiting on this channel when it fires.

    private T ReceiveWithin(WaitLimit options)
    {
        options.ThrowIfInvalid();
        if (!options.CanEnd)
        {
            return Receive();
        }

        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Receive()", "channel.ReceiveAsync()");
        using (new CancelRequest(this, caller, options))
        {
            if (ReceiveCore(caller))
            {
                caller.Scheduler.Drive(caller, exiting: false);
            }
        }

        caller.ThrowIfPending();
        return caller.TakeValue<T>();
    }

    private ReceiveAwaitable<T> ReceiveWithinAsync(WaitLimit options)
    {
        options.ThrowIfInvalid();
        if (!options.CanEnd)
        {
            return ReceiveAsync();
        }

        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        if (caller.IsThreaded)
        {
            if (scheduler.IsOutsideTaskletWorld(caller))
            {
                return new ReceiveAwaitable<T>(ReceiveForeign(scheduler, options));
            }

            var value = ReceiveWithin(options);
            caller.PutValue(value);
            return new ReceiveAwaitable<T>(caller, suspends: false);
        }

        var request = new CancelRequest(this, caller, options);
        var suspends = ReceiveCore(caller);
        KeepWhileWaiting(caller, request, suspends);
        return new ReceiveAwaitable<T>(caller, suspends);
    }

    private void SendWithin(T value, WaitLimit options)
    {
        options.ThrowIfInvalid();
        if (!options.CanEnd)
        {
            Send(value);
            return;
        }

        var caller = ThreadScheduler.Current.EnterSyncForm("Channel.Send()", "channel.SendAsync()");
        using (new CancelRequest(this, caller, options))
        {
            var mustSuspend = SendCore(caller, value, null);
            if (mustSuspend)
            {
                caller.Scheduler.Drive(caller, exiting: false);
            }
        }

        caller.ThrowIfPending();
    }

    private SwitchAwaitable SendWithinAsync(T value, WaitLimit options)
    {
        options.ThrowIfInvalid();
        if (!options.CanEnd)
        {
            return SendAsync(value);
        }

        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        if (caller.IsThreaded)
        {
            if (scheduler.IsOutsideTaskletWorld(caller))
            {
                return new SwitchAwaitable(SendForeign(scheduler, value, null, options));
            }

            SendWithin(value, options);
            return new SwitchAwaitable(caller, suspends: false);
        }

        var request = new CancelRequest(this, caller, options);
        var awaitable = scheduler.SuspendAsync(caller, SendCore(caller, value, null));
        KeepWhileWaiting(caller, request, !awaitable.IsCompleted);
        return awaitable;
    }

    /// <summary>Keeps <paramref name="request"/> open until the operation returns if the caller suspended, else closes it.</summary>
    private void KeepWhileWaiting(Tasklet caller, CancelRequest request, bool suspends)
    {
        if (suspends && caller.WaitingOnChannel == this)
        {
            caller.Cold.CancelRequest = request;
        }
        else
        {
            request.Dispose();
        }
    }

    /// <summary>
    /// A cancellation (or timeout) of one wait of one tasklet on this channel, performed by the tasklet's own scheduler.
    /// Created on the waiter's thread just after it blocked (it registers with the token); disposed there when the
    /// operation has returned, however it ended, after which a late request does nothing.
    /// </summary>
    /// <remarks>While it is open the scheduler counts it like pending I/O: a wait that a timer can end is no deadlock.</remarks>
    private sealed class CancelRequest : ICancelRequest
    {
        private readonly Channel<T> _channel;
        private readonly Tasklet _waiter;
        private readonly CancellationTokenSource? _timer;
        private readonly WaitLimit _options;
        private readonly CancellationTokenRegistration _registration;
        private bool _done;

        public CancelRequest(Channel<T> channel, Tasklet waiter, WaitLimit options)
        {
            _channel = channel;
            _waiter = waiter;
            _options = options;
            waiter.Scheduler.CancellableWaits++;
            _timer = options.CreateTimer();
            var token = _timer?.Token ?? options.Token;

            _registration = token.UnsafeRegister(static r => ((CancelRequest)r!).Post(), this);
        }

        public void Dispose()
        {
            if (_done)
            {
                return;
            }

            _done = true;
            _waiter.Scheduler.CancellableWaits--;
            _registration.Dispose();
            _timer?.Dispose();
        }

        /// <summary>Called from the token's callback, on any thread.</summary>
        private void Post() => _waiter.Scheduler.PostAction(Apply);

        private void Apply()
        {
            if (!_done && _waiter.WaitingOnChannel == _channel)
            {
                _waiter.CancelChannelWait(_options.Error(_waiter.WaitDirection > 0 ? "send" : "receive"));
            }
        }
    }
}

/// <summary>An open cancellation of a tasklet's channel wait, disposed when the operation returns.</summary>
internal interface ICancelRequest : IDisposable
{
}
