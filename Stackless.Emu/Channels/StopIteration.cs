namespace Stackless.Emu;

/// <summary>
/// The C# equivalent of sending Python's <c>StopIteration</c> on a channel: a receiver that gets it
/// from <see cref="Channel{T}.SendException(Exception)"/> ends its <c>foreach</c> or
/// <c>await foreach</c> loop over the channel normally; a plain <c>Receive</c> raises it.
/// </summary>
public class StopIteration : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public StopIteration() : base("The channel's sender ended the iteration.") { }

    /// <summary>Creates the exception with a message.</summary>
    public StopIteration(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public StopIteration(string message, Exception innerException) : base(message, innerException) { }
}
