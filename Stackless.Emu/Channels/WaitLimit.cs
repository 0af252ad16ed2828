using Stackless.Emu.Diagnostics;

namespace Stackless.Emu;

/// <summary>What can end a channel wait early: a cancellation token, or a timeout measured by a time provider.</summary>
internal readonly record struct WaitLimit(TimeSpan? Timeout, TimeProvider? TimeProvider, CancellationToken Token)
{
    /// <summary>Whether anything can end the wait.</summary>
    public bool CanEnd => Token.CanBeCanceled || Timeout is not null;

    /// <summary>Raises for a token already cancelled or a negative timeout.</summary>
    public void ThrowIfInvalid()
    {
        Token.ThrowIfCancellationRequested();
        if (Timeout is { } timeout && timeout < TimeSpan.Zero && timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(Timeout), timeout, "The timeout must be zero or positive (or Timeout.InfiniteTimeSpan).");
        }
    }

    /// <summary>A token source for the timeout (null without one); the caller disposes it.</summary>
    public CancellationTokenSource? CreateTimer() =>
        Timeout is { } timeout ? new CancellationTokenSource(timeout, TimeProvider ?? TimeProvider.System) : null;

    /// <summary>The exception that ends the wait of a send or receive (<paramref name="operation"/>).</summary>
    public Exception Error(string operation) => Timeout is { } timeout
        ? new TimeoutException(ErrorMessages.ChannelTimeout(operation, timeout))
        : new OperationCanceledException(Token);
}
