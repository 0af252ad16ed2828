using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>The shared body of the <see cref="TaskletFrame"/> builders.</summary>
internal static class FrameBuilding
{
    /// <summary>Starts a method: captured as a tasklet's root, deferred to a fresh stack, or run now.</summary>
    public static void Start<TStateMachine, TResult>(ref object? state, ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        if (FrameCapture.AnyArmed && FrameCapture.TryTake())
        {
            var box = GetBox<TStateMachine, TResult>(ref state, ref stateMachine);
            box.Awaiting = FrameAwait.NotStarted;
            FrameCapture.Captured = box;
            return;
        }

        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            var box = GetBox<TStateMachine, TResult>(ref state, ref stateMachine);
            if (StackSafety.TryDefer(box))
            {
                box.Awaiting = FrameAwait.Deferred;
                return;
            }

            box.Resume();
            return;
        }

        stateMachine.MoveNext();
    }

    /// <summary>Completes a method with an exception.</summary>
    public static void SetException<TResult>(ref object? state, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        if (state is FrameBox<TResult> box)
        {
            box.SetException(exception);
        }
        else
        {
            state = ExceptionDispatchInfo.Capture(exception);
        }
    }

    /// <summary>Suspends a frame on an await: by the kind of awaiter, without a delegate for the library's own.</summary>
    public static void Await<TAwaiter, TStateMachine, TResult>(ref object? state, ref TAwaiter awaiter, ref TStateMachine stateMachine, bool critical)
        where TAwaiter : INotifyCompletion
        where TStateMachine : IAsyncStateMachine
    {
        // While suspended the state can only be the box: the error is stored only at completion.
        var box = state is null ? GetBox<TStateMachine, TResult>(ref state, ref stateMachine) : Unsafe.As<FrameBox<TResult>>(state);
        switch (AwaiterKind<TAwaiter>.Kind)
        {
            case FrameAwait.Library:
                box.Awaiting = FrameAwait.Library;
                box.AwaiterType = typeof(TAwaiter);
                Unsafe.As<TAwaiter, AwaitableCore>(ref awaiter).SuspendFrame(box);
                break;
            case FrameAwait.Child:
                box.AwaiterType = typeof(TAwaiter);
                ((IFrameAwaiter)awaiter).Box!.SetParent(box);
                break;
            default:
                box.Awaiting = FrameAwait.Foreign;
                box.AwaiterType = typeof(TAwaiter);
                ForeignAwait.Register(ref awaiter, box, critical);
                break;
        }
    }

    /// <summary>Boxes the state machine: the builder learns its box first, so the copy in the box knows it too.</summary>
    private static FrameBox<TResult> GetBox<TStateMachine, TResult>(ref object? state, ref TStateMachine stateMachine)
        where TStateMachine : IAsyncStateMachine
    {
        var box = new StateMachineBox<TStateMachine, TResult>();
        state = box;
        box.StateMachine = stateMachine;
        return box;
    }
}

/// <summary>
/// How a <see cref="TaskletFrame"/> frame waits for a foreign awaitable: the tasklet keeps the frame as its resumption
/// and enters <see cref="TaskletWait.Io"/>; the awaiter gets the tasklet's cached "hand me back" delegate, registered
/// with no synchronization context current, so the runtime allocates no continuation object and the completion posts
/// the tasklet straight into its scheduler's inbox from whatever thread it completes on.
/// </summary>
internal static class ForeignAwait
{
    public static void Register<TAwaiter>(ref TAwaiter awaiter, FrameBox box, bool critical)
        where TAwaiter : INotifyCompletion
    {
        var scheduler = ThreadScheduler.Current;
        var tasklet = scheduler.ExecutingSoftOrNull;
        if (tasklet is null)
        {
            // A TaskletFrame method run outside a soft tasklet (by main or a plain async method): resume the frame inline.
            OnCompleted(ref awaiter, box.Resume, critical);
            return;
        }

        if (tasklet.HasResume || tasklet.Wait != TaskletWait.Runnable)
        {
            // The awaited call suspended the tasklet on the library's own terms already (a plain async method awaiting a
            // channel operation, an await foreach step): that resumption runs first, and this frame continues when the
            // call completes. The tasklet gets a routing context from now on, so that continuation comes back to it:
            // inline when the call completes during one of its steps, through the inbox otherwise.
            scheduler.InstallContext(tasklet.EnsureRoutingContext());
            OnCompleted(ref awaiter, box.Resume, critical);
            return;
        }

        tasklet.SetResume(box);
        scheduler.EnterIo(tasklet);
        try
        {
            OnCompletedWithoutContext(ref awaiter, tasklet.ForeignResume, critical);
        }
        catch
        {
            scheduler.LeaveIoAfterFailedRegistration(tasklet);
            throw;
        }
    }

    /// <summary>Registers <paramref name="continuation"/> with no synchronization context current, so nothing captures one.</summary>
    private static void OnCompletedWithoutContext<TAwaiter>(ref TAwaiter awaiter, Action continuation, bool critical)
        where TAwaiter : INotifyCompletion
    {
        var saved = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            OnCompleted(ref awaiter, continuation, critical);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(saved);
        }
    }

    private static void OnCompleted<TAwaiter>(ref TAwaiter awaiter, Action continuation, bool critical)
        where TAwaiter : INotifyCompletion
    {
        if (critical && awaiter is ICriticalNotifyCompletion)
        {
            ((ICriticalNotifyCompletion)awaiter).UnsafeOnCompleted(continuation);
        }
        else
        {
            awaiter.OnCompleted(continuation);
        }
    }
}

/// <summary>Classifies an awaiter type once: a child frame, one of the library's awaitables, or foreign.</summary>
/// <typeparam name="TAwaiter">The awaiter type.</typeparam>
internal static class AwaiterKind<TAwaiter>
{
    /// <summary>What a frame suspended on a <typeparamref name="TAwaiter"/> waits for.</summary>
    public static readonly FrameAwait Kind = AwaiterKinds.Classify(typeof(TAwaiter));
}

/// <summary>The classification behind <see cref="AwaiterKind{TAwaiter}"/>.</summary>
internal static class AwaiterKinds
{
    /// <summary>Classifies <paramref name="awaiter"/>.</summary>
    public static FrameAwait Classify(Type awaiter)
    {
        if (awaiter == typeof(TaskletFrameAwaiter) || (awaiter.IsGenericType && awaiter.GetGenericTypeDefinition() == typeof(TaskletFrameAwaiter<>)))
        {
            return FrameAwait.Child;
        }

        if (awaiter == typeof(SwitchAwaitable) || awaiter == typeof(TempValAwaitable) || (awaiter.IsGenericType && awaiter.GetGenericTypeDefinition() == typeof(ReceiveAwaitable<>)))
        {
            return FrameAwait.Library;
        }

        return FrameAwait.Foreign;
    }
}

/// <summary>
/// Captures the root frame of a tasklet created by <see cref="Tasklet.CreateFrame"/>: while armed, the next
/// <see cref="TaskletFrame"/> method started on this thread is boxed but does not run.
/// </summary>
internal static class FrameCapture
{
    /// <summary>Threads armed right now, process-wide: lets every other Start skip the thread-static test.</summary>
    private static int s_armed;

    [ThreadStatic]
    private static bool t_armed;

    [ThreadStatic]
    private static FrameBox? t_captured;

    /// <summary>Whether any thread is capturing (a cheap pre-test).</summary>
    public static bool AnyArmed => Volatile.Read(ref s_armed) != 0;

    /// <summary>The frame captured since <see cref="Arm"/>.</summary>
    public static FrameBox? Captured
    {
        get => t_captured;
        set => t_captured = value;
    }

    /// <summary>Arms the capture.</summary>
    public static void Arm()
    {
        t_armed = true;
        t_captured = null;
        Interlocked.Increment(ref s_armed);
    }

    /// <summary>Disarms the capture and returns the captured frame.</summary>
    public static FrameBox? Disarm()
    {
        if (t_armed)
        {
            t_armed = false;
            Interlocked.Decrement(ref s_armed);
        }

        var captured = t_captured;
        t_captured = null;
        return captured;
    }

    /// <summary>True (once) when armed: the caller must capture instead of starting.</summary>
    public static bool TryTake()
    {
        if (!t_armed)
        {
            return false;
        }

        t_armed = false;
        Interlocked.Decrement(ref s_armed);
        return true;
    }
}
