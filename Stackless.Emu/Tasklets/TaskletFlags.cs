namespace Stackless.Emu;

/// <summary>
/// A read-only summary of a tasklet's state as bits, for the pickler and diagnostics (see <c>Tasklet.Flags</c>).
/// The tasklet itself keeps its state in <see cref="TaskletWait"/> and private bits.
/// </summary>
[Flags]
internal enum TaskletFlags
{
    None = 0,

    /// <summary>A body is bound.</summary>
    Bound = 1 << 0,

    /// <summary>Set up (or running) and not yet finished.</summary>
    Alive = 1 << 1,

    /// <summary>The body has begun to run.</summary>
    Started = 1 << 2,

    /// <summary>Linked into its scheduler's runnable chain.</summary>
    InRunnable = 1 << 3,

    /// <summary>Waiting in a channel, or served by another thread with its wake on the way.</summary>
    InChannel = 1 << 4,

    /// <summary>Waiting for I/O.</summary>
    InIo = 1 << 5,
}
