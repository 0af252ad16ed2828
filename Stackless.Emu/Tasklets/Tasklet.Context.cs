using System.Runtime.CompilerServices;

namespace Stackless.Emu;

public sealed partial class Tasklet
{
    // The execution context a soft tasklet runs under: the one of the code that set it up (as Task.Run captures it),
    // kept across its steps, changed by the tasklet's own AsyncLocal writes. With no AsyncLocal in use it is null and
    // costs nothing. Main and hard tasklets run on their own threads with their own contexts.

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "_executionContext")]
    private static extern ref ExecutionContext? ExecutionContextOf(Thread thread);

    /// <summary>The execution context to run this tasklet's steps under; null for the default.</summary>
    internal ExecutionContext? ExecutionContextOrNull => (_bits & HasExecutionContextBit) != 0 ? _cold!.ExecutionContext : null;

    /// <summary>Captures the calling thread's execution context for a soft tasklet being set up.</summary>
    private void CaptureExecutionContext()
    {
        if (Kind is not (TaskletKind.Soft or TaskletKind.Hard))
        {
            return;
        }

        var context = ExecutionContextOf(Thread.CurrentThread);
        KeepExecutionContext(context, ExecutionContextOrNull);
    }

    /// <summary>After a step: keeps <paramref name="now"/>, the thread's context, if the step changed it from <paramref name="before"/>.</summary>
    internal void KeepExecutionContext(ExecutionContext? now, ExecutionContext? before)
    {
        if (now == before)
        {
            return;
        }

        if (now is null)
        {
            _cold!.ExecutionContext = null;
            _bits &= ~HasExecutionContextBit;
        }
        else
        {
            Cold.ExecutionContext = now;
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
        if (ExecutionContextOrNull is { } context)
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
