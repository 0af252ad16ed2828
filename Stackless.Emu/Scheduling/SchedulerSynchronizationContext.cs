using System.Runtime.ExceptionServices;

namespace Stackless.Emu;

/// <summary>
/// The synchronization context of a scheduler thread (as Nito.AsyncEx's <c>AsyncContext</c> has one): libraries that
/// capture <see cref="SynchronizationContext.Current"/> on the scheduler thread, or take it from
/// <see cref="Scheduler.SynchronizationContext"/> or <c>SchedulerThread.SynchronizationContext</c>, post their
/// callbacks back to the scheduler. Each posted callback runs on the scheduler thread as a soft tasklet of its own
/// (named "posted work"), so it may use the asynchronous forms; until it runs it counts as pending work, and
/// <see cref="Scheduler.Run()"/> waits for it. Examples: Rx's <c>ObserveOn(context)</c>, vs-threading's
/// <c>JoinableTaskContext</c> with the scheduler thread as its main thread.
/// </summary>
/// <remarks>
/// Inside a tasklet whose body is a plain <c>async Task</c> delegate, <see cref="SynchronizationContext.Current"/> is a
/// routing context of that tasklet (a subclass of this type): its awaits come back to it.
/// Thread safety: <see cref="Post"/> and <see cref="Send"/> may be called from any thread.
/// </remarks>
public class SchedulerSynchronizationContext : SynchronizationContext
{
    internal SchedulerSynchronizationContext(ThreadScheduler scheduler) => Scheduler = scheduler;

    /// <summary>The managed id of the scheduler's thread.</summary>
    public int ThreadId => Scheduler.ThreadId;

    internal ThreadScheduler Scheduler { get; }

    /// <summary>Runs <paramref name="d"/> on the scheduler thread as a tasklet of its own; returns at once. Any thread.</summary>
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        Scheduler.PostWork(d, state);
    }

    /// <summary>
    /// Runs <paramref name="d"/> on the scheduler thread and waits for it: inline when called on that thread; otherwise it
    /// is posted and the calling thread blocks until it has run (its exception is rethrown here).
    /// </summary>
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        if (Environment.CurrentManagedThreadId == Scheduler.ThreadId)
        {
            d(state);
            return;
        }

        using var done = new ManualResetEventSlim();
        ExceptionDispatchInfo? error = null;
        Scheduler.PostWork(
            _ =>
            {
                try
                {
                    d(state);
                }
#pragma warning disable CA1031 // Handed to the sending thread.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    error = ExceptionDispatchInfo.Capture(ex);
                }
                finally
                {
                    done.Set();
                }
            },
            null);
        done.Wait();
        error?.Throw();
    }

    /// <inheritdoc/>
    public override SynchronizationContext CreateCopy() => this;

    /// <summary>An async void method started on this context: the scheduler counts it as pending work until it completes.</summary>
    public override void OperationStarted() => Scheduler.OperationStarted();

    /// <summary>An async void method started on this context completed.</summary>
    public override void OperationCompleted() => Scheduler.OperationCompleted();
}
