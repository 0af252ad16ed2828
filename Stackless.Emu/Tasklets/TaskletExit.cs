namespace Stackless.Emu;

/// <summary>
/// Raised inside a tasklet to end it: <see cref="Tasklet.Kill(bool)"/> delivers it at the tasklet's
/// suspension point so its <c>finally</c> and <c>using</c> blocks run. An unhandled
/// <see cref="TaskletExit"/> ends the tasklet quietly; it is never passed on to the main tasklet
/// (Stackless's <c>TaskletExit</c>).
/// </summary>
public class TaskletExit : Exception
{
    /// <summary>Creates the exception with the default message.</summary>
    public TaskletExit() : base("The tasklet was killed.") { }

    /// <summary>Creates the exception with a message.</summary>
    public TaskletExit(string message) : base(message) { }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public TaskletExit(string message, Exception innerException) : base(message, innerException) { }
}
