using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Stackless.Emu;

/// <summary>
/// A synchronous rendezvous channel (Stackless's <c>channel</c>): a send waits for a receiver and a receive waits for
/// a sender; waiting tasklets queue in the channel, in FIFO order, not in the runnable queue.
/// </summary>
/// <remarks>
/// <para>
/// This file holds the state and the properties; the operations are in <c>Channel.Send.cs</c>,
/// <c>Channel.Receive.cs</c> and <c>Channel.Iteration.cs</c>, the shared decision logic (Stackless's
/// <c>generic_channel_action</c>) in <c>Channel.Action.cs</c>, thread safety in <c>Channel.Sharing.cs</c>, and calls
/// from code outside the tasklet world in <c>Channel.Foreign.cs</c>. The BCL-shaped edges: the non-blocking forms in
/// <c>Channel.Try.cs</c>, System.Threading.Channels' completion in <c>Channel.Completion.cs</c>, its reader and writer
/// views in <c>Channel.Views.cs</c> (waiting for a partner in <c>Channel.PartnerWaits.cs</c>).
/// </para>
/// <para>
/// Invariants: <see cref="Balance"/> equals the number of waiting senders minus waiting receivers, and all waiting
/// tasklets wait in the same direction; the queue is empty exactly when the balance is 0.
/// </para>
/// <para>
/// Thread safety: every member may be called from any thread. The channel belongs to the scheduler of the thread that
/// created it, which uses it without a lock; from the first use by another thread on, every operation takes the
/// channel's lock (the channel object itself: do not lock on a channel in your own code). A partner waiting on another
/// thread is woken on its own thread, and the caller goes on (Stackless's rule between threads).
/// </para>
/// </remarks>
/// <typeparam name="T">The type of the values sent.</typeparam>
[DebuggerDisplay("{Describe(),nq}")]
[DebuggerTypeProxy(typeof(ChannelDebugView<>))]
public partial class Channel<T> : IChannel, IChannelQueue
{
    private const byte PreferenceMask = 0b11;
    private const byte ScheduleAllBit = 0b100;
    private const byte ClosingBit = 0b1000;

    /// <summary>Names of named channels, kept out of the channel object (diagnostics only).</summary>
    private static readonly ConditionalWeakTable<Channel<T>, string> s_names = new();

    private Tasklet? _head;
    private int _balance;

    /// <summary>The scheduler that owns the channel (its creator's): its operations take no lock (Channel.Sharing.cs).</summary>
    private ThreadScheduler? _owner;

    /// <summary>Set once schedulers of two threads have used the channel: every operation takes its lock from then on.</summary>
    private volatile bool _sharing;

    /// <summary>True while the owner is inside its lock-free critical section.</summary>
    private volatile bool _ownerBusy;

    /// <summary>Preference + 1 in the low two bits (0, 1 or 2), then schedule_all and closing.</summary>
    private byte _modes; // 0: preference -1

    /// <summary>Creates a channel owned by the calling thread's scheduler.</summary>
    /// <remarks>Thread safety: any thread; the channel is owned by (lock-free for) the calling thread's scheduler until another thread uses it.</remarks>
    public Channel() => _owner = ThreadScheduler.Current;

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread; a snapshot, which another thread's operation may change at once.</remarks>
    public int Balance => Volatile.Read(ref _balance);

    /// <summary>
    /// Who runs when a channel action finds a partner waiting: -1 (default) the receiver, 1 the sender, 0 the caller
    /// continues. Any value is clamped to its sign, as in Stackless.
    /// </summary>
    /// <remarks>Thread safety: any thread. The setter writes in the channel's critical section (its lock once shared), so an operation in progress on another thread sees the old or the new preference, never a mix with <see cref="ScheduleAll"/> or <see cref="Closing"/>.</remarks>
    public int Preference
    {
        get => (_modes & PreferenceMask) - 1;
        set => SetModes(PreferenceMask, (byte)(Math.Sign(value) + 1));
    }

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread. The setter writes in the channel's critical section, as <see cref="Preference"/>'s does.</remarks>
    public bool ScheduleAll
    {
        get => (_modes & ScheduleAllBit) != 0;
        set => SetModes(ScheduleAllBit, value ? ScheduleAllBit : (byte)0);
    }

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread for the first waiter (a snapshot); walk the rest with <see cref="Tasklet.Next"/> on the channel's own thread, or while no other thread uses it, for a list that holds.</remarks>
    public Tasklet? Queue => _head;

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread; a snapshot, which another thread's operation may change at once.</remarks>
    public bool Closing => (_modes & ClosingBit) != 0;

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread; a snapshot, which another thread's operation may change at once.</remarks>
    public bool Closed => Closing && Balance == 0;

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread.</remarks>
    public Type ElementType => typeof(T);

    /// <summary>An optional name shown in diagnostics.</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public string? Name
    {
        get => s_names.TryGetValue(this, out var name) ? name : null;
        set
        {
            if (value is null)
            {
                s_names.Remove(this);
            }
            else
            {
                s_names.AddOrUpdate(this, value);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread. It takes effect in the channel's critical section: an operation of another thread either completed before it or sees the channel closing.</remarks>
    public void Close() => SetModes(ClosingBit, ClosingBit);

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The channel was completed (<see cref="Complete"/> is final).</exception>
    /// <remarks>Thread safety: any thread, in the channel's critical section, as <see cref="Close"/>.</remarks>
    public void Open()
    {
        ThrowIfCompletedOnOpen();
        SetModes(ClosingBit, 0);
    }

    Tasklet? IChannelQueue.Head => _head;

    /// <inheritdoc/>
    bool IChannelQueue.RemoveWaiter(Tasklet tasklet) =>
        InCriticalSection(tasklet.Scheduler, tasklet, static (channel, waiter) => channel.RemoveIfWaiting(waiter));

    private bool RemoveIfWaiting(Tasklet tasklet)
    {
        if (tasklet.WaitingOnChannel != this)
        {
            return false; // served by another thread meanwhile: its wake is on the way
        }

        Dequeue(tasklet);
        return true;
    }

    /// <summary>A one-line description: name, balance and flags.</summary>
    /// <remarks>Thread safety: any thread; a snapshot, which another thread's operation may change at once.</remarks>
    public string Describe()
    {
        var name = Name ?? $"Channel<{typeof(T).Name}>#{RuntimeHelpers.GetHashCode(this):x}";
        var state = Closing ? (Closed ? ", closed" : ", closing") : string.Empty;
        return $"{name} (balance {Balance}, preference {Preference}{state})";
    }

    /// <inheritdoc/>
    /// <remarks>Thread safety: any thread; a snapshot, which another thread's operation may change at once.</remarks>
    public override string ToString() => Describe();

    /// <summary>Changes mode bits in the channel's critical section, so a concurrent operation sees old or new, never a mix.</summary>
    private void SetModes(byte mask, byte bits) =>
        InCriticalSection(ThreadScheduler.Current, (mask, bits), static (channel, change) =>
        {
            channel._modes = (byte)((channel._modes & ~change.mask) | change.bits);
            return true;
        });

    /// <summary>Appends <paramref name="tasklet"/> to the queue of waiters in direction <paramref name="direction"/>.</summary>
    private void Enqueue(Tasklet tasklet, int direction)
    {
        Debug.Assert(_balance == 0 || Math.Sign(_balance) == direction, "all waiters wait in one direction");
        TaskletChain.Append(ref _head, tasklet);
        tasklet.EnterChannel(this, direction);
        _balance += direction;
        if ((_modes & PartnerWaitBit) != 0)
        {
            WakePartnerWaits(direction); // Channel.PartnerWaits.cs
        }
    }

    /// <summary>Takes <paramref name="tasklet"/>, waiting on its own thread's behalf, out of the queue, restoring the balance.</summary>
    private void Dequeue(Tasklet tasklet)
    {
        Debug.Assert(tasklet.WaitingOnChannel == this);
        _balance -= tasklet.WaitDirection;
        TaskletChain.Remove(ref _head, tasklet);
        tasklet.LeaveChannelQueue();
        Debug.Assert((_balance == 0) == (_head is null), "the queue is empty exactly when the balance is 0");
    }

    /// <summary>The checks before the caller blocks, in Stackless's order; nothing has changed when one raises.</summary>
    private void CheckCanBlock(Tasklet source)
    {
        if (source.BlockTrap)
        {
            throw new BlockTrapException();
        }

        if (Closing)
        {
            throw ClosedError();
        }

        if (!source.IsForeign)
        {
            var scheduler = source.Scheduler;
            scheduler.ThrowIfWouldDeadlock(source, callerWillFloat: false, this);
            if (scheduler.HasRareWork)
            {
                scheduler.ThrowIfSwitchTrapped();
            }
        }
    }
}

/// <summary>An untyped channel, carrying any value (Stackless's channel as it is in Python).</summary>
/// <remarks>Thread safety: as <see cref="Channel{T}"/>: every member may be called from any thread; the channel is owned by (lock-free for) the creating thread's scheduler until another thread uses it.</remarks>
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

    public bool Shared => _channel.IsShared;

    [DebuggerBrowsable(DebuggerBrowsableState.RootHidden)]
    public Tasklet[] Waiting => [.. TaskletChain.ToList(_channel.Queue)];
}
