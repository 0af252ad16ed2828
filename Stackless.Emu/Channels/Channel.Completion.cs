using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

public partial class Channel<T>
{
    // Completion with System.Threading.Channels' semantics, beside Stackless's reversible Close(): Complete() says no more
    // values will come. It closes the channel (operations that would block raise) and, unlike Close(), wakes the receivers
    // already waiting: an iteration ends, a plain receive raises ChannelClosedException (with the completion's error as
    // its inner exception). Senders already waiting are still served, so iteration ends once they are drained. It is
    // final: Open() refuses a completed channel. The completion itself (its error, the task) lives outside the channel
    // object, which pays one mode bit for it.

    private const byte CompletedBit = 0b1_0000;

    /// <summary>The completions of completed channels.</summary>
    private static readonly ConditionalWeakTable<Channel<T>, ChannelCompletion> s_completions = new();

    /// <summary>Whether <see cref="Complete"/> (or <see cref="TryComplete"/>) was called: no more values will come.</summary>
    /// <remarks>Thread safety: any thread; a snapshot, which another thread's operation may change at once.</remarks>
    public bool IsCompleted => (_modes & CompletedBit) != 0;

    /// <summary>
    /// Marks the channel complete (System.Threading.Channels' <c>ChannelWriter.Complete</c>): no value will be sent any
    /// more. Receivers already waiting are woken: a <c>foreach</c>/<c>await foreach</c> over the channel ends, a plain
    /// receive raises <see cref="ChannelClosedException"/>. Senders already waiting are still served, so an iteration ends
    /// once they are drained. Later sends, and receives that would wait, raise <see cref="ChannelClosedException"/>.
    /// Never blocks or switches: woken tasklets become runnable on their own threads. Any thread.
    /// </summary>
    /// <param name="error">
    /// Why the values end, or null. With an error, an iteration raises it (once drained) instead of ending, and a plain
    /// receive raises <see cref="ChannelClosedException"/> with it as its inner exception.
    /// </param>
    /// <exception cref="ChannelClosedException">The channel was already completed.</exception>
    /// <remarks>
    /// Stackless's <see cref="Close"/> differs: it is reversible (<see cref="Open"/>) and leaves waiting receivers waiting.
    /// Thread safety: any thread; it takes effect in the channel's critical section.
    /// </remarks>
    public void Complete(Exception? error = null)
    {
        if (!TryComplete(error))
        {
            throw new ChannelClosedException(ErrorMessages.ChannelAlreadyCompleted);
        }
    }

    /// <summary>Like <see cref="Complete"/>, but returns false instead of raising when the channel was already completed.</summary>
    /// <remarks>Thread safety: any thread; it takes effect in the channel's critical section.</remarks>
    public bool TryComplete(Exception? error = null)
    {
        var scheduler = ThreadScheduler.Current;
        var completion = new ChannelCompletion(error);
        return InCriticalSection(
            scheduler,
            (scheduler.Executing, completion),
            static (channel, state) => channel.CompleteInSection(state.Item1, state.completion));
    }

    /// <summary>
    /// A task that completes once the channel is completed and drained (its <see cref="Complete"/> was called and a
    /// receive, or an iteration step, found no sender left); faulted with the completion's error, if any.
    /// </summary>
    /// <remarks>Thread safety: any thread.</remarks>
#pragma warning disable VSTHRD003 // The task belongs to the channel's completion and completes independently of the caller.
    public Task Completion => s_completions.GetValue(this, static _ => new ChannelCompletion(null)).Task;
#pragma warning restore VSTHRD003

    private bool CompleteInSection(Tasklet caller, ChannelCompletion completion)
    {
        if (IsCompleted)
        {
            return false;
        }

        // A Completion task asked for before completing takes this completion's outcome.
        var stored = s_completions.GetValue(this, _ => completion);
        if (stored != completion)
        {
            completion = stored.Adopt(completion.Error);
        }

        _modes |= ClosingBit | CompletedBit;
        while (_balance < 0)
        {
            var receiver = _head!;
            receiver.PutError(completion.ReceiveError());
            ServeWithoutSwitch(caller, receiver);
        }

        EndPartnerWaits();
        if (_balance == 0)
        {
            completion.MarkDrained();
        }

        return true;
    }

    /// <summary>The error an operation that would block on a closing channel raises (CheckCanBlock); a completed one says so.</summary>
    private ChannelClosedException ClosedError()
    {
        if (!IsCompleted || !s_completions.TryGetValue(this, out var completion))
        {
            return new ChannelClosedException();
        }

        if (_balance <= 0)
        {
            completion.MarkDrained();
        }

        return completion.ReceiveError();
    }

    /// <summary>
    /// The end of an iteration over a closed and drained channel: false (the loop ends), or the completion's error raised.
    /// </summary>
    private bool EndIteration()
    {
        if (IsCompleted && s_completions.TryGetValue(this, out var completion))
        {
            completion.MarkDrained();
            if (completion.Error is { } error)
            {
                ExceptionDispatchInfo.Throw(error);
            }
        }

        return false;
    }

    /// <summary>Refuses to reopen a completed channel.</summary>
    private void ThrowIfCompletedOnOpen()
    {
        if (IsCompleted)
        {
            throw new InvalidOperationException(ErrorMessages.OpenCompleted);
        }
    }
}
