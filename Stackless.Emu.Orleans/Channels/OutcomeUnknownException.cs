namespace Stackless.Emu.Orleans;

/// <summary>
/// A distributed channel operation whose outcome cannot be known: its calls to the channel kept failing or timing out
/// (the channel's node is unreachable), or the channel lost its record of the operation. A send may or may not have
/// been taken; a receive may have lost a value. Never retried silently: the caller decides (see the delivery model in
/// docs/distributed.md).
/// </summary>
public sealed class OutcomeUnknownException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OutcomeUnknownException()
        : base("The outcome of the distributed channel operation is unknown.")
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public OutcomeUnknownException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with <paramref name="message"/> and the failure that caused it.</summary>
    public OutcomeUnknownException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
