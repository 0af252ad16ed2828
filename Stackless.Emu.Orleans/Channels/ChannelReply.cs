namespace Stackless.Emu.Orleans;

/// <summary>What a channel grain tells a tasklet about one operation, as a call's answer or as a later delivery.</summary>
public enum ReplyKind
{
    /// <summary>No partner yet: the operation waits in the channel's queue.</summary>
    Waiting,

    /// <summary>A send completed: a receiver took the value.</summary>
    Taken,

    /// <summary>A receive completed: <see cref="ChannelReply.Value"/> is the value.</summary>
    Received,

    /// <summary>The operation's timeout expired in the channel; nothing was transferred.</summary>
    TimedOut,

    /// <summary>The operation was withdrawn (cancelled) before a partner came; nothing was transferred.</summary>
    Withdrawn,

    /// <summary>The channel is closing and no partner waits.</summary>
    Closed,

    /// <summary>The channel has no record of the operation (a channel whose state was not durable lost it).</summary>
    Unknown,

    /// <summary>The operation was refused (e.g. the channel carries another element type); see <see cref="ChannelReply.Message"/>.</summary>
    Refused,
}

/// <summary>A channel grain's answer about one operation.</summary>
/// <param name="Kind">What happened.</param>
/// <param name="Value">The value received, for <see cref="ReplyKind.Received"/>.</param>
/// <param name="Message">An explanation, for <see cref="ReplyKind.Refused"/> and <see cref="ReplyKind.Unknown"/>.</param>
[GenerateSerializer]
[Immutable]
public sealed record ChannelReply([property: Id(0)] ReplyKind Kind, [property: Id(1)] object? Value = null, [property: Id(2)] string? Message = null)
{
    /// <summary>The reply of an operation that waits.</summary>
    public static ChannelReply Waiting { get; } = new(ReplyKind.Waiting);

    /// <summary>The reply of a completed send.</summary>
    public static ChannelReply Taken { get; } = new(ReplyKind.Taken);

    /// <summary>True when the operation is over (anything but <see cref="ReplyKind.Waiting"/>).</summary>
    public bool IsFinal => Kind != ReplyKind.Waiting;
}

/// <summary>How a group answered a delivery.</summary>
public enum DeliveryResult
{
    /// <summary>The waiting operation got it.</summary>
    Accepted,

    /// <summary>
    /// The tasklet lives but has not issued the operation yet (it was restored from a checkpoint taken before): the group
    /// keeps the outcome and hands it over when the tasklet repeats the operation.
    /// </summary>
    Deferred,

    /// <summary>No live tasklet will ever take it (the tasklet died, or its node died without a checkpoint).</summary>
    Refused,
}
