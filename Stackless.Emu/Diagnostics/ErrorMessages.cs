namespace Stackless.Emu.Diagnostics;

/// <summary>
/// The texts of every error the library raises. Where Stackless raises the same error,
/// the text starts with Stackless's own message (from its C implementation), so ported code
/// that matches on messages keeps working; the rest of the text tells the user what to do.
/// </summary>
internal static class ErrorMessages
{
    // Tasklet lifecycle (taskletobject.c).
    public const string SetupAlive = "tasklet is alive";
    public const string SetupUnbound = "the tasklet was not bound to a function";
    public const string BindCurrent = "can't (re)bind the current tasklet";
    public const string BindScheduled = "tasklet is scheduled";
    public const string BindHardState = "tasklet has C state on its stack: a started hard tasklet cannot be rebound; Kill() it first";
    public const string UnbindMain = "can't unbind the main tasklet";
    public const string InsertBlocked = "You cannot run a blocked tasklet";
    public const string InsertDead = "You cannot run an unbound(dead) tasklet";
    public const string RemoveBlocked = "You cannot remove a blocked tasklet.";
    public const string RemoveCurrent = "The current tasklet cannot be removed.";
    public const string ThrowDead = "You cannot throw to a dead tasklet";
    public const string SwitchOtherThread = "can't switch to a different thread.";
    public const string RunOtherThread = "cannot run a tasklet of another thread";
    public const string SetupOtherThread = "cannot setup or insert a tasklet of another thread";
    public const string ThreadEnded = "tasklet has no thread: its thread has ended, so only a kill (which just ends it) can reach it";

    public const string ContextOtherThread = "tasklet belongs to a different thread: the context of another thread's current or runnable tasklet cannot be set";
    public const string BindRunnable = "can't (re)bind a runnable tasklet";
    public const string BindThreadCState = "tasklet has C state on its stack: a hard tasklet (its own OS thread) or a main tasklet cannot change threads";
    public const string BadThread = "bad thread";

    // Scheduling (scheduling.c).
    public const string SwitchTrap =
        "switch_trap: this operation would switch to another tasklet while the thread's switch trap is set " +
        "(Scheduler.SwitchTrap(n) with a non-zero level); lower it with Scheduler.SwitchTrap(-n) first.";

    // Beyond Stackless: dropping a tasklet that lives on elsewhere.
    public const string DiscardOtherThread = "Discard() must be called on the tasklet's own thread (e.g. through SchedulerThread.InvokeAsync)";
    public const string DiscardCurrent = "the current tasklet cannot be discarded";
    public const string DiscardMain = "the main tasklet cannot be discarded";

    /// <summary>The error of a member that only the tasklet's own thread may use, called from another thread.</summary>
    public static string OwnerThreadOnly(string member) =>
        $"{member} may only be used on the tasklet's own thread: it changes state that thread's scheduler reads without a " +
        "lock. Do it there (e.g. through SchedulerThread.InvokeAsync, or a message on a channel).";
    public const string DiscardInIo = "a tasklet waiting for I/O cannot be discarded: its foreign operation would still resume it; wait until it is Restorable (Tasklet.WhenRestorableAsync)";
    public const string DiscardServed = "the tasklet was served by a channel action on another thread and is about to run; discard it once it has suspended again";

    // Channels (channelobject.c).
    public const string ChannelClosed = "Send/receive operation on a closed channel";
    public const string BlockTrap = "this tasklet does not like to be blocked.";
    public const string Deadlock = "Deadlock: the last runnable tasklet cannot be blocked.";
    public const string MainReceivingNoSender = "the main tasklet is receiving without a sender available.";
    public const string MainSendingNoReceiver = "the main tasklet is sending without a receiver available.";

    // Completion (System.Threading.Channels' semantics, beyond Stackless).
    public const string ChannelCompleted = ChannelClosed + ": the channel was completed (Complete()); no value can be sent or will come any more.";
    public const string ChannelCompletedWithError = ChannelClosed + ": the channel was completed with an error (see the inner exception); no value can be sent or will come any more.";
    public const string ChannelAlreadyCompleted = ChannelClosed + ": the channel was already completed; use TryComplete() when several parties may complete it.";
    public const string OpenCompleted = "A completed channel cannot be reopened: Complete() is final, as in System.Threading.Channels. Use Close() and Open() for Stackless's reversible closing.";

    /// <summary>The error <c>Scheduler.Run()</c> raises inside a soft tasklet (Stackless: run() from a tasklet other than main).</summary>
    public const string RunInSoftTasklet =
        "run() must be run from the main tasklet: Scheduler.Run() runs the tasklets from main's code (or a hard " +
        "tasklet's), and a soft tasklet, an async method, cannot block in it. To let the other tasklets run from here, " +
        "use 'await Scheduler.ScheduleAsync()'.";

    /// <summary>The error a synchronous form raises inside a soft tasklet.</summary>
    public static string SyncFormInSoftTasklet(string syncName, string asyncName) =>
        $"{syncName} cannot block inside a soft tasklet: a soft tasklet is an async method and suspends only at an await. " +
        $"Use 'await {asyncName}' here, or run blocking code in a hard tasklet (Tasklet.SpawnHard).";

    /// <summary>The error raised where main's code continues on another thread, leaving its tasklets behind.</summary>
    public static string OrphanedMainFlow(int originThread, int alive, int thread) =>
        $"The main code of thread {originThread} set up {alive} tasklet(s), then continued on thread {thread} after an await, " +
        $"leaving them on a scheduler that nobody runs: Scheduler.Run() here has nothing to run. Use " +
        "Scheduler.RunMain(async () => ...) around async code that uses tasklets (e.g. static void Main() => " +
        "Scheduler.RunMain(MainAsync)), so its awaits resume on the scheduler thread.";

    /// <summary>The error Scheduler.RunMain raises outside the main tasklet.</summary>
    public const string RunMainNotMain =
        "Scheduler.RunMain runs the main tasklet's code: call it from the thread's own code (e.g. static void Main), not from a hard tasklet.";

    /// <summary>The error a nested Scheduler.RunMain raises.</summary>
    public const string RunMainNested = "Scheduler.RunMain is already running on this thread: call it once, at the top of the thread's code.";

    /// <summary>The error a timed channel operation raises when nobody came in time.</summary>
    public static string ChannelTimeout(string operation, TimeSpan timeout) =>
        $"The channel {operation} timed out after {timeout}: no partner came. The value was not transferred; retry, or wait longer.";

    /// <summary>The error a library awaitable raises when it is awaited a second time (or after a later operation).</summary>
    public const string AwaitedTwice =
        "This awaitable of a tasklet operation was already awaited, or belongs to an earlier operation: await each " +
        "SendAsync/ReceiveAsync/ScheduleAsync/... result exactly once, at once.";

    /// <summary>The error a soft tasklet raises when it would suspend under another synchronization context.</summary>
    public static string SuspendedOutsideStep(Tasklet tasklet) =>
        $"{tasklet} started a tasklet operation that may suspend under another SynchronizationContext (for example inside " +
        "JoinableTaskFactory.Run or AsyncContext.Run, or after changing SynchronizationContext.Current): that would block " +
        "the scheduler thread the tasklet needs, for ever. Await tasklet operations directly in the tasklet's own code, " +
        "outside JoinableTaskFactory.Run/RunAsync and AsyncContext.Run, or run code that must block in a hard tasklet " +
        "(Tasklet.SpawnHard), where the synchronous forms work.";

    /// <summary>The error reported when a tasklet's code finished on another thread.</summary>
    public static string LeftSchedulerThread(Tasklet tasklet) =>
        $"{tasklet} continued on another thread after an await and finished there: its code left the scheduler thread " +
        "(ConfigureAwait(false), await TaskScheduler.Default, or an awaiter that runs continuations inline on another " +
        "thread), so it ran in parallel with the other tasklets. Remove ConfigureAwait(false) from tasklet code, or write " +
        "the body as an async TaskletFrame method, whose awaits always come back to the scheduler thread.";

    /// <summary>The error an operation raises when a previous asynchronous form was not awaited.</summary>
    public const string NotAwaited =
        "The previous asynchronous tasklet operation of this tasklet was not awaited: the tasklet is already suspended. " +
        "Await every SendAsync/ReceiveAsync/ScheduleAsync/... call directly.";
}
