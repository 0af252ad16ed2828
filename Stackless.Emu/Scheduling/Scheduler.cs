namespace Stackless.Emu;

/// <summary>
/// The scheduler of the calling thread (Stackless's module-level functions): every OS thread that uses the API has
/// its own, with its own runnable queue and main tasklet.
/// </summary>
public static partial class Scheduler
{
    /// <summary>
    /// Runs the runnable tasklets until none is runnable and no tasklet waits for I/O (Stackless's <c>run()</c>).
    /// The caller leaves the runnable queue meanwhile. An exception escaping a tasklet is raised here.
    /// For main and hard tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void Run()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterRun();
        scheduler.ThrowIfOrphanedMainFlow();
        scheduler.Run(new RunFrame { Caller = caller });
    }

    /// <summary>
    /// Runs <paramref name="main"/> as the main tasklet's code, written as an async method (the way to use tasklets from
    /// <c>async Main</c>, like Nito.AsyncEx's <c>AsyncContext.Run</c>): its awaits resume on this thread as the main
    /// tasklet, and the tasklets run while it waits; its synchronous forms (<c>channel.Receive()</c>,
    /// <c>Scheduler.Run()</c>) work as usual. When it has finished, the tasklets run until none can, those still blocked
    /// are killed (their <c>finally</c> blocks run), and its exception, if any, is raised here.
    /// <code>static void Main() =&gt; Scheduler.RunMain(async () =&gt; { Tasklet.Spawn(...); await Task.Delay(10); Scheduler.Run(); });</code>
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from a tasklet, or while RunMain already runs on this thread.</exception>
    /// <remarks>Thread safety: any thread without a running scheduler loop: the calling thread becomes the tasklets' thread until <paramref name="main"/> completes.</remarks>
    public static void RunMain(Func<Task> main)
    {
#pragma warning disable VSTHRD002 // Completed: RunMain returns only once the task has completed.
        ThreadScheduler.Current.RunMain(main).GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>Like <see cref="RunMain(Func{Task})"/>, returning the result of <paramref name="main"/> (e.g. an exit code).</summary>
    /// <remarks>Thread safety: as <see cref="RunMain(Func{Task})"/>.</remarks>
    public static T RunMain<T>(Func<Task<T>> main)
    {
        ArgumentNullException.ThrowIfNull(main);
        Task<T>? task = null;
        _ = ThreadScheduler.Current.RunMain(() => task = main());
#pragma warning disable VSTHRD002 // Completed: RunMain returns only once the task has completed.
        return task!.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
    }

    /// <summary>
    /// The synchronization context of this thread's scheduler: work posted to it runs on this thread as tasklets of its
    /// own (see <see cref="SchedulerSynchronizationContext"/>). Give it to libraries that post callbacks (Rx's
    /// <c>ObserveOn</c>, vs-threading's <c>JoinableTaskContext</c>).
    /// </summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static SchedulerSynchronizationContext SynchronizationContext => ThreadScheduler.Current.Context;

    /// <summary>Lets the next runnable tasklet run; the caller goes to the end of the round (Stackless's <c>schedule()</c>). For main and hard tasklets.</summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void Schedule()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterSyncForm("Scheduler.Schedule()", "Scheduler.ScheduleAsync()");
        scheduler.SuspendSync(caller, scheduler.ScheduleCore(caller, remove: false));
    }

    /// <summary>Asynchronous form of <see cref="Schedule()"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets.</remarks>
    public static SwitchAwaitable ScheduleAsync()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        return scheduler.SuspendAsync(caller, scheduler.ScheduleCore(caller, remove: false));
    }

    /// <summary>
    /// Pauses the caller (it leaves the runnable queue) and lets the next tasklet run (Stackless's
    /// <c>schedule_remove()</c>); something must <see cref="Tasklet.Insert"/> or run it again. For main and hard tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread: runs the calling thread's scheduler, from its main or a hard tasklet (a soft tasklet gets <see cref="InvalidOperationException"/> naming the asynchronous form).</remarks>
    public static void ScheduleRemove()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterSyncForm("Scheduler.ScheduleRemove()", "Scheduler.ScheduleRemoveAsync()");
        scheduler.SuspendSync(caller, scheduler.ScheduleCore(caller, remove: true));
    }

    /// <summary>Asynchronous form of <see cref="ScheduleRemove()"/>, for soft tasklets.</summary>
    /// <remarks>Thread safety: any thread: acts on the calling thread's scheduler, from its soft tasklets.</remarks>
    public static SwitchAwaitable ScheduleRemoveAsync()
    {
        var scheduler = ThreadScheduler.Current;
        var caller = scheduler.EnterAsyncForm();
        return scheduler.SuspendAsync(caller, scheduler.ScheduleCore(caller, remove: true));
    }

    /// <summary>The number of runnable tasklets, the current one included (Stackless's <c>getruncount()</c>).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static int RunCount => ThreadScheduler.Current.RunCount;

    /// <summary>The number of tasklets of this thread waiting for I/O (foreign awaitables, blocking calls).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static int IoPendingCount => ThreadScheduler.Current.IoPending;

    /// <summary>The running tasklet (Stackless's <c>getcurrent()</c>).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static Tasklet Current => ThreadScheduler.Current.Executing;

    /// <summary>This thread's main tasklet (Stackless's <c>getmain()</c>).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static Tasklet Main => ThreadScheduler.Current.MainTasklet;

    /// <summary>
    /// Marks the current tasklet atomic until the scope is disposed (Stackless's <c>with stackless.atomic():</c>):
    /// <c>using (Scheduler.Atomic()) { ... }</c>.
    /// </summary>
    /// <remarks>Thread safety: any thread: the calling thread's current tasklet, which the scope must be disposed on.</remarks>
    public static AtomicScope Atomic() => new(ThreadScheduler.Current.Executing);

    /// <summary>
    /// Called as (previous, next) before every switch between tasklets of this thread (Stackless's
    /// <c>set_schedule_callback</c>); null removes it. An exception it throws is reported through
    /// <see cref="StacklessDiagnostics.ErrorHandler"/> (standard error without one) and ignored.
    /// </summary>
    /// <remarks>Thread safety: any thread; per thread: it sets the calling thread's callback, which runs on that thread.</remarks>
    public static Action<Tasklet?, Tasklet?>? ScheduleCallback
    {
        get => ThreadScheduler.Current.ScheduleCallback;
        set => ThreadScheduler.Current.ScheduleCallback = value;
    }

    /// <summary>
    /// Called as (channel, tasklet, sending, willBlock) before every channel action on this thread (Stackless's
    /// <c>set_channel_callback</c>); null removes it.
    /// </summary>
    /// <remarks>Thread safety: any thread; per thread: it sets the calling thread's callback, which runs on that thread,
    /// before the action and outside the channel's lock. willBlock is read in the channel's critical section; on a channel
    /// shared with other threads their operations may change it before the action itself runs.</remarks>
    public static Action<IChannel, Tasklet, bool, bool>? ChannelCallback
    {
        get => ThreadScheduler.Current.ChannelCallback;
        set => ThreadScheduler.Current.ChannelCallback = value;
    }

    /// <summary>This thread's alive tasklets, main first (for diagnostics and for ending leftovers).</summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static IReadOnlyList<Tasklet> AliveTasklets() => ThreadScheduler.Current.AliveTasklets();

    /// <summary>A report of this thread's alive tasklets and what each waits on.</summary>
    /// <remarks>Thread safety: any thread: the calling thread's scheduler.</remarks>
    public static string Describe() => ThreadScheduler.Current.DescribeTasklets();
}
