using System.Diagnostics;

namespace Stackless.Emu;

/// <summary>
/// Every thread's scheduler, for <see cref="Scheduler.Threads"/>, <see cref="Scheduler.GetThreadInfo"/> and the
/// cross-thread deadlock rule (Stackless's <c>threadblock</c>): a thread whose last tasklet blocks waits for other
/// threads to wake it as long as another scheduler of its <see cref="SchedulerGroup"/> is live; when none is, the
/// block is a deadlock. Everything here is off the single-threaded hot path and takes one process-wide lock.
/// </summary>
internal static partial class SchedulerRegistry
{
    private static readonly object s_lock = new();
    private static readonly List<ThreadScheduler> s_schedulers = [];

    /// <summary>Adds a new thread's scheduler, in a group of its own.</summary>
    public static void Register(ThreadScheduler scheduler)
    {
        StacklessMetrics.EnsureCreated();
        lock (s_lock)
        {
            PruneDeadThreads();
            s_schedulers.Add(scheduler);
            scheduler.Group.Members.Add(scheduler);
        }
    }

    /// <summary>The schedulers of the threads that are still alive, in the order they were created.</summary>
    public static ThreadScheduler[] Snapshot()
    {
        lock (s_lock)
        {
            PruneDeadThreads();
            return [.. s_schedulers];
        }
    }

    /// <summary>The scheduler of the alive thread <paramref name="threadId"/>, or null.</summary>
    public static ThreadScheduler? Find(int threadId)
    {
        lock (s_lock)
        {
            PruneDeadThreads();
            return s_schedulers.Find(s => s.ThreadId == threadId);
        }
    }

    /// <summary>Puts <paramref name="a"/> and <paramref name="b"/> into one group (they can now wake each other).</summary>
    public static void Join(ThreadScheduler a, ThreadScheduler b)
    {
        if (a.Group == b.Group)
        {
            return;
        }

        lock (s_lock)
        {
            var (into, from) = a.Group.Members.Count >= b.Group.Members.Count ? (a.Group, b.Group) : (b.Group, a.Group);
            if (into == from)
            {
                return;
            }

            foreach (var member in from.Members)
            {
                member.Group = into;
                into.Members.Add(member);
            }

            from.Members.Clear();
        }
    }

    /// <summary>Whether another scheduler of <paramref name="scheduler"/>'s group could still wake one of its tasklets.</summary>
    public static bool AnotherMemberLive(ThreadScheduler scheduler)
    {
        if (scheduler.Group.Members.Count < 2)
        {
            return false; // racy read, but a group never shrinks below what this thread itself joined
        }

        lock (s_lock)
        {
            return AnyMemberLiveLocked(scheduler.Group, except: scheduler);
        }
    }

    /// <summary>
    /// Marks <paramref name="scheduler"/> as waiting for another thread (not live) if another member of its group is
    /// live; returns false when none is, which makes the wait a deadlock.
    /// </summary>
    public static bool TryBlock(ThreadScheduler scheduler)
    {
        lock (s_lock)
        {
            if (!AnyMemberLiveLocked(scheduler.Group, except: scheduler))
            {
                return false;
            }

            scheduler.ThreadBlocked = true;
            return true;
        }
    }

    /// <summary>
    /// Marks <paramref name="scheduler"/> as an idle server thread: waiting for posts, not live. If it was the last live
    /// member of its group, a member waiting for other threads is woken to find that nobody is left to wake it: the
    /// deadlock is raised there.
    /// </summary>
    public static void MarkIdle(ThreadScheduler scheduler)
    {
        lock (s_lock)
        {
            scheduler.ThreadBlocked = true;
            scheduler.Idle = true;
            if (AnyMemberLiveLocked(scheduler.Group, except: null))
            {
                return;
            }

            foreach (var member in scheduler.Group.Members)
            {
                if (member.ThreadBlocked && !member.Idle && member.OwnerThread.IsAlive)
                {
                    member.PostAction(static () => { }); // it re-checks, finds no live member, and raises the deadlock
                    return;
                }
            }
        }
    }

    /// <summary>Marks <paramref name="scheduler"/> as live again: it woke up, before it drains its inbox.</summary>
    /// <remarks>No lock: becoming live can only turn a deadlock verdict into a wait, and readers tolerate the race.</remarks>
    public static void MarkLive(ThreadScheduler scheduler)
    {
        scheduler.Idle = false;
        scheduler.ThreadBlocked = false;
    }

    /// <summary>Whether a member of <paramref name="group"/> other than <paramref name="except"/> is live.</summary>
    private static bool AnyMemberLiveLocked(SchedulerGroup group, ThreadScheduler? except)
    {
        Debug.Assert(Monitor.IsEntered(s_lock));
        foreach (var member in group.Members)
        {
            if (member != except && member.IsLive)
            {
                return true;
            }
        }

        return false;
    }

    private static void PruneDeadThreads()
    {
        Debug.Assert(Monitor.IsEntered(s_lock));
        s_schedulers.RemoveAll(s =>
        {
            if (s.OwnerThread.IsAlive)
            {
                return false;
            }

            s_retired += s.ReadCounters().Cumulative; // the counts of an ended thread stay in the totals (SchedulerRegistry.Counters.cs)
            s.Group.Members.Remove(s);
            return true;
        });
    }
}
