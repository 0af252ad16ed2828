using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Remote operations inside an atomic block. In Stackless an atomic tasklet keeps the GIL, so another thread cannot
    // run between its insert(), remove() and run() calls on that thread's tasklets: it sees them all at once
    // (TestRemoteSchedule.testRunOrder). Here threads run in parallel, so the operations that do not wait (Insert,
    // Remove, Setup, Run, Kill and Throw of another thread's tasklet) made while this thread's executing tasklet is
    // atomic are collected, and each owner gets its share as one item, applied in order with nothing of its own in
    // between. They are handed over when the collecting tasklet leaves atomic or ends, and before this thread could wait
    // for another (its last runnable tasklet blocks, its runnable chain empties, it parks, or it makes a remote
    // operation that waits), which would otherwise deadlock.

    /// <summary>
    /// Collects <paramref name="operation"/> on <paramref name="target"/>, a tasklet of another thread, if the executing
    /// tasklet is atomic (or a collection is already pending, which keeps the order); false when it is to be made now.
    /// </summary>
    public bool TryDeferRemote(Tasklet target, Action<Tasklet> operation)
    {
        Debug.Assert(target.Scheduler != this);
        if (_atomicRemote is null)
        {
            var executing = Executing;
            if (!executing.Atomic)
            {
                return false;
            }

            _atomicRemote = [];
            _atomicRemoteCollector = executing;
        }

        _atomicRemote.Add((target, operation));
        return true;
    }

    /// <summary>Hands the collected operations over if <paramref name="tasklet"/> collects them (it left atomic or ended).</summary>
    public void FlushAtomicRemoteOf(Tasklet tasklet)
    {
        if (_atomicRemote is not null && tasklet == _atomicRemoteCollector)
        {
            FlushAtomicRemote();
        }
    }

    /// <summary>Hands every collected operation to its owner, each owner's share as one item (see above).</summary>
    public void FlushAtomicRemote()
    {
        var batch = _atomicRemote;
        if (batch is null)
        {
            return;
        }

        _atomicRemote = null;
        _atomicRemoteCollector = null;
        var owners = new List<ThreadScheduler>();
        foreach (var (target, _) in batch)
        {
            if (!owners.Contains(target.Scheduler))
            {
                owners.Add(target.Scheduler);
            }
        }

        foreach (var owner in owners)
        {
            var share = batch.FindAll(op => op.Target.Scheduler == owner);
            SchedulerRegistry.Join(this, owner); // threads that operate on each other's tasklets can wake each other
            if (!owner.TryApplyWhileParked(share[0].Target, _ => ApplyRemoteBatch(share)))
            {
                owner.PostAction(() => ApplyRemoteBatch(share));
            }
        }
    }

    /// <summary>Applies a batch of operations in order; each one's failure is raised once all have been applied.</summary>
    private static void ApplyRemoteBatch(List<(Tasklet Target, Action<Tasklet> Operation)> share)
    {
        List<Exception>? errors = null;
        foreach (var (target, operation) in share)
        {
            try
            {
                operation(target);
            }
#pragma warning disable CA1031 // Raised below, after the rest of the batch: as if each had been posted on its own.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                (errors ??= []).Add(ex);
            }
        }

        if (errors is [var single])
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(single);
        }

        if (errors is not null)
        {
            throw new AggregateException(errors);
        }
    }
}
