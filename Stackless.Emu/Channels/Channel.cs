using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// A synchronous rendezvous channel (Stackless's <c>channel</c>): a send waits for a receiver and a receive waits for
/// a sender; waiting tasklets queue in the channel, in FIFO order, not in the runnable queue.
/// </summary>
/// <remarks>
/// This file holds the state and the properties; the operations are in <c>Channel.Send.cs</c>,
/// <c>Channel.Receive.cs</c> and <c>Channel.Iteration.cs</c>, and the shared decision logic
/// (Stackless's <c>generic_channel_action</c>) in <c>Channel.Action.cs</c>.
/// Invariants: <see cref="Balance"/> equals the number of waiting senders minus waiting receivers, and all waiting
/// tasklets wait in the same direction; the queue is empty exactly when the balance is 0.
/// </remarks>
/// <typeparam name="T">The type of the values sent.</typeparam>
[DebuggerDisplay("{Describe(),nq}")]
[DebuggerTypeProxy(typeof(ChannelDebugView<>))]
public partial class Channel<T> : IChannel, IChannelQueue
{
    private Tasklet? _head;
    private int _balance;
    private int _preference = -1;
    private bool _scheduleAll;
    private bool _closing;

    /// <inheritdoc/>
    public int Balance => _balance;

    /// <summary>
    /// Who runs when a channel action finds a partner waiting: -1 (default) the receiver, 1 the sender, 0 the caller
    /// continues. Any value is clamped to its sign, as in Stackless.
    /// </summary>
    public int Preference
    {
        get => _preference;
        set => _preference = Math.Sign(value);
    }

    /// <inheritdoc/>
    public bool ScheduleAll
    {
        get => _scheduleAll;
        set => _scheduleAll = value;
    }

    /// <inheritdoc/>
    public Tasklet? Queue => _head;

    /// <inheritdoc/>
    public bool Closing => _closing;

    /// <inheritdoc/>
    public bool Closed => _closing && _balance == 0;

    /// <inheritdoc/>
    public Type ElementType => typeof(T);

    /// <summary>An optional name shown in diagnostics.</summary>
    public string? Name { get; set; }

    /// <inheritdoc/>
    public void Close() => _closing = true;

    /// <inheritdoc/>
    public void Open() => _closing = false;

    Tasklet? IChannelQueue.Head => _head;

    /// <inheritdoc/>
    bool IChannelQueue.RemoveWaiter(Tasklet tasklet) =>
        // Called on the waiter's own thread (kill, throw, errors, cancellation): its scheduler is the caller's.
        InCriticalSection(tasklet.Scheduler, tasklet, static (channel, waiter) => channel.RemoveIfWaiting(waiter));

    private bool RemoveIfWaiting(Tasklet tasklet)
    {
        if (tasklet.BlockedOn != this)
        {
            return false; // served by another thread meanwhile: its wake is on the way
        }

        Dequeue(tasklet);
        return true;
    }

    /// <summary>A one-line description: name, balance and flags.</summary>
    public string Describe()
    {
        var name = Name ?? $"Channel<{typeof(T).Name}>#{GetHashCode():x}";
        var state = _closing ? (Closed ? ", closed" : ", closing") : string.Empty;
        return $"{name} (balance {_balance}, preference {_preference}{state})";
    }

    /// <inheritdoc/>
    public override string ToString() => Describe();

    /// <summary>Appends the current tasklet to the queue of waiters in direction <paramref name="direction"/>.</summary>
    private void Enqueue(Tasklet tasklet, int direction)
    {
        Debug.Assert(_balance == 0 || Math.Sign(_balance) == direction, "all waiters wait in one direction");
        TaskletChain.Append(ref _head, tasklet);
        tasklet.Flags |= TaskletFlags.InChannel;
        tasklet.BlockedOn = this;
        tasklet.BlockedDirection = direction;
        _balance += direction;
    }

    /// <summary>Takes <paramref name="tasklet"/> out of the queue of waiters, restoring the balance.</summary>
    private void Dequeue(Tasklet tasklet)
    {
        Debug.Assert(tasklet.BlockedOn == this && (tasklet.Flags & TaskletFlags.InChannel) != 0);
        TaskletChain.Remove(ref _head, tasklet);
        tasklet.Flags &= ~TaskletFlags.InChannel;
        tasklet.BlockedOn = null;
        _balance -= tasklet.BlockedDirection;
        tasklet.BlockedDirection = 0;
        Debug.Assert((_balance == 0) == (_head is null), "the queue is empty exactly when the balance is 0");
    }

    /// <summary>The checks before the caller blocks, in Stackless's order; nothing has changed when one raises.</summary>
    private void CheckCanBlock(Tasklet source)
    {
        if (source.BlockTrap)
        {
            throw new BlockTrapException();
        }

        if (_closing)
        {
            throw new ChannelClosedException();
        }

        source.Scheduler.ThrowIfWouldDeadlock(source, callerWillFloat: false, this);
    }
}

/// <summary>An untyped channel, carrying any value (Stackless's channel as it is in Python).</summary>
public class Channel : Channel<object?>
{
}

/// <summary>The debugger's view of a channel: its state and waiting tasklets.</summary>
internal sealed class ChannelDebugView<T>
{
    private readonly Channel<T> _channel;

    public ChannelDebugView(Channel<T> channel) => _channel = channel;

    public int Balance => _channel.Balance;

    public int Preference => _channel.Preference;

    public bool Closing => _channel.Closing;

    [DebuggerBrowsable(DebuggerBrowsableState.RootHidden)]
    public Tasklet[] Waiting => [.. TaskletChain.ToList(_channel.Queue)];
}
