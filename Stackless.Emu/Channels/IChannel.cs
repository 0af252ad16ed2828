namespace Stackless.Emu;

/// <summary>The element-type-independent view of a channel, as the channel callback and diagnostics see it.</summary>
/// <remarks>Thread safety: as on <see cref="Channel{T}"/>: every member may be called from any thread; what a property reads from another thread is a snapshot, which an operation of the channel's own thread may change at once.</remarks>
public interface IChannel
{
    /// <summary>Tasklets waiting to send (&gt; 0) or to receive (&lt; 0).</summary>
    int Balance { get; }

    /// <summary>-1 prefers the receiver (default), 1 the sender, 0 the caller.</summary>
    int Preference { get; set; }

    /// <summary>When true, every tasklet a channel action involves is scheduled; nobody runs at once.</summary>
    bool ScheduleAll { get; set; }

    /// <summary>The first waiting tasklet (the rest follow through <see cref="Tasklet.Next"/>), or null.</summary>
    Tasklet? Queue { get; }

    /// <summary>True after <see cref="Close"/>.</summary>
    bool Closing { get; }

    /// <summary>True when closing and no tasklet waits any more.</summary>
    bool Closed { get; }

    /// <summary>The type of the values the channel carries.</summary>
    Type ElementType { get; }

    /// <summary>Marks the channel closing: operations that would block raise; waiting tasklets are still served.</summary>
    void Close();

    /// <summary>Reopens a closing or closed channel.</summary>
    void Open();
}

/// <summary>What the scheduler needs of any channel's queue of waiting tasklets.</summary>
internal interface IChannelQueue
{
    /// <summary>The first waiting tasklet.</summary>
    Tasklet? Head { get; }

    /// <summary>
    /// Takes a waiting tasklet out of the queue (kill, throw, errors), restoring the balance; false when a channel
    /// action on another thread already served it (its wake is in its scheduler's inbox).
    /// </summary>
    bool RemoveWaiter(Tasklet tasklet);

    /// <summary>
    /// Takes the stand-in of an asynchronous operation of code outside the tasklet world, or a waiter of an ended thread,
    /// out of the queue from any thread (cancellation, timeout, kill); false when a partner has already served it.
    /// </summary>
    bool WithdrawForeign(Tasklet stand);

    /// <summary>A one-line description for diagnostics.</summary>
    string Describe();
}
