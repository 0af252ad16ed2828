namespace Stackless.Emu;

/// <summary>
/// Where a tasklet waits: its wait state. Exactly one holds at any moment, and only <see cref="Tasklet"/>'s transition
/// methods change it. The runnable chain and channel queues are the chains behind <see cref="Runnable"/> and
/// <see cref="Channel"/>; a tasklet is linked into the one chain its state names, or into none.
/// </summary>
internal enum TaskletWait : byte
{
    /// <summary>In no chain: paused when alive, else unborn or dead.</summary>
    None,

    /// <summary>Linked into its scheduler's runnable chain (the head of the chain is the current tasklet).</summary>
    Runnable,

    /// <summary>Linked into the queue of the channel it sends or receives on (<c>Tasklet.WaitingOn</c>).</summary>
    Channel,

    /// <summary>
    /// Taken out of a channel's queue by a channel action on another thread, which handed it its value: its wake is in its
    /// own scheduler's inbox, and it becomes runnable when that scheduler delivers it. Cannot be interrupted before.
    /// </summary>
    ChannelServed,

    /// <summary>
    /// Waiting for something outside the scheduler: a foreign awaitable (I/O, a timer), a blocking call, or (for a killer)
    /// the I/O of the tasklet it killed. Its resumption arrives through the scheduler's inbox.
    /// </summary>
    Io,
}
