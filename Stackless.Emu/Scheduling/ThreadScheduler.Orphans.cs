using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Orphaned tasklets: code of a thread's main that set up tasklets, then awaited something that resumed it on another
    // thread (an async Main without Scheduler.RunMain), leaves those tasklets behind on a scheduler nobody runs. Main's
    // flow is marked once, when it first sets up a tasklet, with an AsyncLocal that flows into its continuations; a
    // Scheduler.Run() or RunMain on a thread-pool thread whose own scheduler has nothing to run, reached by code carrying
    // another scheduler's mark while that scheduler has live tasklets and is not running, raises instead of returning at
    // once. The mark costs one execution context per scheduler: every tasklet then shares it with main, so running their
    // steps still switches no context.

    /// <summary>Marks main's flow with this scheduler, once, when main sets up a tasklet.</summary>
    public void MarkMainFlow(Tasklet caller)
    {
        if (!_mainFlowMarked && caller == _main && !_inRunMain)
        {
            _mainFlowMarked = true;
            s_mainFlow.Value = this;
            _ambientExecutionContext = ExecutionContextOf(Thread.CurrentThread); // main's, now with the mark
        }
    }

    /// <summary>Raises when the calling code is the orphaned continuation of another thread's main (see above).</summary>
    public void ThrowIfOrphanedMainFlow()
    {
        if (_aliveCount != 0 || !Thread.CurrentThread.IsThreadPoolThread || s_mainFlow.Value is not { } origin || origin == this)
        {
            return;
        }

        if (origin._aliveCount > 0 && origin.OwnerThread.IsAlive && origin._driveDepth == 0)
        {
            throw new InvalidOperationException(ErrorMessages.OrphanedMainFlow(origin.ThreadId, origin._aliveCount, ThreadId));
        }
    }
}
