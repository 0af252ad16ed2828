namespace Stackless.Emu;

/// <summary>How a tasklet's body runs and is suspended.</summary>
public enum TaskletKind
{
    /// <summary>An async body (<c>Func&lt;Task&gt;</c> or a <see cref="TaskletFrame"/> method) suspended at <c>await</c> on the scheduler thread (Stackless's soft switching).</summary>
    Soft,

    /// <summary>A synchronous body on its own OS thread that runs only while it holds the scheduler's baton (Stackless's hard switching).</summary>
    Hard,

    /// <summary>The thread's own code, outside every tasklet body (Stackless's main tasklet).</summary>
    Main,

    /// <summary>
    /// The stand-in, in a channel's queue, of an asynchronous <c>SendAsync</c>/<c>ReceiveAsync</c> awaited by code outside
    /// the tasklet world (an async method on the thread pool, an ASP.NET request). It lives only while that operation
    /// waits; its partner completes the operation, and the awaiting code continues on its own context. No Stackless
    /// counterpart.
    /// </summary>
    Foreign,
}
