using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// The completion of a channel (<see cref="Channel{T}.Complete"/>): its error, if any, and the task of
/// <see cref="Channel{T}.Completion"/>, which completes once the channel is drained.
/// </summary>
internal sealed class ChannelCompletion
{
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ChannelCompletion(Exception? error) => Error = error;

    /// <summary>Why the values ended, or null.</summary>
    public Exception? Error { get; private set; }

    /// <summary>Completes once the channel is completed and drained.</summary>
#pragma warning disable VSTHRD003 // Its own task, completed by the channel.
    public Task Task => _drained.Task;
#pragma warning restore VSTHRD003

    /// <summary>Takes the error of the actual completion (this one was created early, for its task).</summary>
    public ChannelCompletion Adopt(Exception? error)
    {
        Error = error;
        return this;
    }

    /// <summary>The channel is completed and no sender is left: the task completes (faulted with the error, if any).</summary>
    public void MarkDrained()
    {
        if (Error is null)
        {
            _drained.TrySetResult();
        }
        else
        {
            _drained.TrySetException(Error);
        }
    }

    /// <summary>The error of a receive that waits, or would wait, on the completed channel (a new one for each).</summary>
    public ChannelClosedException ReceiveError() => Error is null
        ? new ChannelClosedException(ErrorMessages.ChannelCompleted)
        : new ChannelClosedException(ErrorMessages.ChannelCompletedWithError, Error);
}
