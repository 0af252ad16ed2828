namespace Stackless.Emu.Orleans;

/// <summary>
/// The outcome of a distributed operation as a waiting tasklet receives it on its port. Pickled with the tasklet when it
/// has been handed over but not yet taken, so <typeparamref name="T"/> values must be picklable.
/// </summary>
/// <typeparam name="T">The channel's element type.</typeparam>
/// <param name="Kind">What happened.</param>
/// <param name="Value">The value received, for <see cref="ReplyKind.Received"/>.</param>
/// <param name="Message">An explanation, if any.</param>
internal sealed record Delivery<T>(ReplyKind Kind, T Value, string? Message)
{
    /// <summary>Converts a channel grain's reply.</summary>
    public static Delivery<T> From(ChannelReply reply) =>
        new(reply.Kind, reply.Kind == ReplyKind.Received ? (T)reply.Value! : default!, reply.Message);
}

/// <summary>What a group needs of a port, whatever its element type.</summary>
internal interface IPort
{
    /// <summary>Tasklets waiting on the port (&lt; 0 when the operation's tasklet waits for its outcome).</summary>
    int Balance { get; }

    /// <summary>Sends <paramref name="reply"/> to the waiting tasklet; call it from a tasklet of the port's thread.</summary>
    SwitchAwaitable HandAsync(ChannelReply reply);
}

/// <summary>
/// A local channel on which one tasklet waits for the outcome of one distributed operation. Waiting here (a library
/// awaitable) keeps the tasklet restorable: the port is pickled with it, and the group finds it again after a load.
/// </summary>
/// <typeparam name="T">The distributed channel's element type.</typeparam>
internal sealed class Port<T> : Channel<Delivery<T>>, IPort
{
    /// <inheritdoc/>
    public SwitchAwaitable HandAsync(ChannelReply reply) => SendAsync(Delivery<T>.From(reply));
}
