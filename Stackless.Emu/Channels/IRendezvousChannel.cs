namespace Stackless.Emu;

/// <summary>
/// A synchronous rendezvous channel as tasklet code sees it, wherever the partner runs: <see cref="Channel{T}"/> (a
/// partner on this or another thread) or a distributed channel (a partner on another machine, Stackless.Emu.Orleans).
/// A send completes when a receiver has taken the value; a receive waits for a sender.
/// </summary>
/// <remarks>
/// Every operation returns a <see cref="TaskletFrame"/>, so an <c>async TaskletFrame</c> method written against this
/// interface stays restorable (can be pickled) while it waits, whichever channel it is given. The price on a local
/// channel is one frame allocated per operation that suspends; code that needs the allocation-free path calls
/// <see cref="Channel{T}"/>'s own methods. Await each operation at once, from a soft tasklet.
/// </remarks>
/// <typeparam name="T">The type of the values sent.</typeparam>
/// <remarks>Thread safety: every member may be called from any thread, as on <see cref="Channel{T}"/> (which takes its lock once the channel is shared); an implementation across machines states its own rules.</remarks>
public interface IRendezvousChannel<T>
{
    /// <summary>The channel's name (diagnostics; for a distributed channel, its identity in the cluster).</summary>
    string? Name { get; }

    /// <summary>Sends <paramref name="value"/>, waiting until a receiver has taken it.</summary>
    /// <exception cref="ChannelClosedException">The channel is closing and no receiver waits.</exception>
    TaskletFrame SendAsync(T value);

    /// <summary>Sends <paramref name="value"/>, waiting at most <paramref name="timeout"/> for a receiver.</summary>
    /// <exception cref="TimeoutException">No receiver came in time; the value was not sent.</exception>
    TaskletFrame SendAsync(T value, TimeSpan timeout);

    /// <summary>Sends <paramref name="value"/> unless <paramref name="cancellationToken"/> is cancelled first.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before a receiver took the value; it was not sent.</exception>
    TaskletFrame SendAsync(T value, CancellationToken cancellationToken);

    /// <summary>Receives a value, waiting for a sender.</summary>
    /// <exception cref="ChannelClosedException">The channel is closing and no sender waits.</exception>
    TaskletFrame<T> ReceiveAsync();

    /// <summary>Receives a value, waiting at most <paramref name="timeout"/> for a sender.</summary>
    /// <exception cref="TimeoutException">No sender came in time.</exception>
    TaskletFrame<T> ReceiveAsync(TimeSpan timeout);

    /// <summary>Receives a value unless <paramref name="cancellationToken"/> is cancelled first.</summary>
    /// <exception cref="OperationCanceledException">Cancelled before a sender came.</exception>
    TaskletFrame<T> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Marks the channel closing: operations that would wait raise; waiting tasklets are still served.</summary>
    TaskletFrame CloseAsync();

    /// <summary>Reopens a closing or closed channel.</summary>
    TaskletFrame OpenAsync();
}
