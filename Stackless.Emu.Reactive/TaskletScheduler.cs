using System.Reactive.Concurrency;
using System.Reactive.Disposables;
using RxScheduler = System.Reactive.Concurrency.Scheduler;

namespace Stackless.Emu.Reactive;

/// <summary>
/// An Rx scheduler that runs its work as tasklets on a scheduler thread: <c>observable.ObserveOn(taskletScheduler)</c>
/// delivers the notifications there, one tasklet step at a time, in order, interleaved with the thread's other tasklets
/// (so observer code needs no locks against them, and <see cref="Tasklet.Current"/> is a tasklet of that thread).
/// </summary>
/// <remarks>
/// <para>
/// Work is posted to the thread's <see cref="SchedulerSynchronizationContext"/>: each item runs as a soft tasklet of its
/// own ("posted work"). Until it has run it counts as pending work, and so does a timer scheduled for later or a periodic
/// schedule until it is disposed: <see cref="Scheduler.Run()"/> waits for them as it waits for I/O. An exception thrown
/// by the work ends its tasklet and is raised in the thread's main tasklet, like any tasklet's error.
/// </para>
/// <para>
/// Time comes from a <see cref="System.TimeProvider"/> (<see cref="TimeProvider.System"/> by default): give it a
/// <c>FakeTimeProvider</c> to test timed operators in virtual time.
/// </para>
/// <para>Thread safety: every member may be called from any thread; the work always runs on the scheduler thread.</para>
/// <para>
/// The work runs in soft tasklets, which cannot block: observer code there must not call synchronous tasklet operations
/// (<c>channel.Send</c>); use <see cref="Channel{T}.TrySend"/>, spawn a tasklet, or keep the observer off the scheduler.
/// </para>
/// </remarks>
public sealed class TaskletScheduler : IScheduler, ISchedulerPeriodic, IStopwatchProvider, IServiceProvider
{
    /// <summary>Creates a scheduler posting to <paramref name="context"/> (<see cref="Scheduler.SynchronizationContext"/> of the scheduler thread).</summary>
    /// <param name="context">The synchronization context of the scheduler thread that runs the work.</param>
    /// <param name="timeProvider">The clock for <see cref="Now"/>, delays and periods; <see cref="TimeProvider.System"/> when null.</param>
    public TaskletScheduler(SchedulerSynchronizationContext context, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        SynchronizationContext = context;
        TimeProvider = timeProvider ?? TimeProvider.System;
    }

    /// <summary>A scheduler for the calling thread's scheduler (call it on the thread that runs the tasklets).</summary>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public static TaskletScheduler ForCurrentThread(TimeProvider? timeProvider = null) =>
        new(Scheduler.SynchronizationContext, timeProvider);

    /// <summary>The synchronization context the work is posted to.</summary>
    public SchedulerSynchronizationContext SynchronizationContext { get; }

    /// <summary>The managed id of the thread that runs the work.</summary>
    public int ThreadId => SynchronizationContext.ThreadId;

    /// <summary>The clock of <see cref="Now"/>, delays and periods.</summary>
    public TimeProvider TimeProvider { get; }

    /// <inheritdoc/>
    public DateTimeOffset Now => TimeProvider.GetUtcNow();

    /// <summary>Runs <paramref name="action"/> as a tasklet on the scheduler thread, after the work posted before it.</summary>
    public IDisposable Schedule<TState>(TState state, Func<IScheduler, TState, IDisposable> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var work = new ScheduledWork<TState>(this, state, action);
        work.Post();
        return work;
    }

    /// <summary>Runs <paramref name="action"/> as a tasklet on the scheduler thread once <paramref name="dueTime"/> has passed on <see cref="TimeProvider"/>.</summary>
    public IDisposable Schedule<TState>(TState state, TimeSpan dueTime, Func<IScheduler, TState, IDisposable> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        var due = RxScheduler.Normalize(dueTime);
        var work = new ScheduledWork<TState>(this, state, action);
        if (due == TimeSpan.Zero)
        {
            work.Post();
        }
        else
        {
            work.PostAfter(due);
        }

        return work;
    }

    /// <summary>Runs <paramref name="action"/> as a tasklet on the scheduler thread at <paramref name="dueTime"/> (measured on <see cref="TimeProvider"/>).</summary>
    public IDisposable Schedule<TState>(TState state, DateTimeOffset dueTime, Func<IScheduler, TState, IDisposable> action) =>
        Schedule(state, dueTime - Now, action);

    /// <summary>
    /// Runs <paramref name="action"/> every <paramref name="period"/> as a tasklet on the scheduler thread, passing each
    /// run's result to the next; ticks never overlap (a tick due while one waits to run is merged into it). Pending work
    /// until disposed.
    /// </summary>
    public IDisposable SchedulePeriodic<TState>(TState state, TimeSpan period, Func<TState, TState> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        return new PeriodicWork<TState>(this, state, period, action);
    }

    /// <summary>A stopwatch on <see cref="TimeProvider"/> (Rx measures elapsed time with it).</summary>
    public IStopwatch StartStopwatch() => new TimeProviderStopwatch(TimeProvider);

    /// <summary>The optional Rx services this scheduler implements (periodic scheduling, stopwatch).</summary>
    public object? GetService(Type serviceType) =>
        serviceType == typeof(ISchedulerPeriodic) || serviceType == typeof(IStopwatchProvider) ? this : null;

    /// <summary>One scheduled action: posted at once or by a timer; disposing it before it runs cancels it.</summary>
    private sealed class ScheduledWork<TState> : IDisposable
    {
        private readonly TaskletScheduler _scheduler;
        private readonly TState _state;
        private readonly Func<IScheduler, TState, IDisposable> _action;
        private SingleAssignmentDisposableValue _result;
        private ITimer? _timer;
        private int _disposed;

        /// <summary>1 while a timer is set and counted as pending work; whoever takes it to 0 ends the count.</summary>
        private int _timerPending;

        public ScheduledWork(TaskletScheduler scheduler, TState state, Func<IScheduler, TState, IDisposable> action)
        {
            _scheduler = scheduler;
            _state = state;
            _action = action;
        }

        private bool IsDisposed => Volatile.Read(ref _disposed) != 0;

        public void Post() => _scheduler.SynchronizationContext.Post(static work => ((ScheduledWork<TState>)work!).Run(), this);

        public void PostAfter(TimeSpan due)
        {
            // The timer is pending work from now on, so Scheduler.Run() waits for it (it is posted before the count ends).
            _scheduler.SynchronizationContext.OperationStarted();
            _timerPending = 1;
            _timer = _scheduler.TimeProvider.CreateTimer(static work => ((ScheduledWork<TState>)work!).OnDue(), this, due, Timeout.InfiniteTimeSpan);
            if (IsDisposed)
            {
                EndTimer();
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                EndTimer();
            }

            _result.Dispose();
        }

        private void OnDue()
        {
            if (Interlocked.Exchange(ref _timerPending, 0) == 1)
            {
                if (!IsDisposed)
                {
                    Post();
                }

                _scheduler.SynchronizationContext.OperationCompleted();
            }
        }

        private void EndTimer()
        {
            _timer?.Dispose();
            if (Interlocked.Exchange(ref _timerPending, 0) == 1)
            {
                _scheduler.SynchronizationContext.OperationCompleted();
            }
        }

        private void Run()
        {
            if (!IsDisposed)
            {
                _result.Disposable = _action(_scheduler, _state);
            }
        }
    }

    /// <summary>A periodic schedule: a timer whose ticks are posted as tasklets, one at a time.</summary>
    private sealed class PeriodicWork<TState> : IDisposable
    {
        private readonly TaskletScheduler _scheduler;
        private readonly Func<TState, TState> _action;
        private readonly ITimer _timer;
        private TState _state;
        private int _disposed;

        /// <summary>1 while a tick is posted and has not run yet (later ticks merge into it).</summary>
        private int _tickQueued;

        public PeriodicWork(TaskletScheduler scheduler, TState state, TimeSpan period, Func<TState, TState> action)
        {
            _scheduler = scheduler;
            _state = state;
            _action = action;
            scheduler.SynchronizationContext.OperationStarted();
            _timer = scheduler.TimeProvider.CreateTimer(static work => ((PeriodicWork<TState>)work!).OnTick(), this, period, period);
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _timer.Dispose();
                _scheduler.SynchronizationContext.OperationCompleted();
            }
        }

        private void OnTick()
        {
            if (Volatile.Read(ref _disposed) == 0 && Interlocked.Exchange(ref _tickQueued, 1) == 0)
            {
                _scheduler.SynchronizationContext.Post(static work => ((PeriodicWork<TState>)work!).Run(), this);
            }
        }

        private void Run()
        {
            Volatile.Write(ref _tickQueued, 0);
            if (Volatile.Read(ref _disposed) == 0)
            {
                _state = _action(_state);
            }
        }
    }

    /// <summary>Elapsed time on a <see cref="System.TimeProvider"/>.</summary>
    private sealed class TimeProviderStopwatch(TimeProvider time) : IStopwatch
    {
        private readonly long _start = time.GetTimestamp();

        public TimeSpan Elapsed => time.GetElapsedTime(_start);
    }
}
