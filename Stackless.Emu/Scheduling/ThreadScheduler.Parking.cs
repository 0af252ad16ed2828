namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // Parking: Stackless's other threads change a thread's tasklets directly (remove, insert, setup, bind_thread) while
    // that thread waits outside the interpreter with the GIL released. Here a thread is parked while it sleeps for its
    // inbox (idle in its scheduler) or blocks in Scheduler.ParkThread, and once it has ended; then, and only then, another
    // thread may operate on its scheduler's state directly, under _parkLock, which the owner takes again before it goes on.
    // The owner pays for this only when it sleeps; its running path is unchanged. A thread that is running is reached by
    // posting to its inbox, as before.

    /// <summary>
    /// Whether the thread of this scheduler has ended (Stackless: its tasklets have no thread state). Cheap on the owner
    /// thread (it is alive); elsewhere it asks the thread once and remembers an end.
    /// </summary>
    public bool OwnerEnded => _ownerEnded || (t_current != this && ProbeOwnerEnded());

    private bool ProbeOwnerEnded()
    {
        if (OwnerThread.IsAlive)
        {
            return false;
        }

        _ownerEnded = true;
        return true;
    }

    /// <summary>
    /// Makes the runnable <paramref name="tasklet"/> the next to run (another thread's <c>run()</c> of it): the head of the
    /// chain, which the dispatch loop runs next; but while the owner is parked in <c>Scheduler.ParkThread</c>, its main
    /// or hard tasklet is the head and is running, so the tasklet goes right after it.
    /// </summary>
    public void MakeNext(Tasklet tasklet)
    {
        if (_parked && _current is { IsThreaded: true } running && running != tasklet)
        {
            RemoveRunnable(tasklet);
            InsertRunnableAfter(running, tasklet);
            return;
        }

        MakeCurrent(tasklet);
    }

    /// <summary>Parks the calling owner thread: other threads may now operate on this scheduler directly.</summary>
    public void Park()
    {
        FlushAtomicRemote(); // a parked thread may wait for another: what an atomic block collected goes first
        lock (_parkLock)
        {
            _parked = true;
            Monitor.PulseAll(_parkLock); // a thread waiting in AwaitRemote may now perform its operation itself
        }
    }

    /// <summary>Ends a <see cref="Park"/>, after any operation another thread is applying has finished.</summary>
    public void Unpark()
    {
        lock (_parkLock)
        {
            _parked = false;
        }
    }

    /// <summary>
    /// From another thread: applies <paramref name="operation"/> to <paramref name="tasklet"/> of this scheduler at once
    /// if the owner is parked or has ended, and returns true; false (nothing done) while the owner runs. Exceptions of the
    /// operation reach the caller. A parked, live owner is woken afterwards, so it sees what changed.
    /// </summary>
    public bool TryApplyWhileParked(Tasklet tasklet, Action<Tasklet> operation)
    {
        bool wake;
        lock (_parkLock)
        {
            var ended = OwnerEnded;
            if (!_parked && !ended)
            {
                return false;
            }

            operation(tasklet);
            wake = !ended;
        }

        if (wake)
        {
            PostAction(static () => { });
        }

        return true;
    }


    /// <summary>
    /// From another thread: has <paramref name="request"/> performed on this scheduler and returns when it is done. It is
    /// posted to the inbox; if the owner parks (or ends) before serving it, the caller performs it itself, under the park lock.
    /// </summary>
    public void AwaitRemote(RemoteOperation request)
    {
        PostAction(() =>
        {
            if (request.TryClaim())
            {
                request.Run();
            }

            lock (_parkLock)
            {
                request.Done = true;
                Monitor.PulseAll(_parkLock);
            }
        });

        var wake = false;
        lock (_parkLock)
        {
            while (!request.Done)
            {
                if ((_parked || OwnerEnded) && request.TryClaim())
                {
                    request.Run();
                    request.Done = true;
                    wake = !OwnerEnded;
                    break;
                }

                // Woken by Park or by the owner's completion; the period only notices an owner that ended without either.
                Monitor.Wait(_parkLock, RemoteRecheckMilliseconds);
            }
        }

        if (wake)
        {
            PostAction(static () => { });
        }
    }

    /// <summary>How often a thread waiting in <see cref="AwaitRemote"/> checks whether the owner thread has ended.</summary>
    private const int RemoteRecheckMilliseconds = 50;
}
