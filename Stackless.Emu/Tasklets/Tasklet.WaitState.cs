using System.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // The wait state (TaskletWait) and its transitions. The owner's baton holder makes every transition but one: a channel
    // action on another thread that serves this tasklet only clears _waitOn (under the channel's lock), because _bits
    // belong to the owner; the state then reads ChannelServed until the owner delivers the wake.

    /// <summary>The tasklet's wait state.</summary>
    internal TaskletWait Wait
    {
        get
        {
            var wait = (TaskletWait)(_bits & WaitMask);
            return wait == TaskletWait.Channel && Volatile.Read(ref _waitOn) is null ? TaskletWait.ChannelServed : wait;
        }
    }

    /// <summary>The channel this tasklet waits in, while <see cref="TaskletWait.Channel"/>.</summary>
    internal IChannelQueue? WaitingOnChannel => (TaskletWait)(_bits & WaitMask) == TaskletWait.Channel ? Volatile.Read(ref _waitOn) as IChannelQueue : null;

    /// <summary>What the tasklet waits on: its channel, the tasklet it killed, or the <see cref="ThreadedWait"/> of a task.</summary>
    internal object? WaitingOn => Volatile.Read(ref _waitOn);

    /// <summary>1 while waiting to send, -1 while waiting to receive (also once served by another thread), 0 otherwise.</summary>
    internal int WaitDirection => (TaskletWait)(_bits & WaitMask) == TaskletWait.Channel ? ((_bits & SendingBit) != 0 ? 1 : -1) : 0;

    /// <summary>Kept for the pickler: the channel waited in.</summary>
    internal IChannelQueue? BlockedOn => WaitingOnChannel;

    /// <summary>Kept for the pickler: the direction waited in.</summary>
    internal int BlockedDirection => WaitDirection;

    /// <summary>Removed by <c>Remove()</c> while waiting for I/O: when the I/O completes it becomes paused, not runnable.</summary>
    internal bool RemovedWhileInIo
    {
        get => (_bits & RemovedWhileInIoBit) != 0;
        set => SetBit(RemovedWhileInIoBit, value);
    }

    private void SetWait(TaskletWait wait) => _bits = (_bits & ~WaitMask) | (int)wait;

    /// <summary>None → Runnable; the scheduler links it into the runnable chain.</summary>
    internal void EnterRunnable()
    {
        Debug.Assert(Wait == TaskletWait.None, "a tasklet is in at most one chain");
        SetWait(TaskletWait.Runnable);
    }

    /// <summary>Runnable → None; the scheduler has unlinked it from the runnable chain.</summary>
    internal void LeaveRunnable()
    {
        Debug.Assert(Wait == TaskletWait.Runnable, "the tasklet is runnable");
        SetWait(TaskletWait.None);
    }

    /// <summary>None → Channel, waiting on <paramref name="channel"/> in <paramref name="direction"/>; the channel links it into its queue.</summary>
    internal void EnterChannel(IChannelQueue channel, int direction)
    {
        Debug.Assert(Wait == TaskletWait.None && direction is 1 or -1);
        _waitOn = channel;
        _bits = (_bits & ~(WaitMask | SendingBit)) | (int)TaskletWait.Channel | (direction > 0 ? SendingBit : 0);
        _scheduler.CountChannelWait(this, 1);
    }

    /// <summary>Channel → None, on the owner's thread: the channel has unlinked it from its queue.</summary>
    internal void LeaveChannelQueue()
    {
        Debug.Assert((TaskletWait)(_bits & WaitMask) == TaskletWait.Channel);
        _waitOn = null;
        SetWait(TaskletWait.None);
        _scheduler.CountChannelWait(this, -1);
    }

    /// <summary>
    /// Channel → ChannelServed, on another thread, under the channel's lock: the channel has unlinked it and handed it its
    /// value; the owner's scheduler delivers the wake.
    /// </summary>
    internal void MarkServedRemotely()
    {
        Debug.Assert(Wait == TaskletWait.Channel);
        Volatile.Write(ref _waitOn, null);
    }

    /// <summary>ChannelServed → None, on the owner's thread: the wake has arrived; the scheduler makes it runnable.</summary>
    internal void CompleteRemoteWake()
    {
        Debug.Assert(Wait == TaskletWait.ChannelServed, "exactly one wake per cross-thread hand-over");
        SetWait(TaskletWait.None);
        _scheduler.CountCrossThreadWake(this);
    }

    /// <summary>None → Io: it waits for something outside the scheduler (the scheduler has taken it out of the runnable chain).</summary>
    internal void EnterIo(object? waitingFor = null)
    {
        Debug.Assert(Wait == TaskletWait.None);
        _waitOn = waitingFor;
        SetWait(TaskletWait.Io);
    }

    /// <summary>Io → None: what it waited for has happened; returns whether it was removed meanwhile (then it stays paused).</summary>
    internal bool LeaveIo()
    {
        Debug.Assert(Wait == TaskletWait.Io);
        _waitOn = null;
        var removed = RemovedWhileInIo;
        _bits &= ~(WaitMask | RemovedWhileInIoBit);
        return removed;
    }
}
