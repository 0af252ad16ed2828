using System.Diagnostics;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    /// <summary>The tasklet an uncaught error or an empty queue wakes: the innermost caller of <see cref="Run"/>, else main.</summary>
    private Tasklet Wakeup => _runFrames.Count > 0 ? _runFrames[^1].Caller : _main;

    // ---- entering an operation ------------------------------------------------------------------------

    /// <summary>The calling tasklet of a synchronous form; throws inside a soft tasklet, which cannot block its thread.</summary>
    public Tasklet EnterSyncForm(string syncName, string asyncName)
    {
        _ticks++;
        var caller = Executing;
        if (caller.Kind == TaskletKind.Soft)
        {
            throw new InvalidOperationException(ErrorMessages.SyncFormInSoftTasklet(syncName, asyncName));
        }

        return caller;
    }

    /// <summary>The caller of <c>Scheduler.Run()</c>: main or a hard tasklet; a soft tasklet is told that run() belongs to main.</summary>
    public Tasklet EnterRun()
    {
        _ticks++;
        var caller = Executing;
        if (caller.Kind == TaskletKind.Soft)
        {
            throw new InvalidOperationException(ErrorMessages.RunInSoftTasklet);
        }

        return caller;
    }

    /// <summary>The calling tasklet of an asynchronous form.</summary>
    public Tasklet EnterAsyncForm()
    {
        _ticks++;
        var soft = _executingSoft;
        if (soft is not null)
        {
            if (_current != soft || soft.HasResume)
            {
                // An earlier operation switched away from this tasklet, but it kept running: that awaitable was not awaited.
                throw new InvalidOperationException(ErrorMessages.NotAwaited);
            }

            if (SynchronizationContextOf(_driverThread) != _installedContext)
            {
                // Inside another context's nested loop (JoinableTaskFactory.Run, AsyncContext.Run) a suspension could never
                // be resumed. Raised here, before the operation changes anything, so the caller's own code gets it (thrown
                // from the awaiter's OnCompleted, the runtime would rethrow it on the thread pool and end the process).
                throw new InvalidOperationException(ErrorMessages.SuspendedOutsideStep(soft));
            }

            return soft;
        }

        return Executing;
    }

    /// <summary>
    /// Whether the caller of an asynchronous form is code outside the tasklet world: the main tasklet of a thread that
    /// runs no tasklets (a thread-pool thread, or a thread under a foreign synchronization context). Its operations then
    /// complete asynchronously through a <see cref="TaskletKind.Foreign"/> stand-in instead of blocking the thread.
    /// </summary>
    public bool IsOutsideTaskletWorld(Tasklet caller)
    {
        if (!caller.IsMain || _aliveCount != 0 || _driveDepth != 0 || _inRunMain || _runFrames.Count != 0)
        {
            return false;
        }

        return Thread.CurrentThread.IsThreadPoolThread
            || SynchronizationContext.Current is { } context && context is not SchedulerSynchronizationContext;
    }

    /// <summary>Completes a synchronous form: runs the scheduler until <paramref name="caller"/> is current again.</summary>
    public void SuspendSync(Tasklet caller, bool mustSuspend)
    {
        if (_watchdog is not null)
        {
            mustSuspend = AtSwitchPoint(caller, mustSuspend);
        }

        if (mustSuspend)
        {
            Drive(caller, exiting: false);
        }

        caller.ThrowIfPending();
    }

    /// <summary>Completes an asynchronous form; main and hard tasklets complete it synchronously, like the sync form.</summary>
    public SwitchAwaitable SuspendAsync(Tasklet caller, bool mustSuspend)
    {
        if (caller.IsThreaded)
        {
            SuspendSync(caller, mustSuspend);
            return new SwitchAwaitable(caller, suspends: false);
        }

        if (_watchdog is not null)
        {
            mustSuspend = AtSwitchPoint(caller, mustSuspend);
        }

        return new SwitchAwaitable(caller, mustSuspend);
    }

    // ---- the operations of the scheduler itself ------------------------------------------------------

    /// <summary>
    /// Stackless's <c>run()</c>: runs every other tasklet until none is runnable and no I/O is pending, or until the
    /// watchdog of <paramref name="frame"/> interrupts one; returns the interrupted tasklet, or null.
    /// </summary>
    public Tasklet? Run(RunFrame frame)
    {
        var caller = frame.Caller;
        if (_rare != 0)
        {
            ThrowIfSwitchTrapped(caller.NextLink != caller || ExternalWakePending || HasInboxWork);
        }

        RemoveRunnable(caller);
        _runFrames.Add(frame);
        if (frame.HasWatchdog)
        {
            frame.SliceStart = WatchdogNow(frame);
            if (_watchdog is null)
            {
                SetWatchdog(frame); // the outermost Run() with a timeout interrupts (Stackless's watchdog slot 0)
            }
        }

        try
        {
            Drive(caller, exiting: false);
        }
        finally
        {
            PopRunFrame(frame);
        }

        caller.ThrowIfPending();
        return frame.Soft ? null : frame.Interrupted; // a soft run returns None: everything is in order
    }

    /// <summary>
    /// Leaves <see cref="Run"/>: pops <paramref name="frame"/> from the watchdog stack, and re-inserts the deeper Run()
    /// callers popped on the way that are floating, so they can leave their own Run() (Stackless's run()).
    /// </summary>
    private void PopRunFrame(RunFrame frame)
    {
        var index = _runFrames.LastIndexOf(frame);
        if (index >= 0)
        {
            for (var i = _runFrames.Count - 1; i > index; i--)
            {
                var deeper = _runFrames[i].Caller;
                _runFrames.RemoveAt(i);
                if (deeper.Alive && deeper.Wait == TaskletWait.None)
                {
                    AppendRunnable(deeper);
                }
            }

            _runFrames.RemoveAt(index);
        }

        // The outermost remaining Run() with a timeout guards the scheduler.
        SetWatchdog(_runFrames.Find(f => f.HasWatchdog));
    }

    /// <summary>Stackless's <c>schedule()</c> and <c>schedule_remove()</c>; returns whether the caller must suspend.</summary>
    public bool ScheduleCore(Tasklet caller, bool remove)
    {
        Debug.Assert(caller == _current, "the running tasklet is the head of the runnable chain");
        if (!remove)
        {
            var next = caller.NextLink!;
            if (next == caller)
            {
                // Alone in the round: the completions waiting in the inbox are the other runnables (Stackless's sleep
                // manager and poller are tasklets of the round). Suspending lets the loop deliver them, behind the caller.
                return HasInboxWork;
            }

            if (_rare != 0)
            {
                ThrowIfSwitchTrapped();
            }

            MakeCurrent(next);
            return true;
        }

        ThrowIfWouldDeadlock(caller, callerWillFloat: true, blockingOn: null);
        if (_rare != 0)
        {
            ThrowIfSwitchTrapped();
        }

        RemoveRunnable(caller);
        return true;
    }

    /// <summary>
    /// Places <paramref name="partner"/>, woken on this thread by <paramref name="source"/>'s channel action, by the
    /// channel's rules; returns whether the caller must suspend.
    /// </summary>
    /// <param name="source">The caller of the channel operation (the head of the runnable chain).</param>
    /// <param name="partner">The waiting tasklet it served, already out of the channel's queue.</param>
    /// <param name="scheduleAll">The channel's <c>schedule_all</c>: everybody involved is scheduled, nobody runs at once.</param>
    /// <param name="partnerPreferred">The channel's preference favours the partner: it runs now.</param>
    public bool WakePartner(Tasklet source, Tasklet partner, bool scheduleAll, bool partnerPreferred)
    {
        Debug.Assert(partner.Scheduler == this, "partners on other threads are woken through their own inbox");
        if (scheduleAll)
        {
            // Everybody waits: the partner goes last, the caller yields to its successor.
            AppendRunnable(partner);
            var next = source.NextLink!;
            MakeCurrent(next);
            return next != source;
        }

        if (partnerPreferred)
        {
            // The partner runs now, right after the caller, which thereby moves to the end of the round.
            InsertRunnableAfter(source, partner);
            MakeCurrent(partner);
            return true;
        }

        // The caller is preferred (or preference 0): the partner is appended and the caller goes on.
        AppendRunnable(partner);
        return false;
    }

    /// <summary>
    /// Raises Stackless's deadlock error in <paramref name="source"/> if it is the last runnable tasklet, is about to
    /// leave the runnable chain, and nothing could ever make a tasklet runnable again. Nothing has changed when it raises.
    /// </summary>
    public void ThrowIfWouldDeadlock(Tasklet source, bool callerWillFloat, IChannelQueue? blockingOn)
    {
        if (!IsOnlyRunnable(source) || ExternalWakePending || HasInboxWork)
        {
            return;
        }

        if (_atomicRemote is not null)
        {
            FlushAtomicRemote(); // the caller may wait for what its atomic block started on other threads
        }

        var wakeup = Wakeup;
        var wakeupFloats = wakeup == source ? callerWillFloat : wakeup.Wait == TaskletWait.None;
        if (!wakeupFloats && !SchedulerRegistry.AnotherMemberLive(this))
        {
            var what = blockingOn is null ? "remove itself from the runnable queue" : $"block on {blockingOn.Describe()}";
            throw CountDeadlock(new DeadlockException(
                ErrorMessages.Deadlock,
                $"{source} tried to {what}, and no other tasklet is runnable or waiting for I/O.{Environment.NewLine}{DescribeTasklets()}"));
        }
    }

    // ---- the dispatch loop ----------------------------------------------------------------------------

    /// <summary>
    /// Runs the scheduler on the calling thread, which belongs to the threaded tasklet <paramref name="self"/> (main or
    /// hard), until <paramref name="self"/> is current again. Soft tasklets run here, one step at a time, so
    /// continuations never nest on the stack; another threaded tasklet gets the baton and this thread waits.
    /// With <paramref name="exiting"/> (a finished hard tasklet) it returns as soon as the baton is handed on.
    /// </summary>
    public unsafe void Drive(Tasklet self, bool exiting)
    {
        Debug.Assert(self.IsThreaded, "only main and hard tasklets own a thread to drive the scheduler on");
        byte stackMark = 0; // its address marks this frame for IsCallerItsSoftStep (ThreadScheduler.CallerOnStack.cs)
        var saved = EnterDriver();
        MarkDriveStack((nuint)(&stackMark));
        try
        {
            while (true)
            {
                if (HasInboxWork)
                {
                    DrainInbox();
                }

                var next = _current;
                if (next == self && !exiting)
                {
                    break;
                }

                _dispatched++;
                if (next is null)
                {
                    AwaitWork();
                }
                else if (!next.IsThreaded)
                {
                    RunSoftStep(next);
                }
                else
                {
                    PassBaton(next);
                    if (exiting)
                    {
                        return;
                    }

                    if (!WaitForBaton(self))
                    {
                        break; // this scheduler's thread ended: self, a hard tasklet, raises TaskletExit (ThreadScheduler.ThreadEnd.cs)
                    }

                    ResumeDriving();
                    MarkDriveStack((nuint)(&stackMark)); // a hard tasklet drove meanwhile, on its own stack
                }
            }
        }
        finally
        {
            ExitDriver(saved);
        }

        NotifySwitch(self);
    }

    /// <summary>Handles an empty runnable chain: waits for I/O, or wakes the <see cref="Wakeup"/> tasklet.</summary>
    private void AwaitWork()
    {
        FlushAtomicRemote(); // this thread may now wait for another: what an atomic block collected must not wait with it
        var wakeup = Wakeup;
        if (ExternalWakePending && (HasInboxWork || !ServingStops(wakeup)))
        {
            WaitForInbox();
            return;
        }

        var wait = wakeup.Wait;
        if (wait == TaskletWait.None)
        {
            // Floating: inside Run(), or paused by Switch(). Run() returns and a paused main resumes, unless this Run()
            // serves a scheduler thread or blocks the thread (threadblock) while other threads could wake a tasklet.
            if (_runFrames.Count > 0 && _runFrames[^1] is { Caller: var caller } frame && caller == wakeup)
            {
                if (frame.ServeUntil is { } stop && !stop())
                {
                    WaitIdle();
                    return;
                }

                if (frame.ThreadBlock && _aliveCount > 0 && TryWaitForOtherThreads())
                {
                    return;
                }
            }

            PassBlockedErrorTo(wakeup);
            AppendRunnable(wakeup);
            return;
        }

        if (wait is TaskletWait.Channel or TaskletWait.ChannelServed)
        {
            // Nothing runnable while main waits on a channel: another thread of the group may still serve it ...
            if (HasInboxWork || TryWaitForOtherThreads())
            {
                return;
            }

            // ... but none is live: nobody can ever serve it.
            // Stryker disable once Equality : a tasklet waiting in a channel has direction -1 or +1, never 0: < 0 and <= 0 agree
            var message = wakeup.WaitDirection < 0 ? ErrorMessages.MainReceivingNoSender : ErrorMessages.MainSendingNoReceiver;
            RaiseIn(wakeup, CountDeadlock(new DeadlockException(message, DescribeTasklets())));
            return;
        }

        // The wakeup tasklet waits for I/O, and nothing else does: only its own completion can arrive.
        WaitForInbox();
    }

    /// <summary>
    /// Whether the innermost Run() serves a scheduler thread for <paramref name="wakeup"/> and was asked to stop: then
    /// pending I/O does not keep it waiting once the inbox is empty (the thread kills its tasklets next, which ends their
    /// I/O).
    /// </summary>
    private bool ServingStops(Tasklet wakeup) =>
        _runFrames.Count > 0 && _runFrames[^1] is { ServeUntil: { } stop } frame && frame.Caller == wakeup && stop();

    /// <summary>Runs one step of the soft tasklet <paramref name="tasklet"/>: its start, or its stored resumption.</summary>
    private void RunSoftStep(Tasklet tasklet)
    {
        if (_lastRunning != tasklet)
        {
            NotifySwitch(tasklet);
        }

        _executingSoft = tasklet;
        var routing = tasklet.RoutingContext;
        var context = routing is null ? _context : routing;
        if (context != _installedContext)
        {
            InstallContext(context);
        }

        ref var threadContext = ref ExecutionContextOf(_driverThread);
        var executionContext = tasklet.ExecutionContextToRun;
        if (threadContext != executionContext)
        {
            RestoreExecutionContext(executionContext);
        }

        try
        {
            tasklet.RunStep(this);
        }
#pragma warning disable CA1031 // A throwing continuation ends its tasklet; the error goes to main like any other.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _executingSoft = null;
            if (threadContext != executionContext)
            {
                tasklet.KeepExecutionContext(threadContext);
            }

            if (tasklet.Alive)
            {
                FinishTasklet(tasklet, ex);
            }

            return;
        }

        _executingSoft = null;
        if (threadContext != executionContext)
        {
            tasklet.KeepExecutionContext(threadContext);
        }

        if (!tasklet.HasResume)
        {
            AfterSoftStepWithoutResume(tasklet);
        }

        if (_restorableWaiters is not null)
        {
            NotifyRestorableWaiters();
        }
    }

    /// <summary>
    /// Classifies a soft step that stored no resumption (the hot path, a suspension on a library awaitable, stores one):
    /// the body finished, or it suspended on a foreign awaitable (blocked on I/O), or it moved itself off the chain.
    /// </summary>
    private void AfterSoftStepWithoutResume(Tasklet tasklet)
    {
        if (tasklet.TryGetBodyOutcome(out var error))
        {
            FinishTasklet(tasklet, error);
            // Stryker disable once Statement : equivalent, the next test returns for a finished tasklet too (its wait is None)
            return;
        }

        if (tasklet.Wait != TaskletWait.Runnable || tasklet.TakeDeferredPost())
        {
            return; // a TaskletFrame frame entered I/O by itself, or a second flow continues
        }

        // Suspended on a foreign awaitable: blocked on I/O until its continuation is posted back.
        EnterIo(tasklet);
        WatchBodyOffThread(tasklet);
    }

    /// <summary>Moves the running <paramref name="tasklet"/> out of the runnable chain into <see cref="TaskletWait.Io"/>.</summary>
    public void EnterIo(Tasklet tasklet, object? waitingFor = null)
    {
        if (tasklet.Wait == TaskletWait.Runnable)
        {
            RemoveRunnable(tasklet);
        }

        tasklet.EnterIo(waitingFor);
        _ioPending++;
    }

    /// <summary>Ends <paramref name="tasklet"/>; an error other than <see cref="TaskletExit"/> goes to the wakeup tasklet.</summary>
    public void FinishTasklet(Tasklet tasklet, Exception? error)
    {
        switch (tasklet.Wait)
        {
            case TaskletWait.Runnable:
                RemoveRunnable(tasklet);
                break;
            case TaskletWait.Channel:
                tasklet.LeaveChannel();
                break;
            case TaskletWait.Io:
                tasklet.LeaveIo();
                _ioPending--;
                break;
        }

        // A cancellation caused by a kill or throw is that kill or throw: a killed tasklet ends quietly (issue: edge).
        if (error is OperationCanceledException && tasklet.PendingException is { } interrupt)
        {
            error = interrupt.SourceException;
        }

        tasklet.PendingException = null;
        tasklet.ClearValue();
        tasklet.ClearBody(keepBinding: false);
        ForgetAlive(tasklet);
        ReleaseJoiners(tasklet);
        FlushAtomicRemoteOf(tasklet);
        if (_restorableWaiters is not null)
        {
            NotifyRestorableWaiters();
        }

        if (error is not null and not TaskletExit)
        {
            RaiseTaskletError(tasklet, error);
        }
    }

    /// <summary>Delivers <paramref name="error"/> to the threaded tasklet <paramref name="target"/> and makes it run next.</summary>
    private void RaiseIn(Tasklet target, Exception error)
    {
        target.DeliverException(error);
        var wait = target.Wait;
        if (wait == TaskletWait.Channel && !target.LeaveChannel())
        {
            return; // served by another thread: it runs, and raises, when that wake arrives
        }

        if (wait == TaskletWait.Io && CanAbandonWait(target))
        {
            // Main (or a hard tasklet) waiting for a task: the error ends the wait; a late completion finds it abandoned.
            target.LeaveIo();
            _ioPending--;
        }
        else if (wait is TaskletWait.ChannelServed or TaskletWait.Io)
        {
            return; // it runs, and raises, when its wake or I/O arrives
        }

        if (target.Wait != TaskletWait.Runnable)
        {
            AppendRunnable(target);
        }

        MakeCurrent(target);
    }

    /// <summary>Calls the schedule callback and restarts the watchdog's slice when the running tasklet changes.</summary>
    private void NotifySwitch(Tasklet next)
    {
        var previous = _lastRunning;
        if (previous == next)
        {
            return;
        }

        _lastRunning = next;
        _switches++;
        if (_rare != 0)
        {
            OnSwitchRare(previous, next);
        }
    }

    private void OnSwitchRare(Tasklet? previous, Tasklet next)
    {
        if (_watchdog is not null)
        {
            RestartSlice();
        }

        if (_scheduleCallback is not { } callback)
        {
            return;
        }

        _executingOverride = previous;
        try
        {
            callback(previous, next);
        }
#pragma warning disable CA1031 // Stackless reports a failing schedule callback and carries on ("Error in scheduling callback").
        catch (Exception ex)
#pragma warning restore CA1031
        {
            StacklessDiagnostics.ReportCallbackError("Error in scheduling callback", ex);
        }
        finally
        {
            _executingOverride = null;
        }
    }
}
