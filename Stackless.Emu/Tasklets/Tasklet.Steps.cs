using System.Diagnostics;
using System.Runtime.CompilerServices;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // A soft tasklet runs in steps on its scheduler's dispatch loop: the first step starts its body, each later step runs
    // its stored resumption. The body is kept by kind: an async delegate (dropped once started: its task then lives in
    // the tasklet's routing context), the root frame of a TaskletFrame body (kept: the pickler walks up to it), or a hard
    // tasklet's delegate.

    /// <summary>What <see cref="_body"/> holds.</summary>
    private enum BodyKind
    {
        /// <summary>Unbound.</summary>
        None,

        /// <summary>A <c>Func&lt;Task&gt;</c> until started, then the <see cref="TaskletSynchronizationContext"/> holding its task.</summary>
        Task,

        /// <summary>The root <see cref="FrameBox"/> of a <see cref="TaskletFrame"/> body.</summary>
        Frame,

        /// <summary>A hard tasklet's <see cref="Action"/>.</summary>
        Hard,
    }

    private BodyKind Body => (BodyKind)((_bits & BodyMask) >> BodyShift);

    /// <summary>Binds <paramref name="body"/> of <paramref name="kind"/> (null unbinds).</summary>
    private void SetBody(BodyKind kind, object? body)
    {
        _body = body;
        _bits = (_bits & ~(BodyMask | BoundBit)) | (body is null ? 0 : ((int)kind << BodyShift) | BoundBit);
    }

    /// <summary>The async delegate of a soft tasklet that has not started (the pickler saves it).</summary>
    internal Func<Task>? SoftBody => Body == BodyKind.Task ? _body as Func<Task> : null;

    /// <summary>The root frame of a <see cref="TaskletFrame"/> body, or null.</summary>
    internal FrameBox? CurrentRootFrame => Body == BodyKind.Frame ? Unsafe.As<FrameBox>(_body) : null;

    /// <summary>A hard tasklet's body.</summary>
    internal Action? HardBody => Body == BodyKind.Hard ? Unsafe.As<Action>(_body) : null;

    /// <summary>
    /// The synchronization context that routes this tasklet's foreign continuations back to its scheduler: created at
    /// the start of an async-delegate body (the runtime's builder captures it at every await), and for main under
    /// <c>Scheduler.RunMain</c>. Null for <see cref="TaskletFrame"/> bodies, whose builder routes its own awaits.
    /// </summary>
    internal TaskletSynchronizationContext? RoutingContext => _body as TaskletSynchronizationContext ?? _cold?.Routing;

    /// <summary>Gives a <see cref="TaskletFrame"/> tasklet a routing context (see <see cref="TaskletCold.Routing"/>).</summary>
    internal TaskletSynchronizationContext EnsureRoutingContext() =>
        RoutingContext ?? (Cold.Routing = new TaskletSynchronizationContext(this));

    /// <summary>Gives main a routing context (for <c>Scheduler.RunMain</c>), keeping it for later runs.</summary>
    internal TaskletSynchronizationContext EnsureMainRoutingContext()
    {
        Debug.Assert(IsMain);
        if (_body is not TaskletSynchronizationContext context)
        {
            context = new TaskletSynchronizationContext(this);
            _body = context;
            _bits = (_bits & ~BodyMask) | ((int)BodyKind.Task << BodyShift);
        }

        return context;
    }

    /// <summary>Runs one step of this soft tasklet on the dispatch loop: its start, or its stored resumption.</summary>
    internal void RunStep(ThreadScheduler scheduler)
    {
        if (_resume is not null)
        {
            RunResume();
            return;
        }

        if (!Started)
        {
            Start(scheduler);
            return;
        }

        throw new InvalidOperationException($"{this} was resumed but has nothing to run. {Diagnostics.ErrorMessages.NotAwaited}");
    }

    /// <summary>The first step: runs the body until it first suspends or ends.</summary>
    private void Start(ThreadScheduler scheduler)
    {
        _bits |= StartedBit;
        if (HasPending && PendingException is { } killed)
        {
            // Killed or thrown into before it ever ran: the body never runs (Stackless: the function is never called).
            PendingException = null;
            SetBody(BodyKind.Task, new TaskletSynchronizationContext(this) { BodyTask = Task.FromException(killed.SourceException) });
            return;
        }

        if (Body == BodyKind.Frame)
        {
            Unsafe.As<FrameBox>(_body)!.StartAsRoot(this);
            return;
        }

        var body = (Func<Task>)_body!;
        var context = new TaskletSynchronizationContext(this);
        _body = context;
        scheduler.InstallContext(context);
        try
        {
#pragma warning disable VSTHRD003 // The body's task is the tasklet itself; the scheduler only observes its completion.
            context.BodyTask = body() ?? Task.FromException(new InvalidOperationException("The tasklet body returned a null Task."));
#pragma warning restore VSTHRD003
        }
#pragma warning disable CA1031 // The body's exception is the tasklet's result: it goes to main like any other.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            context.BodyTask = Task.FromException(ex);
        }
    }

    /// <summary>
    /// After a step that left no resumption: whether the body has finished, and with which error (null: success). False
    /// when it is still running, i.e. it waits for a foreign awaitable.
    /// </summary>
    internal bool TryGetBodyOutcome(out Exception? error)
    {
        if (Body == BodyKind.Frame)
        {
            var root = Unsafe.As<FrameBox>(_body)!;
            error = root.IsCompleted ? root.Error?.SourceException : null;
            return root.IsCompleted;
        }

        var task = (_body as TaskletSynchronizationContext)?.BodyTask;
        if (task is null || !task.IsCompleted)
        {
            error = null;
            return task is null && _body is null;
        }

        error = task.IsCompletedSuccessfully ? null : ErrorOf(task);
        return true;
    }

    /// <summary>The body's task of an async-delegate body that has started, or null.</summary>
#pragma warning disable VSTHRD003 // Read only to observe completion; never awaited.
    internal Task? BodyTask => (_body as TaskletSynchronizationContext)?.BodyTask;
#pragma warning restore VSTHRD003

    /// <summary>Forgets the body and its progress (unbind, or the end of the tasklet).</summary>
    internal void ClearBody(bool keepBinding)
    {
        ClearResume();
        _bits &= ~(StartedBit | AliveBit);
        if (!keepBinding)
        {
            SetBody(BodyKind.None, null);
        }
        else if (Body == BodyKind.Task && _body is TaskletSynchronizationContext)
        {
            SetBody(BodyKind.None, null);
        }
    }

    /// <summary>Queues a resumption of a second flow inside this tasklet (a post while one is already stored).</summary>
    internal void DeferPost(object callback, object? state) => (Cold.DeferredPosts ??= new()).Enqueue((callback, state));

    /// <summary>Makes the oldest deferred resumption this tasklet's next step; false when there is none.</summary>
    internal bool TakeDeferredPost()
    {
        if (_cold?.DeferredPosts is not { } posts || !posts.TryDequeue(out var next))
        {
            return false;
        }

        switch (next.Callback)
        {
            case SendOrPostCallback posted:
                SetResume(posted, next.State);
                break;
            case Resumable resumable:
                SetResume(resumable);
                break;
            default:
                SetResume((Action)next.Callback);
                break;
        }

        return true;
    }

    private static Exception ErrorOf(Task body)
    {
        if (body.IsCanceled)
        {
            try
            {
#pragma warning disable VSTHRD002 // Completed: this only unwraps the cancellation.
                body.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
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
}
