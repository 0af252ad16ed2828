using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>Creates a soft tasklet bound to <paramref name="body"/> and schedules it (Stackless's <c>stackless.tasklet(f)(args)</c>).</summary>
    /// <remarks>Thread safety: any thread; the tasklet belongs to, and runs on, the calling thread's scheduler.</remarks>
    public static Tasklet Spawn(Func<Task> body) => new Tasklet(body).Setup();

    /// <summary>
    /// Creates a hard tasklet: <paramref name="body"/> is synchronous code that runs on its own OS thread, holding the
    /// scheduler's baton, so it may call the synchronous forms (<c>Receive</c>, <c>Send</c>, <c>Schedule</c>, ...)
    /// anywhere in its call stack. Call <see cref="Setup"/> to schedule it.
    /// </summary>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public static Tasklet CreateHard(Action body) => CreateHardTasklet(body);

    /// <summary>Creates a hard tasklet (see <see cref="CreateHard"/>) and schedules it.</summary>
    /// <remarks>Thread safety: any thread; the tasklet belongs to the calling thread's scheduler.</remarks>
    public static Tasklet SpawnHard(Action body) => CreateHardTasklet(body).Setup();

    /// <summary>
    /// Binds the tasklet to <paramref name="body"/>, or unbinds it when null (Stackless's <c>bind</c>). An alive,
    /// paused tasklet loses its progress without running its <c>finally</c> blocks, as in Stackless.
    /// </summary>
    /// <exception cref="InvalidOperationException">The tasklet is current, scheduled, main, or a started hard tasklet.</exception>
    /// <remarks>Thread safety: the tasklet's own thread only; from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public Tasklet Bind(Func<Task>? body)
    {
        CheckRebind(body is null);
        if (Kind == TaskletKind.Hard)
        {
            throw new InvalidOperationException("A hard tasklet's body is synchronous: create it with Tasklet.CreateHard(Action).");
        }

        Scheduler.ForgetAlive(this);
        ClearBody(keepBinding: false);
        ClearValue();
        PendingException = null; // Stackless clears the frames and their pending exception (tasklet_clear_frames)
        SetBody(BodyKind.Task, body);
        return this;
    }

    /// <summary>Makes the bound tasklet alive and appends it to the runnable queue (Stackless's <c>setup</c>).</summary>
    /// <exception cref="InvalidOperationException">The tasklet is already alive, or not bound.</exception>
    /// <remarks>Thread safety: the tasklet's own thread only; from another thread it raises <see cref="InvalidOperationException"/>.</remarks>
    public Tasklet Setup()
    {
        Scheduler.CheckOwnThread(ErrorMessages.SetupOtherThread);
        if (Alive)
        {
            throw new InvalidOperationException(ErrorMessages.SetupAlive);
        }

        if (!Bound)
        {
            throw new InvalidOperationException(ErrorMessages.SetupUnbound);
        }

        _bits |= AliveBit;
        PendingException = null; // Stackless's setup sets the tempval to None
        _scheduler.MarkMainFlow(_scheduler.Executing);
        CaptureExecutionContext();
        Scheduler.RememberAlive(this);
        Scheduler.AppendRunnable(this);
        return this;
    }

    /// <summary>Appends the tasklet to the end of the runnable queue if it is not scheduled yet (Stackless's <c>insert</c>).</summary>
    /// <exception cref="InvalidOperationException">The tasklet is blocked or dead.</exception>
    /// <remarks>Thread safety: any thread. On a tasklet of another thread the operation is posted to that thread's scheduler and the call returns at once (Stackless's rule between threads); a precondition that fails there, when the operation runs, raises in that thread's main tasklet (or innermost <c>Scheduler.Run</c> caller), since the caller has moved on.</remarks>
    public Tasklet Insert()
    {
        CheckRunnable();
        if (IsRemote)
        {
            PostToOwnThread(static t => t.InsertOnOwnThread());
            return this;
        }

        InsertOnOwnThread();
        return this;
    }

    private void InsertOnOwnThread()
    {
        CheckRunnable();
        if (Wait == TaskletWait.Io)
        {
            RemovedWhileInIo = false;
        }
        else if (!Scheduled)
        {
            Scheduler.AppendRunnable(this);
        }
    }

    /// <summary>Takes the tasklet out of the runnable queue; it becomes paused (Stackless's <c>remove</c>).</summary>
    /// <exception cref="InvalidOperationException">The tasklet is blocked on a channel, or is the current tasklet.</exception>
    /// <remarks>Thread safety: any thread. On a tasklet of another thread the operation is posted to that thread's scheduler and the call returns at once (Stackless's rule between threads); a precondition that fails there, when the operation runs, raises in that thread's main tasklet (or innermost <c>Scheduler.Run</c> caller), since the caller has moved on.</remarks>
    public Tasklet Remove()
    {
        if (IsRemote)
        {
            PostToOwnThread(static t => t.RemoveOnOwnThread());
            return this;
        }

        RemoveOnOwnThread();
        return this;
    }

    private void RemoveOnOwnThread()
    {
        var wait = Wait;
        if (wait is TaskletWait.Channel or TaskletWait.ChannelServed)
        {
            throw new InvalidOperationException(ErrorMessages.RemoveBlocked);
        }

        if (IsCurrent)
        {
            throw new InvalidOperationException(ErrorMessages.RemoveCurrent);
        }

        if (wait == TaskletWait.Io)
        {
            RemovedWhileInIo = true;
        }
        else if (wait == TaskletWait.Runnable)
        {
            Scheduler.RemoveRunnable(this);
        }
    }

    /// <summary>
    /// Switches to this tasklet now (Stackless's <c>run</c>). If it was not scheduled it is inserted just before the
    /// caller, so the caller runs right after it; if it was, the tasklets between the caller and it run later.
    /// Synchronous form: main and hard tasklets.
    /// </summary>
    /// <remarks>Thread safety: called by a main or hard tasklet of any thread; a tasklet of another thread is made to run next on its own thread and the caller goes on (see <see cref="Insert"/>).</remarks>
    public void Run()
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Tasklet.Run()", "tasklet.RunAsync()");
        caller.Scheduler.SuspendSync(caller, RunCore(caller, removeCaller: false));
    }

    /// <summary>Asynchronous form of <see cref="Run"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: as <see cref="Run"/>, from a soft tasklet.</remarks>
    public SwitchAwaitable RunAsync()
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendAsync(caller, RunCore(caller, removeCaller: false));
    }

    /// <summary>Like <see cref="Run"/>, but the caller is paused: it leaves the runnable queue (Stackless's <c>switch</c>).</summary>
    /// <remarks>Thread safety: the tasklet's own thread only: switching to a tasklet of another thread raises <see cref="InvalidOperationException"/>.</remarks>
    public void Switch()
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Tasklet.Switch()", "tasklet.SwitchAsync()");
        caller.Scheduler.SuspendSync(caller, RunCore(caller, removeCaller: true));
    }

    /// <summary>Asynchronous form of <see cref="Switch"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: as <see cref="Switch"/>, from a soft tasklet.</remarks>
    public SwitchAwaitable SwitchAsync()
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendAsync(caller, RunCore(caller, removeCaller: true));
    }

    /// <summary>Makes this tasklet current; returns whether the caller must suspend.</summary>
    private bool RunCore(Tasklet caller, bool removeCaller)
    {
        if (Scheduler != caller.Scheduler)
        {
            if (removeCaller)
            {
                throw new InvalidOperationException(ErrorMessages.SwitchOtherThread);
            }

            // Stackless makes a tasklet of another thread run next there; the caller goes on.
            CheckRunnable();
            PostToOwnThread(static t => t.RunNextOnOwnThread());
            return false;
        }

        if (this == caller)
        {
            return false;
        }

        CheckRunnable();
        if (Wait == TaskletWait.Io)
        {
            throw new InvalidOperationException(ErrorMessages.InsertBlocked + ": it is waiting for I/O");
        }

        if (!Scheduled)
        {
            Scheduler.AppendRunnable(this);
        }

        if (removeCaller)
        {
            Scheduler.RemoveRunnable(caller);
        }

        Scheduler.MakeCurrent(this);
        return true;
    }

    /// <summary>The remote half of <see cref="Run"/>: on its own thread, this tasklet becomes the next to run.</summary>
    private void RunNextOnOwnThread()
    {
        InsertOnOwnThread();
        if (Wait == TaskletWait.Runnable)
        {
            Scheduler.MakeCurrent(this);
        }
    }

    private void CheckRunnable()
    {
        if (Wait is TaskletWait.Channel or TaskletWait.ChannelServed)
        {
            throw new InvalidOperationException(ErrorMessages.InsertBlocked);
        }

        if (!Alive)
        {
            throw new InvalidOperationException(ErrorMessages.InsertDead);
        }
    }

    private void CheckRebind(bool unbinding)
    {
        Scheduler.CheckOwnThread(ErrorMessages.SetupOtherThread);
        if (IsCurrent)
        {
            throw new InvalidOperationException(ErrorMessages.BindCurrent);
        }

        if (Scheduled)
        {
            throw new InvalidOperationException(ErrorMessages.BindScheduled);
        }

        if (Kind is TaskletKind.Main or TaskletKind.Foreign)
        {
            throw new InvalidOperationException(unbinding ? ErrorMessages.UnbindMain : ErrorMessages.BindCurrent);
        }

        if (Kind == TaskletKind.Hard && Started && Alive)
        {
            throw new InvalidOperationException(ErrorMessages.BindHardState);
        }
    }
}
