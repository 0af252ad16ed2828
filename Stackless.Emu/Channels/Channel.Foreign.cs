namespace Stackless.Emu;

public partial class Channel<T>
{
    // Asynchronous operations of code outside the tasklet world (an async method on the thread pool, an ASP.NET request):
    // such a caller has no tasklet to suspend and must not block its thread, so a stand-in (a Tasklet of kind Foreign)
    // waits in the channel's queue for it, like System.Threading.Channels' waiters. Its partner completes the operation;
    // the awaiting code continues on its own context (or the thread pool). The stand-in is touched only under the
    // channel's lock until the operation completes.

    /// <summary>Starts a receive of code outside the tasklet world.</summary>
    private ForeignOperation ReceiveForeign(ThreadScheduler scheduler, WaitLimit options)
    {
        options.ThrowIfInvalid();
        var operation = new ForeignOperation(scheduler, this);
        operation.WatchCancellation(options, "receive"); // the limit counts from the call, before the stand-in waits
        if (!ReceiveCore(operation.Stand))
        {
            operation.CompleteNow();
        }
        else
        {
            operation.Arm();
        }

        return operation;
    }

    /// <summary>Starts a send of code outside the tasklet world.</summary>
    private ForeignOperation SendForeign(ThreadScheduler scheduler, T value, object? error, WaitLimit options)
    {
        options.ThrowIfInvalid();
        var operation = new ForeignOperation(scheduler, this);
        operation.WatchCancellation(options, "send"); // the limit counts from the call, before the stand-in waits
        if (!SendCore(operation.Stand, value, error))
        {
            operation.CompleteNow();
        }
        else
        {
            operation.Arm();
        }

        return operation;
    }

    /// <inheritdoc/>
    bool IChannelQueue.WithdrawForeign(Tasklet stand) =>
        InCriticalSection(ThreadScheduler.Current, stand, static (channel, waiter) =>
        {
            if (waiter.WaitingOnChannel != channel)
            {
                return false; // served meanwhile
            }

            channel.Dequeue(waiter);
            return true;
        });
}
