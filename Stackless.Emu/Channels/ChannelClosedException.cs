namespace Stackless.Emu;

/// <summary>
/// Raised by a channel operation that would block on a closing or closed channel (Stackless's
/// <c>ValueError: Send/receive operation on a closed channel</c>). Call <see cref="IChannel.Open"/> to use it again.
/// </summary>
public class ChannelClosedException : InvalidOperationException
{
    /// <summary>Creates the exception with Stackless's message.</summary>
    public ChannelClosedException() : base(Diagnostics.ErrorMessages.ChannelClosed) { }

    /// <summary>Creates the exception with a message.</summary>
    public ChannelClosedException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public ChannelClosedException(string message, Exception innerException) : base(message, innerException) { }
}
