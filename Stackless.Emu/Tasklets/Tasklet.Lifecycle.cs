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
    /// <remarks>A tasklet of another thread is bound by that thread: at once while it waits (idle in its scheduler, in
    /// <see cref="Scheduler.ParkThread"/>) or has ended, otherwise when it next serves its inbox, the caller waiting.</remarks>
    /// <exception cref="InvalidOperationException">The tasklet is current, scheduled, main, or a started hard tasklet.</exception>
    public Tasklet Bind(Func<Task>? body)
    {
        if (IsRemote)
        {
            // Another thread's tasklet is bound by its own thread (at once while that thread waits or has ended).
            ApplyOnOwnThreadAndWait(t => t.BindHere(body));
            return this;
        }

        BindHere(body);
        return this;
    }

    private void BindHere(Func<Task>? body)
    {
        CheckRebind(body is null);
        if (Kind == TaskletKind.Main)
        {
            // Stackless's main.bind(f): main's frames are dropped and f runs as main when main next resumes. Main's code
            // is its thread's own stack: it never continues (ThreadScheduler.RebindMain.cs).
            PendingException = null;
            Cold.ReboundMainBody = body;
            SetBit(PendingBit, true);
            return;
        }

        if (Kind == TaskletKind.Hard)
        {
            throw new InvalidOperationException("A hard tasklet's body is synchronous: create it with Tasklet.CreateHard(Action).");
        }

        if (_scheduler.OwnerEnded)
        {
            if (Wait == TaskletWait.Runnable)
            {
                _scheduler.RemoveRunnable(this); // its place in the ended thread's queue
            }

            _scheduler.ForgetAliveOfEndedThread(this);
        }
        else
        {
            Scheduler.ForgetAlive(this);
        }

        ClearBody(keepBinding: false);
        ClearValue();
        PendingException = null; // Stackless clears the frames and their pending exception (tasklet_clear_frames)
        if (_cold is { ContextAssigned: true } cold)
        {
            cold.ContextAssigned = false; // a new binding takes the context of the code that sets it up
        }

        SetBody(BodyKind.Task, body);
    }

    /// <summary>Makes the bound tasklet alive and appends it to the runnable queue (Stackless's <c>setup</c>).</summary>
    /// <exception cref="InvalidOperationException">The tasklet is already alive, or not bound.</exception>
    /// <remarks>A tasklet of another thread is set up in its own thread (Stackless issue #60): at once while that thread
    /// waits (parked or idle), else shortly after the call returns; its <see cref="Alive"/> is true on return either way.</remarks>
    public Tasklet Setup()
    {
        if (IsRemote)
        {
            if (_scheduler.OwnerEnded)
            {
                throw new InvalidOperationException(ErrorMessages.ThreadEnded);
            }

            CheckCanSetup();
            if (!ApplyOnOwnThreadSoon(static t => t.SetupOnOwnThread()))
            {
                _bits |= AliveBit; // alive from now on, as in Stackless; its own thread schedules it (not set up: in no chain)
            }

            return this;
        }

        CheckCanSetup();
        SetupOnOwnThread();
        return this;
    }

    private void CheckCanSetup()
    {
        if (HasFrames)
        {
            throw new InvalidOperationException(ErrorMessages.SetupAlive);
        }

        if (!Bound)
        {
            throw new InvalidOperationException(ErrorMessages.SetupUnbound);
        }
    }

    /// <summary>Makes the tasklet alive and runnable, on its own thread (or while that thread is parked).</summary>
    private void SetupOnOwnThread()
    {
        if (Scheduled)
        {
            return; // set up already
        }

        _bits |= AliveBit;
        PendingException = null; // Stackless's setup sets the tempval to None
        if (!IsRemote)
        {
            _scheduler.MarkMainFlow(_scheduler.Executing);
        }

        CaptureExecutionContext();
        Scheduler.RememberAlive(this);
        Scheduler.AppendRunnable(this);
    }

    /// <summary>Appends the tasklet to the end of the runnable queue if it is not scheduled yet (Stackless's <c>insert</c>).</summary>
    /// <exception cref="InvalidOperationException">The tasklet is blocked or dead.</exception>
    /// <remarks>A tasklet of another thread is appended to its own thread's queue: at once while that thread waits (idle in
    /// its scheduler, in <see cref="Scheduler.ParkThread"/>), otherwise shortly after the call returns.</remarks>
    public Tasklet Insert()
    {
        CheckRunnable();
        if (IsRemote)
        {
            ApplyOnOwnThreadSoon(static t => t.InsertOnOwnThread());
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
    /// <remarks>A tasklet of another thread is removed at once while that thread waits (idle in its scheduler, in
    /// <see cref="Scheduler.ParkThread"/>) or has ended; otherwise by its own scheduler, shortly after the call returns.</remarks>
    public Tasklet Remove()
    {
        if (IsRemote)
        {
            ApplyOnOwnThreadSoon(static t => t.RemoveOnOwnThread());
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
    /// <returns>The value the caller resumes with (Stackless's return value of <c>run()</c>): its
    /// <see cref="TempVal"/>, taken and cleared; null unless a tasklet stored one there meanwhile.</returns>
    /// <remarks>Thread safety: called by a main or hard tasklet of any thread; a tasklet of another thread is made to run next on its own thread and the caller goes on (see <see cref="Insert"/>).</remarks>
    public object? Run()
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Tasklet.Run()", "tasklet.RunAsync()");
        caller.Scheduler.SuspendSync(caller, RunCore(caller, removeCaller: false));
        return caller.TakeTempVal();
    }

    /// <summary>Asynchronous form of <see cref="Run"/>, for soft tasklets; the await returns the caller's tempval, as <see cref="Run"/> does.</summary>
    /// <remarks>Thread safety: as <see cref="Run"/>, from a soft tasklet.</remarks>
    public TempValAwaitable RunAsync()
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendWithTempVal(caller, RunCore(caller, removeCaller: false));
    }

    /// <summary>Like <see cref="Run"/>, but the caller is paused: it leaves the runnable queue (Stackless's <c>switch</c>).</summary>
    /// <returns>The value the caller resumes with: its <see cref="TempVal"/>, taken and cleared (see <see cref="Run"/>).</returns>
    /// <remarks>Thread safety: the tasklet's own thread only: switching to a tasklet of another thread raises <see cref="InvalidOperationException"/>.</remarks>
    public object? Switch()
    {
        var caller = ThreadScheduler.Current.EnterSyncForm("Tasklet.Switch()", "tasklet.SwitchAsync()");
        caller.Scheduler.SuspendSync(caller, RunCore(caller, removeCaller: true));
        return caller.TakeTempVal();
    }

    /// <summary>Asynchronous form of <see cref="Switch"/>, for soft tasklets; the await returns the caller's tempval.</summary>
    /// <remarks>Thread safety: as <see cref="Switch"/>, from a soft tasklet.</remarks>
    public TempValAwaitable SwitchAsync()
    {
        var caller = ThreadScheduler.Current.EnterAsyncForm();
        return caller.Scheduler.SuspendWithTempVal(caller, RunCore(caller, removeCaller: true));
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

        if (Scheduler.HasRareWork)
        {
            Scheduler.ThrowIfSwitchTrapped();
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
            Scheduler.MakeNext(this);
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
        if (IsCurrent)
        {
            throw new InvalidOperationException(ErrorMessages.BindCurrent);
        }

        if (Scheduled)
        {
            throw new InvalidOperationException(ErrorMessages.BindScheduled);
        }

        if (Kind == TaskletKind.Foreign || (Kind == TaskletKind.Main && unbinding))
        {
            throw new InvalidOperationException(unbinding ? ErrorMessages.UnbindMain : ErrorMessages.BindCurrent);
        }

        if (Kind == TaskletKind.Hard && Started && HasFrames)
        {
            throw new InvalidOperationException(ErrorMessages.BindHardState);
        }
    }
}
