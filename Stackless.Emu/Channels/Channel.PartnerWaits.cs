namespace Stackless.Emu;

public partial class Channel<T>
{
    // Waiting for a partner without acting (System.Threading.Channels' WaitToReadAsync/WaitToWriteAsync on a rendezvous
    // channel): a reader waits until a sender waits in the channel, a writer until a receiver does, so that TryReceive or
    // TrySend can then act. A wait is a task completed by the Enqueue of a tasklet in the awaited direction (a mode bit
    // tells Enqueue there is one, so a channel nobody waits on this way pays one test per block), or by completion.
    // Everything here runs in the channel's critical section; the tasks run their continuations asynchronously.

    private const byte PartnerWaitBit = 0b10_0000;

    /// <summary>The open partner waits of channels that have some.</summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Channel<T>, List<PartnerWait>> s_partnerWaits = new();

    /// <summary>
    /// Completes with true when a tasklet waits in <paramref name="direction"/> (1: a sender, -1: a receiver), at once if
    /// one does; with false when none ever will because the channel is completed (for readers: completed and drained).
    /// </summary>
    private Task<bool> WaitForPartnerAsync(int direction, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var scheduler = ThreadScheduler.Current;
        var wait = InCriticalSection(scheduler, (direction, cancellationToken), static (channel, state) => channel.OpenPartnerWait(state.direction, state.cancellationToken));
        if (wait.CanBeCancelled)
        {
            wait.WatchCancellation();
        }

        return wait.Task;
    }

    private PartnerWait OpenPartnerWait(int direction, CancellationToken cancellationToken)
    {
        var wait = new PartnerWait(direction, cancellationToken);
        if (Math.Sign(_balance) == direction)
        {
            wait.Complete(true);
        }
        else if (IsCompleted)
        {
            wait.Complete(false);
        }
        else
        {
            var waits = s_partnerWaits.GetOrCreateValue(this);
            waits.RemoveAll(static w => w.Task.IsCompleted); // cancelled ones
            waits.Add(wait);
            _modes |= PartnerWaitBit;
        }

        return wait;
    }

    /// <summary>A tasklet blocked in <paramref name="direction"/> (called by Enqueue): the waits for it complete.</summary>
    private void WakePartnerWaits(int direction)
    {
        if (!s_partnerWaits.TryGetValue(this, out var waits))
        {
            _modes &= unchecked((byte)~PartnerWaitBit);
            return;
        }

        waits.RemoveAll(w =>
        {
            if (w.Direction != direction)
            {
                return w.Task.IsCompleted;
            }

            w.Complete(true);
            return true;
        });
        if (waits.Count == 0)
        {
            _modes &= unchecked((byte)~PartnerWaitBit);
        }
    }

    /// <summary>The channel completed: no partner will come (a reader still finds the senders left waiting).</summary>
    private void EndPartnerWaits()
    {
        if (!s_partnerWaits.TryGetValue(this, out var waits))
        {
            return;
        }

        foreach (var wait in waits)
        {
            wait.Complete(wait.Direction > 0 && _balance > 0);
        }

        waits.Clear();
        _modes &= unchecked((byte)~PartnerWaitBit);
    }

    /// <summary>One wait for a partner.</summary>
    private sealed class PartnerWait
    {
        private readonly TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationToken _cancellation;

        public PartnerWait(int direction, CancellationToken cancellation)
        {
            Direction = direction;
            _cancellation = cancellation;
        }

        /// <summary>The direction of the awaited partner (1: a sender, -1: a receiver).</summary>
        public int Direction { get; }

#pragma warning disable VSTHRD003 // The wait's own task.
        public Task<bool> Task => _done.Task;
#pragma warning restore VSTHRD003

        public bool CanBeCancelled => _cancellation.CanBeCanceled && !_done.Task.IsCompleted;

        public void Complete(bool partnerWaits) => _done.TrySetResult(partnerWaits);

        private void Cancel() => _done.TrySetCanceled(_cancellation);

        /// <summary>Lets the token end the wait (the entry is dropped from the channel's list later).</summary>
        public void WatchCancellation()
        {
            var registration = _cancellation.UnsafeRegister(static state => ((PartnerWait)state!).Cancel(), this);
            _ = _done.Task.ContinueWith(static (_, r) => ((CancellationTokenRegistration)r!).Dispose(), registration, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
