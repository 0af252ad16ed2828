using System.Runtime.CompilerServices;

namespace Stackless.Emu.Monkeypatch;

/// <summary>
/// Entry points of cooperative I/O: sleeping, interrupting a tasklet's pending cooperative I/O, and the rule every
/// synchronous wrapper follows. A synchronous wrapper method suspends only the calling tasklet (main or hard) while
/// the asynchronous operation underneath runs and the scheduler runs the other tasklets; called from a soft tasklet
/// it raises <see cref="InvalidOperationException"/> naming its asynchronous form. On a thread that never used the
/// scheduler the calling thread is the main tasklet with nothing else to run, so the synchronous forms simply wait.
/// </summary>
public static class Cooperative
{
    private static volatile TimeProvider s_timeProvider = TimeProvider.System;

    private static readonly ConditionalWeakTable<Tasklet, IoState> s_io = new();

    /// <summary>
    /// The clock that drives <see cref="Sleep(TimeSpan)"/> and <see cref="SleepAsync(TimeSpan, CancellationToken)"/>
    /// (default <see cref="TimeProvider.System"/>); tests set a fake one.
    /// </summary>
    public static TimeProvider TimeProvider
    {
        get => s_timeProvider;
        set => s_timeProvider = value ?? throw new ArgumentNullException(nameof(value));
    }

    /// <summary>
    /// Suspends only the calling tasklet (main or hard) for <paramref name="delay"/>, measured by
    /// <see cref="TimeProvider"/>; the other tasklets run meanwhile. The cooperative form of <see cref="Thread.Sleep(TimeSpan)"/>.
    /// </summary>
    /// <exception cref="InvalidOperationException">Called from a soft tasklet (use <see cref="SleepAsync(TimeSpan, CancellationToken)"/>).</exception>
    public static void Sleep(TimeSpan delay) =>
        Wait(token => new ValueTask(Task.Delay(delay, s_timeProvider, token)), "Cooperative.Sleep()", "Cooperative.SleepAsync()");

    /// <summary>Like <see cref="Sleep(TimeSpan)"/>, in milliseconds (the cooperative form of <see cref="Thread.Sleep(int)"/>).</summary>
    public static void Sleep(int millisecondsTimeout) =>
        Sleep(millisecondsTimeout == Timeout.Infinite ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(millisecondsTimeout));

    /// <summary>Waits for <paramref name="delay"/> measured by <see cref="TimeProvider"/>; for soft tasklets (and any async code).</summary>
    public static Task SleepAsync(TimeSpan delay, CancellationToken cancellationToken = default) =>
        PassThroughAsync(token => new ValueTask(Task.Delay(delay, s_timeProvider, token)), cancellationToken).AsTask();

    /// <summary>
    /// Interrupts the cooperative operation <paramref name="tasklet"/> is blocked in (a read, accept, sleep, ... made
    /// through this library): the operation is cancelled (or, if the underlying API ignores cancellation, abandoned)
    /// and the tasklet sees <see cref="OperationCanceledException"/>. Returns whether an operation was pending.
    /// </summary>
    public static bool CancelIo(Tasklet tasklet)
    {
        ArgumentNullException.ThrowIfNull(tasklet);
        if (!s_io.TryGetValue(tasklet, out var state) || state.Pending == 0)
        {
            return false;
        }

        state.Cancel();
        return true;
    }

    /// <summary>
    /// Kills <paramref name="tasklet"/> (raises <see cref="TaskletExit"/> in it) even while it is blocked in cooperative
    /// I/O: <see cref="Tasklet.Kill(bool)"/> alone is delivered only when the I/O completes (the core cannot interrupt a
    /// foreign operation), so this first marks the kill, then cancels the pending operation; the tasklet's
    /// <c>finally</c> blocks run as soon as the cancelled operation returns (the kill acts as a pending kill then).
    /// A tasklet not blocked on I/O is killed with <see cref="Tasklet.Kill(bool)"/> as usual.
    /// </summary>
    /// <param name="tasklet">The tasklet to kill.</param>
    /// <param name="pending">As for <see cref="Tasklet.Kill(bool)"/>; ignored for a tasklet blocked on I/O.</param>
    public static void Kill(Tasklet tasklet, bool pending = false)
    {
        ArgumentNullException.ThrowIfNull(tasklet);
        if (!tasklet.BlockedOnIO)
        {
            tasklet.Kill(pending);
            return;
        }

        var state = s_io.GetValue(tasklet, static _ => new IoState());
        state.KillRequested = true;
        tasklet.Kill(pending: true);
        state.Cancel();
    }

    /// <summary>The error a synchronous wrapper raises inside a soft tasklet (same style as the core's).</summary>
    internal static string SyncFormInSoftTasklet(string syncName, string asyncName) =>
        $"{syncName} cannot block inside a soft tasklet: a soft tasklet is an async method and suspends only at an await. " +
        $"Use 'await {asyncName}' here, or run blocking code in a hard tasklet (Tasklet.SpawnHard).";

    /// <summary>Throws if the calling tasklet is soft; returns it otherwise.</summary>
    internal static Tasklet EnterSync(string syncName, string asyncName)
    {
        var caller = Tasklet.Current;
        if (caller.Kind == TaskletKind.Soft)
        {
            throw new InvalidOperationException(SyncFormInSoftTasklet(syncName, asyncName));
        }

        return caller;
    }

    /// <summary>
    /// True when the caller may simply call the original blocking API: it is the main tasklet and nothing else could
    /// run while it waits (no other runnable tasklet, nothing waiting for I/O), e.g. a thread that never used tasklets.
    /// </summary>
    public static bool CanBlockDirectly
    {
        get
        {
            var caller = Tasklet.Current;
            return caller.Kind == TaskletKind.Main && Scheduler.RunCount <= 1 && Scheduler.IoPendingCount == 0;
        }
    }

    /// <summary>Runs <paramref name="operation"/> and suspends only the calling (main or hard) tasklet until it completes.</summary>
    internal static T Wait<T>(Func<CancellationToken, ValueTask<T>> operation, string syncName, string asyncName)
    {
        var caller = EnterSync(syncName, asyncName);
        var state = s_io.GetValue(caller, static _ => new IoState());
        var token = state.Token;
        var pending = operation(token);
        if (pending.IsCompleted)
        {
#pragma warning disable VSTHRD002 // Completed: this only unwraps the result.
            return pending.GetAwaiter().GetResult();
#pragma warning restore VSTHRD002
        }

        var task = pending.AsTask();
        state.Enter();
        try
        {
            return Scheduler.WaitFor(AbandonableAsync(task, token));
        }
        finally
        {
            state.Exit();
        }
    }

    /// <summary>Like <see cref="Wait{T}"/>, for an operation without a result.</summary>
    internal static void Wait(Func<CancellationToken, ValueTask> operation, string syncName, string asyncName) =>
        Wait(
            async token =>
            {
                await operation(token).ConfigureAwait(false);
                return true;
            },
            syncName,
            asyncName);

    /// <summary>
    /// Runs <paramref name="operation"/> for asynchronous callers with the calling tasklet's cancellation token (so that
    /// <see cref="Kill"/> and <see cref="CancelIo"/> reach it) linked to <paramref name="cancellationToken"/>.
    /// A cancellation caused by <see cref="Kill"/> surfaces as <see cref="TaskletExit"/>.
    /// </summary>
    internal static async ValueTask<T> PassThroughAsync<T>(Func<CancellationToken, ValueTask<T>> operation, CancellationToken cancellationToken)
    {
        var caller = Tasklet.Current;
        var state = s_io.GetValue(caller, static _ => new IoState());
        var token = state.Token;
        CancellationTokenSource? linked = null;
        if (cancellationToken.CanBeCanceled)
        {
            linked = CancellationTokenSource.CreateLinkedTokenSource(token, cancellationToken);
            token = linked.Token;
        }

        state.Enter();
        try
        {
            var pending = operation(token);
            if (pending.IsCompleted)
            {
                return await pending;
            }

            return await AbandonableAsync(pending.AsTask(), token);
        }
        catch (OperationCanceledException ex) when (state.KillRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TaskletExit("The tasklet was killed while waiting for I/O.", ex);
        }
        finally
        {
            state.Exit();
            linked?.Dispose();
        }
    }

    /// <summary>Like <see cref="PassThroughAsync{T}"/>, for an operation without a result.</summary>
    internal static ValueTask PassThroughAsync(Func<CancellationToken, ValueTask> operation, CancellationToken cancellationToken)
    {
        var result = PassThroughAsync(
            async token =>
            {
                await operation(token).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
        return result.IsCompletedSuccessfully ? default : new ValueTask(result.AsTask());
    }

    /// <summary>
    /// The task itself, or, if <paramref name="token"/> can fire, a task that also ends when it fires: an underlying
    /// API that ignores cancellation is abandoned (its late failure is observed, not left unobserved).
    /// </summary>
#pragma warning disable VSTHRD003 // The caller started the task; this only adds a way to stop waiting for it.
    private static Task<T> AbandonableAsync<T>(Task<T> task, CancellationToken token)
    {
        if (!token.CanBeCanceled || task.IsCompleted)
        {
            return task;
        }

        _ = task.ContinueWith(
            static t => _ = t.Exception,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return task.WaitAsync(token);
    }
#pragma warning restore VSTHRD003

    /// <summary>Per-tasklet cooperative I/O state: the token of its current operations.</summary>
#pragma warning disable CA1001 // A CancellationTokenSource without timers holds nothing that needs disposing.
    private sealed class IoState
#pragma warning restore CA1001
    {
        private CancellationTokenSource _source = new();

        public CancellationToken Token => _source.Token;

        private int _pending;

        /// <summary>Operations in flight.</summary>
        public int Pending => Volatile.Read(ref _pending);

        public void Enter() => Interlocked.Increment(ref _pending);

        public void Exit() => Interlocked.Decrement(ref _pending);

        public bool KillRequested { get; set; }

        /// <summary>Cancels the current operations; later ones get a fresh token unless the tasklet is being killed.</summary>
        public void Cancel()
        {
            var old = _source;
            if (!KillRequested)
            {
                _source = new CancellationTokenSource();
            }

            old.Cancel();
            if (!KillRequested)
            {
                old.Dispose();
            }
        }
    }
}
