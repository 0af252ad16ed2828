using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// A pool of <see cref="SchedulerThread"/>s, one per core by default, that deals each new tasklet to one of them
/// (round-robin or least-loaded): tasklets spread over the cores, each staying on the thread it was dealt to, and
/// tasklets of different threads talk through channels, which work across threads. Typical use: an accept loop that
/// gives each new connection's tasklet to the pool.
/// </summary>
/// <remarks>
/// <para>
/// Every thread of the pool joins its creator's deadlock group, so a thread blocked on a channel waits for the others
/// instead of reporting a deadlock while one of them is live. The fairness rule of a single scheduler holds on each
/// thread: I/O completions and wakes from other threads enter its runnable queue every round, however busy its
/// tasklets are.
/// </para>
/// <para>
/// An exception escaping a tasklet does not stop its thread: it is collected, and <see cref="Join"/> raises the
/// collected errors of every thread (also the fault of <see cref="Completion"/>). Stopping kills the tasklets still
/// alive, so their <c>finally</c> blocks run and none is leaked. Thread safety: every member may be called from any
/// thread, including the pool's own tasklets.
/// </para>
/// </remarks>
[DebuggerDisplay("SchedulerPool ({Count} threads, {Dealing})")]
public sealed class SchedulerPool : IDisposable, IAsyncDisposable
{
    private readonly SchedulerThread[] _threads;

    /// <summary>Per thread: tasklets dealt to it whose spawn has not run on it yet (the rest of its load is its alive count).</summary>
    private readonly int[] _dealtNotStarted;

    /// <summary>Turns over with every deal: the next thread for round-robin, the first one looked at for least-loaded.</summary>
    private int _turn = -1;

    private int _stopping;

    /// <summary>The task behind <see cref="Completion"/>, made on first use.</summary>
    private Task? _completion;

    /// <summary>Starts <paramref name="threadCount"/> scheduler threads and waits until each has its scheduler.</summary>
    /// <param name="threadCount">How many threads (0: one per core, <see cref="Environment.ProcessorCount"/>).</param>
    /// <param name="dealing">How new tasklets are dealt to the threads.</param>
    /// <param name="name">The threads' name prefix, for debuggers (a number follows).</param>
    /// <param name="maxStackSize">Each thread's stack size in bytes (0: the runtime's default).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threadCount"/> or <paramref name="maxStackSize"/> is negative, or <paramref name="dealing"/> is unknown.</exception>
    public SchedulerPool(int threadCount = 0, SchedulerPoolDealing dealing = SchedulerPoolDealing.RoundRobin, string? name = null, int maxStackSize = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threadCount);
        ArgumentOutOfRangeException.ThrowIfNegative(maxStackSize);
        if (!Enum.IsDefined(dealing))
        {
            throw new ArgumentOutOfRangeException(nameof(dealing), dealing, "Deal tasklets with SchedulerPoolDealing.RoundRobin or SchedulerPoolDealing.LeastLoaded.");
        }

        var count = threadCount == 0 ? Environment.ProcessorCount : threadCount;
        Dealing = dealing;
        _threads = new SchedulerThread[count];
        _dealtNotStarted = new int[count];
        try
        {
            for (var i = 0; i < count; i++)
            {
                _threads[i] = new SchedulerThread($"{name ?? "Stackless pool"} #{i}", maxStackSize);
            }
        }
        catch
        {
            foreach (var started in _threads)
            {
                started?.Dispose();
            }

            throw;
        }
    }

    /// <summary>The pool's threads, in the order they were started.</summary>
    public IReadOnlyList<SchedulerThread> Threads => _threads;

    /// <summary>The number of threads.</summary>
    public int Count => _threads.Length;

    /// <summary>How new tasklets are dealt to the threads.</summary>
    public SchedulerPoolDealing Dealing { get; }

    /// <summary>Completes when every thread has stopped; faulted with the errors that escaped their tasklets, if any.</summary>
#pragma warning disable VSTHRD003 // The threads' own completions, owned by this pool.
    public Task Completion
    {
        get
        {
            var completion = Volatile.Read(ref _completion);
            if (completion is null)
            {
                var created = Task.WhenAll(_threads.Select(t => t.Completion));
                completion = Interlocked.CompareExchange(ref _completion, created, null) ?? created;
            }

            return completion;
        }
    }
#pragma warning restore VSTHRD003

    /// <summary>
    /// The load of thread <paramref name="threadIndex"/>: the tasklets alive on it (its main excepted, whoever spawned
    /// them) plus the tasklets dealt to it that have not started there yet. A snapshot: it may change at once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="threadIndex"/> is not the index of a thread of the pool.</exception>
    public int GetLoad(int threadIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(threadIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(threadIndex, _threads.Length);
        return LoadOf(threadIndex);
    }

    /// <summary>Deals a soft tasklet running <paramref name="body"/> (an <c>async Task</c> delegate) to a thread of the pool.</summary>
    /// <returns>The thread it was dealt to; the tasklet starts there between two steps of its tasklets.</returns>
    /// <exception cref="ObjectDisposedException">The pool is stopping.</exception>
    public SchedulerThread Post(Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Deal(() => Tasklet.Spawn(body));
    }

    /// <summary>
    /// Deals a soft tasklet whose body is an <c>async TaskletFrame</c> method to a thread of the pool: the fast path for
    /// foreign awaits (no synchronization context, no allocation per completion), and restorable (see
    /// <see cref="Tasklet.SpawnFrame"/>).
    /// </summary>
    /// <returns>The thread it was dealt to.</returns>
    /// <exception cref="ObjectDisposedException">The pool is stopping.</exception>
    public SchedulerThread PostFrame(Func<TaskletFrame> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Deal(() => Tasklet.SpawnFrame(body));
    }

    /// <summary>Deals a hard tasklet running <paramref name="body"/> (synchronous code on an OS thread of its own) to a thread of the pool.</summary>
    /// <returns>The scheduler thread it was dealt to (the tasklet holds that scheduler's baton while it runs).</returns>
    /// <exception cref="ObjectDisposedException">The pool is stopping.</exception>
    public SchedulerThread PostHard(Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        return Deal(() => Tasklet.SpawnHard(body));
    }

    /// <summary>
    /// Stops every thread once its runnable tasklets have run out (tasklets still blocked, on channels or on I/O, are
    /// killed) and waits for them; raises an <see cref="AggregateException"/> of the errors that escaped the tasklets of
    /// every thread.
    /// </summary>
    public void Join()
    {
        RequestStop();
        var errors = new List<Exception>();
        foreach (var thread in _threads)
        {
            try
            {
                thread.Join();
            }
            catch (AggregateException ex)
            {
                errors.AddRange(ex.InnerExceptions);
            }
        }

        if (errors.Count > 0)
        {
            throw new AggregateException("Tasklets of the scheduler pool failed.", errors);
        }
    }

    /// <summary>Stops every thread and waits for them, like <see cref="Join"/>, but leaves errors to <see cref="Completion"/>.</summary>
    public void Dispose()
    {
        RequestStop();
        foreach (var thread in _threads)
        {
            thread.Dispose();
        }
    }

    /// <summary>Stops every thread and completes when they have stopped, without blocking; errors are left to <see cref="Completion"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        RequestStop();
        try
        {
#pragma warning disable VSTHRD003 // The threads' own completions, owned by this pool.
            await Completion.ConfigureAwait(false);
#pragma warning restore VSTHRD003
        }
#pragma warning disable CA1031 // Left to Completion, as Dispose does (awaiting it rethrows only the first error).
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        foreach (var thread in _threads)
        {
            thread.Dispose(); // already ended, or ending: its last instructions after completing
        }
    }

    /// <summary>Asks every thread to stop at once, so they wind down together (a tasklet may wait on another thread's).</summary>
    private void RequestStop()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            foreach (var thread in _threads)
            {
                thread.RequestStop();
            }
        }
    }

    /// <summary>Chooses a thread by <see cref="Dealing"/> and has it run <paramref name="spawn"/>; returns that thread.</summary>
    private SchedulerThread Deal(Action spawn)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _stopping) != 0, this);
        var index = Dealing == SchedulerPoolDealing.RoundRobin ? NextInTurn() : LeastLoaded();
        var thread = _threads[index];
        Interlocked.Increment(ref _dealtNotStarted[index]);
        try
        {
            thread.PostToThread(() =>
            {
                try
                {
                    spawn();
                }
                finally
                {
                    // After the spawn: the tasklet is in the alive count before it leaves this one (never under-counted).
                    Interlocked.Decrement(ref _dealtNotStarted[index]);
                }
            });
        }
        catch
        {
            Interlocked.Decrement(ref _dealtNotStarted[index]);
            throw;
        }

        return thread;
    }

    private int NextInTurn() => (int)((uint)Interlocked.Increment(ref _turn) % (uint)_threads.Length);

    /// <summary>The thread with the lowest load; the search starts at the next thread in turn, so ties are dealt round-robin.</summary>
    private int LeastLoaded()
    {
        var start = NextInTurn();
        var best = start;
        var bestLoad = LoadOf(start);
        for (var k = 1; k < _threads.Length && bestLoad > 0; k++)
        {
            var i = (start + k) % _threads.Length;
            var load = LoadOf(i);
            if (load < bestLoad)
            {
                (best, bestLoad) = (i, load);
            }
        }

        return best;
    }

    private int LoadOf(int index) => Volatile.Read(ref _dealtNotStarted[index]) + _threads[index].OwnScheduler.AliveCount;
}
