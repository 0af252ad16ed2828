namespace Stackless.Emu;

/// <summary>How a tasklet's body runs and is suspended.</summary>
public enum TaskletKind
{
    /// <summary>An async body (<c>Func&lt;Task&gt;</c>) suspended at <c>await</c> on the scheduler thread (Stackless's soft switching).</summary>
    Soft,

    /// <summary>A synchronous body on its own OS thread that runs only while it holds the scheduler's baton (Stackless's hard switching).</summary>
    Hard,

    /// <summary>The thread's own code, outside every tasklet body (Stackless's main tasklet).</summary>
    Main,
}
