using System.Collections.Concurrent;
using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// A dedicated thread with its own scheduler, serving tasklets posted to it until it is stopped (modelled on Nito.AsyncEx's
/// <c>AsyncContextThread</c>). Use several to spread tasklets over cores; they talk through channels, which work across
/// threads. The thread joins its creator's deadlock group: a thread blocked on a channel waits for it instead of
/// reporting a deadlock while it is live.
/// </summary>
/// <remarks>
/// An exception escaping a tasklet of this thread does not stop it: it is collected, and <see cref="Join"/> raises
/// the collected errors (also the fault of <see cref="Completion"/>). Stopping kills the tasklets still alive, so
/// their <c>finally</c> blocks run and none is leaked.
/// Thread safety: every member may be called from any thread. <see cref="Join"/> raises when called from a tasklet of
/// this thread (it would wait for itself); <see cref="Dispose"/> there only requests the stop.
/// </remarks>
[DebuggerDisplay("SchedulerThread {ThreadId}")]
public sealed partial class SchedulerThread : IDisposable, IAsyncDisposable
{
    private readonly Thread _thread;
    private readonly ThreadScheduler _scheduler;
    private readonly ConcurrentQueue<Exception> _errors = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Guards <see cref="_stopping"/> against posts: no post is accepted once stopping is set.</summary>
    private readonly object _postLock = new();
    private volatile bool _stopping;

    /// <summary>Starts the thread and waits until its scheduler exists.</summary>
    /// <param name="name">The OS thread's name, for debuggers.</param>
    /// <param name="maxStackSize">The thread's stack size in bytes (0: the runtime's default).</param>
    /// <remarks>Thread safety: any thread; the new thread joins the calling thread's deadlock group.</remarks>
    public SchedulerThread(string? name = null, int maxStackSize = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxStackSize);
        var creator = ThreadScheduler.Current;
        ThreadScheduler? scheduler = null;
        using var started = new ManualResetEventSlim();
        _thread = new Thread(
            () =>
            {
                scheduler = ThreadScheduler.Current;
                SchedulerRegistry.Join(creator, scheduler);
                started.Set();
                Serve(scheduler);
            },
            maxStackSize)
        {
            IsBackground = true,
            Name = name ?? "Stackless scheduler thread",
        };
        _thread.Start();
        started.Wait();
        _scheduler = scheduler!;
    }

    /// <summary>The managed id of the thread (the <see cref="Tasklet.ThreadId"/> of its tasklets).</summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public int ThreadId => _scheduler.ThreadId;

    /// <summary>
    /// The thread's scheduler context: work posted to it runs on this thread as tasklets of their own (see
    /// <see cref="SchedulerSynchronizationContext"/>). Give it to libraries that post callbacks.
    /// </summary>
    /// <remarks>Thread safety: any thread.</remarks>
    public SchedulerSynchronizationContext SynchronizationContext => _scheduler.Context;

    /// <summary>Completes when the thread has stopped; faulted with the errors that escaped its tasklets, if any.</summary>
    /// <remarks>Thread safety: any thread.</remarks>
#pragma warning disable VSTHRD003 // The task belongs to this object and is completed by its own thread.
    public Task Completion => _completion.Task;
#pragma warning restore VSTHRD003

    /// <summary>Spawns a soft tasklet running <paramref name="body"/> on this thread (fire and forget; errors are collected).</summary>
    /// <exception cref="ObjectDisposedException">The thread is stopping.</exception>
    /// <remarks>Thread safety: any thread. A post accepted is run (it is in the inbox before a stop can be requested); once the thread is stopping every post raises <see cref="ObjectDisposedException"/>.</remarks>
    public void Post(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        PostAction(() => Tasklet.Spawn(body));
    }

    /// <summary>Spawns a hard tasklet running <paramref name="body"/> on this scheduler (it gets an OS thread of its own).</summary>
    /// <exception cref="ObjectDisposedException">The thread is stopping.</exception>
    /// <remarks>Thread safety: any thread. A post accepted is run (it is in the inbox before a stop can be requested); once the thread is stopping every post raises <see cref="ObjectDisposedException"/>.</remarks>
    public void PostHard(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        PostAction(() => Tasklet.SpawnHard(body));
    }

    /// <summary>
    /// Runs <paramref name="function"/> on this thread, between two tasklet steps, and returns its result: use it to
    /// create tasklets there or read their state. It must not block (no synchronous tasklet operations).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The thread is stopping.</exception>
    /// <remarks>Thread safety: any thread. A post accepted is run (it is in the inbox before a stop can be requested); once the thread is stopping every post raises <see cref="ObjectDisposedException"/>.</remarks>
    public Task<T> InvokeAsync<T>(Func<T> function)
    {
        ArgumentNullException.ThrowIfNull(function);
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        PostAction(() =>
        {
            try
            {
                result.SetResult(function());
            }
#pragma warning disable CA1031 // Handed to the caller through the task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                result.SetException(ex);
            }
        });
        return result.Task;
    }

    /// <summary>Spawns a soft tasklet on this thread and returns it once it exists.</summary>
    /// <remarks>Thread safety: any thread. A post accepted is run (it is in the inbox before a stop can be requested); once the thread is stopping every post raises <see cref="ObjectDisposedException"/>.</remarks>
    public Task<Tasklet> SpawnAsync(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return InvokeAsync(() => Tasklet.Spawn(body));
    }

    /// <summary>
    /// Stops the thread once its runnable tasklets have run out (tasklets still blocked are killed) and waits for it;
    /// raises an <see cref="AggregateException"/> of the errors that escaped its tasklets.
    /// </summary>
    /// <remarks>Thread safety: any thread but this scheduler's own (its main or hard tasklets), where it raises <see cref="InvalidOperationException"/> instead of waiting for itself.</remarks>
    public void Join()
    {
        if (OnOwnScheduler)
        {
            throw new InvalidOperationException("SchedulerThread.Join() was called by a tasklet of that thread: it would wait for itself. Call Dispose() there to request the stop, or join from another thread.");
        }

        Stop();
        _thread.Join();
        if (!_errors.IsEmpty)
        {
            throw new AggregateException("Tasklets of the scheduler thread failed.", _errors);
        }
    }

    /// <summary>
    /// Asynchronous form of <see cref="Join"/>: stops the thread once its runnable tasklets have run out and completes when
    /// it has stopped, faulted with the errors that escaped its tasklets. A cancellation of
    /// <paramref name="cancellationToken"/> ends the wait (the thread still stops).
    /// </summary>
    /// <remarks>Thread safety: any thread; from this thread's own tasklets the task completes after they have ended.</remarks>
#pragma warning disable VSTHRD003 // The task belongs to this object and is completed by its own thread.
    public Task JoinAsync(CancellationToken cancellationToken = default)
    {
        Stop();
        return _completion.Task.WaitAsync(cancellationToken);
    }
#pragma warning restore VSTHRD003

    /// <summary>Stops the thread and waits for it, like <see cref="Join"/>, but leaves errors to <see cref="Completion"/>.</summary>
    /// <remarks>Thread safety: any thread; from this scheduler's own tasklets it requests the stop and returns without waiting (the wait would be for itself).</remarks>
    public void Dispose()
    {
        Stop();
        if (!OnOwnScheduler)
        {
            _thread.Join();
        }
    }

    /// <summary>Stops the thread and waits for it without blocking, leaving errors to <see cref="Completion"/>.</summary>
    /// <remarks>Thread safety: any thread, as <see cref="Dispose"/>.</remarks>
    public async ValueTask DisposeAsync()
    {
        Stop();
        if (!OnOwnScheduler)
        {
            await ((Task)_completion.Task).ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    /// <summary>True on this scheduler's own thread or one of its hard tasklets' threads, which can never see it stop.</summary>
    private bool OnOwnScheduler => ThreadScheduler.CurrentOrNull == _scheduler;

    private void Stop()
    {
        lock (_postLock)
        {
            if (_stopping)
            {
                return;
            }

            _stopping = true;
        }

        _scheduler.PostAction(static () => { }); // wakes the idle thread to see the request
    }

    private void PostAction(Action action)
    {
        // Under the lock: a post accepted here is in the inbox before stopping can be set, so the thread runs it.
        lock (_postLock)
        {
            ObjectDisposedException.ThrowIf(_stopping, this);
            SchedulerRegistry.Join(ThreadScheduler.Current, _scheduler);
            _scheduler.PostAction(action);
        }
    }

    private void Serve(ThreadScheduler scheduler)
    {
        var main = scheduler.MainTasklet;

        // A tasklet's error reaches main as an exception out of Run(): collect it and keep serving.
        while (!Collected(() => scheduler.Run(new RunFrame { Caller = main, ServeUntil = () => _stopping })))
        {
            // Run() ended with an error: serve on.
        }

        // Work accepted before stopping runs (posts are refused from the moment stopping is set, so none comes later);
        // pending I/O does not keep this run waiting (the tasklets blocked on it are killed next).
        Collected(() => scheduler.Run(new RunFrame { Caller = main, ServeUntil = static () => true }));

        // No leaked tasklets: kill the ones still alive, so their finally blocks run; then let killed tasklets
        // blocked on I/O finish dying.
        foreach (var tasklet in scheduler.AliveTasklets())
        {
            if (tasklet != main && tasklet.Alive)
            {
                Collected(() => tasklet.Kill(pending: tasklet.BlockedOnIO));
            }
        }

        Collected(() => scheduler.Run(new RunFrame { Caller = main }));

        if (_errors.IsEmpty)
        {
            _completion.SetResult();
        }
        else
        {
            _completion.SetException(_errors);
        }
    }

    /// <summary>Runs <paramref name="action"/>; an exception it raises joins the collected errors. Returns whether it succeeded.</summary>
    private bool Collected(Action action)
    {
        try
        {
            action();
            return true;
        }
#pragma warning disable CA1031 // Collected: Join and Completion report it.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _errors.Enqueue(ex);
            return false;
        }
    }
}
