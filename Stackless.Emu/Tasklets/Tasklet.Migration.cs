using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// Drops this tasklet without running its <c>finally</c> blocks: it leaves the runnable queue or the channel it waits
    /// in (the channel's balance is restored and a value it was sending is dropped with it) and becomes dead and unbound.
    /// Use it for the original of a tasklet that was pickled and now lives on elsewhere (a migration): killing it would
    /// run its <c>finally</c> blocks a second time. Beyond Stackless, whose equivalent is <c>bind(None)</c> of a paused
    /// tasklet.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tasklet is the current one, main, a started hard tasklet, waiting
    /// for I/O, or belongs to another thread (call it there, e.g. through <see cref="SchedulerThread.InvokeAsync{T}"/>).</exception>
    /// <remarks>Thread safety: the tasklet's own thread only; from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public void Discard()
    {
        _scheduler.CheckOwnThread(ErrorMessages.DiscardOtherThread);
        if (Kind is TaskletKind.Main or TaskletKind.Foreign)
        {
            throw new InvalidOperationException(ErrorMessages.DiscardMain);
        }

        if (IsCurrent)
        {
            throw new InvalidOperationException(ErrorMessages.DiscardCurrent);
        }

        if (Kind == TaskletKind.Hard && Started && Alive)
        {
            throw new InvalidOperationException(ErrorMessages.BindHardState);
        }

        var wait = Wait;
        if (wait == TaskletWait.Io)
        {
            throw new InvalidOperationException(ErrorMessages.DiscardInIo);
        }

        if (wait == TaskletWait.ChannelServed || (wait == TaskletWait.Channel && !LeaveChannel()))
        {
            throw new InvalidOperationException(ErrorMessages.DiscardServed);
        }

        if (Wait == TaskletWait.Runnable)
        {
            _scheduler.RemoveRunnable(this);
        }

        EndCancellableWait();
        PendingException = null;
        TempVal = null;
        ClearValue();
        _scheduler.ForgetAlive(this);
        ClearBody(keepBinding: false);
        _scheduler.NotifyRestorableWaiters();
    }

    /// <summary>
    /// Completes when every tasklet of <paramref name="tasklets"/> is <see cref="Restorable"/> (so it can be pickled) or
    /// dead, without polling: the tasklets' scheduler checks a tasklet again whenever it has run a step. Use it before
    /// pickling a group of cooperating tasklets, e.g. to wait until none is in the middle of foreign I/O. Callable from
    /// any thread; the tasklets must all belong to one scheduler.
    /// </summary>
    /// <exception cref="ArgumentException">The tasklets belong to more than one thread.</exception>
    /// <remarks>Thread safety: any thread.</remarks>
    public static Task WhenRestorableAsync(IEnumerable<Tasklet> tasklets, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tasklets);
        var list = tasklets.ToList();
        if (list.Count == 0)
        {
            return Task.CompletedTask;
        }

        var scheduler = list[0].Scheduler;
        if (list.Exists(t => t is null || t.Scheduler != scheduler))
        {
            throw new ArgumentException("WhenRestorableAsync needs tasklets of one thread (and no null entries).", nameof(tasklets));
        }

        var waiter = new RestorableWaiter(list, cancellationToken);
        if (ThreadScheduler.Current == scheduler)
        {
            scheduler.AddRestorableWaiter(waiter);
        }
        else
        {
            scheduler.PostAction(() => scheduler.AddRestorableWaiter(waiter));
        }

        return waiter.Task;
    }
}
