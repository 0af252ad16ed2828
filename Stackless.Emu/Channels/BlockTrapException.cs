namespace Stackless.Emu;

/// <summary>
/// Raised when a tasklet whose <see cref="Tasklet.BlockTrap"/> is set would block on a channel
/// (Stackless's <c>RuntimeError: this tasklet does not like to be blocked.</c>).
/// </summary>
public class BlockTrapException : InvalidOperationException
{
    /// <summary>Creates the exception with Stackless's message.</summary>
    public BlockTrapException() : base(Diagnostics.ErrorMessages.BlockTrap) { }

    /// <summary>Creates the exception with a message.</summary>
    public BlockTrapException(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public BlockTrapException(string message, Exception innerException) : base(message, innerException) { }
}
