namespace Stackless.Emu.Orleans;

/// <summary>
/// A rendezvous channel shared by tasklets on every node of an Orleans cluster, identified by its name (a grain per
/// channel). A send completes only when a receiver has taken the value; waiters are served first come, first served.
/// Use it from tasklets of a group (<see cref="TaskletCluster.SpawnAsync"/>), exactly like a local channel through
/// <see cref="IRendezvousChannel{T}"/>: every operation is a <see cref="TaskletFrame"/>, and a tasklet waiting in one can
/// be pickled (migrated, checkpointed).
/// </summary>
/// <remarks>
/// The object holds only the name, so it pickles as its name (by fields: the frames of its operations have it as their
/// <c>this</c>) and any number of instances name the same channel.
/// Values cross the network: <typeparamref name="T"/> must be serializable by Orleans (primitives, strings,
/// <c>[GenerateSerializer]</c> types) and picklable (a blocked sender's value is in its frame); receivers get copies.
/// Differences from a local channel (no preference or schedule_all, no deadlock detection, the delivery model under
/// failures) are in docs/distributed.md.
/// </remarks>
/// <typeparam name="T">The type of the values sent.</typeparam>
[PickleByFields]
public sealed class DistributedChannel<T> : IRendezvousChannel<T>
{
    /// <summary>Names a distributed channel.</summary>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public DistributedChannel(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
    }

    /// <summary>The channel's name: its identity in the cluster.</summary>
    public string Name { get; }

    /// <summary>The element type as the channel grain records it.</summary>
    private static string ElementType => typeof(T).FullName ?? typeof(T).Name;

    /// <inheritdoc/>
    public TaskletFrame SendAsync(T value) => SendCoreAsync(Begin(default), value, null);

    /// <inheritdoc/>
    /// <remarks>The timeout is kept by the channel grain, so the wait stays restorable and survives a migration.</remarks>
    public TaskletFrame SendAsync(T value, TimeSpan timeout) => SendCoreAsync(Begin(default), value, Positive(timeout));

    /// <inheritdoc/>
    /// <remarks>The token is local to this node: after a migration or a restore it no longer applies.</remarks>
    public TaskletFrame SendAsync(T value, CancellationToken cancellationToken) => SendCoreAsync(Begin(cancellationToken), value, null);

    /// <inheritdoc/>
    public TaskletFrame<T> ReceiveAsync() => ReceiveCoreAsync(Begin(default), null);

    /// <inheritdoc/>
    /// <remarks>The timeout is kept by the channel grain, so the wait stays restorable and survives a migration.</remarks>
    public TaskletFrame<T> ReceiveAsync(TimeSpan timeout) => ReceiveCoreAsync(Begin(default), Positive(timeout));

    /// <inheritdoc/>
    /// <remarks>The token is local to this node: after a migration or a restore it no longer applies.</remarks>
    public TaskletFrame<T> ReceiveAsync(CancellationToken cancellationToken) => ReceiveCoreAsync(Begin(cancellationToken), null);

    /// <inheritdoc/>
    public async TaskletFrame CloseAsync() => await Grain().CloseAsync();

    /// <inheritdoc/>
    public async TaskletFrame OpenAsync() => await Grain().OpenAsync();

    /// <inheritdoc/>
    public override string ToString() => $"DistributedChannel<{typeof(T).Name}>('{Name}')";

    private static TimeSpan Positive(TimeSpan timeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        return timeout;
    }

    /// <summary>Allocates the calling tasklet's next operation (and watches its token); runs before the frame starts.</summary>
    private static OperationKey Begin(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var group = LocalGroup.Current(out var identity);
        var key = LocalGroup.NextOperation(identity);
        if (cancellationToken.CanBeCanceled)
        {
            group.WatchCancellation(key, cancellationToken);
        }

        return key;
    }

    private static IChannelGrain Grain(string name) =>
        (TaskletNode.Current ?? throw new InvalidOperationException("Distributed channel operations run on a scheduler thread of a silo with AddStacklessTasklets."))
            .GrainFactory.GetGrain<IChannelGrain>(name);

    private IChannelGrain Grain() => Grain(Name);

    private async TaskletFrame SendCoreAsync(OperationKey key, T value, TimeSpan? timeout)
    {
        var delivery = await ExchangeAsync(key, +1, value, timeout);
        Complete(delivery, "send", timeout);
    }

    private async TaskletFrame<T> ReceiveCoreAsync(OperationKey key, TimeSpan? timeout)
    {
        var delivery = await ExchangeAsync(key, -1, default!, timeout);
        return Complete(delivery, "receive", timeout);
    }

    /// <summary>
    /// One operation: past the freeze gate, an outcome kept from before a restore, or a call to the channel; if the
    /// operation waits there, the tasklet waits on its port (restorably) until the channel delivers the outcome.
    /// </summary>
    private async TaskletFrame<Delivery<T>> ExchangeAsync(OperationKey key, int direction, T value, TimeSpan? timeout)
    {
        while (LocalGroup.Current(out _).Freezing)
        {
            await LocalGroup.Current(out _).Gate.ReceiveAsync();
        }

        if (LocalGroup.Current(out _).TryTakeEarly(key, out var early))
        {
            return Delivery<T>.From(early);
        }

        var port = new Port<T> { Name = $"port of {key} on '{Name}'" };
        var delivery = await StartAsync(key, port, direction, value, timeout);
        if (delivery is null)
        {
            // The outcome may have arrived between the call's completion and this step (the continuation of a foreign
            // await runs later): take it, or wait on the port. No await in between, so nothing can slip through.
            delivery = TakeArrived(key) ?? await port.ReceiveAsync();
            LocalGroup.Current(out _).Close(key, abandoned: false);
        }

        return delivery;
    }

    /// <summary>
    /// Opens the operation and calls the channel (retrying: operations are idempotent per key); returns the outcome,
    /// or null when the operation waits in the channel. Not restorable while the call is in flight.
    /// </summary>
    private async Task<Delivery<T>?> StartAsync(OperationKey key, Port<T> port, int direction, T value, TimeSpan? timeout)
    {
        var group = LocalGroup.Current(out _);
        group.Open(key, port, Name);
        var endpoint = new Endpoint(group.Name, key);
        var channel = Grain();
        var attempts = Math.Max(1, group.Node.Options.CallAttempts);
        ChannelReply reply;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                reply = direction > 0
                    ? await channel.SendAsync(endpoint, ElementType, value, timeout)
                    : await channel.ReceiveAsync(endpoint, ElementType, timeout);
                break;
            }
#pragma warning disable CA1031 // Every failure of the call is retried, then reported as an unknown outcome.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                if (attempt >= attempts)
                {
                    group.Close(key, abandoned: true);
                    throw new OutcomeUnknownException(
                        $"The distributed {(direction > 0 ? "send" : "receive")} on channel '{Name}' ({key}) failed {attempts} time(s); whether a value was transferred is unknown. Last error: {ex.Message}",
                        ex);
                }
            }
        }

        if (reply.IsFinal)
        {
            group.Close(key, abandoned: reply.Kind is ReplyKind.Refused or ReplyKind.Unknown);
            return Delivery<T>.From(reply);
        }

        if (group.Registered(key) is { } arrived)
        {
            group.Close(key, abandoned: false);
            return Delivery<T>.From(arrived);
        }

        return null;
    }

    /// <summary>The outcome of a registered operation that arrived before its tasklet waited on its port, or null.</summary>
    private static Delivery<T>? TakeArrived(OperationKey key) =>
        LocalGroup.Current(out _).TakeArrived(key) is { } reply ? Delivery<T>.From(reply) : null;

    /// <summary>Turns an outcome into the operation's result or exception.</summary>
    private T Complete(Delivery<T> delivery, string operation, TimeSpan? timeout) => delivery.Kind switch
    {
        ReplyKind.Taken or ReplyKind.Received => delivery.Value,
        ReplyKind.TimedOut => throw new TimeoutException($"The distributed channel {operation} on '{Name}' timed out after {timeout}: no partner came. Nothing was transferred; retry, or wait longer."),
        ReplyKind.Withdrawn => throw new OperationCanceledException($"The distributed channel {operation} on '{Name}' was cancelled before a partner came; nothing was transferred."),
        ReplyKind.Closed => throw new ChannelClosedException($"The distributed channel '{Name}' is closed: {operation} would wait. Open it (OpenAsync) to use it again."),
        ReplyKind.Unknown => throw new OutcomeUnknownException(delivery.Message ?? $"The channel '{Name}' lost its record of this {operation}."),
        _ => throw new InvalidOperationException(delivery.Message ?? $"The distributed channel {operation} on '{Name}' was refused."),
    };
}
