using System.Runtime.CompilerServices;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // The execution context a tasklet runs under: the one of the code that set it up (as Task.Run captures it), kept
    // across its steps, changed by the tasklet's own AsyncLocal writes. Most tasklets share their scheduler's ambient
    // context (main's, which is null when no AsyncLocal is in use): they store nothing, and a step costs two loads and a
    // compare. Only a tasklet whose context differs keeps its own, in its cold state.

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_executionContext")]
    private static extern ref ExecutionContext? ExecutionContextOf(Thread thread);

    /// <summary>The execution context to run this tasklet's steps under (null: the default).</summary>
    internal ExecutionContext? ExecutionContextToRun => (_bits & HasExecutionContextBit) != 0 ? _cold!.ExecutionContext : _scheduler.AmbientExecutionContext;

    /// <summary>Captures the calling thread's execution context for a soft or hard tasklet being set up.</summary>
    private void CaptureExecutionContext()
    {
        if (Kind is TaskletKind.Soft or TaskletKind.Hard && _cold is not { ContextAssigned: true })
        {
            KeepExecutionContext(ExecutionContextOf(Thread.CurrentThread));
        }
    }

    /// <summary>Keeps <paramref name="context"/> as the one to run under (after a step that changed it, or at setup).</summary>
    internal void KeepExecutionContext(ExecutionContext? context)
    {
        if (context == _scheduler.AmbientExecutionContext)
        {
            if ((_bits & HasExecutionContextBit) != 0)
            {
                _cold!.ExecutionContext = null;
                _bits &= ~HasExecutionContextBit;
            }
        }
        else
        {
            Cold.ExecutionContext = context;
            _bits |= HasExecutionContextBit;
        }
    }

    /// <summary>Marks a hard tasklet as started (its thread is being handed its first baton).</summary>
    internal void MarkStarted() => _bits |= StartedBit;

    /// <summary>
    /// Runs a hard tasklet's body on its own thread, under the execution context captured when it was set up; the
    /// delegate is dropped once started.
    /// </summary>
    internal void RunHardBody()
    {
        var body = HardBody!;
        _body = null;
        if (ExecutionContextToRun is { } context)
        {
            ExecutionContext.Restore(context);
        }

        body();
    }

    /// <summary>
    /// The delegate a foreign awaitable of a <see cref="TaskletFrame"/> frame calls on completion: hands this tasklet back
    /// to its scheduler (from any thread). Created once per tasklet that ever awaits something foreign.
    /// </summary>
    internal Action ForeignResume => Cold.ForeignResume ??= HandBack;

    private void HandBack() => _scheduler.PostTasklet(this);

    /// <summary>Completes the asynchronous operation of a <see cref="TaskletKind.Foreign"/> stand-in a partner served.</summary>
    internal void CompleteForeign() => _cold!.Foreign!.Complete();

    /// <summary>Ends the cancellable wait of the operation that just returned (disposes its registration), if any.</summary>
    internal void EndCancellableWait()
    {
        if (_cold is { CancelRequest: { } request } cold)
        {
            cold.CancelRequest = null;
            request.Dispose();
        }
    }
}
