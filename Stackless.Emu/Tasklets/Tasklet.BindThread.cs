using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// Moves this tasklet to the scheduler of another thread (Stackless's <c>bind_thread</c>): of the calling thread, or
    /// of the thread whose managed id is <paramref name="threadId"/>. Only a tasklet that is not runnable can move: paused,
    /// not yet set up, dead, or blocked on a channel (it stays in the channel and is woken on its new thread). A tasklet of
    /// a thread that has ended becomes alive again on its new thread, as in Stackless. Returns this tasklet.
    /// </summary>
    /// <param name="threadId">The managed thread id of a thread that has a scheduler, or -1 for the calling thread.</param>
    /// <remarks>
    /// The tasklet's thread gives it up at once when that thread waits (idle in its scheduler, in
    /// <see cref="Scheduler.ParkThread"/>) or has ended; when it is running, the caller waits until it serves its inbox or parks.
    /// The tasklet keeps the execution context it runs under.
    /// <para>Thread safety: any thread; the tasklet's own scheduler applies the move, on its thread or while it waits.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="threadId"/> names no live thread with a scheduler ("bad thread").</exception>
    /// <exception cref="InvalidOperationException">The tasklet is runnable or current ("can't (re)bind a runnable tasklet"),
    /// is waiting for I/O, or has C state: a main tasklet, or a started hard tasklet, whose OS thread cannot change.</exception>
    public Tasklet BindThread(int threadId = -1)
    {
        var caller = ThreadScheduler.Current;
        var target = threadId == -1 || threadId == caller.ThreadId ? caller : FindLiveScheduler(threadId);
        if (threadId == -1 && _scheduler == target)
        {
            return this; // already bound to the calling thread
        }

        if (Kind is TaskletKind.Main or TaskletKind.Foreign || (Kind == TaskletKind.Hard && Started && HasFrames))
        {
            throw new InvalidOperationException(ErrorMessages.BindThreadCState);
        }

        var old = _scheduler;
        if (old == target)
        {
            CheckCanMove(this);
            return this;
        }

        if (old == caller)
        {
            MoveTo(target);
        }
        else
        {
            ApplyOnOwnThreadAndWait(t => t.MoveTo(target));
        }

        return this;
    }

    private static ThreadScheduler FindLiveScheduler(int threadId) =>
        SchedulerRegistry.Find(threadId) is { OwnerEnded: false } scheduler
            ? scheduler
            : throw new ArgumentException($"{ErrorMessages.BadThread}: no live thread with a scheduler has the managed id {threadId}", nameof(threadId));

    /// <summary>Refuses a tasklet that cannot change threads now (its thread's state is stable: own thread, parked or ended).</summary>
    private static void CheckCanMove(Tasklet tasklet)
    {
        if (tasklet._scheduler.OwnerEnded)
        {
            return; // nothing of it can run: its place in the ended thread's queue is dropped
        }

        if (tasklet.IsCurrent || tasklet.Wait is TaskletWait.Runnable or TaskletWait.ChannelServed)
        {
            throw new InvalidOperationException(ErrorMessages.BindRunnable);
        }

        if (tasklet.Wait == TaskletWait.Io)
        {
            throw new InvalidOperationException(ErrorMessages.BindRunnable + ": it is waiting for I/O, whose completion goes to its thread");
        }
    }

    /// <summary>Moves this tasklet to <paramref name="target"/>; runs where its present scheduler's state may be changed.</summary>
    private void MoveTo(ThreadScheduler target)
    {
        CheckCanMove(this);
        var old = _scheduler;
        var context = ExecutionContextToRun;
        if (old.OwnerEnded)
        {
            if (Wait == TaskletWait.Runnable)
            {
                old.RemoveRunnable(this);
            }

            old.ForgetAliveOfEndedThread(this);
        }
        else
        {
            old.ForgetAlive(this);
        }

        _scheduler = target;
        if (context != target.AmbientExecutionContext || (_bits & HasExecutionContextBit) != 0)
        {
            KeepExecutionContext(context);
        }

        if (HasFrames)
        {
            if (ThreadScheduler.CurrentOrNull == target)
            {
                target.RememberAlive(this);
            }
            else if (!target.TryApplyWhileParked(this, static t => t._scheduler.RememberAlive(t)))
            {
                target.PostAction(() => target.RememberAlive(this));
            }
        }
    }
}
