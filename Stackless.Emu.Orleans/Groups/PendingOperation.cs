namespace Stackless.Emu.Orleans;

/// <summary>
/// One distributed operation of a group tasklet, from the moment it is opened until its tasklet took the outcome.
/// Touched only on the group's scheduler thread.
/// </summary>
internal sealed class PendingOperation
{
    public PendingOperation(OperationKey key, IPort port, string channel)
    {
        Key = key;
        Port = port;
        Channel = channel;
    }

    /// <summary>The operation.</summary>
    public OperationKey Key { get; }

    /// <summary>The port the tasklet waits on once the channel queued the operation.</summary>
    public IPort Port { get; }

    /// <summary>The distributed channel's name.</summary>
    public string Channel { get; }

    /// <summary>True once the channel answered <see cref="ReplyKind.Waiting"/> (the operation is queued there).</summary>
    public bool Registered { get; set; }

    /// <summary>The outcome, when it arrived and has not been handed to the tasklet yet.</summary>
    public ChannelReply? Arrived { get; set; }

    /// <summary>True once an outcome arrived (later duplicates are ignored).</summary>
    public bool Settled { get; set; }

    /// <summary>True when the tasklet's cancellation token fired while the operation was still being registered.</summary>
    public bool CancelRequested { get; set; }

    /// <summary>When the group last asked the channel about it (UTC).</summary>
    public DateTime LastPolled { get; set; } = DateTime.UtcNow;

    /// <summary>The registration of the tasklet's cancellation token, if any.</summary>
    public CancellationTokenRegistration Cancellation { get; set; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Key} on channel '{Channel}'{(Registered ? " (queued)" : " (registering)")}{(Arrived is not null ? ", outcome arrived" : string.Empty)}";
}
