namespace Stackless.Emu.Orleans;

internal sealed partial class LocalGroup
{
    // The life of a distributed operation on its node: Open (the port exists before the channel hears of it, so an
    // outcome can never arrive for an operation the group does not know), the call, Registered if the channel queued
    // it, the outcome handed to the waiting tasklet through its port (by a courier tasklet, since deliveries come from
    // grain turns), Close. All on the scheduler thread.

    /// <summary>Allocates the calling tasklet's next operation key.</summary>
    public static OperationKey NextOperation(TaskletIdentity identity) => new(identity.Id, identity.NextSequence++);

    /// <summary>
    /// An outcome that arrived before this operation was issued (the tasklet was restored from a checkpoint older than
    /// the channel's record): the operation completes with it, without a call.
    /// </summary>
    public bool TryTakeEarly(OperationKey key, out ChannelReply reply)
    {
        if (_early.Remove(key, out var early))
        {
            reply = early;
            Finish(key, abandoned: false);
            return true;
        }

        reply = null!;
        return false;
    }

    /// <summary>Opens an operation: from now on outcomes for it are kept for its tasklet.</summary>
    /// <exception cref="OperationCanceledException">Its cancellation token fired before it began.</exception>
    public void Open(OperationKey key, IPort port, string channel)
    {
        if (_cancelledBeforeOpen.Remove(key))
        {
            Finish(key, abandoned: true);
            throw new OperationCanceledException($"The distributed operation {key} on channel '{channel}' was cancelled before it began.");
        }

        var operation = new PendingOperation(key, port, channel);
        if (_cancellationsBeforeOpen.Remove(key, out var registration))
        {
            operation.Cancellation = registration;
        }

        _operations[key] = operation;
    }

    /// <summary>
    /// Records that the channel queued the operation; returns an outcome that arrived meanwhile, or null (the tasklet
    /// then waits on its port). A cancellation requested during the registration is started now.
    /// </summary>
    public ChannelReply? Registered(OperationKey key)
    {
        var operation = _operations[key];
        operation.Registered = true;
        operation.LastPolled = DateTime.UtcNow;
        if (operation.Arrived is { } arrived)
        {
            operation.Arrived = null;
            return arrived;
        }

        if (operation.CancelRequested && !operation.Settled)
        {
            StartWithdrawal(operation);
        }

        return null;
    }

    /// <summary>An outcome that arrived for a registered operation and was not handed over yet, or null.</summary>
    public ChannelReply? TakeArrived(OperationKey key)
    {
        if (_operations.TryGetValue(key, out var operation) && operation.Arrived is { } arrived)
        {
            operation.Arrived = null;
            return arrived;
        }

        return null;
    }

    /// <summary>Closes an operation once its tasklet has its outcome (or gave up on it: <paramref name="abandoned"/>).</summary>
    public void Close(OperationKey key, bool abandoned)
    {
        if (_operations.Remove(key, out var operation))
        {
            operation.Cancellation.Dispose();
        }

        Finish(key, abandoned);
    }

    /// <summary>
    /// Delivers a channel's outcome for <paramref name="key"/>: to the waiting operation, or kept for a live tasklet
    /// that will issue it (restored from a checkpoint), or refused when no live tasklet ever will.
    /// </summary>
    public DeliveryResult Deliver(OperationKey key, ChannelReply reply)
    {
        if (Frozen is { } frozen)
        {
            return DeliverTo(frozen, key, reply);
        }

        if (_operations.TryGetValue(key, out var operation))
        {
            if (!operation.Settled)
            {
                operation.Settled = true;
                operation.Arrived = reply;
                if (operation.Port.Balance < 0)
                {
                    Hand(operation);
                }
            }

            return DeliveryResult.Accepted;
        }

        if (_finished.TryGetValue(key, out var abandoned))
        {
            // A repeated delivery of a finished operation (a channel redoing work after its own crash).
            return abandoned ? DeliveryResult.Refused : DeliveryResult.Accepted;
        }

        if (_early.ContainsKey(key))
        {
            return DeliveryResult.Deferred;
        }

        foreach (var member in AliveMembers())
        {
            if (TaskletIdentity.Of(member) is { } identity && identity.Id == key.Tasklet && key.Sequence >= identity.NextSequence)
            {
                _early[key] = reply;
                return DeliveryResult.Deferred;
            }
        }

        return DeliveryResult.Refused;
    }

    /// <summary>The same decision for a group frozen into <paramref name="snapshot"/> (between a migration's freeze and its hand-off).</summary>
    public static DeliveryResult DeliverTo(GroupSnapshot snapshot, OperationKey key, ChannelReply reply)
    {
        lock (snapshot.Early)
        {
            if (snapshot.Operations.Exists(o => o.Operation == key))
            {
                snapshot.Early.TryAdd(key, reply);
                return DeliveryResult.Accepted;
            }

            if (snapshot.Identities.Exists(i => i.Id == key.Tasklet && key.Sequence >= i.NextSequence))
            {
                snapshot.Early.TryAdd(key, reply);
                return DeliveryResult.Deferred;
            }

            return DeliveryResult.Refused;
        }
    }

    /// <summary>Queued operations nobody heard of for <paramref name="interval"/>: the group asks their channels.</summary>
    public List<Endpoint> DueForPoll(TimeSpan interval)
    {
        var now = DateTime.UtcNow;
        var due = new List<Endpoint>();
        foreach (var operation in _operations.Values)
        {
            if (operation.Registered && !operation.Settled && now - operation.LastPolled >= interval)
            {
                operation.LastPolled = now;
                due.Add(new Endpoint(Name, operation.Key));
            }
        }

        return due;
    }

    /// <summary>The channel of an open operation, or null.</summary>
    public string? ChannelOf(OperationKey key) => _operations.TryGetValue(key, out var operation) ? operation.Channel : null;

    /// <summary>
    /// Registers <paramref name="token"/> for the operation <paramref name="key"/> (opened next by the caller): when it
    /// fires, the operation is withdrawn from its channel unless it completed first.
    /// </summary>
    public void WatchCancellation(OperationKey key, CancellationToken token)
    {
        var registration = token.UnsafeRegister(
            static state =>
            {
                var (group, key) = ((LocalGroup, OperationKey))state!;
                _ = group.Thread.InvokeAsync(() => group.Cancel(key));
            },
            (this, key));
        _cancellationsBeforeOpen[key] = registration;
    }

    private readonly Dictionary<OperationKey, CancellationTokenRegistration> _cancellationsBeforeOpen = [];

    /// <summary>A cancellation of <paramref name="key"/>, on the scheduler thread.</summary>
    private bool Cancel(OperationKey key)
    {
        if (!_operations.TryGetValue(key, out var operation))
        {
            if (_cancellationsBeforeOpen.ContainsKey(key))
            {
                _cancelledBeforeOpen.Add(key);
            }

            return false;
        }

        if (operation.Settled)
        {
            return false;
        }

        if (!operation.Registered)
        {
            operation.CancelRequested = true;
            return false;
        }

        StartWithdrawal(operation);
        return true;
    }

    /// <summary>Asks the channel to withdraw the operation; its answer (withdrawn, or the outcome that won) is delivered.</summary>
    private void StartWithdrawal(PendingOperation operation)
    {
        var endpoint = new Endpoint(Name, operation.Key);
        var channel = Node.GrainFactory.GetGrain<IChannelGrain>(operation.Channel);
        _ = WithdrawAsync();

        async Task WithdrawAsync()
        {
            try
            {
                var reply = await channel.WithdrawAsync(endpoint).ConfigureAwait(false);
                await Thread.InvokeAsync(() => Deliver(endpoint.Operation, reply)).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Logged: the operation stays queued and completes by its partner or its timeout.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                GroupLog.WithdrawFailed(Node.Logger, Name, endpoint.Operation.ToString(), ex);
            }
        }
    }

    /// <summary>Hands an arrived outcome to the tasklet waiting on its port, through a courier tasklet.</summary>
    private static void Hand(PendingOperation operation) => Tasklet.Spawn(async () =>
    {
        // The group may have been frozen (the outcome then travels in the snapshot) or the tasklet killed meanwhile.
        if (operation.Arrived is { } reply && operation.Port.Balance < 0)
        {
            operation.Arrived = null;
            await operation.Port.HandAsync(reply);
        }
    });

    private void Finish(OperationKey key, bool abandoned)
    {
        if (_finished.TryAdd(key, abandoned))
        {
            _finishedOrder.Enqueue(key);
            if (_finishedOrder.Count > FinishedMemory)
            {
                _finished.Remove(_finishedOrder.Dequeue());
            }
        }
    }
}
