namespace Stackless.Emu;

/// <summary>A tasklet's state bits. The chain bits are exclusive: a tasklet is in at most one chain.</summary>
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

    /// <summary>Linked into a channel's queue of waiting tasklets.</summary>
    InChannel = 1 << 4,

    /// <summary>Suspended on a foreign awaitable (I/O); its continuation arrives through the scheduler's inbox.</summary>
    InIo = 1 << 5,

    /// <summary>Must not be interrupted by the watchdog.</summary>
    Atomic = 1 << 6,

    /// <summary>Any operation that would block raises instead.</summary>
    BlockTrap = 1 << 7,

    /// <summary>Stackless's ignore_nesting flag.</summary>
    IgnoreNesting = 1 << 8,

    /// <summary>Removed by <c>Remove()</c> while in I/O: when the I/O completes it becomes paused, not runnable.</summary>
    RemovedWhileInIo = 1 << 9,

    /// <summary>The mask of the chain bits.</summary>
    ChainMask = InRunnable | InChannel | InIo,
}
