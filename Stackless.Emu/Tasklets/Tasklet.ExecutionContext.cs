using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // Stackless's tasklet.context_id, set_context and context_run. A contextvars.Context is an ExecutionContext here and a
    // ContextVar an AsyncLocal<T>. Stackless's contexts are mutable objects shared by reference; .NET's are immutable
    // snapshots, so the identity of a tasklet's context changes whenever its code writes an AsyncLocal (context_id, which
    // Stackless keeps, changes here), and a write made by code running under the context is kept by the tasklet that ran it.

    /// <summary>
    /// The execution context this tasklet runs under (Stackless's <c>tasklet.context</c>, compared by reference as
    /// <c>context_id</c>): for the running tasklet, its thread's current one (<see cref="System.Threading.ExecutionContext.Capture"/>);
    /// otherwise the one its next step runs under. Null for a tasklet that was never set up and never given one
    /// (<see cref="SetExecutionContext"/>, <see cref="ContextRun{T}"/>): it has no context yet, as in Stackless.
    /// </summary>
    /// <remarks>
    /// A started soft tasklet suspended in a plain <c>async</c> method resumes under the context the runtime captured at
    /// its <c>await</c>; a context set meanwhile applies from its next step that is not such a resumption (e.g. the start of
    /// its body).
    /// <para>Thread safety: read it on the tasklet's own thread: from another thread a running tasklet's value is not current.</para>
    /// </remarks>
    public ExecutionContext? ExecutionContext
    {
        get
        {
            if (IsCurrent && ThreadScheduler.CurrentOrNull == _scheduler)
            {
                return ExecutionContext.Capture();
            }

            if (!HasContext)
            {
                return null;
            }

            return ExecutionContextToRun ?? DefaultContext;
        }
    }

    /// <summary>
    /// Sets the execution context this tasklet runs under (Stackless's <c>set_context</c>); for the running tasklet it
    /// becomes its thread's current context at once. Returns this tasklet.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="context"/> is null.</exception>
    /// <exception cref="InvalidOperationException">The tasklet belongs to another thread and is current or runnable there
    /// ("tasklet belongs to a different thread").</exception>
    /// <remarks>Thread safety: on the tasklet's own thread; from another thread only while the tasklet is not current or
    /// runnable there (paused, blocked, new or dead), else it raises.</remarks>
    public Tasklet SetExecutionContext(ExecutionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var own = ThreadScheduler.CurrentOrNull == _scheduler;
        if (!own && (IsCurrent || Wait == TaskletWait.Runnable))
        {
            throw new InvalidOperationException(ErrorMessages.ContextOtherThread);
        }

        if (own && IsCurrent)
        {
            ExecutionContext.Restore(context);
        }

        AssignContext(context);
        return this;
    }

    /// <summary>
    /// Runs <paramref name="callable"/> on the calling thread under this tasklet's execution context (Stackless's
    /// <c>context_run</c>) and returns its result; a tasklet without a context gets an empty one first. The context the
    /// callable leaves (after its <see cref="AsyncLocal{T}"/> writes) becomes the tasklet's; the caller's context is
    /// restored afterwards.
    /// </summary>
    /// <exception cref="ArgumentNullException"><paramref name="callable"/> is null.</exception>
    /// <remarks>Thread safety: the callable runs on the calling thread. Call it on the tasklet's own thread, or from another
    /// thread only while the tasklet does not run (paused, blocked, new or dead): the context the callable leaves is given
    /// to the tasklet without synchronisation.</remarks>
    public T ContextRun<T>(Func<T> callable)
    {
        ArgumentNullException.ThrowIfNull(callable);
        var context = ExecutionContext ?? DefaultContext;
        var saved = ExecutionContext.Capture();
        ExecutionContext.Restore(context);
        try
        {
            return callable();
        }
        finally
        {
            var left = ExecutionContext.Capture() ?? DefaultContext;
            if (!(IsCurrent && ThreadScheduler.CurrentOrNull == _scheduler))
            {
                AssignContext(left);
            }

            ExecutionContext.Restore(saved ?? DefaultContext);
        }
    }

    /// <summary>The empty execution context (no AsyncLocal values): what Stackless's new <c>contextvars.Context()</c> is.</summary>
    private static ExecutionContext DefaultContext => ThreadScheduler.EmptyExecutionContext;

    /// <summary>Whether the tasklet has a context: it was set up (or loaded alive), or given one.</summary>
    private bool HasContext => Alive || Started || (_bits & HasExecutionContextBit) != 0 || _cold is { ContextAssigned: true };

    /// <summary>Makes <paramref name="context"/> the one this tasklet's next step runs under; setup keeps it.</summary>
    private void AssignContext(ExecutionContext context)
    {
        Cold.ContextAssigned = true;
        Cold.ExecutionContext = context;
        _bits |= HasExecutionContextBit;
    }
}
