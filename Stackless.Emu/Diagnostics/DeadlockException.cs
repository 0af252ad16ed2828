namespace Stackless.Emu;

/// <summary>
/// Raised when a tasklet would block and nothing could ever wake it: no other tasklet is runnable and no I/O is
/// pending (Stackless's <c>RuntimeError: Deadlock: ...</c>). <see cref="Exception.Message"/> starts with Stackless's
/// text and goes on to list every alive tasklet and what it waits on.
/// </summary>
public class DeadlockException : InvalidOperationException
{
    /// <summary>Creates the exception with Stackless's message and a report of the blocked tasklets.</summary>
    public DeadlockException(string message, string report)
        : base($"{message}{Environment.NewLine}{report}")
    {
        StacklessMessage = message;
        Report = report;
    }

    /// <summary>Creates the exception with a message.</summary>
    public DeadlockException(string message)
        : this(message, string.Empty)
    {
    }

    /// <summary>Creates the exception with the default message.</summary>
    public DeadlockException()
        : this(Diagnostics.ErrorMessages.Deadlock)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public DeadlockException(string message, Exception innerException)
        : base(message, innerException)
    {
        StacklessMessage = message;
        Report = string.Empty;
    }

    /// <summary>Stackless's own message text.</summary>
    public string StacklessMessage { get; }

    /// <summary>The report of alive tasklets and what each waits on.</summary>
    public string Report { get; }
}
