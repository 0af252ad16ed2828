namespace Stackless.Emu.Orleans;

/// <summary>
/// The grain behind a <see cref="DistributedChannel{T}"/>, keyed by the channel's name: one activation in the cluster
/// serialises every operation, so FIFO order among waiters and the rendezvous hold across nodes. Every operation is
/// idempotent per <see cref="Endpoint"/>: repeating it returns the first outcome.
/// </summary>
public interface IChannelGrain : IGrainWithStringKey
{
    /// <summary>Sends <paramref name="value"/> for <paramref name="from"/>: hands it to the first waiting receiver, or queues it.</summary>
    Task<ChannelReply> SendAsync(Endpoint from, string elementType, object? value, TimeSpan? timeout);

    /// <summary>Receives for <paramref name="from"/>: takes the first waiting sender's value, or queues the receiver.</summary>
    Task<ChannelReply> ReceiveAsync(Endpoint from, string elementType, TimeSpan? timeout);

    /// <summary>The current outcome of an operation: <see cref="ReplyKind.Waiting"/>, its outcome, or <see cref="ReplyKind.Unknown"/>.</summary>
    Task<ChannelReply> PollAsync(Endpoint from);

    /// <summary>Withdraws a waiting operation (cancellation); if it already finished, returns its outcome instead.</summary>
    Task<ChannelReply> WithdrawAsync(Endpoint from);

    /// <summary>Marks the channel closing (operations that would wait get <see cref="ReplyKind.Closed"/>).</summary>
    Task CloseAsync();

    /// <summary>Reopens the channel.</summary>
    Task OpenAsync();

    /// <summary>The channel's queue and counters, for diagnostics.</summary>
    Task<ChannelDescription> DescribeAsync();
}
