using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Placement;

namespace Stackless.Emu.Orleans;

/// <summary>
/// A distributed rendezvous channel. Not reentrant: one operation at a time, in arrival order. A send finding a
/// receiver delivers the value to the receiver's group and completes; a receive finding a sender tells the sender's group
/// its value was taken and returns it; otherwise the operation waits in the queue until a partner, its timeout, a
/// withdrawal or the channel's close. The channel is the authority on every transfer: an outcome is recorded (and, when
/// durable, written) whether or not the notification reached its tasklet, which can fetch it later (Poll).
/// </summary>
[PreferLocalPlacement]
[GrainType(ChannelGrain.TypeName)]
internal sealed class ChannelGrain : Grain, IChannelGrain
{
    /// <summary>The grain type name, for finding active channels.</summary>
    public const string TypeName = "stackless-channel";

    private readonly IPersistentState<ChannelState> _state;
    private readonly StacklessNodeOptions _options;
    private readonly ILogger<ChannelGrain> _logger;
    private IGrainTimer? _expiry;
    private IGrainTimer? _renotify;
    private DateTime? _expiryDue;

    public ChannelGrain(
        [PersistentState("channel", StacklessStorage.ProviderName)] IPersistentState<ChannelState> state,
        IOptions<StacklessNodeOptions> options,
        ILogger<ChannelGrain> logger)
    {
        _state = state;
        _options = options.Value;
        _logger = logger;
    }

    private ChannelState State => _state.State;

    private string Name => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        ScheduleExpiry();
        ScheduleRenotify();
        return Task.CompletedTask;
    }

    public async Task<ChannelReply> SendAsync(Endpoint from, string elementType, object? value, TimeSpan? timeout)
    {
        if (Repeated(from, elementType) is { } known)
        {
            return known;
        }

        while (State.Waiters.Count > 0 && State.Waiters[0].Direction < 0)
        {
            var receiver = Dequeue();
            var delivered = new ChannelReply(ReplyKind.Received, value);
            if (await NotifyAsync(receiver.Endpoint, delivered) == DeliveryResult.Refused)
            {
                State.DroppedWaiters++;
                continue;
            }

            Record(receiver.Endpoint.Operation, delivered);
            Record(from.Operation, ChannelReply.Taken);
            State.Transfers++;
            await SaveAsync();
            return ChannelReply.Taken;
        }

        return await WaitAsync(from, +1, value, timeout);
    }

    public async Task<ChannelReply> ReceiveAsync(Endpoint from, string elementType, TimeSpan? timeout)
    {
        if (Repeated(from, elementType) is { } known)
        {
            return known;
        }

        while (State.Waiters.Count > 0 && State.Waiters[0].Direction > 0)
        {
            var sender = Dequeue();
            if (await NotifyAsync(sender.Endpoint, ChannelReply.Taken) == DeliveryResult.Refused)
            {
                // The sender is gone for good: its value is withdrawn, as a killed sender's is in Stackless.
                State.DroppedWaiters++;
                continue;
            }

            var received = new ChannelReply(ReplyKind.Received, sender.Value);
            Record(sender.Endpoint.Operation, ChannelReply.Taken);
            Record(from.Operation, received);
            State.Transfers++;
            await SaveAsync();
            return received;
        }

        return await WaitAsync(from, -1, null, timeout);
    }

    public Task<ChannelReply> PollAsync(Endpoint from)
    {
        if (Outcome(from.Operation) is { } outcome)
        {
            return Task.FromResult(outcome);
        }

        return Task.FromResult(State.Waiters.Exists(w => w.Endpoint == from)
            ? ChannelReply.Waiting
            : new ChannelReply(ReplyKind.Unknown, Message: $"The channel '{Name}' has no record of operation {from.Operation}: its state was lost (a channel grain that is not durable was deactivated or its node died), or the record aged out of the outcome log."));
    }

    public async Task<ChannelReply> WithdrawAsync(Endpoint from)
    {
        var index = State.Waiters.FindIndex(w => w.Endpoint == from);
        if (index < 0)
        {
            return await PollAsync(from);
        }

        State.Waiters.RemoveAt(index);
        var withdrawn = new ChannelReply(ReplyKind.Withdrawn);
        Record(from.Operation, withdrawn);
        await SaveAsync();
        return withdrawn;
    }

    public async Task CloseAsync()
    {
        State.Closing = true;
        await SaveAsync();
    }

    public async Task OpenAsync()
    {
        State.Closing = false;
        await SaveAsync();
    }

    public Task<ChannelDescription> DescribeAsync() => Task.FromResult(new ChannelDescription
    {
        Name = Name,
        Silo = GrainContext.Address.SiloAddress?.ToString() ?? "?",
        ElementType = State.ElementType,
        Balance = State.Balance,
        Closing = State.Closing,
        Closed = State.Closing && State.Waiters.Count == 0,
        Waiters = State.Waiters.ConvertAll(w => w.ToString()),
        Transfers = State.Transfers,
        Unconfirmed = State.Unconfirmed.Count,
        DroppedWaiters = State.DroppedWaiters,
        Durable = _options.DurableChannels,
    });

    /// <summary>Checks the element type; returns the outcome of an operation seen before, or null for a new one.</summary>
    private ChannelReply? Repeated(Endpoint from, string elementType)
    {
        State.ElementType ??= elementType;
        if (!string.Equals(State.ElementType, elementType, StringComparison.Ordinal))
        {
            return new ChannelReply(ReplyKind.Refused, Message: $"The distributed channel '{Name}' carries {State.ElementType}, not {elementType}: use one element type per channel name.");
        }

        if (Outcome(from.Operation) is { } outcome)
        {
            return outcome;
        }

        return State.Waiters.Exists(w => w.Endpoint == from) ? ChannelReply.Waiting : null;
    }

    private async Task<ChannelReply> WaitAsync(Endpoint from, int direction, object? value, TimeSpan? timeout)
    {
        if (State.Closing)
        {
            return new ChannelReply(ReplyKind.Closed);
        }

        State.Waiters.Add(new Waiter
        {
            Direction = direction,
            Endpoint = from,
            Value = value,
            Deadline = timeout is { } t ? DateTime.UtcNow + t : null,
        });
        await SaveAsync();
        ScheduleExpiry();
        return ChannelReply.Waiting;
    }

    private Waiter Dequeue()
    {
        var waiter = State.Waiters[0];
        State.Waiters.RemoveAt(0);
        return waiter;
    }

    /// <summary>
    /// Tells a waiter's group the outcome. A failed call counts as delivered: the outcome is recorded, and a live tasklet
    /// that missed the notification fetches it by polling (a tasklet whose node died without a checkpoint loses it).
    /// </summary>
    private async Task<DeliveryResult> NotifyAsync(Endpoint to, ChannelReply reply)
    {
        try
        {
            return await GrainFactory.GetGrain<ITaskletGroupGrain>(to.Group).DeliverAsync(to.Operation, reply);
        }
#pragma warning disable CA1031 // Any failure of the notification is handled by recording the outcome for polling.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            ChannelLog.NotificationFailed(_logger, Name, to.ToString(), ex);
            State.Unconfirmed.Add(new Notification(to, reply));
            ScheduleRenotify();
            return DeliveryResult.Accepted;
        }
    }

    /// <summary>While notifications are unconfirmed, retries them every poll interval.</summary>
    private void ScheduleRenotify()
    {
        if (State.Unconfirmed.Count > 0 && _renotify is null)
        {
            var every = _options.PollInterval;
            _renotify = this.RegisterGrainTimer(RenotifyAsync, new GrainTimerCreationOptions(every, every) { KeepAlive = true });
        }
    }

    private async Task RenotifyAsync(CancellationToken cancellationToken)
    {
        var pending = State.Unconfirmed;
        State.Unconfirmed = [];
        foreach (var notification in pending)
        {
            try
            {
                await GrainFactory.GetGrain<ITaskletGroupGrain>(notification.To.Group).DeliverAsync(notification.To.Operation, notification.Reply);
            }
#pragma warning disable CA1031 // Kept for the next round.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                ChannelLog.NotificationFailed(_logger, Name, notification.To.ToString(), ex);
                State.Unconfirmed.Add(notification);
            }
        }

        await SaveAsync();
        if (State.Unconfirmed.Count == 0)
        {
            _renotify?.Dispose();
            _renotify = null;
        }
    }

    /// <summary>The recorded outcome of <paramref name="operation"/>, or null.</summary>
    private ChannelReply? Outcome(OperationKey operation) =>
        State.Outcomes.TryGetValue(operation.Tasklet, out var records) ? records.Find(r => r.Sequence == operation.Sequence)?.Reply : null;

    private void Record(OperationKey operation, ChannelReply reply)
    {
        if (!State.Outcomes.TryGetValue(operation.Tasklet, out var records))
        {
            State.Outcomes[operation.Tasklet] = records = [];
        }

        records.RemoveAll(r => r.Sequence == operation.Sequence);
        records.Add(new OutcomeRecord(operation.Sequence, reply));
        if (records.Count > _options.OutcomeLogSize)
        {
            records.RemoveRange(0, records.Count - _options.OutcomeLogSize);
        }

        State.OutcomeTasklets.Remove(operation.Tasklet);
        State.OutcomeTasklets.Add(operation.Tasklet);
        while (State.OutcomeTasklets.Count > _options.OutcomeLogTasklets)
        {
            State.Outcomes.Remove(State.OutcomeTasklets[0]);
            State.OutcomeTasklets.RemoveAt(0);
        }
    }

    private Task SaveAsync() => _options.DurableChannels ? _state.WriteStateAsync() : Task.CompletedTask;

    /// <summary>Arms a one-shot timer for the earliest deadline of a waiter (none when no waiter has one).</summary>
    private void ScheduleExpiry()
    {
        DateTime? earliest = null;
        foreach (var waiter in State.Waiters)
        {
            if (waiter.Deadline is { } d && (earliest is null || d < earliest))
            {
                earliest = d;
            }
        }

        if (earliest is null || (_expiryDue is { } due && due <= earliest && _expiry is not null))
        {
            return;
        }

        _expiry?.Dispose();
        _expiryDue = earliest;
        var delay = earliest.Value - DateTime.UtcNow;
        _expiry = this.RegisterGrainTimer(
            ExpireAsync,
            new GrainTimerCreationOptions(delay < TimeSpan.Zero ? TimeSpan.Zero : delay, Timeout.InfiniteTimeSpan) { KeepAlive = true });
    }

    private async Task ExpireAsync(CancellationToken cancellationToken)
    {
        _expiry?.Dispose();
        _expiry = null;
        _expiryDue = null;
        var now = DateTime.UtcNow;
        var expired = State.Waiters.FindAll(w => w.Deadline is { } d && d <= now);
        if (expired.Count > 0)
        {
            var timedOut = new ChannelReply(ReplyKind.TimedOut);
            State.Waiters.RemoveAll(w => expired.Contains(w));
            foreach (var waiter in expired)
            {
                Record(waiter.Endpoint.Operation, timedOut);
            }

            await SaveAsync();
            foreach (var waiter in expired)
            {
                await NotifyAsync(waiter.Endpoint, timedOut);
            }
        }

        ScheduleExpiry();
    }
}

/// <summary>The channel grain's log messages.</summary>
internal static partial class ChannelLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Channel {Channel}: the notification of {Endpoint} failed; its outcome is recorded for polling.")]
    public static partial void NotificationFailed(ILogger logger, string channel, string endpoint, Exception exception);
}
