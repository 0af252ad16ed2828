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

    /// <summary>The calling tasklet of an asynchronous form.</summary>
    public Tasklet EnterAsyncForm()
    {
        _ticks++;
        var soft = _executingSoft;
        if (soft is not null && _current != soft)
        {
            // An earlier operation switched away from this tasklet, but it kept running: that awaitable was not awaited.
            throw new InvalidOperationException(ErrorMessages.NotAwaited);
        }

        return Executing;
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
        RemoveRunnable(caller);
        _runFrames.Add(frame);
        if (frame.HasWatchdog)
        {
            frame.SliceStart = WatchdogNow(frame);
            _watchdog ??= frame; // the outermost Run() with a timeout interrupts (Stackless's watchdog slot 0)
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
                if (deeper.Alive && (deeper.Flags & TaskletFlags.ChainMask) == 0)
                {
                    AppendRunnable(deeper);
                }
            }

            _runFrames.RemoveAt(index);
        }

        // The outermost remaining Run() with a timeout guards the scheduler.
        _watchdog = _runFrames.Find(f => f.HasWatchdog);
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
                return false;
            }

            MakeCurrent(next);
            return true;
        }

        ThrowIfWouldDeadlock(caller, callerWillFloat: true, blockingOn: null);
        RemoveRunnable(caller);
        return true;
    }

    /// <summary>
    /// Raises Stackless's deadlock error in <paramref name="source"/> if it is the last runnable tasklet, is about to
    /// leave the runnable chain, and nothing could ever make a tasklet runnable again. Nothing has changed when it raises.
    /// </summary>
    public void ThrowIfWouldDeadlock(Tasklet source, bool callerWillFloat, IChannelQueue? blockingOn)
    {
        if (!IsOnlyRunnable(source) || ExternalWakePending || _inboxCount > 0)
        {
            return;
        }

        var wakeup = Wakeup;
        var wakeupFloats = wakeup == source ? callerWillFloat : (wakeup.Flags & TaskletFlags.ChainMask) == 0;
        if (!wakeupFloats && !SchedulerRegistry.AnotherMemberLive(this))
        {
            var what = blockingOn is null ? "remove itself from the runnable queue" : $"block on {blockingOn.Describe()}";
            throw new DeadlockException(
                ErrorMessages.Deadlock,
                $"{source} tried to {what}, and no other tasklet is runnable or waiting for I/O.{Environment.NewLine}{DescribeTasklets()}");
        }
    }

    // ---- the dispatch loop ----------------------------------------------------------------------------

    /// <summary>
    /// Runs the scheduler on the calling thread, which belongs to the threaded tasklet <paramref name="self"/> (main or
    /// hard), until <paramref name="self"/> is current again. Soft tasklets run here, one step at a time, so
    /// continuations never nest on the stack; another threaded tasklet gets the baton and this thread waits.
    /// With <paramref name="exiting"/> (a finished hard tasklet) it returns as soon as the baton is handed on.
    /// </summary>
    public void Drive(Tasklet self, bool exiting)
    {
        Debug.Assert(self.IsThreaded, "only main and hard tasklets own a thread to drive the scheduler on");
        var savedContext = SynchronizationContext.Current;
        _driverThreadId = Environment.CurrentManagedThreadId;
        try
        {
            while (true)
            {
                if (_inboxCount != 0)
                {
                    DrainInbox();
                }

                var next = _current;
                if (next == self && !exiting)
                {
                    break;
                }

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

                    WaitForBaton(self);
                    _driverThreadId = Environment.CurrentManagedThreadId;
                }
            }
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(savedContext);
        }

        NotifySwitch(self);
    }

    /// <summary>Handles an empty runnable chain: waits for I/O, or wakes the <see cref="Wakeup"/> tasklet.</summary>
    private void AwaitWork()
    {
        if (ExternalWakePending)
        {
            WaitForInbox();
            return;
        }

        var wakeup = Wakeup;
        if ((wakeup.Flags & TaskletFlags.ChainMask) == 0)
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

            AppendRunnable(wakeup);
            return;
        }

        if ((wakeup.Flags & TaskletFlags.InChannel) != 0)
        {
            // Nothing runnable while main waits on a channel: another thread of the group may still serve it ...
            if (_inboxCount != 0 || TryWaitForOtherThreads())
            {
                return;
            }

            // ... but none is live: nobody can ever serve it.
            var message = wakeup.BlockedDirection < 0 ? ErrorMessages.MainReceivingNoSender : ErrorMessages.MainSendingNoReceiver;
            var description = DescribeTasklets();
            RaiseIn(wakeup, new DeadlockException(message, description));
            return;
        }

        Debug.Fail("empty runnable chain with a scheduled wakeup tasklet");
        AppendRunnable(wakeup);
    }

    /// <summary>Runs one step of the soft tasklet <paramref name="tasklet"/>: its start, or its stored continuation.</summary>
    private void RunSoftStep(Tasklet tasklet)
    {
        NotifySwitch(tasklet);
        _executingSoft = tasklet;
        SynchronizationContext.SetSynchronizationContext(tasklet.Context);
        try
        {
            if (!tasklet.Started)
            {
                tasklet.StartSoftBody();
            }
            else
            {
                var continuation = tasklet.Resume;
                tasklet.Resume = default;
                if (!continuation.IsSet)
                {
                    FinishTasklet(tasklet, new InvalidOperationException(
                        $"{tasklet} was resumed but has no continuation to run. {ErrorMessages.NotAwaited}"));
                    return;
                }

                continuation.Invoke();
            }
        }
#pragma warning disable CA1031 // A throwing continuation ends its tasklet; the error goes to main like any other.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _executingSoft = null;
            if (tasklet.Alive)
            {
                FinishTasklet(tasklet, ex);
            }

            return;
        }
        finally
        {
            _executingSoft = null;
        }

        AfterSoftStep(tasklet);
        if (_restorableWaiters is not null)
        {
            NotifyRestorableWaiters();
        }
    }

    /// <summary>Classifies how a soft step ended: finished, parked on a library awaitable, or waiting on a foreign one.</summary>
    private void AfterSoftStep(Tasklet tasklet)
    {
        var body = tasklet.BodyTask!;
        if (body.IsCompleted)
        {
            FinishTasklet(tasklet, body.IsCompletedSuccessfully ? null : ErrorOf(body));
            return;
        }

        if (tasklet.Resume.IsSet || tasklet.TakeDeferredPost())
        {
            return;
        }

        // Suspended on a foreign awaitable: blocked on I/O until its continuation is posted back.
        if ((tasklet.Flags & TaskletFlags.InRunnable) != 0)
        {
            RemoveRunnable(tasklet);
        }

        tasklet.Flags |= TaskletFlags.InIo;
        _ioPending++;
    }

    /// <summary>Ends <paramref name="tasklet"/>; an error other than <see cref="TaskletExit"/> goes to the wakeup tasklet.</summary>
    public void FinishTasklet(Tasklet tasklet, Exception? error)
    {
        if ((tasklet.Flags & TaskletFlags.InRunnable) != 0)
        {
            RemoveRunnable(tasklet);
        }
        else if ((tasklet.Flags & TaskletFlags.InChannel) != 0)
        {
            tasklet.LeaveChannel();
        }

        tasklet.ClearBody(keepBinding: false);
        ForgetAlive(tasklet);
        if (_restorableWaiters is not null)
        {
            NotifyRestorableWaiters();
        }

        if (error is not null and not TaskletExit)
        {
            RaiseIn(Wakeup, error);
        }
    }

    /// <summary>Delivers <paramref name="error"/> to the threaded tasklet <paramref name="target"/> and makes it run next.</summary>
    private void RaiseIn(Tasklet target, Exception error)
    {
        target.DeliverException(error);
        if ((target.Flags & TaskletFlags.InChannel) != 0 && !target.LeaveChannel())
        {
            return; // served by another thread: it runs, and raises, when that wake arrives
        }

        if ((target.Flags & TaskletFlags.InRunnable) == 0)
        {
            AppendRunnable(target);
        }

        MakeCurrent(target);
    }

    private static Exception ErrorOf(Task body)
    {
        if (body.IsCanceled)
        {
            try
            {
                body.GetAwaiter().GetResult();
            }
#pragma warning disable CA1031 // The cancellation is the result we are after.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                return ex;
            }
        }

        var errors = body.Exception!.InnerExceptions;
        return errors.Count == 1 ? errors[0] : body.Exception;
    }

    /// <summary>Calls the schedule callback when the running tasklet changes (Stackless calls it only when prev != next).</summary>
    private void NotifySwitch(Tasklet next)
    {
        var previous = _lastRunning;
        _lastRunning = next;
        if (previous == next)
        {
            return;
        }

        if (_watchdog is not null)
        {
            RestartSlice();
        }

        if (ScheduleCallback is not { } callback)
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
            Console.Error.WriteLine($"Error in scheduling callback: {ex}");
        }
        finally
        {
            _executingOverride = null;
        }
    }
}
