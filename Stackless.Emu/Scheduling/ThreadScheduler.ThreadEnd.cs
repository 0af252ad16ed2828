using System.Diagnostics;

namespace Stackless.Emu;

internal sealed partial class ThreadScheduler
{
    // The end of a thread and its hard tasklets. Stackless kills a thread's tasklets with C state when the thread ends
    // (TestThreadShutdown nl1), so that their C stacks unwind; soft ones simply stop (nl0). .NET gives no hook at the end
    // of a plain thread, so a hard tasklet notices it itself: while it waits for the baton it looks every
    // OwnerEndPollMilliseconds whether the thread of its scheduler is still alive. The main tasklet held the baton when
    // its thread ended, so nobody else runs this scheduler: the hard tasklets that notice take it over one at a time
    // (_threadEndLock, held until the taker's thread has finished), each raising TaskletExit in itself and ending.

    /// <summary>How often a hard tasklet waiting for the baton checks that its scheduler's thread is alive.</summary>
    private const int OwnerEndPollMilliseconds = 200;

    /// <summary>
    /// Blocks the calling thread until <paramref name="self"/> holds the baton again. False when instead the thread of
    /// this scheduler ended while <paramref name="self"/>, a hard tasklet, waited: it now holds the scheduler alone, with
    /// <see cref="TaskletExit"/> pending, and must unwind (see above).
    /// </summary>
    private bool WaitForBaton(Tasklet self)
    {
        var signal = self.BatonSignal!;
        if (self.Kind != TaskletKind.Hard)
        {
            signal.Wait();
            return true;
        }

        while (!signal.Wait(OwnerEndPollMilliseconds))
        {
            if (!OwnerThread.IsAlive)
            {
                _ownerEnded = true;
                TakeOverEndedThread(self);
                return false;
            }
        }

        return true;
    }

    /// <summary>Makes <paramref name="self"/> the one hard tasklet that runs on this ended scheduler, and kills it there.</summary>
    private void TakeOverEndedThread(Tasklet self)
    {
        Monitor.Enter(_threadEndLock); // re-entered if self waits again while it unwinds
        _threadEndTaker = self;
        ResumeDriving();
        lock (_parkLock) // other threads change an ended thread's tasklets under it
        {
            self.PrepareKillAtThreadEnd();
        }
    }

    /// <summary>
    /// Ends the hard tasklet <paramref name="tasklet"/>, whose body has returned or raised: normally it hands the baton
    /// on; after its scheduler's thread ended, there is nobody to hand it to, and the next hard tasklet may take over.
    /// </summary>
    private void EndHardTasklet(Tasklet tasklet, Exception? error)
    {
        if (_threadEndTaker != tasklet)
        {
            FinishTasklet(tasklet, error);
            Drive(tasklet, exiting: true);
            return;
        }

        Debug.Assert(_ownerEnded);
        try
        {
            lock (_parkLock)
            {
                FinishTasklet(tasklet, error);
            }
        }
        finally
        {
            _threadEndTaker = null;
            while (Monitor.IsEntered(_threadEndLock))
            {
                Monitor.Exit(_threadEndLock);
            }
        }
    }
}
