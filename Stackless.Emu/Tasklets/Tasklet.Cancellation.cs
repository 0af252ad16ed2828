namespace Stackless.Emu;

public sealed partial class Tasklet
{
    /// <summary>
    /// A token that is cancelled when this tasklet is interrupted: when it is killed (<see cref="Kill"/>, in any
    /// state), or when an exception is thrown into it (<see cref="Throw(Exception, bool)"/>,
    /// <see cref="RaiseException"/>) while it is <see cref="BlockedOnIO"/>. Pass it to the asynchronous operation the
    /// tasklet waits for (a socket read, an accept, a <c>Task.Delay</c>, <c>Process.WaitForExitAsync</c>, ...) so that
    /// the kill or throw cancels that operation at once instead of waiting for it to complete; the kill (or thrown
    /// exception) is then raised in the tasklet, and its <c>finally</c> blocks run and can release the handle.
    /// </summary>
    /// <remarks>
    /// <para>
    /// Created on first use: a tasklet that never asks for it allocates nothing. Once cancelled, the tasklet gets a
    /// fresh, uncancelled token on its next request, because it lives on after a throw it catches, and a killed
    /// tasklet's <c>finally</c> may still need to do I/O (as in Stackless). So read it for each operation rather than
    /// caching it for the tasklet's whole life. Operations already running with the old token stay cancelled.
    /// </para>
    /// <para>
    /// When the tasklet is blocked on I/O the token is cancelled synchronously, inside <see cref="Kill"/> or
    /// <see cref="Throw(Exception, bool)"/> (for a kill from another thread: when the tasklet's own scheduler handles
    /// it), before the exception is delivered: the pending operation stops before data arriving a moment later can
    /// complete it (a read cancelled this way consumes nothing, so a tasklet that survives a throw loses no bytes).
    /// Callbacks registered on the token therefore run on the scheduler thread in that case and must not use the
    /// scheduler (no channel operations, switches or kills). A kill in any
    /// other state (runnable, paused, blocked on a channel, or the tasklet killing itself) requests the cancellation
    /// with <see cref="CancellationTokenSource.CancelAsync"/>: the token reports
    /// <see cref="CancellationToken.IsCancellationRequested"/> at once and its callbacks run on the thread pool.
    /// Exceptions thrown by callbacks are not reported.
    /// </para>
    /// <para>
    /// A main or hard tasklet waiting in <see cref="Emu.Scheduler.WaitFor(Task)"/> sees the kill (or thrown exception)
    /// itself when the cancelled task returns. A soft tasklet sees the operation's
    /// <see cref="OperationCanceledException"/> first (an awaited foreign task cannot be given another exception);
    /// calling <see cref="ThrowIfInterrupted"/> in its handler raises the delivered kill or exception instead.
    /// </para>
    /// <para>
    /// Stackless has no counterpart: its monkeypatched socket module removed a killed tasklet from its wait itself.
    /// The name follows .NET's convention for "the token of this unit of work" (like <c>HttpContext.RequestAborted</c>
    /// is for a request); it is not an I/O-only token, since a kill in any state cancels it.
    /// </para>
    /// <para>Thread safety: any thread (the source is created once, atomically).</para>
    /// </remarks>
    public CancellationToken CancellationToken
    {
        get
        {
            var cold = Cold;
            var source = Volatile.Read(ref cold.Cancellation);
            if (source is null)
            {
                var created = new CancellationTokenSource();
                source = Interlocked.CompareExchange(ref cold.Cancellation, created, null) ?? created;
            }

            return source.Token;
        }
    }

    /// <summary>
    /// Raises in the calling tasklet the exception that <see cref="Kill"/> or <see cref="Throw(Exception, bool)"/>
    /// delivered to it while it was blocked on I/O (a <see cref="TaskletExit"/> for a kill), if one is still pending;
    /// does nothing otherwise. A soft tasklet calls it when an operation given <see cref="CancellationToken"/> ended in
    /// <see cref="OperationCanceledException"/>, so that it sees the kill rather than the cancellation (otherwise the
    /// delivered exception is raised at its next switch point). Main and hard tasklets get it from
    /// <see cref="Emu.Scheduler.WaitFor(Task)"/> already.
    /// </summary>
    /// <example>
    /// <code>
    /// try { n = await socket.ReceiveAsync(buffer, Tasklet.Current.CancellationToken); }
    /// catch (OperationCanceledException) { Tasklet.ThrowIfInterrupted(); throw; }
    /// </code>
    /// </example>
    /// <remarks>Thread safety: any thread: acts on the calling thread's current tasklet.</remarks>
    public static void ThrowIfInterrupted()
    {
        var current = ThreadScheduler.Current.Executing;
        if (current.PendingException is not null)
        {
            current.ThrowIfPending();
        }
    }

    /// <summary>
    /// Called on the kill/throw path, on this tasklet's own thread, before <paramref name="exception"/> is delivered
    /// (<c>Interrupt</c>, which serves kills from this thread and from others, and a tasklet killing itself in
    /// <c>ThrowCore</c>): cancels <see cref="CancellationToken"/> for a kill, or for any exception while the tasklet
    /// waits for I/O (synchronously then; see the remarks there).
    /// </summary>
    internal void CancelOnInterrupt(Exception exception)
    {
        var inIo = Wait == TaskletWait.Io;
        if ((exception is not TaskletExit && !inIo) || _cold is not { } cold)
        {
            return;
        }

        var source = Interlocked.Exchange(ref cold.Cancellation, null);
        if (source is null)
        {
            return;
        }

        if (inIo)
        {
            try
            {
                source.Cancel();
            }
            catch (AggregateException)
            {
                // A throwing callback must not abort the kill; like the asynchronous case, it is not reported.
            }

            return;
        }

        var callbacks = source.CancelAsync();
        if (!callbacks.IsCompleted)
        {
            // A throwing callback must not go unobserved; it has no caller to report to.
            _ = callbacks.ContinueWith(
                static t => _ = t.Exception,
                CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }
}
