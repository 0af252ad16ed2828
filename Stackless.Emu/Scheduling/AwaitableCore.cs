using System.Runtime.CompilerServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// The state every awaitable of the library carries (<see cref="SwitchAwaitable"/>, <see cref="ReceiveAwaitable{T}"/>
/// wrap exactly one of these, so a builder may reinterpret either as this): the operation's owner (the calling tasklet,
/// or the <see cref="ForeignOperation"/> of code outside the tasklet world), the owner's operation token, and whether
/// the caller must suspend. The token makes a second await of one awaitable an error instead of a silent misuse.
/// </summary>
internal readonly struct AwaitableCore
{
    /// <summary>A <see cref="Tasklet"/>, or a <see cref="ForeignOperation"/>; null only for a default-constructed awaitable.</summary>
    public readonly object? Source;

    /// <summary>The owner's token when the operation began.</summary>
    public readonly short Token;

    /// <summary>Whether the calling tasklet must suspend (a foreign operation: whether it had to wait).</summary>
    public readonly bool Suspends;

    public AwaitableCore(Tasklet tasklet, bool suspends)
    {
        Source = tasklet;
        Token = tasklet.Token;
        Suspends = suspends;
    }

    public AwaitableCore(ForeignOperation operation)
    {
        Source = operation;
        Token = operation.Version;
        Suspends = true;
    }

    /// <summary>True when the await completes without suspending.</summary>
    public bool IsCompleted => !Suspends || (Source is ForeignOperation operation && operation.IsCompleted(Token));

    /// <summary>
    /// Stores the continuation of the suspending tasklet, or registers it with the foreign operation. It never throws:
    /// the runtime's async builders turn an exception here into a crash of the process. A misuse (a second await, a
    /// suspension under another synchronization context) instead lets the continuation run at once, and
    /// <see cref="GetResult"/> raises the error there, in the awaiting code.
    /// </summary>
    public void OnCompleted(Action continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        switch (Source)
        {
            case Tasklet tasklet:
                if (tasklet.Token != Token)
                {
                    ThreadScheduler.ResumeToRaise(tasklet, continuation); // GetResult raises the second await
                }
                else if (!tasklet.IsThreaded && !tasklet.Scheduler.IsStepping(tasklet))
                {
                    tasklet.Scheduler.UndoSuspensionOutsideStep(tasklet, continuation);
                }
                else
                {
                    tasklet.SetResume(continuation);
                }

                break;
            case ForeignOperation operation:
                operation.OnCompleted(continuation, Token);
                break;
            default:
                throw new InvalidOperationException(ErrorMessages.AwaitedTwice);
        }
    }

    /// <summary>Parks a suspending <see cref="TaskletFrame"/> frame in its tasklet (no delegate).</summary>
    public void SuspendFrame(FrameBox box)
    {
        if (Source is Tasklet tasklet)
        {
            tasklet.CheckToken(Token);
            CheckScheduler(tasklet);
            tasklet.SetResume(box);
            return;
        }

        // A TaskletFrame method awaiting an operation of code outside the tasklet world (run by a plain async method).
        OnCompleted(box.Resume);
    }

    /// <summary>Completes an operation that returns nothing: consumes the token and raises what was delivered.</summary>
    public void GetResult()
    {
        switch (Source)
        {
            case Tasklet tasklet:
                tasklet.ConsumeToken(Token);
                tasklet.EndCancellableWait();
                tasklet.ThrowIfPending();
                break;
            case ForeignOperation operation:
                operation.GetResult(Token);
                break;
            default:
                throw new InvalidOperationException(ErrorMessages.AwaitedTwice);
        }
    }

    /// <summary>Completes a receive: consumes the token and takes the value (raising a sent exception, a kill or a throw).</summary>
    public T GetResult<T>()
    {
        switch (Source)
        {
            case Tasklet tasklet:
                tasklet.ConsumeToken(Token);
                tasklet.EndCancellableWait();
                tasklet.ThrowIfPending();
                return tasklet.TakeValue<T>();
            case ForeignOperation operation:
                return operation.GetResult<T>(Token);
            default:
                throw new InvalidOperationException(ErrorMessages.AwaitedTwice);
        }
    }

    /// <summary>
    /// A suspension of a soft tasklet must happen under its own scheduler's context: an await inside another
    /// synchronization context (<c>JoinableTaskFactory.Run</c>, <c>AsyncContext.Run</c>) would block the thread the
    /// tasklet needs, for ever. Raise the error instead of hanging (our own builder: the frame fails with it).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CheckScheduler(Tasklet tasklet)
    {
        if (!tasklet.IsThreaded && !tasklet.Scheduler.IsStepping(tasklet))
        {
            throw new InvalidOperationException(ErrorMessages.SuspendedOutsideStep(tasklet));
        }
    }
}
